# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: pki_input_problems
short_description: What a PKI module would refuse in its options, checked before anything is written
version_added: 0.1.0
description:
  - Runs the input checks of M(mtls.clb.pki_root_ca) or M(mtls.clb.pki_client_certificates) that need no file - the
    subject (a common name of at most 64 characters, a two-letter country code), the validity (at least one day,
    ending by 9999-12-31, longer than the renewal window) and, for client certificates, every item of the client
    list (its name, a name used twice, its subject alternative names, a PKCS#12 password) - by the modules' own
    code, on the controller. Reads no file, writes nothing.
  - Made for the roles' input checks before step 1, so C(site.yml) refuses what step 2 or step 3 would refuse
    after the earlier steps wrote their keys.
  - Returns a list with the first problem (empty when there is none). Its text names the module option (C(clients[1]
    (b).common_name), C(valid_days)), a shared option prefixed with O(option_prefix), and says how to fix it. No
    secret is in it.
author:
  - mtls.clb contributors (!UNKNOWN)
options:
  _input:
    description: The module's options (only those the checks read are needed).
    type: dict
    required: true
  module:
    description: Which module's checks to run.
    type: str
    required: true
    choices: [pki_root_ca, pki_client_certificates]
  option_prefix:
    description: Put before the option names in the problem, e.g. C(root_ca_) to name the role's variables.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Refuse a client list the step 3 module would refuse, before step 1
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "client_certificates_clients: {{ __problems | join(' ') }}"
    quiet: true
  vars:
    __problems: >-
      {{ {'clients': my_clients, 'valid_days': 3650, 'renew_before_days': 30, 'pkcs12_password': my_p12_password}
         | mtls.clb.pki_input_problems('pki_client_certificates') }}
"""

RETURN = r"""
_value:
  description: The first problem found, or none.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

try:
    from ansible_collections.mtls.clb.plugins.module_utils.pki.client_certificates import check_clients
    from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError
    from ansible_collections.mtls.clb.plugins.module_utils.pki.root_ca import checked_root_ca_subject
    IMPORT_ERROR = None
except ImportError as exc:  # cryptography missing on the controller
    IMPORT_ERROR = exc

DEFAULT_VALID_DAYS = 3650
DEFAULT_RENEW_BEFORE_DAYS = 30


def pki_input_problems(params, module, option_prefix=""):
    if IMPORT_ERROR is not None:
        raise AnsibleFilterError("mtls.clb.pki_input_problems needs the Python package cryptography on the "
                                 "controller: %s" % IMPORT_ERROR)
    if not isinstance(params, dict):
        raise AnsibleFilterError("mtls.clb.pki_input_problems takes a dict of module options")
    params = dict((key, value) for key, value in params.items() if value is not None and value != "")
    days = {}
    for option, default in (("valid_days", DEFAULT_VALID_DAYS), ("renew_before_days", DEFAULT_RENEW_BEFORE_DAYS)):
        value = params.get(option, default)
        try:
            if isinstance(value, bool) or int(value) != float(value):
                raise ValueError(value)
            days[option] = int(value)
        except (TypeError, ValueError, OverflowError):
            return ["%s%s must be a whole number of days (got %r)." % (option_prefix, option, value)]
    valid_days, renew_before_days = days["valid_days"], days["renew_before_days"]
    try:
        if module == "pki_root_ca":
            checked_root_ca_subject(dict(params, valid_days=valid_days, renew_before_days=renew_before_days),
                                    prefix=option_prefix)
        elif module == "pki_client_certificates":
            check_clients(params.get("clients") or [], dict(params, valid_days=valid_days), renew_before_days,
                          option_prefix=option_prefix)
        else:
            raise AnsibleFilterError("mtls.clb.pki_input_problems: module must be pki_root_ca or "
                                     "pki_client_certificates, not %r" % module)
    except PkiError as exc:
        return [str(exc)]
    return []


class FilterModule(object):
    def filters(self):
        return {"pki_input_problems": pki_input_problems}
