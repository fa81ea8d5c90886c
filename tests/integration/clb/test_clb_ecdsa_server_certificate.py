"""server_certificate with an ECDSA certificate: the module does not refuse ECDSA by region itself (which
regions take it is not published as a list), it sends the upload; a region that refuses it
(EccCertificateNotSupport) gets a message naming the options and both ways out, with nothing uploaded and
no key in the output; a region that takes it (the emulator's --ecdsa-regions) gets the key converted to
SEC1 and an idempotent upload."""
from __future__ import annotations

import datetime

import pytest
from alibabacloud_slb20140515 import models as m
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.ansible_run import run_module
from tests.support.emulator import start_emulator
from tests.unit.alicloud.certgen import fingerprint
from clb_helpers import actions, mutating

SERVER = "mtls.clb.server_certificate"
LONDON = "eu-west-1"


@pytest.fixture(scope="module")
def ec_files(tmp_path_factory):
    """A self-signed ECDSA P-256 server certificate and its key as PKCS#8 (the form openssl 3 writes)."""
    directory = tmp_path_factory.mktemp("ec-server")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec.example.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=90))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("ec.example.test")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "server.crt", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return {"certificate_path": str(cert_path), "private_key_path": str(key_path), "cert": cert}


def test_a_region_that_refuses_ecdsa_gets_the_options_and_both_ways_out(emu, args, ec_files):
    result = run_module(SERVER, {**args, "name": "ec-server", "certificate_path": ec_files["certificate_path"],
                                 "private_key_path": ec_files["private_key_path"]})

    assert result["failed"] and (result["code"], result["status_code"]) == ("EccCertificateNotSupport", 400)
    message = result["msg"]
    assert message.startswith("UploadServerCertificate failed: EccCertificateNotSupport: The ECC certificate is not "
                              "supported.") and "request id" in message
    for text in ("Region cn-hangzhou does not take ECDSA", "certificate / certificate_path", "with an RSA key",
                 "private_key / private_key_path", "a region that takes ECDSA (the region option)"):
        assert text in message, (text, message)
    assert "PRIVATE KEY" not in result["_stdout"] + result["_stderr"]
    # The module sent the upload (no local refusal by region), and the service stored nothing.
    assert mutating(emu) == ["UploadServerCertificate"]
    assert [c["code"] for c in emu.calls() if c["action"] == "UploadServerCertificate"] == ["EccCertificateNotSupport"]
    assert emu.sdk_client().describe_server_certificates(m.DescribeServerCertificatesRequest(
        region_id=emu.region)).body.server_certificates.server_certificate == []


def test_a_region_that_takes_ecdsa_gets_an_idempotent_upload(tmp_path, ec_files):
    with start_emulator(tmp_path / "state", demo_backends=0, extra_args=("--ecdsa-regions", LONDON)) as emulator:
        params = {**emulator.module_args(), "region": LONDON, "name": "ec-server", "certificate_path": ec_files["certificate_path"],
                  "private_key_path": ec_files["private_key_path"]}
        first, second = run_module(SERVER, params), run_module(SERVER, params)

        assert (first.get("failed"), first["changed"], second["changed"]) == (False, True, False), first.get("msg")
        assert first["fingerprint"] == fingerprint(ec_files["cert"])
        assert second["server_certificate_id"] == first["server_certificate_id"]
        assert actions(emulator).count("UploadServerCertificate") == 1
        # The PKCS#8 key went up as SEC1 ("BEGIN EC PRIVATE KEY"), the form SLB asks for.
        stored = (tmp_path / "state" / "tls" / f"server-{first['server_certificate_id']}.pem").read_text()
        assert "-----BEGIN EC PRIVATE KEY-----" in stored and "-----BEGIN PRIVATE KEY-----" not in stored
