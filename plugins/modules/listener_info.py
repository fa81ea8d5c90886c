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
    description:
      - Instances whose listeners to list (at most 10 per API call; more are split). Empty lists every instance's
        listeners in the region.
      - An empty string among them (such as an unset ID) is refused before any API call, rather than taken as no
        filter.
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
      - V(false) reads only the backend health (one C(DescribeHealthStatus) per instance), for a task that waits
        for it (O(wait_healthy_backends)) or polls it. Then O(load_balancer_ids) must be given,
        O(backend_health) must be V(true), and each listener entry has only C(load_balancer_id), C(listener_port),
        C(listener_protocol) and C(backend_health).
    type: bool
    default: true
  wait_healthy_backends:
    description:
      - With O(listener_details=false), read the health again every second, inside this one task, until at least
        this many backend servers (of O(wait_server_ids) when given) report V(normal); 0 reads once.
      - Role mtls.clb.mtls_listener waits this way after a change, before step 7 tests. One module run instead of
        an C(until) loop that starts the module (and imports the SDK) for every read.
      - When O(wait_timeout) passes first, the task fails, naming each server that is not healthy, and still
        returns the last read in RV(listeners).
    type: int
    default: 0
  wait_server_ids:
    description: The servers O(wait_healthy_backends) counts; empty counts every server the reads report.
    type: list
    elements: str
    default: []
  wait_timeout:
    description: Seconds to wait for O(wait_healthy_backends) healthy servers (at least 1).
    type: int
    default: 120
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
    wait_healthy_backends: 2
    wait_timeout: 120
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
          description:
            - V(normal), V(abnormal), or V(unavailable) (health check off, listener stopped, or no verdict yet).
            - In lower case whatever the service's spelling.
          type: str
        server_ip:
          description: Address the health check reaches the server at.
          type: str
        port:
          description: Backend port that is checked.
          type: int
"""

import time

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


def _health_record(server):
    """A DescribeHealthStatus entry snake_cased, its status in lower case: the reference documents
    normal|abnormal|unavailable, and a wait that took another spelling for "not healthy" would time out (as
    https_listener reads the listener status)."""
    record = snake_dict(server)
    if isinstance(record.get("server_health_status"), str):
        record["server_health_status"] = record["server_health_status"].strip().lower()
    return record


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
            entry["backend_health"].append(_health_record(server))
    return [entries[key] for key in sorted(entries)]


# Seconds between two health reads of a wait: one DescribeHealthStatus per instance each time.
HEALTH_POLL_SECONDS = 1.0


class HealthWaitTimeout(Exception):
    def __init__(self, message, listeners):
        super(HealthWaitTimeout, self).__init__(message)
        self.listeners = listeners


def health_by_server(listeners, server_ids):
    """{server_id: status} over every entry of a health read, for the servers that count."""
    found = {}
    for entry in listeners:
        for server in entry.get("backend_health") or []:
            server_id = server.get("server_id")
            if server_ids and server_id not in server_ids:
                continue
            # A server in several entries is healthy when it is normal in all of them.
            status = server.get("server_health_status")
            found[server_id] = status if found.get(server_id, "normal") == "normal" else found[server_id]
    return found


# Where a backend that does not turn healthy usually fails, in the order to look.
HEALTH_ADVICE = ("Check that each of them is running and its application answers the listener's health check (by "
                 "default HEAD / on the backend port, expecting 2xx), and that its security group admits the health "
                 "checks from 100.64.0.0/10; the CLB console shows the same status (the instance's default server "
                 "group). Raise wait_timeout, or lower wait_healthy_backends (0 skips the wait).")


def wait_for_healthy(read, wanted, server_ids, timeout, sleep=time.sleep, clock=time.monotonic):
    """Read until `wanted` of the servers report normal; the last read, or HealthWaitTimeout."""
    deadline = clock() + timeout
    while True:
        listeners = read()
        statuses = health_by_server(listeners, server_ids)
        healthy = sorted(server for server, status in statuses.items() if status == "normal")
        if len(healthy) >= wanted:
            return listeners
        if clock() + HEALTH_POLL_SECONDS > deadline:
            not_healthy = ["{0} ({1})".format(server, statuses.get(server) or "not reported")
                           for server in (server_ids or sorted(statuses)) if server not in healthy]
            raise HealthWaitTimeout(
                "only {0} backend server(s) healthy after {1} s, {2} wanted (wait_healthy_backends); not healthy: "
                "{3}. {4}".format(len(healthy), timeout, wanted, ", ".join(not_healthy) or "none reported",
                                  HEALTH_ADVICE), listeners)
        sleep(HEALTH_POLL_SECONDS)


def main():
    module = AlicloudModule(
        argument_spec=dict(
            load_balancer_ids=dict(type="list", elements="str", default=[], aliases=["load_balancer_id"]),
            listener_port=dict(type="int"),
            listener_protocol=dict(type="str", choices=["http", "https", "tcp", "udp"]),
            backend_health=dict(type="bool", default=True),
            listener_details=dict(type="bool", default=True),
            wait_healthy_backends=dict(type="int", default=0),
            wait_server_ids=dict(type="list", elements="str", default=[]),
            wait_timeout=dict(type="int", default=120),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if any(not (load_balancer_id or "").strip() for load_balancer_id in params["load_balancer_ids"]):
        # An empty string would reach the API as no filter at all and list every instance's listeners.
        module.fail_json(msg="load_balancer_ids has an empty entry: give the IDs of the CLB instances (lb-...), for "
                             "example the load_balancer_id that mtls.clb.load_balancer returns, or leave "
                             "load_balancer_ids out (an empty list) to list every instance's listeners")
    slb = module.slb
    if params["wait_healthy_backends"] < 0 or params["wait_timeout"] < 1:
        module.fail_json(msg="wait_healthy_backends must be 0 or more and wait_timeout at least 1 (got {0} and "
                             "{1})".format(params["wait_healthy_backends"], params["wait_timeout"]))
    if params["wait_healthy_backends"] and params["listener_details"]:
        module.fail_json(msg="wait_healthy_backends waits on the backend health only: set listener_details=false")
    if not params["listener_details"]:
        if not params["load_balancer_ids"] or not params["backend_health"]:
            module.fail_json(msg="listener_details=false reads only the backend health: give load_balancer_ids (the "
                                 "instances to read) and keep backend_health=true")
        try:
            listeners = wait_for_healthy(lambda: _health_only(slb, params), params["wait_healthy_backends"],
                                         params["wait_server_ids"], params["wait_timeout"])
        except HealthWaitTimeout as timeout:
            module.fail_json(msg=str(timeout), listeners=timeout.listeners)
        except AlicloudApiError as error:
            module.fail_api_error(error)
        module.exit_json(changed=False, listeners=listeners)
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
                    health.setdefault(key, []).append(_health_record(server))
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
