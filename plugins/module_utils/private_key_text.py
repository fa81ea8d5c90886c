# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private key blocks inside options that are not secret (certificate text), kept out of every output.

A certificate option is public and not no_log, so Ansible returns it in the task's `invocation` (shown at
-vvv) and in any failure. Users often keep a certificate and its key in one PEM file (HAProxy, curl --cert),
and a `lookup('file', ...)` of it puts the key into that option. `mask_private_keys` registers every private key
block found in such text (and each of its body lines) as a no_log value of the module, so AnsibleModule replaces
it in every result, failure included. Standard library only: client_bundle and mtls_probe use it on hosts
without cryptography.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Any private key label (PRIVATE KEY, RSA / EC / DSA / ENCRYPTED / OPENSSH PRIVATE KEY); a block without its
# END line runs to the end of the text.
_PRIVATE_KEY_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----.*?(?:-----END \1-----|\Z)", re.S)
# Shorter lines (Proc-Type headers, blank lines) are no key material and would mask unrelated text.
_MIN_MASKED_LINE = 16


def private_key_blocks(text):
    """The private key blocks in `text` (a str), in order; [] for anything else."""
    if not isinstance(text, str):
        return []
    return [match.group(0) for match in _PRIVATE_KEY_BLOCK.finditer(text)]


def private_key_values(text):
    """What to mask for `text`: each private key block and each of its body lines."""
    values = []
    for block in private_key_blocks(text):
        values.append(block)
        values.extend(line.strip() for line in block.splitlines()
                      if len(line.strip()) >= _MIN_MASKED_LINE and not line.strip().startswith("-----"))
    return values


def mask_private_keys(module, *texts):
    """Make every private key found in `texts` a no_log value of `module` (an AnsibleModule)."""
    for text in texts:
        for value in private_key_values(text):
            module.no_log_values.add(value)
