# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: connection_problems
short_description: What the cloud modules would refuse in their connection options, asked before any API call
version_added: 0.1.0
description:
  - Asks of the connection options (region, access key pair, STS token, endpoint) the questions every cloud module
    of this collection asks before its first API call - the same code - after filling each option not given from
    the environment variables the modules fall back to (E(ALIBABA_CLOUD_REGION_ID), E(ALIBABA_CLOUD_ACCESS_KEY_ID)
    and their aliases; see the doc fragment of any cloud module). A region that is missing or not in ID form, or
    half a key pair, is thus found before step 1 rather than at step 5, after keys were made and installed.
  - Reads the controller's environment, which is the modules' environment when they run on the controller with
    the C(local) connection and no C(environment) keyword, as in C(mtls.clb.site). A play that sets the variables
    with C(environment) must not use this filter for them.
  - Whether the key is valid, and whether the region exists, only the service can say.
  - Returns at most one problem, the first the modules would report. No problem text holds the access key secret
    or the token.
author:
  - mtls.clb contributors (!UNKNOWN)
options:
  _input:
    description:
      - The options as the cloud modules would receive them - C(region), C(access_key_id), C(access_key_secret),
        C(security_token), C(endpoint). A key that is missing, V(None) or empty counts as not given, as the roles
        omit an empty value.
    type: dict
    required: true
  settings:
    description:
      - Per option, how the user sets it, named in the problem, for example the variable C(mtls_clb_region) for
        C(region). Defaults to C(the <option> option). A value taken from the environment is named by its variable
        instead.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Check before step 1 that the cloud modules will have a region and a whole key pair
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
    quiet: true
  vars:
    __problems: >-
      {{ {'region': my_region | default(none), 'access_key_id': my_key_id | default(none),
          'access_key_secret': my_key_secret | default(none)}
         | mtls.clb.connection_problems(settings={'region': 'my_region', 'access_key_id': 'my_key_id',
                                                  'access_key_secret': 'my_key_secret'}) }}
"""

RETURN = r"""
_value:
  description: The first problem, as a one-element list naming the setting and the fix; empty when there is none.
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.connection import connection_problem, with_environment

OPTIONS = ("region", "access_key_id", "access_key_secret", "security_token", "endpoint")


def connection_problems(options, settings=None):
    if not isinstance(options, dict):
        raise AnsibleFilterError("connection_problems expects a dict of connection options, got {0}".format(
            type(options).__name__))
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise AnsibleFilterError("connection_problems: unknown option(s) {0}; give {1}".format(
            ", ".join(unknown), ", ".join(OPTIONS)))
    given = dict((name, to_text(value) if value not in (None, "") else None) for name, value in options.items())
    resolved, sources = with_environment(given, os.environ)
    named = dict(settings or {})
    named.update(sources)
    problem = connection_problem(resolved, named)
    return [problem] if problem else []


class FilterModule(object):
    """mtls.clb filters."""

    def filters(self):
        return {"connection_problems": connection_problems}
