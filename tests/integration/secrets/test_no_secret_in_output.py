"""No secret leaves the key files: full site.yml runs against the emulator, scanned.

Two fresh runs of site.yml (steps 1-7): one at -vvvv with the access key passed as variables
(module_defaults carry it to every cloud module), one with --diff with the access key in the
environment. Every run uses distinctive secret values (random, with a recognisable prefix), a
passphrase-protected root CA key and a .p12 password. The scan covers the run's stdout and
stderr, the emulator's call log (/_emulator/calls) and its stderr, and every file under the run's
directory except the private-key files themselves: the PKI, the client directory, the emulator's
state, Ansible's local/remote temp directories and TMPDIR (both pointed into the run's
directory, so anything left behind there is scanned too).

The secrets reach the playbook as a user is told to pass them: from an Ansible Vault file
(`-e @secrets.yml --vault-password-file ...`), never as `-e name=value` (ansible-playbook echoes
its own command line, extra vars included, at -vvvv), or the access key from the environment.

A scan finds: any `PRIVATE KEY-----` PEM armour; any of the secrets; any of three base64 lines
taken from the middle of every real private key of the run. `test_scanner_finds_planted_secrets`
proves the scanner reports each kind of leak, so a clean scan means something.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from tests.support.ansible_run import BIN, ansible_env
from tests.support.site import access_key_env, run_site, site_vars, start_site_emulator

pytestmark = pytest.mark.slow

PEM_PRIVATE_KEY_ARMOUR = b"PRIVATE KEY-----"
# Private-key files a run is meant to write (relative to the run's directory). The emulator's
# tls/server-* holds the key SLB was given (the cloud's copy); everything else is scanned.
KEY_FILE_PATTERNS = ("inputs/vault-password", "pki/root.key", "pki/clients/*.key", "pki/server/*.key", "home-ca/client.key",
                     "emulator/tls/server-*")


@dataclass
class Leak:
    where: str
    what: str


@dataclass
class SecretScanner:
    """Looks for named secrets and private-key material in text and files."""
    secrets: dict = field(default_factory=dict)  # label -> value

    def add_key_lines(self, label: str, key_file: Path) -> None:
        """Three base64 lines from the middle of a PEM key: a leak of the key body shows them."""
        body = [line for line in key_file.read_text().splitlines() if line and not line.startswith(("-----", "Proc-", "DEK-"))]
        middle = len(body) // 2
        for offset, line in enumerate(body[middle - 1:middle + 2]):
            self.secrets[f"{label} line {middle - 1 + offset}"] = line

    def scan_bytes(self, where: str, data: bytes) -> list[Leak]:
        leaks = []
        if PEM_PRIVATE_KEY_ARMOUR in data:
            leaks.append(Leak(where, "a PEM private key block"))
        for label, value in self.secrets.items():
            if value.encode() in data:
                leaks.append(Leak(where, label))
        return leaks

    def scan_tree(self, root: Path, excluded_patterns=KEY_FILE_PATTERNS) -> tuple[list[Leak], int]:
        """(leaks, number of files scanned) for every file under root outside the excluded key files."""
        leaks, scanned = [], 0
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            relative = path.relative_to(root)
            if any(relative.match(pattern) for pattern in excluded_patterns):
                continue
            scanned += 1
            leaks += self.scan_bytes(str(relative), path.read_bytes())
        return leaks, scanned


def distinctive(prefix: str) -> str:
    return f"{prefix}-{secrets.token_urlsafe(18)}"


def vault_encrypted_vars(directory: Path, variables: dict) -> tuple:
    """An Ansible Vault file holding `variables`; returns the ansible-playbook arguments that load it."""
    directory.mkdir(parents=True, exist_ok=True)
    password_file = directory / "vault-password"
    password_file.write_text(secrets.token_urlsafe(24) + "\n")
    password_file.chmod(0o600)
    vars_file = directory / "secrets.yml"
    vars_file.write_text(json.dumps(variables))
    subprocess.run([str(BIN / "ansible-vault"), "encrypt", "--vault-password-file", str(password_file),
                    str(vars_file)], check=True, capture_output=True, env=ansible_env())
    return ("-e", f"@{vars_file}", "--vault-password-file", str(password_file))


def fresh_site_run(work: Path, *, verbosity: int = 0, diff: bool = False, access_key_in_variables: bool = False):
    """A fresh emulator and PKI under `work`, site.yml run once; returns what the scan needs."""
    access_key_id = "LTAIscan" + secrets.token_hex(4)
    values = {"access key secret": distinctive("AKSECRET"), "PKCS#12 password": distinctive("P12PASS"),
              "root CA key passphrase": distinctive("CAPASS")}
    for directory in ("tmp", "ansible-local", "ansible-remote"):
        (work / directory).mkdir(parents=True, exist_ok=True)
    emulator = start_site_emulator(work, access_key_id, values["access key secret"])
    extra_vars = site_vars(emulator, work, verify_requests=2)
    vaulted = {"mtls_clb_pkcs12_password": values["PKCS#12 password"],
               "root_ca_private_key_passphrase": values["root CA key passphrase"]}
    env = {"TMPDIR": str(work / "tmp"), "ANSIBLE_LOCAL_TEMP": str(work / "ansible-local"),
           "ANSIBLE_REMOTE_TEMP": str(work / "ansible-remote")}
    if access_key_in_variables:
        vaulted.update(mtls_clb_access_key_id=access_key_id, mtls_clb_access_key_secret=values["access key secret"])
        env.update(access_key_env("", ""))
    else:
        env.update(access_key_env(access_key_id, values["access key secret"]))
    vault_args = vault_encrypted_vars(work / "inputs", vaulted)
    try:
        run = run_site(extra_vars, verbosity=verbosity, diff=diff, env=env, json_output=False,
                       extra_args=vault_args)
        call_log = json.dumps(emulator.calls())
    finally:
        emulator.stop()
    return run, values, call_log


def scanner_for(work: Path, values: dict) -> SecretScanner:
    scanner = SecretScanner(dict(values))
    key_files = [work / "pki" / "root.key", *sorted((work / "pki" / "clients").glob("*.key")),
                 *sorted((work / "pki" / "server").glob("*.key")), work / "home-ca" / "client.key"]
    assert len(key_files) >= 5, key_files
    for key_file in key_files:
        scanner.add_key_lines(str(key_file.relative_to(work)), key_file)
    return scanner


@pytest.fixture(scope="module", params=["-vvvv, access key as variables", "--diff, access key in environment"])
def site_run(request, tmp_path_factory):
    work = tmp_path_factory.mktemp("secrets")
    if request.param.startswith("-vvvv"):
        run, values, call_log = fresh_site_run(work, verbosity=4, access_key_in_variables=True)
    else:
        run, values, call_log = fresh_site_run(work, diff=True)
    assert run.rc == 0, run.stdout[-5000:] + run.stderr[-3000:]
    return {"run": run, "values": values, "call_log": call_log, "work": work, "mode": request.param}


def test_run_output_contains_no_secret(site_run):
    """stdout and stderr of the whole run show no secret, passphrase, key armour or key line."""
    run, work = site_run["run"], site_run["work"]
    scanner = scanner_for(work, site_run["values"])
    output = run.stdout + run.stderr
    if site_run["mode"].startswith("-vvvv"):
        assert "<localhost> EXEC" in output or "ESTABLISH LOCAL CONNECTION" in output, "not a -vvvv run"
    else:
        assert "--- before" in output or "+++ after" in output, "the --diff run showed no diff"
    leaks = scanner.scan_bytes("stdout+stderr", output.encode())
    assert leaks == [], leaks


def test_emulator_call_log_contains_no_secret(site_run):
    """The API calls the run made, as the emulator recorded them, carry no secret."""
    scanner = scanner_for(site_run["work"], site_run["values"])
    calls = json.loads(site_run["call_log"])
    assert any(call["action"] == "UploadServerCertificate" for call in calls)
    assert scanner.scan_bytes("/_emulator/calls", site_run["call_log"].encode()) == []


def test_files_written_outside_the_key_files_contain_no_secret(site_run):
    """Certificates, .p12 files, the emulator's state and log, temp dirs: no secret in any of them."""
    work = site_run["work"]
    scanner = scanner_for(work, site_run["values"])
    leaks, scanned = scanner.scan_tree(work)
    assert scanned >= 8, f"only {scanned} files scanned: the walk missed the run's files"
    assert (work / "pki" / "clients" / "client01.p12").is_file()
    assert leaks == [], leaks


