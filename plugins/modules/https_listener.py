#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: https_listener
short_description: Manage an HTTPS listener with mutual authentication on a CLB instance
version_added: 0.1.0
description:
  - Ensures an HTTPS listener on one port of a Classic Load Balancer, step 6 of the mutual TLS procedure.
  - A new listener is created stopped; with O(state=present) it is started and the module waits until it runs.
  - An existing listener is compared field by field with the options that are set; only differing
    fields are sent (C(SetLoadBalancerHTTPSListenerAttribute)). Options left unset are not managed.
  - Values are compared by meaning, not by how the service spells them, so that a listener already as wanted
    is never updated again - numbers whether answered as numbers or strings, on/off switches, the documented
    values of the choice options and the listener status case-insensitively, O(health_check_http_code) as a set,
    an empty value as none, and O(health_check_domain=$_ip) as no domain.
  - When O(server_certificate_id) or O(ca_certificate_id) changes from one certificate to another, the module lists
    the region's HTTPS listeners (C(DescribeLoadBalancerListeners), in check mode too) and warns of every other
    listener still set to the certificate this one leaves - after a CA rotation such a listener keeps accepting
    the old CA's clients. It changes only this listener; a listing the service refuses is not an error.
  - B(Mutual authentication) has no switch of its own in the SLB API. It is on when the listener has a
    CA certificate (O(ca_certificate_id) set to the ID returned by M(mtls.clb.ca_certificate)) and off when
    the CA certificate ID is empty. Set O(ca_certificate_id=) (empty string) to turn it off.
  - That an empty CA certificate ID turns mutual authentication off is unverified against the live service (the
    API reference does not say so; Terraform and the emulator do it). After such an update the module reads the
    listener again and fails if C(CACertificateId) is still set; then delete the listener (O(state=absent)) and
    create it again without O(ca_certificate_id).
  - A port that already has an HTTP or TCP listener is an error; the module never replaces it. A UDP listener
    may share the port (the API documents ports shared by listeners of different protocols). The service
    refuses the creation (C(ListenerAlreadyExists)) and only then is the load balancer read to name the
    protocol; in check mode it is read before deciding, since nothing is created.
  - When the creation is refused because an HTTPS listener holds the port after all (the first read missed it, or
    it was created meanwhile), that listener is compared and updated like any existing one, and RV(actions) says
    what was done to it (for example V([update])).
  - A C(DescribeLoadBalancerHTTPSListenerAttribute) reply without C(ListenerPort) says nothing about the listener; it
    is read again with the retry backoff (O(retry_max_attempts), O(retry_max_seconds)), never taken for "no listener".
  - Values outside the ranges documented below are refused before any API call, in check mode too.
  - API calls on the usual paths - one C(DescribeLoadBalancerHTTPSListenerAttribute) when nothing needs doing; create,
    start and one more read that sees it C(running) for a new listener (the start is retried with backoff while
    a listener just created is still being set up).
author:
  - mtls.clb contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mtls.clb.alicloud
attributes:
  check_mode:
    support: full
    details: Reports exactly which fields would change (RV(changes)) and which steps would run (RV(actions)).
  diff_mode:
    support: full
