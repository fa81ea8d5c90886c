"""Fixtures for the emulator's own tests: throwaway PKI and SDK clients for both signature schemes."""
from __future__ import annotations

import json

import pytest

from tests.emulator import throwaway_pki as pki

REGION = "cn-hangzhou"
# None = the SDK default (ACS3-HMAC-SHA256 in headers); "v2" = legacy RPC HMAC-SHA1 in the query.
SIGNATURE_SCHEMES = {"acs3": None, "rpc-hmac-sha1": "v2"}


@pytest.fixture(scope="session")
def tls_material():
    """Two CAs and the certificates step 2/3 of the procedure produce (RSA 2048 to stay fast)."""
    server_ca = pki.make_ca("mtls-test-server-root")
    client_ca = pki.make_ca("mtls-test-client-root")
    other_ca = pki.make_ca("mtls-test-other-root")
    return {
        "server_ca": server_ca,
        "server": pki.issue(server_ca, "www.example.test", server=True, dns_names=["www.example.test"]),
        "server2": pki.issue(server_ca, "www.example.test", server=True, dns_names=["www.example.test"]),
        "client_ca": client_ca,
        "client": pki.issue(client_ca, "client.example.test", server=False),
        "client_expired": pki.issue(client_ca, "expired.example.test", server=False, expired=True),
        "other_ca": other_ca,
        "other_client": pki.issue(other_ca, "intruder.example.test", server=False),
    }


@pytest.fixture(params=sorted(SIGNATURE_SCHEMES), ids=sorted(SIGNATURE_SCHEMES))
def sdk(request, fresh_emulator):
    """An official SDK client on a freshly reset emulator, once per signature scheme."""
    return fresh_emulator.sdk_client(SIGNATURE_SCHEMES[request.param])


def in_process_backend(state_parent, *instances, **options):
    """An SlbBackend without HTTP (moto style) whose state lives under `state_parent`, with the ECS `instances`
    (clb_emulator.ecs.EcsInstance) registered and the backend's keyword `options`."""
    from clb_emulator.backend import SlbBackend
    from clb_emulator.ecs import EcsRegistry

    ecs = EcsRegistry()
    for instance in instances:
        ecs.register(instance)
    state_dir = state_parent / "state"
    state_dir.mkdir(mode=0o700, exist_ok=True)
    return SlbBackend(state_dir, ecs, **options)


def backend_servers_json(instance_ids, weight=100) -> str:
    return json.dumps([{"ServerId": i, "Weight": str(weight), "Type": "ecs"} for i in instance_ids])
