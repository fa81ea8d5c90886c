"""Fixtures for the CLB module tests: test PKI, emulator connection args, direct SDK setup."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import SlbApi  # noqa: E402
from tests.unit.alicloud.certgen import make_pki  # noqa: E402
from clb_helpers import add_backends, create_load_balancer, upload_ca_certificate, upload_server_certificate  # noqa: E402


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


@pytest.fixture
def stack(emu, slb, pki):
    """Certificates, a load balancer with both demo backends, and the IDs of all of them."""
    server_certificate_id = upload_server_certificate(slb, pki)
    ca_certificate_id = upload_ca_certificate(slb, pki)
    load_balancer_id = create_load_balancer(slb)
    add_backends(slb, load_balancer_id, emu.ecs_ids)
    return {"server_certificate_id": server_certificate_id, "ca_certificate_id": ca_certificate_id,
            "load_balancer_id": load_balancer_id}
