#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: listener_info
short_description: List the listeners of CLB instances with backend health
version_added: 0.1.0
description:
  - Read-only. Lists listeners (C(DescribeLoadBalancerListeners)) and, for each, the health of its backend
    servers (C(DescribeHealthStatus)).
author:
  - mtls.clb contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mtls.clb.alicloud
attributes:
  check_mode:
    support: full
    details: Never changes anything.
  diff_mode:
    support: none
options:
  load_balancer_ids:
    description: Instances whose listeners to list (at most 10 per API call; more are split). Empty lists every instance's listeners in the region.
    type: list
    elements: str
    default: []
    aliases: [load_balancer_id]
  listener_port:
    description: Only the listener on this port.
    type: int
  listener_protocol:
    description: Only listeners of this protocol.
    type: str
    choices: [http, https, tcp, udp]
  backend_health:
    description: Also fetch the backend health of each listener.
    type: bool
    default: true
  listener_details:
    description:
      - Read each listener's configuration (C(DescribeLoadBalancerListeners)).
      - V(false) reads only the backend health (one C(DescribeHealthStatus) per instance), for a task that polls
        it with C(until) - role mtls.clb.mtls_listener does, before step 7. Then O(load_balancer_ids) must be given,
        O(backend_health) must be V(true), and each listener entry has only C(load_balancer_id), C(listener_port),
        C(listener_protocol) and C(backend_health).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Is the HTTPS listener running and are both backends healthy?
  mtls.clb.listener_info:
    load_balancer_id: "{{ clb.load_balancer_id }}"
    listener_port: 443
  register: info

- name: Check
  ansible.builtin.assert:
    that:
      - info.listeners[0].status == 'running'
      - info.listeners[0].backend_health | map(attribute='server_health_status') | unique == ['normal']
- name: Wait until both backends of the listener on 443 pass the health check (one API call per read)
  mtls.clb.listener_info:
    load_balancer_id: "{{ clb.load_balancer_id }}"
    listener_port: 443
    listener_details: false
  register: health
  until: health.listeners[0].backend_health | default([]) | selectattr('server_health_status', 'eq', 'normal') | list | length == 2
  retries: 60
  delay: 2
"""

RETURN = r"""
listeners:
  description: Matching listeners, snake_cased, ordered by load balancer and port.
  returned: always
  type: list
  elements: dict
  contains:
    load_balancer_id:
      description: Instance ID.
      type: str
    listener_port:
      description: Frontend port.
      type: int
    listener_protocol:
      description: Protocol.
      type: str
    status:
      description: V(running) or V(stopped). Not returned with O(listener_details=false).
      type: str
    mutual_authentication:
      description: For HTTPS listeners, whether a client CA certificate is set. Not returned with O(listener_details=false).
      type: bool
    backend_health:
      description:
        - Health of each backend server for this listener (when O(backend_health=true)), the
          C(DescribeHealthStatus) entries snake_cased. Role mtls.clb.mtls_listener polls this after a change until
          enough servers are V(normal).
      type: list
      elements: dict
      contains:
        server_id:
          description: ECS instance (or ENI/ECI) ID.
          type: str
        server_health_status:
          description: V(normal), V(abnormal), or V(unavailable) (health check off, listener stopped, or no verdict yet).
          type: str
        server_ip:
          description: Address the health check reaches the server at.
          type: str
        port:
          description: Backend port that is checked.
          type: int
"""

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import AlicloudModule
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.load_balancers import find_load_balancers
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.naming import snake_dict


def _list_listeners(slb, load_balancer_ids, port, protocol):
    listeners = []
    for start in range(0, max(len(load_balancer_ids), 1), 10):
        token = None
        while True:
            body = slb.call("DescribeLoadBalancerListeners", {
                "LoadBalancerId": load_balancer_ids[start:start + 10] or None,
                "ListenerPort": port, "ListenerProtocol": protocol,
                "MaxResults": 100, "NextToken": token})
            listeners.extend(body.get("Listeners") or [])
            token = body.get("NextToken")
            if not token:
                break
    return listeners


def _health_only(slb, params):
    """One DescribeHealthStatus per instance, grouped into listener entries by port and protocol."""
    entries = {}
    for load_balancer_id in params["load_balancer_ids"]:
        body = slb.call("DescribeHealthStatus", {"LoadBalancerId": load_balancer_id,
                                                 "ListenerPort": params["listener_port"]})
        for server in (body.get("BackendServers") or {}).get("BackendServer") or []:
            protocol = (server.get("Protocol") or params["listener_protocol"] or "").lower()
            if params["listener_protocol"] and protocol != params["listener_protocol"]:
                continue
            port = int(server.get("ListenerPort") or params["listener_port"] or 0)
            entry = entries.setdefault((load_balancer_id, port, protocol), {
                "load_balancer_id": load_balancer_id, "listener_port": port, "listener_protocol": protocol,
                "backend_health": []})
            entry["backend_health"].append(snake_dict(server))
    return [entries[key] for key in sorted(entries)]


def main():
    module = AlicloudModule(
        argument_spec=dict(
            load_balancer_ids=dict(type="list", elements="str", default=[], aliases=["load_balancer_id"]),
            listener_port=dict(type="int"),
            listener_protocol=dict(type="str", choices=["http", "https", "tcp", "udp"]),
            backend_health=dict(type="bool", default=True),
            listener_details=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    slb = module.slb
    if not params["listener_details"]:
        if not params["load_balancer_ids"] or not params["backend_health"]:
            module.fail_json(msg="listener_details=false reads only the backend health: give load_balancer_ids (the "
                                 "instances to read) and keep backend_health=true")
        try:
            module.exit_json(changed=False, listeners=_health_only(slb, params))
        except AlicloudApiError as error:
            module.fail_api_error(error)
    try:
        ids = list(params["load_balancer_ids"])
        if not ids:
            ids = [item["LoadBalancerId"] for item in find_load_balancers(slb)]
        listeners = _list_listeners(slb, ids, params["listener_port"], params["listener_protocol"]) if ids else []
        health = {}
        if params["backend_health"]:
            for load_balancer_id in sorted(set(item.get("LoadBalancerId") for item in listeners)):
                body = slb.call("DescribeHealthStatus", {"LoadBalancerId": load_balancer_id,
                                                         "ListenerPort": params["listener_port"]})
                for server in (body.get("BackendServers") or {}).get("BackendServer") or []:
                    key = (load_balancer_id, int(server.get("ListenerPort") or 0),
                           (server.get("Protocol") or "").lower())
                    health.setdefault(key, []).append(snake_dict(server))
    except AlicloudApiError as error:
        module.fail_api_error(error)
    results = []
    for item in sorted(listeners, key=lambda i: (i.get("LoadBalancerId"), int(i.get("ListenerPort") or 0))):
        facts = snake_dict(item)
        protocol = (item.get("ListenerProtocol") or "").lower()
        if protocol == "https":
            facts["mutual_authentication"] = bool((item.get("HTTPSListenerConfig") or {}).get("CACertificateId"))
        if params["backend_health"]:
            port = int(item.get("ListenerPort") or 0)
            facts["backend_health"] = [h for (lb, p, proto), entries in health.items()
                                       if lb == item.get("LoadBalancerId") and p == port
                                       and proto in ("", protocol) for h in entries]
        results.append(facts)
    module.exit_json(changed=False, listeners=results)


if __name__ == "__main__":
    main()
