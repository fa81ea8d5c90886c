"""A ca_private_key_passphrase given for a CA key that is not encrypted: signing works (the key is only read),
and the module warns that the CA key is stored unprotected, which whoever set the passphrase did not expect.
Neither the passphrase nor any key material is in the warning."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.pki.client_certificates import ClientCertificates
from ansible_collections.mtls.clb.plugins.module_utils.pki.root_ca import RootCA
from ansible_collections.mtls.clb.plugins.module_utils.pki.server_certificate import ServerCertificate

from .conftest import make_module

PASSPHRASE = "ca-Passphrase-1"


def signing_args(kind, tmp_path, ca):
    tmp_path.mkdir(exist_ok=True)
    if kind == "server_certificate":
        return {"certificate_path": str(tmp_path / "server.crt"), "private_key_path": str(tmp_path / "server.key"),
                "common_name": "www.example.com", "key_type": "ecdsa", **ca}
    return {"directory": str(tmp_path / "clients"), "key_type": "ecdsa", "pkcs12_password": "p12-S3cret!",
            "clients": [{"name": "alice", "common_name": "alice.example.com"}], **ca}


def run_collecting_warnings(kind, args):
    module = make_module(kind, args)
    warnings = []
    module.warn = warnings.append
    backend = ServerCertificate if kind == "server_certificate" else ClientCertificates
    result = backend(module).run()
    return result, warnings


@pytest.mark.parametrize("kind", ["server_certificate", "client_certificates"])
def test_a_passphrase_for_a_plain_ca_key_signs_and_warns(kind, tmp_path, root_ca):
    ca = {"ca_certificate_path": root_ca["certificate_path"], "ca_private_key_path": root_ca["private_key_path"],
          "ca_private_key_passphrase": PASSPHRASE}
    result, warnings = run_collecting_warnings(kind, signing_args(kind, tmp_path, ca))
    assert result["changed"]
    assert warnings == [
        "ca_private_key_path: %s is not encrypted although ca_private_key_passphrase is set, so the CA key is "
        "stored unprotected; mtls.clb.pki_root_ca with private_key_passphrase re-writes the same key encrypted"
        % root_ca["private_key_path"]]


@pytest.mark.parametrize("kind", ["server_certificate", "client_certificates"])
def test_no_warning_for_a_plain_key_without_passphrase_or_an_encrypted_key_with_its_own(kind, tmp_path, root_ca,
                                                                                        root_ca_args):
    plain = {"ca_certificate_path": root_ca["certificate_path"], "ca_private_key_path": root_ca["private_key_path"]}
    assert run_collecting_warnings(kind, signing_args(kind, tmp_path / "plain", plain))[1] == []

    # The documented way out: pki_root_ca with the passphrase re-writes the same key encrypted.
    RootCA(make_module("root_ca", dict(root_ca_args, private_key_passphrase=PASSPHRASE))).run()
    encrypted = dict(plain, ca_private_key_passphrase=PASSPHRASE)
    assert run_collecting_warnings(kind, signing_args(kind, tmp_path / "encrypted", encrypted))[1] == []
