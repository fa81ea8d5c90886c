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
    body = slb.call("UploadServerCertificate", {"ServerCertificate": pki.chain_pem,
                                                 "PrivateKey": key_pem(pki.server_key),
                                                 "ServerCertificateName": name})
    return body["ServerCertificateId"]


def upload_ca_certificate(slb, pki, name="client-ca") -> str:
    return slb.call("UploadCACertificate", {"CACertificate": pki.ca_pem, "CACertificateName": name})["CACertificateId"]


def create_load_balancer(slb, name="lb-test") -> str:
    return slb.call("CreateLoadBalancer", {"LoadBalancerName": name, "LoadBalancerSpec": "slb.s1.small",
                                            "AddressType": "internet"})["LoadBalancerId"]