options:
  load_balancer_id:
    description: ID of the CLB instance. An empty value is refused before any API call.
    type: str
    required: true
  listener_port:
    description: Frontend port of the listener (1-65535).
    type: int
    required: true
  backend_server_port:
    description:
      - Port of the backend servers (default server group, 1-65535). Required to create the listener.
      - The API cannot change it on an existing listener; a different value is an error (delete and re-create).
    type: int
  bandwidth:
    description:
      - Peak bandwidth in Mbit/s (1-5120); V(-1) means unlimited (pay-by-traffic instances).
      - When unset, V(-1) (unlimited) for a new listener, and left as it is on an existing one.
    type: int
  server_certificate_id:
    description:
      - ID of the server certificate (M(mtls.clb.server_certificate)). Required to create the listener; an empty value
        is refused (unset leaves the listener's as it is).
    type: str
  ca_certificate_id:
    description:
      - ID of the CA certificate that signs client certificates (M(mtls.clb.ca_certificate)).
      - Set turns mutual authentication on; V("") (empty) turns it off (unverified against the live service; the
        module reads the listener back and fails if the CA certificate is still set); unset leaves it as it is.
    type: str
  tls_cipher_policy:
    description: TLS security policy (guaranteed-performance instances only).
    type: str
    choices: [tls_cipher_policy_1_0, tls_cipher_policy_1_1, tls_cipher_policy_1_2, tls_cipher_policy_1_2_strict,
              tls_cipher_policy_1_2_strict_with_1_3]
  enable_http2:
    description: Whether HTTP/2 is offered to clients.
    type: bool
  scheduler:
    description:
      - Scheduling algorithm; V(wrr) weighted round robin, V(rr) round robin.
      - The current API reference lists only these two for HTTPS listeners (an older one also listed C(wlc),
        weighted least connections); the module offers the documented two, as the local emulator accepts.
    type: str
    choices: [wrr, rr]
  sticky_session:
    description:
      - Whether session persistence is on. New listeners get V(false) when unset.
      - While it is off (here or, when unset, on the listener), O(sticky_session_type), O(cookie_timeout) and O(cookie)
        are neither sent nor compared, and the module warns that they are not applied. O(cookie_timeout) applies
        to O(sticky_session_type=insert) only, O(cookie) to O(sticky_session_type=server) only, likewise.
    type: bool
  sticky_session_type:
    description: How the session cookie is handled; needed when O(sticky_session=true).
    type: str
    choices: [insert, server]
  cookie_timeout:
    description:
      - Cookie lifetime in seconds (1-86400) for O(sticky_session_type=insert).
      - The API uses it only for that type; with O(sticky_session_type=server) it is neither sent nor compared.
    type: int
  cookie:
    description:
      - Name of the backend's cookie for O(sticky_session_type=server) (1-200 ASCII letters and digits).
      - The API uses it only for that type; with O(sticky_session_type=insert) it is neither sent nor compared.
    type: str
  health_check:
    description:
      - Whether health checks run. New listeners get V(true) when unset.
      - While it is off (here or, when unset, on the listener), the C(health_check_*), O(healthy_threshold) and
        O(unhealthy_threshold) options are neither sent nor compared, and the module warns that they are not
        applied.
    type: bool
  health_check_uri:
    description: Path requested by the health check; starts with V(/) (at most 80 characters; letters, digits and C(-/.%?#&)).
    type: str
  health_check_domain:
    description:
      - Host header of the health check (a domain name, at most 80 characters of letters, digits, C(.) and C(-)); V($_ip) uses the backend's private IP.
      - The API documents V($_ip) and no domain as the same setting, so a listener without a domain is not updated
        for V($_ip), nor one with V($_ip) for an empty value. An empty value clears a domain (it is sent as V($_ip),
        since the API refuses an empty one).
    type: str
  health_check_http_code:
    description: HTTP status classes counted as healthy (at least one; omit the option to leave them as they are).
    type: list
    elements: str
    choices: [http_2xx, http_3xx, http_4xx, http_5xx]
  health_check_connect_port:
    description: Port probed by the health check (1-65535; defaults to the backend port on the service side).
    type: int
  health_check_interval:
    description: Seconds between health checks (1-50).
    type: int
  health_check_timeout:
    description: Seconds to wait for a health check response (1-300).
    type: int
  health_check_method:
    description: HTTP method of the health check.
    type: str
    choices: [head, get]
  healthy_threshold:
    description: Successes in a row before a backend counts as healthy (2-10).
    type: int
  unhealthy_threshold:
    description: Failures in a row before a backend counts as unhealthy (2-10).
    type: int
  gzip:
    description: Whether responses of common text types are compressed.
    type: bool
  idle_timeout:
    description: Idle connection timeout in seconds (1-60).
    type: int
  request_timeout:
    description: Request timeout in seconds (1-180).
    type: int
  x_forwarded_for:
    description: Whether the C(X-Forwarded-For) header carries the client IP.
    type: bool
  x_forwarded_for_slb_ip:
    description: Whether the C(SLB-IP) header carries the load balancer's IP.
    type: bool
  x_forwarded_for_slb_id:
    description: Whether the C(SLB-ID) header carries the load balancer's ID.
    type: bool
  x_forwarded_for_proto:
    description: Whether the C(X-Forwarded-Proto) header carries the listener protocol.
    type: bool
  x_forwarded_for_slb_port:
    description: Whether the C(X-Forwarded-Port) header carries the listener port.
    type: bool
  x_forwarded_for_client_src_port:
    description: Whether the C(X-Forwarded-Client-srcport) header carries the client's source port.
    type: bool
  description:
    description: Name of the listener (1-256 characters; letters, digits, C(-), C(/), C(.), C(_)).
    type: str
  state:
    description:
      - V(present) - the listener exists and is running.
      - V(stopped) - the listener exists and is stopped.
      - V(absent) - no HTTPS listener on the port.
    type: str
    choices: [present, stopped, absent]
    default: present
  wait:
    description: Wait until a started listener reports C(running).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for a listener status change (at least 1).
    type: int
    default: 300
"""

EXAMPLES = r"""
- name: HTTPS listener on 443 with mutual authentication
  mtls.clb.https_listener:
    load_balancer_id: "{{ clb.load_balancer_id }}"
    listener_port: 443
    backend_server_port: 80
    server_certificate_id: "{{ server_cert.server_certificate_id }}"
    ca_certificate_id: "{{ client_ca.ca_certificate_id }}"
    tls_cipher_policy: tls_cipher_policy_1_2
    health_check: true
    health_check_uri: /healthz
    x_forwarded_for_proto: true
  register: listener

- name: Turn mutual authentication off (one-way TLS)
  mtls.clb.https_listener:
    load_balancer_id: "{{ clb.load_balancer_id }}"
    listener_port: 443
    ca_certificate_id: ""

- name: Stop the listener
  mtls.clb.https_listener:
    load_balancer_id: "{{ clb.load_balancer_id }}"
    listener_port: 443
    state: stopped
"""

RETURN = r"""
listener:
  description:
    - The listener as C(DescribeLoadBalancerHTTPSListenerAttribute) last reported it, snake_cased, with every managed
      option under its option name. After a create, start or stop that is the read which saw the wanted status (no
      extra read); after an update alone, the live listener with the values that were set.
    - In check mode, the planned settings. Empty when O(state=absent).
  returned: always
  type: dict
  contains:
    status:
      description: V(running) or V(stopped).
      type: str
      sample: running
    mutual_authentication:
      description: Whether a CA certificate is set, i.e. clients must present a certificate.
      type: bool
    server_certificate_id:
      description: The server certificate in use.
      type: str
    ca_certificate_id:
      description: The client CA certificate in use (empty when mutual authentication is off).
      type: str
actions:
  description:
    - The steps taken (or, in check mode, that would be taken) - C(create), C(update), C(start), C(stop), C(delete).
    - When the task fails after a step went through (the listener created, then its start refused, say), the
      steps that went through; the task then reports C(changed), and its message says so. A new run compares the
      listener as it then is and does only what is left.
  returned: always
  type: list
  elements: str
  sample: [create, start]
changes:
  description: For each option that differs, its live value and the value set.
  returned: always
  type: dict
  sample: {tls_cipher_policy: {before: tls_cipher_policy_1_0, after: tls_cipher_policy_1_2}}
"""

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import AlicloudModule
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listener_module import HttpsListenerRunner

CIPHER_POLICIES = ["tls_cipher_policy_1_0", "tls_cipher_policy_1_1", "tls_cipher_policy_1_2",
                   "tls_cipher_policy_1_2_strict", "tls_cipher_policy_1_2_strict_with_1_3"]


def main():
    module = AlicloudModule(
        argument_spec=dict(
            load_balancer_id=dict(type="str", required=True),
            listener_port=dict(type="int", required=True),
            backend_server_port=dict(type="int"),
            bandwidth=dict(type="int"),
            server_certificate_id=dict(type="str"),
            ca_certificate_id=dict(type="str"),
            tls_cipher_policy=dict(type="str", choices=CIPHER_POLICIES),
            enable_http2=dict(type="bool"),
            scheduler=dict(type="str", choices=["wrr", "rr"]),
            sticky_session=dict(type="bool"),
            sticky_session_type=dict(type="str", choices=["insert", "server"]),
            cookie_timeout=dict(type="int"),
            cookie=dict(type="str", no_log=False),
            health_check=dict(type="bool"),
            health_check_uri=dict(type="str"),
            health_check_domain=dict(type="str"),
            health_check_http_code=dict(type="list", elements="str",
                                        choices=["http_2xx", "http_3xx", "http_4xx", "http_5xx"]),
            health_check_connect_port=dict(type="int"),
            health_check_interval=dict(type="int"),
            health_check_timeout=dict(type="int"),
            health_check_method=dict(type="str", choices=["head", "get"]),
            healthy_threshold=dict(type="int"),
            unhealthy_threshold=dict(type="int"),
            gzip=dict(type="bool"),
            idle_timeout=dict(type="int"),
            request_timeout=dict(type="int"),
            x_forwarded_for=dict(type="bool"),
            x_forwarded_for_slb_ip=dict(type="bool"),
            x_forwarded_for_slb_id=dict(type="bool"),
            x_forwarded_for_proto=dict(type="bool"),
            x_forwarded_for_slb_port=dict(type="bool"),
            x_forwarded_for_client_src_port=dict(type="bool"),
            description=dict(type="str"),
            state=dict(type="str", choices=["present", "stopped", "absent"], default="present"),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    HttpsListenerRunner(module).run()


if __name__ == "__main__":
    main()
