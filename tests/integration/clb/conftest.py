"""Fixtures for the CLB module tests: test PKI, emulator connection args, direct SDK setup."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import SlbApi  # noqa: E402
from tests.unit.alicloud.certgen import key_pem, make_pki  # noqa: E402

READ_ONLY_PREFIXES = ("Describe",)


@pytest.fixture(scope="session")
def pki():
    return make_pki()


@pytest.fixture
def emu(fresh_emulator):
    return fresh_emulator


@pytest.fixture
def args(emu):
    return emu.module_args()


@pytest.fixture
def slb(emu):
    """The collection's own API wrapper around the official SDK client, for fast test setup."""
    return SlbApi(emu.sdk_client(), emu.region)


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
        "LoadBalancerName": name, "LoadBalancerSpec": "slb.s1.small", "AddressType": "internet"})["LoadBalancerId"]


def add_backends(slb, load_balancer_id, server_ids):
    import json
    slb.call("AddBackendServers", {"LoadBalancerId": load_balancer_id, "BackendServers": json.dumps(
        [{"ServerId": server_id, "Weight": "100", "Type": "ecs"} for server_id in server_ids])})


def running_listener(slb, load_balancer_id, server_certificate_id, ca_certificate_id=None, port=443):
    """An HTTPS listener created and started through the API directly (fast setup)."""
    from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listeners import HttpsListenerApi
    api = HttpsListenerApi(slb, load_balancer_id, port)
    api.create({"BackendServerPort": 80, "Bandwidth": -1, "HealthCheck": "on", "StickySession": "off",
                "ServerCertificateId": server_certificate_id, "CACertificateId": ca_certificate_id})
    api.wait_for_status("stopped", 30)
    api.start()
    return api.wait_for_status("running", 30)


@pytest.fixture
def stack(emu, slb, pki):
    """Certificates, a load balancer with both demo backends, and the IDs of all of them."""
    server_certificate_id = upload_server_certificate(slb, pki)
    ca_certificate_id = upload_ca_certificate(slb, pki)
    load_balancer_id = create_load_balancer(slb)
    add_backends(slb, load_balancer_id, emu.ecs_ids)
    return {"server_certificate_id": server_certificate_id, "ca_certificate_id": ca_certificate_id,
            "load_balancer_id": load_balancer_id}