def test_key_material_at_rest_is_locked_with_the_secrets_given(site_run):
    """The secrets protect the files the scan leaves out: the root CA key is encrypted with
    root_ca_private_key_passphrase (it does not load without it), and every client .p12 opens only with
    mtls_clb_pkcs12_password and uses the modern encryption (AES-256-CBC, client_certificates_pkcs12_encryption's
    default), not the legacy 3DES one."""
    work, values = site_run["work"], site_run["values"]
    root_key = (work / "pki" / "root.key").read_bytes()
    assert b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in root_key, "the root CA key was written unencrypted"
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(root_key, password=None)
    serialization.load_pem_private_key(root_key, password=values["root CA key passphrase"].encode())

    p12_files = sorted((work / "pki" / "clients").glob("*.p12"))
    assert p12_files, "the run wrote no .p12 file"
    for p12 in p12_files:
        # The password goes through the environment, not the command line.
        env = dict(os.environ, P12PASS=values["PKCS#12 password"], WRONGPASS=distinctive("WRONG"))
        opened = openssl_pkcs12_info(p12, "env:P12PASS", env)
        assert opened.returncode == 0, f"{p12.name} does not open with the password: {opened.stderr[-500:]}"
        assert "AES-256-CBC" in opened.stderr, f"{p12.name} is not AES-256 encrypted: {opened.stderr[-500:]}"
        assert openssl_pkcs12_info(p12, "env:WRONGPASS", env).returncode != 0, f"{p12.name} opens with any password"


