"""pki_root_ca backend: what makes it issue a certificate or replace the key, and what does not."""
from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError
from ansible_collections.mtls.clb.plugins.module_utils.pki.root_ca import RootCA

from .conftest import assert_no_secrets, make_module, snapshot


def run(args, check_mode=False):
    module = make_module("root_ca", args, check_mode=check_mode)
    return RootCA(module).run(), module


def load_cert(args):
    return x509.load_pem_x509_certificate(Path(args["certificate_path"]).read_bytes())


def public_der(args, password=None):
    key = serialization.load_pem_private_key(Path(args["private_key_path"]).read_bytes(), password)
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def test_new_ca_has_the_extensions_a_ca_needs_and_private_key_mode(root_ca):
    cert = load_cert(root_ca)
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca and bc.value.path_length is None
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign and not ku.value.digital_signature
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    assert cert.subject == cert.issuer
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "alibaba"
    assert os.stat(root_ca["private_key_path"]).st_mode & 0o777 == 0o600
    assert os.stat(root_ca["certificate_path"]).st_mode & 0o777 == 0o644


def test_second_run_changes_nothing(root_ca):
    before = snapshot(Path(root_ca["certificate_path"]).parent)
    result, _backend = run(root_ca)
    assert result["changed"] is False and result["reason"] is None
    assert snapshot(Path(root_ca["certificate_path"]).parent) == before
    assert result["fingerprint_sha256"] == load_cert(root_ca).fingerprint(
        __import__("cryptography.hazmat.primitives.hashes", fromlist=["SHA256"]).SHA256()).hex(":").upper()


@pytest.mark.slow
def test_defaults_follow_the_guide_rsa_4096_3650_days_sha256(tmp_path):
    args = {"certificate_path": str(tmp_path / "r.crt"), "private_key_path": str(tmp_path / "r.key"),
            "common_name": "root"}
    result, _backend = run(args)
    cert = load_cert(args)
    assert isinstance(cert.public_key(), rsa.RSAPublicKey) and cert.public_key().key_size == 4096
    assert cert.signature_hash_algorithm.name == "sha256"
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == datetime.timedelta(days=3650)
    assert result["public_key"] == "RSA 4096"


def _replace_cert_with_one_for_another_key(args):
    other = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "root")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(other.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=9))
            .sign(other, __import__("cryptography.hazmat.primitives.hashes", fromlist=["SHA256"]).SHA256()))
    Path(args["certificate_path"]).write_bytes(cert.public_bytes(serialization.Encoding.PEM))


# (what is done to the CA or asked of it, expected certificate reason or None for "unchanged")
CERTIFICATE_TABLE = [
    ("certificate deleted", lambda a: os.remove(a["certificate_path"]), {}, "certificate is missing"),
    ("certificate garbage", lambda a: Path(a["certificate_path"]).write_text("junk"), {},
     "certificate could not be parsed"),
    ("certificate of another key", _replace_cert_with_one_for_another_key, {},
     "certificate does not match the private key"),
    ("organization changed", None, {"organization_name": "other"}, "subject differs"),
    ("locality added", None, {"locality_name": "bj"}, "subject differs"),
    ("path length set", None, {"path_length": 0}, "extension basicConstraints differs"),
    ("digest changed", None, {"digest": "sha384"}, "signature digest is sha256, want sha384"),
    ("expires within renew_before_days", None, {"valid_days": 4000, "renew_before_days": 3700},
     "within renew_before_days=3700"),
    ("valid_days changed only", None, {"valid_days": 400}, None),
    ("renew window not reached", None, {"renew_before_days": 3000}, None),
    ("curve asked is the same", None, {"curve": "secp256r1"}, None),
    ("rsa key_size ignored for ecdsa", None, {"key_size": 2048}, None),
]


@pytest.mark.parametrize("label, damage, options, reason", CERTIFICATE_TABLE, ids=[r[0] for r in CERTIFICATE_TABLE])
def test_certificate_reissue_table(root_ca, label, damage, options, reason):
    key_before = public_der(root_ca)
    if damage:
        damage(root_ca)
    args = dict(root_ca, **options)
    result, _backend = run(args)
    if reason is None:
        assert result["changed"] is False, result["reason"]
    else:
        assert result["changed"] is True
        assert reason in result["certificate_reason"]
        assert result["private_key_reason"] is None
        # Re-issuing never touches the key: client certificates signed by it stay valid.
        assert public_der(root_ca) == key_before
        assert run(args)[0]["changed"] is False


