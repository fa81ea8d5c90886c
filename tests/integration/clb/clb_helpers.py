"""Helpers for the CLB module tests: call-log filters and fast setup through the API.

Setup goes through the collection's own SlbApi (the official SDK underneath), which is much
faster than a module run; what is under test always runs through the real `ansible` CLI.
"""
from __future__ import annotations

import json

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listeners import HttpsListenerApi
from tests.unit.alicloud.certgen import key_pem

READ_ONLY_PREFIXES = ("Describe",)

# A playbook that runs only step 6 (the mtls_listener role), as a user's own playbook would include it.
STEP_6_PLAYBOOK = """\
- name: Step 6 only
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Run mtls.clb.mtls_listener
      ansible.builtin.include_role:
        name: mtls.clb.mtls_listener
"""


def step_6_vars(emu, **more) -> dict:
    """The mtls_listener role's inputs against the emulator (endpoint, region, access key, its demo backends),
    plus `more` (certificate IDs, the load balancer, ...)."""
    return {"mtls_clb_endpoint": emu.api_url, "mtls_clb_region": emu.region,
            "mtls_clb_access_key_id": emu.access_key_id, "mtls_clb_access_key_secret": emu.access_key_secret,
            "mtls_clb_backend_servers": emu.ecs_ids, **more}


def actions(emu, since: int = 0) -> list[str]:
    return [call["action"] for call in emu.calls()[since:]]


def mutating(emu, since: int = 0) -> list[str]:
    return [a for a in actions(emu, since) if not a.startswith(READ_ONLY_PREFIXES)]


def upload_server_certificate(slb, pki, name="srv") -> str:
    body = slb.call("UploadServerCertificate", {
        "ServerCertificate": pki.chain_pem, "PrivateKey": key_pem(pki.server_key), "ServerCertificateName": name})
    return body["ServerCertificateId"]


def upload_ca_certificate(slb, pki, name="client-ca") -> str:
    return slb.call("UploadCACertificate", {"CACertificate": pki.ca_pem, "CACertificateName": name})["CACertificateId"]


def create_load_balancer(slb, name="lb-test") -> str:
    return slb.call("CreateLoadBalancer", {
        "LoadBalancerName": name, "InstanceChargeType": "PayByCLCU", "AddressType": "internet"})["LoadBalancerId"]


def add_backends(slb, load_balancer_id, server_ids):
    slb.call("AddBackendServers", {"LoadBalancerId": load_balancer_id, "BackendServers": json.dumps(
        [{"ServerId": server_id, "Weight": "100", "Type": "ecs"} for server_id in server_ids])})


def running_listener(slb, load_balancer_id, server_certificate_id, ca_certificate_id=None, port=443):
    """An HTTPS listener created and started through the API directly (fast setup)."""
    api = HttpsListenerApi(slb, load_balancer_id, port)
    api.create({"BackendServerPort": 80, "Bandwidth": -1, "HealthCheck": "on", "StickySession": "off",
                "ServerCertificateId": server_certificate_id, "CACertificateId": ca_certificate_id})
    api.wait_for_status("stopped", 30)
    api.start()
    return api.wait_for_status("running", 30)