def openssl_pkcs12_info(p12: Path, passin: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "pkcs12", "-info", "-nokeys", "-in", str(p12), "-passin", passin],
                          capture_output=True, text=True, check=False, env=env)


def test_scanner_finds_planted_secrets(tmp_path):
    """The scanner reports each kind of leak: a secret, key armour, a key body line, in text and files."""
    from tests.integration.security import mtls_test_pki as pki

    key_text = pki.key_pem(pki.new_key())
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "root.key").write_text(key_text)
    scanner = SecretScanner({"access key secret": distinctive("AKSECRET")})
    scanner.add_key_lines("pki/root.key", tmp_path / "pki" / "root.key")
    body = key_text.splitlines()[1:-1]
    key_line = body[len(body) // 2]

    assert scanner.scan_tree(tmp_path) == ([], 0), "the key file itself must be excluded"
    (tmp_path / "clean.log").write_text("nothing to see\n")
    assert scanner.scan_tree(tmp_path)[0] == []

    (tmp_path / "armour.log").write_text("-----BEGIN RSA PRIVATE KEY-----\n")
    (tmp_path / "body.log").write_text(f"debug: {key_line}\n")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "secret.json").write_text(json.dumps({"x": scanner.secrets["access key secret"]}))
    leaks, scanned = scanner.scan_tree(tmp_path)
    found = {(leak.where, leak.what.split(" line ")[0]) for leak in leaks}
    assert scanned == 4
    assert ("armour.log", "a PEM private key block") in found
    assert ("body.log", "pki/root.key") in found
    assert ("nested/secret.json", "access key secret") in found
    assert scanner.scan_bytes("text", f"x {scanner.secrets['access key secret']} y".encode())


@pytest.fixture(scope="module")
def failing_inputs(tmp_path_factory):
    """An encrypted server key and a passphrase-protected CA key, for runs that must fail."""
    from tests.integration.security import mtls_test_pki as pki

    work = tmp_path_factory.mktemp("secrets-failures")
    ca_key = pki.new_key()
    ca = pki.certificate("root", ca_key, ca=True)
    passphrase = distinctive("KEYPASS")
    pki.write(work / "root.crt", pki.certificate_pem(ca), 0o644)
    pki.write(work / "root.key", pki.key_pem(ca_key, passphrase=passphrase))
    server_key = pki.new_key()
    server = pki.certificate("www.secrets.test", server_key, issuer=ca, issuer_key=ca_key)
    pki.write(work / "server.crt", pki.certificate_pem(server), 0o644)
    pki.write(work / "server.key", pki.key_pem(server_key, passphrase=passphrase))
    scanner = SecretScanner({"key passphrase": passphrase})
    scanner.add_key_lines("root.key", work / "root.key")
    scanner.add_key_lines("server.key", work / "server.key")
    return work, scanner


def test_failed_runs_show_no_secret(failing_inputs, fresh_emulator):
    """Errors at -vvvv (wrong passphrase, wrong access key secret) name the option, never the secret."""
    from tests.support.ansible_run import run_module

    work, scanner = failing_inputs
    wrong_passphrase, wrong_secret, pkcs12_password = (distinctive("WRONGPASS"), distinctive("WRONGSECRET"),
                                                       distinctive("P12PASS"))
    scanner.secrets.update({"wrong passphrase": wrong_passphrase, "wrong access key secret": wrong_secret,
                            "PKCS#12 password": pkcs12_password})
    runs = {
        "server_certificate, wrong passphrase": run_module("mtls.clb.server_certificate", {
            **fresh_emulator.module_args(), "name": "secrets", "certificate_path": str(work / "server.crt"),
            "private_key_path": str(work / "server.key"), "private_key_passphrase": wrong_passphrase}, verbosity=4),
        "ca_certificate, wrong access key secret": run_module("mtls.clb.ca_certificate", {
            **fresh_emulator.module_args(), "access_key_secret": wrong_secret, "name": "secrets",
            "certificate_path": str(work / "root.crt")}, verbosity=4),
        "pki_client_certificates, wrong CA passphrase": run_module("mtls.clb.pki_client_certificates", {
            "ca_certificate_path": str(work / "root.crt"), "ca_private_key_path": str(work / "root.key"),
            "ca_private_key_passphrase": wrong_passphrase, "directory": str(work / "clients"), "key_size": 2048,
            "pkcs12_password": pkcs12_password, "clients": [{"name": "c1", "common_name": "c1.secrets.test"}]},
            verbosity=4),
    }
    expected_option = {"server_certificate, wrong passphrase": "private_key_passphrase",
                       "ca_certificate, wrong access key secret": "access_key_secret",
                       "pki_client_certificates, wrong CA passphrase": "ca_private_key_passphrase"}
    for label, result in runs.items():
        assert result["failed"], label
        assert expected_option[label] in result["msg"], f"{label}: {result['msg']}"
        text = json.dumps({key: value for key, value in result.items() if not key.startswith("_")})
        leaks = scanner.scan_bytes(label, (text + result["_stdout"] + result["_stderr"]).encode())
        assert leaks == [], leaks
