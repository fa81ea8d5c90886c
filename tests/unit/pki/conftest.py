"""Helpers for the PKI backend tests: a real AnsibleModule built from each module's own
argument_spec, so option parsing, check mode and file attributes behave as in a real run."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.mtls.clb.plugins.modules import (
    pki_client_certificates,
    pki_root_ca,
    pki_server_certificate,
)

SPECS = {
    "root_ca": pki_root_ca.argument_spec,
    "client_certificates": pki_client_certificates.argument_spec,
    "server_certificate": pki_server_certificate.argument_spec,
}


def make_module(kind: str, args: dict, check_mode: bool = False) -> AnsibleModule:
    full = dict(args, _ansible_check_mode=check_mode)
    with patch_module_args(full):
        return AnsibleModule(argument_spec=SPECS[kind](), supports_check_mode=True, add_file_common_args=True)


def snapshot(directory: Path) -> dict:
    """Name -> (bytes, mode) of every file under `directory`: what 'nothing was written' compares."""
    state = {}
    for root, _dirs, files in os.walk(directory):
        for name in files:
            path = Path(root) / name
            state[str(path.relative_to(directory))] = (path.read_bytes(), path.stat().st_mode & 0o777)
    return state


def assert_no_secrets(result: dict, *secrets: str) -> None:
    text = json.dumps(result, default=str)
    assert "PRIVATE KEY" not in text
    for secret in secrets:
        assert secret not in text


@pytest.fixture
def root_ca_args(tmp_path):
    return {
        "certificate_path": str(tmp_path / "ca" / "root.crt"),
        "private_key_path": str(tmp_path / "ca" / "root.key"),
        "common_name": "root",
        "organization_name": "alibaba",
        "key_type": "ecdsa",
    }


@pytest.fixture
def root_ca(tmp_path, root_ca_args):
    """A fresh ECDSA root CA on disk (fast); returns its module args."""
    from ansible_collections.mtls.clb.plugins.module_utils.pki.root_ca import RootCA

    (tmp_path / "ca").mkdir()
    RootCA(make_module("root_ca", root_ca_args)).run()
    return root_ca_args
