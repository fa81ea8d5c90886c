# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: name_role_variables
short_description: A module's failure message, followed by the role variables behind the options it names
version_added: 0.1.0
description:
  - A module inside a role reports a failure in terms of its own options (C(servers[].server_id),
    C(load_balancer_id), C(region)), and some failures only the cloud can find. The user of the role never
    wrote those options; they set role variables, whose defaults often come from shared C(mtls_clb_*)
    variables. This filter keeps the message exactly as it is and appends which role variable sets each
    option the message names, and where that variable's default comes from.
  - Made for the rescue of a role's block, with C(ansible_failed_result.msg) as input and
    C(ansible_failed_task.action) as O(module). A message that names none of the options, or a module
    that no source is for, comes back unchanged.
  - An option is named when it appears as a whole word, not as part of a longer name
    (C(mtls_listener_backend_servers) does not name C(servers)); matching is case-sensitive, so both the
    option (C(server_certificate_id)) and the API parameter the service quotes (C(ServerCertificateId))
    can be listed.
  - Only names are added, never values, so the result holds no secret the message did not already hold.
author:
  - mtls.clb contributors (!UNKNOWN)
positional: sources, module
options:
  _input:
    description: The failure message, usually C(ansible_failed_result.msg).
    type: str
    required: true
  sources:
    description: Which role variable sets which module option; the role's table.
    type: list
    elements: dict
    required: true
    suboptions:
      options:
        description:
          - The option's name first (it is what the appended text shows), then the names the service's
            messages use for it (API parameters such as C(LoadBalancerId)).
        type: list
        elements: str
        required: true
      variable:
        description: The role variable the role passes as the option.
        type: str
        required: true
      default:
        description:
          - Where the variable's default comes from, usually a shared C(mtls_clb_*) variable. Shown as
            C(by default from ...).
        type: str
      modules:
        description:
          - The modules (as the task names them, for example C(mtls.clb.backend_servers)) this source is for;
            omitted means every module.
        type: list
        elements: str
  module:
    description:
      - The module that failed, usually C(ansible_failed_task.action). Without it only the sources that
        list no O(sources[].modules) apply.
    type: str
"""

EXAMPLES = r"""
- name: Configure the backends
  block:
    - name: Add the backend servers
      mtls.clb.backend_servers:
        load_balancer_id: "{{ my_role_load_balancer_id }}"
        servers: "{{ my_role_backend_servers }}"
  rescue:
    - name: Name the role variables behind the options the failure names
      ansible.builtin.fail:
        msg: "{{ ansible_failed_result.msg | mtls.clb.name_role_variables(__my_role_option_sources, ansible_failed_task.action) }}"
  vars:
    __my_role_option_sources:
      - {options: [servers, BackendServers], variable: my_role_backend_servers, default: mtls_clb_backend_servers,
         modules: [mtls.clb.backend_servers]}
      - {options: [load_balancer_id, LoadBalancerId], variable: my_role_load_balancer_id}

# "AddBackendServers failed: ObtainIpFail: ... Check servers[].server_id: ..." becomes
# "AddBackendServers failed: ObtainIpFail: ... Check servers[].server_id: ... Role variables behind the options
#  named above: servers = my_role_backend_servers (by default from mtls_clb_backend_servers)."
"""

RETURN = r"""
_value:
  description:
    - The input, unchanged, and when it names options of O(module), one more sentence
      C(Role variables behind the options named above:) with C(option = variable (by default from ...))
      for each of them, in the order the message first names them.
  type: str
"""

import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

# Letters, digits and '_' continue a name: "mtls_listener_backend_servers" must not name "servers".
_NAME_CHARACTER = r"[A-Za-z0-9_]"
INTRODUCTION = "Role variables behind the options named above: "


def _string_list(value, field, index):
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value \
            or not all(isinstance(item, str) and item for item in value):
        raise AnsibleFilterError("name_role_variables: sources[{0}].{1} must be a non-empty list of names, "
                                 "got {2!r}".format(index, field, value))
    return [to_text(item) for item in value]


def _checked_source(source, index):
    if not isinstance(source, dict):
        raise AnsibleFilterError("name_role_variables: sources[{0}] must be a dictionary with options and "
                                 "variable, got {1!r}".format(index, source))
    variable = source.get("variable")
    if not isinstance(variable, str) or not variable:
        raise AnsibleFilterError("name_role_variables: sources[{0}].variable must name the role variable "
                                 "behind {1!r}".format(index, source.get("options")))
    default = source.get("default")
    if default is not None and not isinstance(default, str):
        raise AnsibleFilterError("name_role_variables: sources[{0}].default must be text, got "
                                 "{1!r}".format(index, default))
    modules = source.get("modules")
    return {
        "options": _string_list(source.get("options"), "options", index),
        "variable": to_text(variable),
        "default": to_text(default) if default else None,
        "modules": None if modules is None else _string_list(modules, "modules", index),
    }


def _first_mention(message, names):
    """Where the message first names one of `names` as a whole word, or None."""
    positions = []
    for name in names:
        match = re.search("(?<!{0}){1}(?!{0})".format(_NAME_CHARACTER, re.escape(name)), message)
        if match:
            positions.append(match.start())
    return min(positions) if positions else None


def _describe(source):
    text = "{0} = {1}".format(source["options"][0], source["variable"])
    if source["default"]:
        text += " (by default from {0})".format(source["default"])
    return text


def name_role_variables(message, sources, module=None):
    """`message`, then the role variables behind the options of `module` that it names."""
    if not isinstance(sources, (list, tuple)):
        raise AnsibleFilterError("name_role_variables: sources must be a list of {{options, variable}} "
                                 "dictionaries, got {0!r}".format(type(sources).__name__))
    if message is None:
        return message
    message = to_text(message)
    named = []
    for index, source in enumerate(sources):
        source = _checked_source(source, index)
        if source["modules"] is not None and module not in source["modules"]:
            continue
        position = _first_mention(message, source["options"])
        if position is not None:
            named.append((position, index, source))
    if not named:
        return message
    named.sort(key=lambda found: found[:2])
    descriptions = []
    for _position, _index, source in named:
        description = _describe(source)
        if description not in descriptions:
            descriptions.append(description)
    # The message stays byte for byte the same; only a sentence end is added when it has none.
    separator = " " if message.rstrip().endswith((".", "!", "?")) else ". "
    return message + separator + INTRODUCTION + "; ".join(descriptions) + "."


class FilterModule(object):
    """mtls.clb filters."""

    def filters(self):
        return {"name_role_variables": name_role_variables}
