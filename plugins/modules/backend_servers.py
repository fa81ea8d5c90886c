#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: backend_servers
short_description: Manage the default server group of a CLB instance
version_added: 0.1.0
description:
  - Adds, re-weights and (with O(purge)) removes backend servers in the default server group of a Classic Load
    Balancer, step 6 of the mutual TLS procedure ("default server group - add ECS01 and ECS02").
  - Servers are matched by O(servers[].server_id); only what differs is sent, at most 20 servers per API call
    (C(AddBackendServers), C(SetBackendServers), C(RemoveBackendServers)).
  - The calls go in that order - adds, then re-weights, then (with O(purge)) removals - so that a server being
    replaced keeps serving until its replacement is in the group; when an add is refused (an ID that does not
    exist, say), nothing is removed. Replacing servers of a group at its quota of backend servers therefore needs
    a task with O(state=absent) for the old ones first.
  - A failure after some of those calls went through (a refused removal after the adds, say) reports C(changed)
    and names the calls that went through; a new run compares the group as it then is and sends only what is left.
author:
  - mtls.clb contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mtls.clb.alicloud
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  load_balancer_id:
    description: ID of the CLB instance. An empty value is refused before any API call.
    type: str
    required: true
  servers:
    description: The backend servers to have in (or, with O(state=absent), to take out of) the default server group.
    type: list
    elements: dict
    default: []
    suboptions:
      server_id:
        description:
          - ECS instance ID (C(i-...)), or ENI/ECI ID (C(eni-...), C(eci-...)) for O(servers[].type=eni)/V(eci).
          - An ID without the prefix of its type (an instance name such as C(ECS01), say) is refused before any API
            call (with O(state=absent), any of the three prefixes will do); whether the instance exists only the
            first add can tell (C(ObtainIpFail)).
        type: str
        required: true
      weight:
        description: Weight 0-100; V(0) sends no new traffic to the server.
        type: int
        default: 100
      type:
        description: Kind of backend.
        type: str
        choices: [ecs, eni, eci]
        default: ecs
      description:
        description: Description of the backend server (1-80 characters; letters, digits, C(-), C(/), C(.), C(_)). Unset leaves it as it is.
        type: str
      server_ip:
        description:
          - IP address of the backend (the API reference names it for ECS, ENI and ECI backends).
          - An ENI or ECI with several IP addresses is one group entry per address; the module keeps one entry per
            O(servers[].server_id) and refuses, before any change, a group that lists a server more than once.
        type: str
  purge:
    description:
      - With O(state=present), remove servers that are in the group but not in O(servers); with an empty
        O(servers) that is every server of the group.
      - Not allowed with O(state=absent), which removes exactly O(servers).
    type: bool
    default: false
  state:
    description: V(present) adds or updates O(servers); V(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: ECS01 and ECS02 behind the load balancer, nothing else
  mtls.clb.backend_servers:
    load_balancer_id: "{{ clb.load_balancer_id }}"
    servers:
      - server_id: i-bp1ecs01xxxxxxxxxxxx
        weight: 100
      - server_id: i-bp1ecs02xxxxxxxxxxxx
        weight: 100
    purge: true
"""

RETURN = r"""
backend_servers:
  description:
    - The default server group after the change (planned members in check mode), without reading it again - the
      group read before the change with the changes applied, each member as the last Add/Set/RemoveBackendServers
      reply that listed it reports it.
    - C(server_ip) is as it was read before the change; for an ECS instance just added it is not known yet.
  returned: always
  type: list
  elements: dict
  sample: [{server_id: i-bp1ecs01xxxxxxxxxxxx, weight: 100, type: ecs, description: ""}]
added:
  description: IDs of servers added.
  returned: always
  type: list
  elements: str
updated:
  description: IDs of servers whose weight or description changed.
  returned: always
  type: list
  elements: str
removed:
  description: IDs of servers removed.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.backend_servers import (
    AlicloudApiError,
    BackendServerGroup,
    LoadBalancerNotFound,
    RepeatedMember,
    members_after_apply,
    plan_membership,
    planned_members,
    servers_problem,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import AlicloudModule
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.load_balancers import load_balancer_id_problem


def _sorted_members(members):
    return [members[key] for key in sorted(members)]


def main():
    module = AlicloudModule(
        argument_spec=dict(
            load_balancer_id=dict(type="str", required=True),
            servers=dict(type="list", elements="dict", default=[], options=dict(
                server_id=dict(type="str", required=True),
                weight=dict(type="int", default=100),
                type=dict(type="str", choices=["ecs", "eni", "eci"], default="ecs"),
                description=dict(type="str"),
                server_ip=dict(type="str"),
            )),
            purge=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    servers = module.params["servers"]
    problem = load_balancer_id_problem(module.params["load_balancer_id"]) or servers_problem(servers, module.params["state"])
    if not problem and module.params["purge"] and module.params["state"] == "absent":
        problem = ("purge applies to state=present (remove what is not in servers); state=absent removes exactly "
                   "the servers listed: drop purge, or use state=present with purge to keep only the listed ones")
    if problem:
        module.fail_json(msg=problem)
    group = BackendServerGroup(module.slb, module.params["load_balancer_id"])
    try:
        live = group.members()
        to_add, to_update, to_remove = plan_membership(servers, live, module.params["purge"], module.params["state"])
        planned = planned_members(live, to_add, to_update, to_remove)
        changed = bool(to_add or to_update or to_remove)
        if changed and not module.check_mode:
            final = members_after_apply(planned, group.apply(to_add, to_update, to_remove))
        else:
            final = planned
    except (LoadBalancerNotFound, RepeatedMember) as error:
        module.fail_json(msg=str(error))
    except AlicloudApiError as error:
        module.fail_api_error(error, note=group.applied_note(), **({"changed": True} if group.applied else {}))
    module.exit_json(
        changed=changed,
        backend_servers=_sorted_members(final),
        added=[s["server_id"] for s in to_add],
        updated=[s["server_id"] for s in to_update],
        removed=[s["server_id"] for s in to_remove],
        diff={"before": {"backend_servers": _sorted_members(live)},
              "after": {"backend_servers": _sorted_members(planned)}},
    )


if __name__ == "__main__":
    main()
