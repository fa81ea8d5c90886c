# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: certificate_name
short_description: Is the value a name the certificate modules accept for an SLB certificate
version_added: 0.1.0
description:
  - True for a string of 1-80 characters that starts with an ASCII letter and holds only ASCII letters, digits,
    C(.), C(_) and C(-), such as C(mtls-clb-server-www.example.com); false for anything else.
  - It is the rule the O(mtls.clb.server_certificate#module:name) and O(mtls.clb.ca_certificate#module:name)
    options are checked by (the same code), so a role can refuse a name before its first task with the answer
    the modules would give later. It is stricter than the service, which also takes Chinese characters.
  - A value that is not a string (V(None), a number) is not a name; the test does not convert it. To test what
    a module would receive for a non-string value (a module's string option receives the number V(42) as the
    text C(42)), pipe it through C(string) first.
author:
  - mtls.clb contributors (!UNKNOWN)
options:
  _input:
    description: The value to test, usually a certificate name variable.
    type: raw
    required: true
seealso:
  - module: mtls.clb.server_certificate
  - module: mtls.clb.ca_certificate
  - plugin: mtls.clb.load_balancer_name
    plugin_type: test
"""

EXAMPLES = r"""
- name: Refuse a certificate name SLB would not take before anything is uploaded
  ansible.builtin.assert:
    that: my_certificate_name | string is mtls.clb.certificate_name
    fail_msg: >-
      my_certificate_name is {{ my_certificate_name | string | to_json }}: SLB allows 1-80 characters
      (letters, digits, '.', '_' and '-', starting with a letter).

# "{{ 'mtls-clb-server-www.example.com' is mtls.clb.certificate_name }}"  -> true
# "{{ '1st-certificate' is mtls.clb.certificate_name }}"                -> false (a digit first)
# "{{ 'server cert' is mtls.clb.certificate_name }}"                    -> false (a space)
# "{{ ('x' * 81) is mtls.clb.certificate_name }}"                       -> false (81 characters; a test binds
#                                                                          tighter than *, hence the parentheses)
"""

RETURN = r"""
_value:
  description: V(true) if the input is a string the certificate modules accept as a name, V(false) otherwise.
  type: bool
"""

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.resource_names import is_certificate_name


class TestModule:
    def tests(self):
        return {"certificate_name": is_certificate_name}