def test_check_mode_decides_the_same_and_writes_nothing(root_ca):
    directory = Path(root_ca["certificate_path"]).parent
    before = snapshot(directory)
    result, _backend = run(dict(root_ca, organization_name="changed"), check_mode=True)
    assert result["changed"] is True and "subject differs" in result["reason"]
    assert result["fingerprint_sha256"] is None and result["subject"] == "CN=root,O=changed"
    assert snapshot(directory) == before


def test_check_mode_on_empty_directory_writes_nothing(tmp_path, root_ca_args):
    (tmp_path / "ca").mkdir()
    result, _backend = run(root_ca_args, check_mode=True)
    assert result["changed"] is True and result["reason"] == "private key is missing"
    assert list((tmp_path / "ca").iterdir()) == []


def _write_rsa_key(args, passphrase=None):
    key = rsa.generate_private_key(65537, 2048)
    enc = serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    Path(args["private_key_path"]).write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc))


# (existing key situation, regenerate policy, expected: "error" | "keep" | "replace")
KEY_POLICY_TABLE = [
    ("rsa key, ecdsa asked", _write_rsa_key, "fail", "error"),
    ("rsa key, ecdsa asked", _write_rsa_key, "never", "keep"),
    ("rsa key, ecdsa asked", _write_rsa_key, "on_mismatch", "replace"),
    ("garbage key", lambda a: Path(a["private_key_path"]).write_text("junk"), "fail", "error"),
    ("garbage key", lambda a: Path(a["private_key_path"]).write_text("junk"), "never", "error"),
    ("garbage key", lambda a: Path(a["private_key_path"]).write_text("junk"), "on_mismatch", "replace"),
    ("encrypted key, no passphrase", lambda a: _write_rsa_key(a, "pw-xyz"), "on_mismatch", "error"),
    ("matching key", lambda a: None, "always", "replace"),
    ("matching key", lambda a: None, "fail", "keep"),
]


@pytest.mark.parametrize("label, situation, policy, expected", KEY_POLICY_TABLE,
                         ids=["%s/%s" % (r[0], r[2]) for r in KEY_POLICY_TABLE])
def test_regenerate_policy_table(root_ca, label, situation, policy, expected):
    situation(root_ca)
    directory = Path(root_ca["certificate_path"]).parent
    before = snapshot(directory)
    args = dict(root_ca, regenerate=policy)
    if expected == "error":
        with pytest.raises(PkiError) as err:
            run(args)
        assert "private_key" in str(err.value)
        assert snapshot(directory) == before
        return
    key_bytes_before = Path(root_ca["private_key_path"]).read_bytes()
    result, module = run(args)
    key_bytes_after = Path(root_ca["private_key_path"]).read_bytes()
    if expected == "replace":
        assert result["private_key_reason"] and key_bytes_after != key_bytes_before
        assert "new private key" in result["private_key_reason"]
    else:
        assert key_bytes_after == key_bytes_before and result["private_key_reason"] is None
    cert = load_cert(root_ca)
    assert public_der(root_ca) == cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_regenerate_never_warns_when_it_keeps_a_mismatching_key(root_ca, monkeypatch):
    _write_rsa_key(root_ca)
    module = make_module("root_ca", dict(root_ca, regenerate="never"))
    warnings = []
    monkeypatch.setattr(module, "warn", warnings.append)
    result = RootCA(module).run()
    assert result["public_key"] == "RSA 2048"
    assert any("keeping it because regenerate=never" in w for w in warnings)


def test_force_replaces_key_and_certificate(root_ca):
    key_before = public_der(root_ca)
    result, _backend = run(dict(root_ca, force=True))
    assert result["private_key_reason"] == "force=true: new private key"
    assert public_der(root_ca) != key_before


def test_passphrase_protects_an_existing_plain_key_without_replacing_it(root_ca):
    key_before = public_der(root_ca)
    result, _backend = run(dict(root_ca, private_key_passphrase="Tr0ub4dor&3"))
    assert "re-writing the same key encrypted" in result["private_key_reason"]
    assert result["certificate_reason"] is None
    assert b"ENCRYPTED PRIVATE KEY" in Path(root_ca["private_key_path"]).read_bytes()
    assert public_der(root_ca, b"Tr0ub4dor&3") == key_before
    assert run(dict(root_ca, private_key_passphrase="Tr0ub4dor&3"))[0]["changed"] is False
    with pytest.raises(PkiError, match="private_key_passphrase is wrong"):
        run(dict(root_ca, private_key_passphrase="wrong", regenerate="on_mismatch"))


