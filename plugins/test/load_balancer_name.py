# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: load_balancer_name
short_description: Is the value a name CreateLoadBalancer accepts for a CLB instance
version_added: 0.1.0
description:
  - True for a string of 1-80 characters that starts with a letter and holds only letters, digits, C(.), C(_)
    and C(-), such as C(mtls-clb); false for anything else. Letters and digits are Unicode ones, as the API
    also takes Chinese characters.
  - It is the rule the O(mtls.clb.load_balancer#module:name) option is checked by (the same code), so a role can
    refuse a name before its first task with the answer the module would give later - before an instance that
    is billed could be created under another name.
  - A value that is not a string (V(None), a number, a boolean) is not a name; the test does not convert it. To
    test what the module would receive for a non-string value (its string option receives the boolean V(true)
    as the text C(True)), pipe it through C(string) first.
author:
  - mtls.clb contributors (!UNKNOWN)
options:
  _input:
    description: The value to test, usually a load balancer name variable.
    type: raw
    required: true
seealso:
  - module: mtls.clb.load_balancer
  - plugin: mtls.clb.certificate_name
    plugin_type: test
  - plugin: mtls.clb.region_id
    plugin_type: test
"""

EXAMPLES = r"""
- name: Refuse a load balancer name CreateLoadBalancer would not take before any API call
  ansible.builtin.assert:
    that: my_load_balancer_name | default('', true) | length == 0 or my_load_balancer_name | string is mtls.clb.load_balancer_name
    fail_msg: >-
      my_load_balancer_name is {{ my_load_balancer_name | string | to_json }}: a CLB instance name must be
      1-80 characters, start with a letter and contain only letters, digits, '.', '_' and '-'.

# "{{ 'mtls-clb' is mtls.clb.load_balancer_name }}"   -> true
# "{{ '负载均衡-1' is mtls.clb.load_balancer_name }}"  -> true (Chinese characters are letters)
# "{{ '-mtls-clb' is mtls.clb.load_balancer_name }}"  -> false (not a letter first)
# "{{ 'mtls clb' is mtls.clb.load_balancer_name }}"   -> false (a space)
"""

RETURN = r"""
_value:
  description: V(true) if the input is a string the load_balancer module accepts as a name, V(false) otherwise.
  type: bool
"""

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.resource_names import is_load_balancer_name


class TestModule:
    def tests(self):
        return {"load_balancer_name": is_load_balancer_name}
