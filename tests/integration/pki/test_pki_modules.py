"""The PKI modules through the real `ansible` CLI: the four-step pattern (check, apply, check,
apply), results cross-checked with the openssl CLI and Java's keytool, and bad input that must
fail clearly without writing anything."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.ansible_run import run_module
from tests.support.prerequisites import missing_prerequisite

CA_PASSPHRASE = "ca-Passphrase-9"
P12_PASSWORD = "p12-Password-7"


def four_steps(module: str, args: dict) -> list[dict]:
    """check, apply, check, apply; returns the four results after asserting none failed."""
    results = [run_module(module, args, check=True, diff=True), run_module(module, args, diff=True),
               run_module(module, args, check=True, diff=True), run_module(module, args, diff=True)]
    for result in results:
        assert not result.get("failed"), result.get("msg")
    assert [r["changed"] for r in results] == [True, True, False, False]
    return results


def openssl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=check)


def snapshot(directory: Path) -> dict:
    return {str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in directory.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(scope="module")
def root_ca(workdir):
    args = {"certificate_path": str(workdir / "root.crt"), "private_key_path": str(workdir / "root.key"),
            "common_name": "root", "country_name": "CN", "state_or_province_name": "bj",
            "locality_name": "bj", "organization_name": "alibaba", "organizational_unit_name": "test",
            "email_address": "a@alibaba.com", "key_size": 2048, "private_key_passphrase": CA_PASSPHRASE,
            "path_length": 0}
    results = four_steps("mtls.clb.pki_root_ca", args)
    return args, results


@pytest.fixture(scope="module")
def clients(workdir, root_ca):
    ca_args, _ca_paths = root_ca
    args = {"ca_certificate_path": ca_args["certificate_path"], "ca_private_key_path": ca_args["private_key_path"],
            "ca_private_key_passphrase": CA_PASSPHRASE, "directory": str(workdir / "clients"),
            "key_size": 2048, "organization_name": "alibaba", "pkcs12_password": P12_PASSWORD,
            "clients": [{"name": "app1", "common_name": "app1.example.com",
                         "subject_alt_names": ["DNS:app1.example.com"]},
                        {"name": "app2", "common_name": "app2.example.com", "pkcs12_password": "own-" + P12_PASSWORD}]}
    return args, four_steps("mtls.clb.pki_client_certificates", args)


def test_root_ca_four_steps_and_openssl_sees_a_ca(root_ca):
    args, results = root_ca
    check, applied, _second_check, last = results
    assert check["reason"] == "private key is missing" and check["fingerprint_sha256"] is None
    assert applied["reason"] == "private key is missing" and applied["public_key"] == "RSA 2048"
    assert last["fingerprint_sha256"] == applied["fingerprint_sha256"]
    text = openssl("x509", "-in", args["certificate_path"], "-text", "-noout").stdout
    assert "CA:TRUE, pathlen:0" in text
    assert "Certificate Sign, CRL Sign" in text
    assert "X509v3 Subject Key Identifier" in text
    assert "C = CN, ST = bj, L = bj, O = alibaba, OU = test, CN = root, emailAddress = a@alibaba.com" in text
    assert openssl("verify", "-CAfile", args["certificate_path"], args["certificate_path"]).returncode == 0
    key_text = Path(args["private_key_path"]).read_text()
    assert "ENCRYPTED PRIVATE KEY" in key_text
    assert os.stat(args["private_key_path"]).st_mode & 0o777 == 0o600
    # The passphrase is no_log: neither results nor the CLI output show it.
    assert all(CA_PASSPHRASE not in r["_stdout"] for r in results)
    assert "PRIVATE KEY" not in applied["_stdout"]


def test_client_certificates_four_steps_verify_with_openssl(root_ca, clients):
    ca_args, _ca_paths = root_ca
    args, results = clients
    assert [c["reason"] for c in results[1]["clients"]] == ["private key is missing"] * 2
    assert all(c["changed"] is False for c in results[3]["clients"])
    for entry in results[3]["clients"]:
        verify = openssl("verify", "-CAfile", ca_args["certificate_path"], "-purpose", "sslclient",
                         entry["certificate_path"])
        assert verify.stdout.strip().endswith(": OK")
        text = openssl("x509", "-in", entry["certificate_path"], "-text", "-noout").stdout
        assert "TLS Web Client Authentication" in text and "CA:FALSE" in text
        assert "Digital Signature, Key Encipherment" in text
        assert os.stat(entry["pkcs12_path"]).st_mode & 0o777 == 0o600
    for r in results:
        assert P12_PASSWORD not in r["_stdout"] and CA_PASSPHRASE not in r["_stdout"]


def test_pkcs12_modern_read_by_openssl(clients):
    args, results = clients
    app1 = results[3]["clients"][0]
    info = openssl("pkcs12", "-info", "-nokeys", "-in", app1["pkcs12_path"], "-passin", "pass:" + P12_PASSWORD)
    assert "AES-256-CBC" in info.stderr and "friendlyName: app1" in info.stdout
    own = openssl("pkcs12", "-info", "-nokeys", "-in", results[3]["clients"][1]["pkcs12_path"],
                  "-passin", "pass:own-" + P12_PASSWORD)
    assert own.returncode == 0


@pytest.fixture(scope="module")
def legacy_clients(workdir, root_ca):
    ca_args, _ca_paths = root_ca
    args = {"ca_certificate_path": ca_args["certificate_path"], "ca_private_key_path": ca_args["private_key_path"],
            "ca_private_key_passphrase": CA_PASSPHRASE, "directory": str(workdir / "legacy"), "key_type": "ecdsa",
            "pkcs12_password": P12_PASSWORD, "pkcs12_encryption": "legacy",
            "clients": [{"name": "old-windows", "common_name": "old.example.com"}]}
    result = run_module("mtls.clb.pki_client_certificates", args)
    assert result["changed"], result.get("msg")
    return args, result


def test_pkcs12_legacy_needs_openssl_legacy_and_reads_3des(legacy_clients):
    _legacy_args, result = legacy_clients
    path = result["clients"][0]["pkcs12_path"]
    info = openssl("pkcs12", "-legacy", "-info", "-nokeys", "-in", path, "-passin", "pass:" + P12_PASSWORD)
    assert "pbeWithSHA1And3-KeyTripleDES-CBC" in info.stderr
    assert "MAC: sha1" in info.stderr


@pytest.mark.parametrize("which", ["modern", "legacy"])
def test_keytool_reads_both_encryptions(clients, legacy_clients, which):
    if not shutil.which("keytool"):
        missing_prerequisite("Java keytool is not installed: install the Debian package openjdk-17-jre-headless "
                             "(.ci/run does)")
    path = (clients[1][3]["clients"][0] if which == "modern" else legacy_clients[1]["clients"][0])["pkcs12_path"]
    out = subprocess.run(["keytool", "-list", "-storetype", "PKCS12", "-keystore", path, "-storepass", P12_PASSWORD],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "PrivateKeyEntry" in out.stdout


def test_server_certificate_four_steps_from_a_separate_server_ca(workdir):
    server_ca = {"certificate_path": str(workdir / "server-ca.crt"), "private_key_path": str(workdir / "server-ca.key"),
                 "common_name": "Lab Server CA", "key_type": "ecdsa"}
    assert run_module("mtls.clb.pki_root_ca", server_ca)["changed"]
    args = {"certificate_path": str(workdir / "server.crt"), "private_key_path": str(workdir / "server.key"),
            "common_name": "www.example.com", "subject_alt_names": ["DNS:www.example.com", "IP:127.0.0.1"],
            "ca_certificate_path": server_ca["certificate_path"], "ca_private_key_path": server_ca["private_key_path"],
            "key_size": 2048, "valid_days": 397}
    results = four_steps("mtls.clb.pki_server_certificate", args)
    assert results[1]["issuer"] == "CN=Lab Server CA"
    verify = openssl("verify", "-CAfile", server_ca["certificate_path"], "-purpose", "sslserver", args["certificate_path"])
    assert verify.stdout.strip().endswith(": OK")
    text = openssl("x509", "-in", args["certificate_path"], "-text", "-noout").stdout
    assert "TLS Web Server Authentication" in text and "DNS:www.example.com, IP Address:127.0.0.1" in text
    # The key CLB's UploadServerCertificate wants: unencrypted PEM.
    assert "BEGIN PRIVATE KEY" in Path(args["private_key_path"]).read_text()


def _client_batch(ca_args, target, **overrides):
    args = {"ca_certificate_path": ca_args["certificate_path"], "ca_private_key_path": ca_args["private_key_path"],
            "ca_private_key_passphrase": CA_PASSPHRASE, "directory": str(target), "key_type": "ecdsa",
            "pkcs12_password": P12_PASSWORD,
            "clients": [{"name": "good", "common_name": "good.example.com"}]}
    args.update(overrides)
    return args


def _garbage_ca_key(workdir, ca_args):
    path = workdir / "garbage.key"
    path.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    return {"ca_private_key_path": str(path)}


BAD_INPUT = [
    ("unreadable CA key", _garbage_ca_key, "is not a PEM private key"),
    ("wrong CA passphrase", lambda w, ca: {"ca_private_key_passphrase": "not-the-passphrase"}, "ca_private_key_passphrase is wrong"),
    ("client CN equals the CA's", lambda w, ca: {"clients": [{"name": "good", "common_name": "good.example.com"},
                                                             {"name": "bad", "common_name": "root"}]},
     "clients[1] (bad).common_name: 'root' is the CA's common name"),
    ("unknown key type", lambda w, ca: {"key_type": "dsa"}, "key_type"),
    ("directory below a file", lambda w, ca: {"directory": str(w / "root.crt" / "clients")}, "is not a directory"),
]


@pytest.mark.parametrize("label, overrides, message", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_fails_clearly_and_writes_nothing(workdir, root_ca, label, overrides, message):
    ca_args, _ca_paths = root_ca
    target = workdir / ("bad-" + label.replace(" ", "-").replace("'", ""))
    overrides = overrides(workdir, ca_args)
    if "directory" in overrides:
        target = Path(overrides["directory"])
    before = snapshot(workdir)
    args = _client_batch(ca_args, target, **overrides)
    result = run_module("mtls.clb.pki_client_certificates", args)
    assert result.get("failed") is True
    assert message in result["msg"]
    assert P12_PASSWORD not in result["_stdout"] and CA_PASSPHRASE not in result["_stdout"]
    assert snapshot(workdir) == before
    assert not target.exists()


def test_unwritable_directory_fails_before_writing(workdir, root_ca):
    """As root every permission check passes, so use a read-only filesystem when there is one."""
    read_only = Path("/proc/sys/mtls-clb-test")
    if os.access(read_only.parent, os.W_OK):
        pytest.skip("no read-only filesystem at /proc/sys on this machine")
    ca_args, _ca_paths = root_ca
    before = snapshot(workdir)
    result = run_module("mtls.clb.pki_client_certificates", _client_batch(ca_args, read_only))
    assert result.get("failed") is True and "is not writable by this user" in result["msg"]
    assert snapshot(workdir) == before


def test_unknown_key_type_for_the_root_ca_writes_nothing(workdir):
    target = workdir / "bad-ca"
    target.mkdir()
    result = run_module("mtls.clb.pki_root_ca", {"certificate_path": str(target / "c.crt"),
                                                 "private_key_path": str(target / "c.key"),
                                                 "common_name": "x", "key_type": "ed448"})
    assert result.get("failed") is True and "key_type" in result["msg"]
    assert list(target.iterdir()) == []


def test_changed_p12_password_rewrites_only_that_file(workdir, root_ca):
    ca_args, _ca_paths = root_ca
    args = _client_batch(ca_args, workdir / "pw-change")
    assert run_module("mtls.clb.pki_client_certificates", args)["changed"]
    before = snapshot(workdir / "pw-change")
    args["clients"][0]["pkcs12_password"] = "a new password"
    result = run_module("mtls.clb.pki_client_certificates", args, diff=True)
    entry = result["clients"][0]
    assert entry["changed"] and entry["reason"] == "PKCS#12 file does not open with the given pkcs12_password"
    after = snapshot(workdir / "pw-change")
    assert [name for name in after if after[name] != before[name]] == ["good.p12"]
    assert "a new password" not in json.dumps(result)
