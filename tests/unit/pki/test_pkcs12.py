"""The PKCS#12 writer and the validation-free reader, checked against OpenSSL's own reader."""
from __future__ import annotations

import datetime
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.mtls.clb.plugins.module_utils.pki.pkcs12 import (
    Pkcs12ReadError,
    pkcs12_bytes,
    read_pkcs12,
)


def _key_and_cert(kind):
    key = rsa.generate_private_key(65537, 2048) if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "alice")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=2))
            .sign(key, hashes.SHA256()))
    return key, cert


def _spki(key):
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
def rsa_pair():
    return _key_and_cert("rsa")


@pytest.mark.parametrize("encryption", ["modern", "legacy"])
@pytest.mark.parametrize("kind", ["rsa", "ecdsa"])
def test_round_trip_matches_openssl_reader(kind, encryption):
    key, cert = _key_and_cert(kind)
    data = pkcs12_bytes("alice", key, cert, "pässwörd", encryption)
    parsed = read_pkcs12(data, "pässwörd")
    reference = pkcs12.load_pkcs12(data, "pässwörd".encode())
    assert parsed.encryption == encryption
    assert parsed.friendly_name == "alice" == reference.cert.friendly_name.decode()
    assert parsed.certificate == cert == reference.cert.certificate
    assert _spki(parsed.key) == _spki(key) == _spki(reference.key)


@pytest.mark.parametrize("encryption", ["modern", "legacy"])
def test_wrong_password_is_told_apart_from_damage(rsa_pair, encryption):
    data = pkcs12_bytes("alice", *rsa_pair, "right", encryption)
    with pytest.raises(Pkcs12ReadError) as err:
        read_pkcs12(data, "wrong")
    assert err.value.wrong_password is True
    damaged = data[:200] + bytes([data[200] ^ 0xFF]) + data[201:]
    with pytest.raises(Pkcs12ReadError):
        read_pkcs12(damaged, "right")


@pytest.mark.parametrize("data", [b"", b"junk", b"\x30\x82\xff\xff", b"-----BEGIN CERTIFICATE-----\n"])
def test_garbage_is_a_read_error_not_a_crash(data):
    with pytest.raises(Pkcs12ReadError) as err:
        read_pkcs12(data, "pw")
    assert err.value.wrong_password is False


def test_encryption_kinds_on_the_wire_are_what_the_options_promise(rsa_pair, tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl CLI not installed")
    for encryption, expected in (("modern", "AES-256-CBC"), ("legacy", "pbeWithSHA1And3-KeyTripleDES-CBC")):
        path = tmp_path / ("%s.p12" % encryption)
        path.write_bytes(pkcs12_bytes("alice", *rsa_pair, "pw", encryption))
        cmd = ["openssl", "pkcs12", "-info", "-nokeys", "-in", str(path), "-passin", "pass:pw"]
        if encryption == "legacy":
            cmd.append("-legacy")
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        assert expected in out.stderr + out.stdout


def test_openssl_cli_modern_file_is_readable(rsa_pair, tmp_path):
    """A file from `openssl pkcs12 -export` (OpenSSL 3 defaults) is parsed, so users' own files compare."""
    if not shutil.which("openssl"):
        pytest.skip("openssl CLI not installed")
    key, cert = rsa_pair
    (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    subprocess.run(["openssl", "pkcs12", "-export", "-in", str(tmp_path / "c.pem"), "-inkey", str(tmp_path / "k.pem"),
                    "-name", "alice", "-out", str(tmp_path / "o.p12"), "-passout", "pass:pw"], check=True)
    parsed = read_pkcs12((tmp_path / "o.p12").read_bytes(), "pw")
    assert parsed.encryption == "modern" and parsed.friendly_name == "alice" and parsed.certificate == cert


@pytest.mark.parametrize("encryption", ["modern", "legacy"])
def test_outline_needs_no_decryption_and_ties_the_key_bag_to_the_certificate(rsa_pair, monkeypatch, encryption):
    from ansible_collections.mtls.clb.plugins.module_utils.pki import pkcs12 as module

    key, cert = rsa_pair
    data = pkcs12_bytes("alice", key, cert, "pw", encryption)

    def no_decrypt(*_args):
        raise AssertionError("outline must not decrypt")
    monkeypatch.setattr(module, "_decrypt", no_decrypt)
    outline = module.outline_pkcs12(data, "pw")
    assert outline.friendly_name == "alice" and outline.encryption == encryption
    assert outline.local_key_id == cert.fingerprint(hashes.SHA1())
    with pytest.raises(Pkcs12ReadError) as err:
        module.outline_pkcs12(data, "other")
    assert err.value.wrong_password is True
