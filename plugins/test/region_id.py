# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: region_id
short_description: Is the value an Alibaba Cloud region ID, in the form the cloud modules accept
version_added: 0.1.0
description:
  - True for a string in the form of a region ID - lower-case words joined by C(-), such as C(cn-hangzhou),
    C(eu-central-1) or C(cn-shanghai-finance-1) - and false for anything else, such as the console's name of a region,
    an endpoint host, upper case, surrounding spaces or a trailing newline.
  - It is the rule the C(region) option of every cloud module of this collection is checked by (the same code),
    so a role can refuse a region before its first task with the answer the modules would give later.
  - It checks the form only; whether the region exists, or sells CLB, is the service's to say.
  - A value that is not a string (V(None), a number, a list) is not a region ID; the test does not convert it.
    An empty string is not one either - to treat an unset region as "use the default", test it only when set.
author:
  - mtls.clb contributors (!UNKNOWN)
options:
  _input:
    description: The value to test, usually a region variable.
    type: raw
    required: true
seealso:
  - module: mtls.clb.load_balancer
  - plugin: mtls.clb.load_balancer_name
    plugin_type: test
  - plugin: mtls.clb.certificate_name
    plugin_type: test
"""

EXAMPLES = r"""
- name: Refuse a region that is not in the ID form before any API call
  ansible.builtin.assert:
    that: my_region | default('', true) | length == 0 or my_region is mtls.clb.region_id
    fail_msg: "my_region is {{ my_region | to_json }}: not a region ID; use the ID form, e.g. cn-hangzhou."

# "{{ 'cn-hangzhou' is mtls.clb.region_id }}"        -> true
# "{{ 'China (Hangzhou)' is mtls.clb.region_id }}"   -> false (the console's name)
# "{{ 'CN-HANGZHOU' is mtls.clb.region_id }}"        -> false
# "{{ none is mtls.clb.region_id }}"                 -> false
"""

RETURN = r"""
_value:
  description: V(true) if the input is a string in the form of a region ID, V(false) otherwise.
  type: bool
"""

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.regions import is_region_id


class TestModule:
    def tests(self):
        return {"region_id": is_region_id}