def test_diff_and_result_hold_metadata_never_key_material(root_ca):
    result, _backend = run(dict(root_ca, private_key_passphrase="Tr0ub4dor&3", organization_name="x"))
    assert_no_secrets(result, "Tr0ub4dor&3")
    assert result["diff"]["before"]["certificate"]["subject"] == "CN=root,O=alibaba"
    assert result["diff"]["after"]["certificate"]["subject"] == "CN=root,O=x"


def test_mode_option_applies_to_the_key_file(root_ca):
    result, _backend = run(dict(root_ca, mode="0640", certificate_mode="0600"))
    assert result["changed"] is True and result["reason"] == "file attributes changed"
    assert os.stat(root_ca["private_key_path"]).st_mode & 0o777 == 0o640
    assert os.stat(root_ca["certificate_path"]).st_mode & 0o777 == 0o600


def test_backup_keeps_the_old_certificate(root_ca):
    old = Path(root_ca["certificate_path"]).read_bytes()
    result, _backend = run(dict(root_ca, backup=True, organization_name="new"))
    assert Path(result["backup_certificate"]).read_bytes() == old
    assert "backup_private_key" not in result


@pytest.mark.parametrize("options, message", [
    ({"valid_days": 0}, "valid_days must be at least 1"),
    ({"valid_days": 3000000}, "valid_days (3000000) would end after 9999-12-31"),
    ({"renew_before_days": 4000}, "renew_before_days (4000) must be smaller than valid_days"),
    ({"country_name": "China"}, "country_name must be a two-letter"),
    # Two characters, four bytes: cryptography's own message named no option.
    ({"country_name": "ÄÖ"}, "country_name must be a two-letter ISO 3166 code such as 'CN' (got 'ÄÖ')"),
    ({"common_name": ""}, "common_name is required"),
    ({"path_length": -1}, "path_length must be 0 or more"),
])
def test_bad_input_fails_before_writing(tmp_path, root_ca_args, options, message):
    (tmp_path / "ca").mkdir()
    with pytest.raises(PkiError) as err:
        run(dict(root_ca_args, **options))
    assert message in str(err.value)
    assert list((tmp_path / "ca").iterdir()) == []


def test_missing_directory_is_named_in_the_error(tmp_path, root_ca_args):
    with pytest.raises(PkiError, match=r"private_key_path: directory .* does not exist"):
        run(root_ca_args)


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_a_ca_certificate_without_its_key_is_not_replaced_silently(root_ca, check_mode):
    """Deleting root.key but keeping root.crt used to make a new CA with reason "private key is missing": every
    client certificate then stopped validating, with nothing but that reason (shown only with -v) to say so."""
    Path(root_ca["private_key_path"]).unlink()
    directory = Path(root_ca["certificate_path"]).parent
    before = snapshot(directory)
    with pytest.raises(PkiError) as error:
        run(root_ca, check_mode=check_mode)
    assert str(error.value) == (
        "private_key_path: %s does not exist, but certificate_path %s holds the CA certificate (CN=root,O=alibaba): a "
        "new key would make a new CA, and every certificate the old one signed would stop validating. Restore the key "
        "file; or, to start a new CA on purpose, delete the certificate too or set regenerate=on_mismatch (or "
        "force=true)" % (root_ca["private_key_path"], root_ca["certificate_path"]))
    assert snapshot(directory) == before


@pytest.mark.parametrize("options, reason", [
    ({"regenerate": "on_mismatch"}, "private key is missing (regenerate=on_mismatch): new private key"),
    ({"force": True}, "force=true: new private key"),
])
def test_a_new_ca_in_place_of_one_whose_key_is_gone_is_made_when_asked(root_ca, options, reason):
    old_certificate = Path(root_ca["certificate_path"]).read_bytes()
    Path(root_ca["private_key_path"]).unlink()
    result, _backend = run(dict(root_ca, **options))
    assert result["changed"] and result["private_key_reason"] == reason
    assert Path(root_ca["private_key_path"]).exists()
    assert Path(root_ca["certificate_path"]).read_bytes() != old_certificate


def test_a_directory_where_the_certificate_goes_is_refused_before_the_key_is_made(tmp_path, root_ca_args):
    (tmp_path / "ca" / "root.crt").mkdir(parents=True)
    with pytest.raises(PkiError, match=r"^certificate_path: .*root.crt is a directory, where the module writes a file"):
        run(root_ca_args)
    assert os.listdir(tmp_path / "ca") == ["root.crt"]
