# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The retried error codes that every cloud module documents are the ones errors.py retries."""
from __future__ import annotations

import re

import yaml

from ansible_collections.mtls.clb.plugins.doc_fragments.alicloud import ModuleDocFragment
from ansible_collections.mtls.clb.plugins.module_utils.alicloud import errors


def documented_codes() -> set[str]:
    option = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]["retry_max_attempts"]
    return set(re.findall(r"C\(([A-Za-z][\w.]*)\)", " ".join(option["description"])))


def test_every_retried_code_is_documented():
    retried = set(errors.RETRYABLE_CODES) | set(errors.RETRYABLE_CODES_BY_ACTION)
    assert retried - documented_codes() == set()


def test_no_code_is_documented_as_retried_that_is_not():
    retried = set(errors.RETRYABLE_CODES) | set(errors.RETRYABLE_CODES_BY_ACTION)
    # Throttling codes are matched by a word in them and Describe* names the read-only actions, not codes.
    documented = set(code for code in documented_codes() if not errors.is_throttling_code(code))
    assert documented - retried == set()
