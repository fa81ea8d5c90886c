"""Security of the result: the listener site.yml builds lets in the issued clients and no one else.

site.yml (steps 1-7) runs once against a private emulator, with two Linux clients (client01 and
client02, each with its own directory standing in for /home/ca). Then real `curl`, as in the
procedure's step 7 (`--cert --key --cacert`, the domain resolved to the load balancer's address),
tries the listener with each certificate of CLIENT_CASES; `openssl s_client` repeats every refused
case to record how the TLS handshake ends (the alert), which curl cannot show.

Accepted means: HTTP 200 from a backend (ECS01 or ECS02). Refused means: no HTTP status at all,
the TLS handshake failed, and nothing reached a backend.
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from alibabacloud_slb20140515 import models as slb_models
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.integration.security import mtls_test_pki as pki
from tests.support.ansible_run import REPO_ROOT, run_playbook
from tests.support.cases import CaseParam
from tests.support.emulator import start_emulator
from tests.support.site import PORT_OFFSET

pytestmark = pytest.mark.slow

DOMAIN = "www.mtls-security.test"
LISTENER_PORT = 443
CURL_TIMEOUT_SECONDS = "10"
CLIENTS = ("client01", "client02")


@dataclass
class Listener:
    work: Path
    address: str
    port: int

    @property
    def server_ca(self) -> Path:
        return self.work / "pki" / "server" / "ca.crt"

    def root_ca(self):
        certificate = x509.load_pem_x509_certificate((self.work / "pki" / "root.crt").read_bytes())
        key = serialization.load_pem_private_key((self.work / "pki" / "root.key").read_bytes(), None)
        return certificate, key


@pytest.fixture(scope="module")
def listener(tmp_path_factory):
    work = tmp_path_factory.mktemp("security")
    inventory = work / "inventory.yml"
    inventory.write_text(
        "all:\n  children:\n    linux_clients:\n      hosts:\n" + "".join(
            f"        {client}:\n          ansible_connection: local\n"
            f"          ansible_python_interpreter: \"{{{{ ansible_playbook_python }}}}\"\n"
            f"          mtls_clb_client_directory: {work / ('home-ca-' + client)}\n" for client in CLIENTS))
    emulator = start_emulator(work / "emulator", demo_backends=2, listener_port_offset=PORT_OFFSET)
    extra_vars = {
        "mtls_clb_endpoint": emulator.api_url, "mtls_clb_region": emulator.region,
        "mtls_clb_backend_servers": emulator.ecs_ids, "mtls_clb_pki_dir": str(work / "pki"),
        "mtls_clb_domain": DOMAIN, "mtls_clb_issue_lab_certificate": True,
        "mtls_clb_create_load_balancer": True, "mtls_clb_load_balancer_name": "mtls-security",
        "mtls_clb_client_become": False, "mtls_clb_listener_port_offset": PORT_OFFSET,
        "mtls_clb_pkcs12_password": "p12-security-Vn27",
        "client_install_owner": str(os.getuid()), "client_install_group": str(os.getgid()),
        "root_ca_key_size": 2048, "client_certificates_key_size": 2048, "mtls_verify_requests": 2,
        # Step 7's own negative checks are what CLIENT_CASES does in more detail; skip them here.
        "mtls_verify_check_without_certificate": False, "mtls_verify_check_foreign_certificate": False,
    }
    try:
        run = run_playbook(REPO_ROOT / "site.yml", inventory=inventory, extra_vars=extra_vars,
                           env={"ALIBABA_CLOUD_ACCESS_KEY_ID": emulator.access_key_id,
                                "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emulator.access_key_secret},
                           # One host at a time: two clients requesting in lockstep would split the
                           # round robin between them, and each would see only one backend.
                           extra_args=("--forks", "1"))
        assert run.rc == 0, run.stdout[-5000:] + run.stderr[-3000:]
        balancers = emulator.sdk_client().describe_load_balancers(slb_models.DescribeLoadBalancersRequest(
            region_id=emulator.region)).body.load_balancers.load_balancer
        assert len(balancers) == 1
        yield Listener(work=work, address=balancers[0].address, port=LISTENER_PORT + PORT_OFFSET)
    finally:
        emulator.stop()


def installed_client(client: str) -> Callable[[Listener, Path], tuple]:
    """The files step 4 installed for `client` (its client.crt / client.key)."""
    def files(listener: Listener, _scratch: Path):
        directory = listener.work / f"home-ca-{client}"
        return directory / "client.crt", directory / "client.key"
    return files


def no_certificate(_listener: Listener, _scratch: Path):
    return None


def self_signed(_listener: Listener, scratch: Path):
    key = pki.new_key()
    return pki.write_pair(scratch, "self-signed", pki.certificate("client01", key, client=True), key)


def from_another_ca(_listener: Listener, scratch: Path):
    ca_key = pki.new_key()
    ca = pki.certificate("another root", ca_key, ca=True)
    key = pki.new_key()
    return pki.write_pair(scratch, "another-ca", pki.certificate(
        "client01", key, issuer=ca, issuer_key=ca_key, client=True), key)


def from_impostor_ca_with_the_roots_name(listener: Listener, scratch: Path):
    root = listener.root_ca()[0]
    impostor_key = pki.new_key()
    # Same subject as the real root: only the signature can tell them apart.
    impostor = pki.certificate("", impostor_key, ca=True, subject=root.subject)
    key = pki.new_key()
    return pki.write_pair(scratch, "impostor", pki.certificate(
        "client01", key, issuer=impostor, issuer_key=impostor_key, client=True), key)


def expired_from_the_root(listener: Listener, scratch: Path):
    root, root_key = listener.root_ca()
    key = pki.new_key()
    return pki.write_pair(scratch, "expired", pki.certificate(
        "client01", key, issuer=root, issuer_key=root_key, not_before_days=-30, days=-1, client=True), key)


def not_yet_valid_from_the_root(listener: Listener, scratch: Path):
    root, root_key = listener.root_ca()
    key = pki.new_key()
    return pki.write_pair(scratch, "future", pki.certificate(
        "client01", key, issuer=root, issuer_key=root_key, not_before_days=2, days=30, client=True), key)


def root_ca_itself(listener: Listener, _scratch: Path):
    return listener.work / "pki" / "root.crt", listener.work / "pki" / "root.key"


@dataclass
class ClientCase(CaseParam):
    id: str
    credentials: Callable[[Listener, Path], tuple | None]
    accepted: bool
    defect: str = ""


CLIENT_CASES = [
    ClientCase("issued client01", installed_client("client01"), accepted=True),
    ClientCase("issued client02", installed_client("client02"), accepted=True),
    ClientCase("no client certificate", no_certificate, accepted=False),
    ClientCase("self-signed certificate", self_signed, accepted=False),
    ClientCase("certificate from another CA", from_another_ca, accepted=False),
    ClientCase("CA impostor with the root's subject name", from_impostor_ca_with_the_roots_name, accepted=False),
    ClientCase("expired certificate from the root CA", expired_from_the_root, accepted=False),
    ClientCase("not yet valid certificate from the root CA", not_yet_valid_from_the_root, accepted=False),
    ClientCase("the root CA's own certificate and key", root_ca_itself, accepted=False),
]


def curl(listener: Listener, credentials) -> subprocess.CompletedProcess:
    """The procedure's step 7 curl, with the domain resolved to the load balancer's address."""
    argv = ["curl", "--silent", "--show-error", "--max-time", CURL_TIMEOUT_SECONDS,
            "--cacert", str(listener.server_ca), "--resolve", f"{DOMAIN}:{listener.port}:{listener.address}",
            "--write-out", "\nHTTP_STATUS=%{http_code}"]
    if credentials:
        argv += ["--cert", str(credentials[0]), "--key", str(credentials[1])]
    argv.append(f"https://{DOMAIN}:{listener.port}/")
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False,
                          env={key: value for key, value in os.environ.items() if "proxy" not in key.lower()})


def openssl_handshake(listener: Listener, credentials) -> subprocess.CompletedProcess:
    argv = ["openssl", "s_client", "-connect", f"{listener.address}:{listener.port}", "-servername", DOMAIN,
            "-CAfile", str(listener.server_ca), "-verify_return_error"]
    if credentials:
        argv += ["-cert", str(credentials[0]), "-key", str(credentials[1])]
    return subprocess.run(argv, input=f"GET / HTTP/1.1\r\nHost: {DOMAIN}\r\nConnection: close\r\n\r\n",
                          capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.parametrize("case", [case.param() for case in CLIENT_CASES])
def test_listener_accepts_only_issued_client_certificates(listener, case, tmp_path):
    """curl with this client certificate gets a backend's answer only if site.yml issued the certificate."""
    credentials = case.credentials(listener, tmp_path)

    result = curl(listener, credentials)
    status = re.search(r"HTTP_STATUS=(\d{3})", result.stdout).group(1)

    if case.accepted:
        assert result.returncode == 0 and status == "200", result.stderr
        assert result.stdout.splitlines()[0] in ("ECS01", "ECS02"), result.stdout[:200]
        return
    assert status == "000", f"the listener answered HTTP {status}: {result.stdout[:300]}"
    # 35/56: handshake or read failed; 60: curl files the server's "certificate expired" alert under
    # peer verification. openssl below shows the server's certificate verified and the server's alert.
    assert result.returncode in (35, 56, 60), f"curl exit {result.returncode}: {result.stderr}"
    assert "ECS0" not in result.stdout
    handshake = openssl_handshake(listener, credentials)
    output = handshake.stdout + handshake.stderr
    assert "HTTP/1.1" not in handshake.stdout, handshake.stdout[-500:]
    assert "verify return:1" in output, f"the client did not get to verify the server: {output[-800:]}"
    alert = re.search(r"(?:tlsv1|sslv3|tlsv13) alert ([a-z ]+)", output)
    assert alert, f"no TLS alert from the listener: {output[-800:]}"
    if os.environ.get("MTLS_SECURITY_SHOW_ALERTS"):
        print(f"\nMATRIX | {case.id} | curl exit {result.returncode} | {alert.group(0)}")


