# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every PKI module shares: the subject, key and file options, and main().

A PKI module file is its documentation, its own options and one call to `run_pki_module`.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import CRYPTOGRAPHY_IMPORT_ERROR, PkiError

SUBJECT_OPTIONS = ("country_name", "state_or_province_name", "locality_name", "organization_name",
                   "organizational_unit_name", "email_address")


def subject_argument_spec():
    """The optional subject fields besides the common name (the guide's `openssl req` prompts)."""
    return dict((name, dict(type="str")) for name in SUBJECT_OPTIONS)


def key_and_file_argument_spec():
    """Key algorithm, validity, re-issue and file options, with the guide's defaults (RSA 4096, 3650 days)."""
    return dict(
        key_type=dict(type="str", choices=["rsa", "ecdsa"], default="rsa"),
        key_size=dict(type="int", choices=[2048, 3072, 4096], default=4096),
        curve=dict(type="str", choices=["secp256r1", "secp384r1"], default="secp256r1"),
        digest=dict(type="str", choices=["sha256", "sha384", "sha512"], default="sha256"),
        valid_days=dict(type="int", default=3650),
        renew_before_days=dict(type="int", default=30),
        force=dict(type="bool", default=False),
        backup=dict(type="bool", default=False),
        certificate_mode=dict(type="raw"),
        directory_mode=dict(type="raw"),
    )


def run_pki_module(backend_class, argument_spec):
    """main() of a PKI module: parse, run the backend, report; a PkiError becomes fail_json."""
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, add_file_common_args=True)
    if CRYPTOGRAPHY_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=CRYPTOGRAPHY_IMPORT_ERROR)
    try:
        result = backend_class(module).run()
    except PkiError as exc:
        details = {} if exc.directory is None else {"directory": exc.directory}
        module.fail_json(msg=str(exc), **details)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)