def test_issued_clients_reach_both_backends(listener):
    """Requests with an issued certificate are spread over ECS01 and ECS02 (the procedure's step 7 result)."""
    credentials = installed_client("client01")(listener, listener.work)
    answers = [curl(listener, credentials).stdout.splitlines()[0] for attempt in range(4)]
    assert sorted(set(answers)) == ["ECS01", "ECS02"], answers


def handshake_with_version(listener: Listener, credentials, version: str) -> subprocess.CompletedProcess:
    """openssl s_client limited to one protocol version; SECLEVEL=0 so that this client offers TLS 1.0/1.1
    and their ciphers at all (OpenSSL 3 refuses them at its default level): only the listener can say no."""
    return subprocess.run(["openssl", "s_client", "-connect", f"{listener.address}:{listener.port}",
                           "-servername", DOMAIN, "-CAfile", str(listener.server_ca), "-verify_return_error",
                           "-cert", str(credentials[0]), "-key", str(credentials[1]),
                           version, "-cipher", "DEFAULT:@SECLEVEL=0", "-ign_eof"],
                          input=f"GET / HTTP/1.1\r\nHost: {DOMAIN}\r\nConnection: close\r\n\r\n",
                          capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.parametrize("version, accepted", [("-tls1_2", True), ("-tls1_1", False), ("-tls1", False)],
                         ids=["TLS 1.2", "TLS 1.1", "TLS 1.0"])
def test_listener_speaks_tls_1_2_only_even_to_an_issued_client(listener, version, accepted):
    """site.yml's listener uses tls_cipher_policy_1_2 (mtls_listener_tls_cipher_policy's default, docs/security.md):
    an issued client that offers only TLS 1.0 or 1.1 gets no answer; the same client over TLS 1.2 does."""
    result = handshake_with_version(listener, installed_client("client01")(listener, listener.work), version)
    answered = "HTTP/1.1 200" in result.stdout
    assert answered == accepted, f"openssl s_client {version}: {(result.stdout + result.stderr)[-800:]}"
    if not accepted:
        assert "ECS0" not in result.stdout
