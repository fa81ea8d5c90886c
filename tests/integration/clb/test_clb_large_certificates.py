"""Certificates of the size real purchased ones have, uploaded through the modules end to end.

A purchased server certificate is often an RSA 4096 leaf with two intermediates and an RSA 4096 key:
about 9 KB of PEM, which the SDK sends in the URL query of the upload (emulator/README.md, "Request
size"), a request line of about 10 KB. These tests upload such a chain with server_certificate and a
three-certificate CA chain with ca_certificate, check that the second run changes nothing and calls only
Describe*, that no key material reaches the output, that a listener serves the whole chain to a client
that trusts only the root, and what happens at a gateway that takes no URL that long (nginx's default
8 KiB request line): one upload attempt, then a failure that says what to change.
"""
from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.ansible_run import run_module
from tests.support.emulator import PROXY_VARS, start_emulator
from clb_helpers import actions, add_backends, create_load_balancer, mutating, running_listener

SERVER = "mtls.clb.server_certificate"
CA = "mtls.clb.ca_certificate"
DOMAIN = "www.example.test"
UTC = datetime.timezone.utc
# nginx's and Tengine's default request-line limit (large_client_header_buffers 4 8k).
NGINX_DEFAULT_REQUEST_LINE = 8192


@dataclass
class Issued:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    def key_pem(self, private_format=serialization.PrivateFormat.TraditionalOpenSSL) -> str:
        return self.key.private_bytes(serialization.Encoding.PEM, private_format,
                                      serialization.NoEncryption()).decode()

    @property
    def fingerprint(self) -> str:
        return ":".join(f"{b:02x}" for b in self.cert.fingerprint(hashes.SHA1()))


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Trust Services GmbH"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(cn: str, issuer: Issued | None, *, ca: bool, bits: int = 4096, usage=None, dns_names=()) -> Issued:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    signer = issuer or Issued(key, None)
    now = datetime.datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(cn))
               .issuer_name(issuer.cert.subject if issuer else _name(cn)).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=397))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.key.public_key()),
                              critical=False))
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if dns_names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in dns_names]),
                                        critical=False)
    return Issued(key, builder.sign(signer.key, hashes.SHA256()))


@dataclass
class LargePki:
    server_root: Issued
    server_chain: list  # leaf, issuing CA, policy CA: what a CA sells as "certificate + intermediates"
    client_ca_chain: list  # issuing CA, policy CA, root
    client: Issued

    @property
    def leaf(self) -> Issued:
        return self.server_chain[0]

    @property
    def chain_pem(self) -> str:
        return "".join(issued.pem for issued in self.server_chain)

    @property
    def client_ca_pem(self) -> str:
        return "".join(issued.pem for issued in self.client_ca_chain)

    def key_lines(self) -> set[str]:
        """Base64 lines of the server key in both forms a user may hold it, for the no-secrets checks."""
        lines = set()
        for form in (serialization.PrivateFormat.TraditionalOpenSSL, serialization.PrivateFormat.PKCS8):
            lines.update(line for line in self.leaf.key_pem(form).splitlines() if "-----" not in line)
        return lines


@pytest.fixture(scope="module")
def large_pki() -> LargePki:
    server_root = _issue("Example Root CA R4096", None, ca=True)
    policy_ca = _issue("Example Policy CA R4096", server_root, ca=True)
    issuing_ca = _issue("Example TLS Issuing CA R4096", policy_ca, ca=True)
    names = [DOMAIN] + [f"host{n:02d}.example.test" for n in range(20)]
    leaf = _issue(DOMAIN, issuing_ca, ca=False, usage=ExtendedKeyUsageOID.SERVER_AUTH, dns_names=names)
    client_root = _issue("Example Client Root CA R4096", None, ca=True)
    client_policy = _issue("Example Client Policy CA R4096", client_root, ca=True)
    client_issuing = _issue("Example Client Issuing CA R4096", client_policy, ca=True)
    client = _issue("client01.example.test", client_issuing, ca=False, bits=2048, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    return LargePki(server_root, [leaf, issuing_ca, policy_ca], [client_issuing, client_policy, client_root], client)


def server_params(args, large_pki, name="purchased-4096"):
    # A purchased key usually comes as PKCS#8; the module converts it to the PKCS#1 SLB wants.
    return {**args, "name": name, "certificate": large_pki.chain_pem,
            "private_key": large_pki.leaf.key_pem(serialization.PrivateFormat.PKCS8)}


def assert_no_key_material(result, large_pki):
    shown = repr({k: v for k, v in result.items() if k not in ("_stdout", "_stderr")})
    shown += result["_stdout"] + result["_stderr"]
    assert "PRIVATE KEY" not in shown
    leaked = [line for line in large_pki.key_lines() if line in shown]
    assert leaked == [], "key material in the output"


def test_size_of_what_these_tests_upload(large_pki):
    # The point of this file: more than an 8 KiB request line takes once URL-encoded.
    pem_bytes = len(large_pki.chain_pem) + len(large_pki.leaf.key_pem())
    assert pem_bytes > 8500 and pem_bytes > NGINX_DEFAULT_REQUEST_LINE
    assert large_pki.leaf.key.key_size == 4096 and len(large_pki.server_chain) == 3


def test_rsa4096_leaf_two_intermediates_and_key_upload_once_then_only_describe(emu, args, large_pki):
    params = server_params(args, large_pki)
    first = run_module(SERVER, params)
    assert first["changed"] is True, first.get("msg")
    assert first["fingerprint"] == large_pki.leaf.fingerprint
    assert first["common_name"] == DOMAIN and len(first["subject_alternative_names"]) == 21
    uploads = [(c["action"], c["status"]) for c in emu.calls() if c["action"].startswith("Upload")]
    assert uploads == [("UploadServerCertificate", 200)]

    start = len(emu.calls())
    second = run_module(SERVER, params)
    assert second["changed"] is False and second["server_certificate_id"] == first["server_certificate_id"]
    assert actions(emu, start) and mutating(emu, start) == []
    for result in (first, second):
        assert_no_key_material(result, large_pki)


def test_check_mode_and_diff_of_the_large_upload_show_no_key(emu, args, large_pki):
    result = run_module(SERVER, server_params(args, large_pki), check=True, diff=True)
    assert result["changed"] is True and result["server_certificate_id"] is None
    assert result["diff"]["after"]["fingerprint"] == large_pki.leaf.fingerprint
    assert mutating(emu) == []
    assert_no_key_material(result, large_pki)


def test_a_three_certificate_ca_chain_uploads_once_then_only_describe(emu, args, large_pki):
    params = {**args, "name": "client-ca-chain", "certificate": large_pki.client_ca_pem}
    first = run_module(CA, params)
    assert first["changed"] is True, first.get("msg")
    # SLB identifies a CA upload by its first certificate, as a server upload by its leaf.
    assert first["fingerprint"] == large_pki.client_ca_chain[0].fingerprint
    assert first["common_name"] == "Example Client Issuing CA R4096"
    start = len(emu.calls())
    second = run_module(CA, params)
    assert second["changed"] is False and second["ca_certificate_id"] == first["ca_certificate_id"]
    assert actions(emu, start) and mutating(emu, start) == []
    assert [c["action"] for c in emu.calls()].count("UploadCACertificate") == 1


def _env():
    return {k: v for k, v in os.environ.items() if k not in PROXY_VARS}


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl")), reason="needs curl and openssl (bindep.txt)")
def test_a_listener_serves_the_whole_chain_to_a_client_that_trusts_only_the_root(emu, args, slb, large_pki, tmp_path):
    server = run_module(SERVER, server_params(args, large_pki))
    ca = run_module(CA, {**args, "name": "client-ca-chain", "certificate": large_pki.client_ca_pem})
    assert not server["failed"] and not ca["failed"], (server.get("msg"), ca.get("msg"))
    load_balancer_id = create_load_balancer(slb)
    add_backends(slb, load_balancer_id, emu.ecs_ids)
    running_listener(slb, load_balancer_id, server["server_certificate_id"], ca["ca_certificate_id"])
    address = slb.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": load_balancer_id})["Address"]
    port = 443 + emu.listener_port_offset

    files = {"root": large_pki.server_root.pem, "client.crt": large_pki.client.pem,
             "client.key": large_pki.client.key_pem()}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "client.key").chmod(0o600)

    def curl():
        return subprocess.run(["curl", "-sS", "--max-time", "10", "--noproxy", "*",
                               "--resolve", f"{DOMAIN}:{port}:{address}", "--cacert", str(tmp_path / "root"),
                               "--cert", str(tmp_path / "client.crt"), "--key", str(tmp_path / "client.key"),
                               "-w", "\n%{http_code}", f"https://{DOMAIN}:{port}/"],
                              capture_output=True, text=True, timeout=30, env=_env(), check=False)

    answered = curl()
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.rsplit("\n", 1)[1] == "200" and answered.stdout.startswith("ECS0")

    shown = subprocess.run(["openssl", "s_client", "-connect", f"{address}:{port}", "-servername", DOMAIN,
                            "-CAfile", str(tmp_path / "root"), "-verify_return_error", "-showcerts",
                            "-cert", str(tmp_path / "client.crt"), "-key", str(tmp_path / "client.key")],
                           input="", capture_output=True, text=True, timeout=30, env=_env(), check=False)
    assert "Verify return code: 0 (ok)" in shown.stdout, shown.stdout[-2000:] + shown.stderr
    sent = re.findall(r"^\s*\d+ s:.*CN ?= ?([^,/\n]+)", shown.stdout, re.M)
    assert sent == [DOMAIN, "Example TLS Issuing CA R4096", "Example Policy CA R4096"]

    # The same client fails against the leaf alone: what made the check above pass is the served chain.
    leaf_id = slb.call("UploadServerCertificate", {"ServerCertificate": large_pki.leaf.pem,
                                                   "PrivateKey": large_pki.leaf.key_pem(),
                                                   "ServerCertificateName": "leaf-only"})["ServerCertificateId"]
    slb.call("SetLoadBalancerHTTPSListenerAttribute", {"LoadBalancerId": load_balancer_id, "ListenerPort": 443,
                                                       "ServerCertificateId": leaf_id})
    refused = curl()
    assert refused.returncode == 60, (refused.returncode, refused.stderr)  # 60: peer certificate not verified


def test_a_gateway_that_takes_no_url_that_long_fails_the_upload_once_with_what_to_change(tmp_path, large_pki):
    with start_emulator(tmp_path / "strict", demo_backends=0,
                        extra_args=("--max-request-line", str(NGINX_DEFAULT_REQUEST_LINE))) as strict:
        result = run_module(SERVER, server_params(strict.module_args(), large_pki))
        calls = [(c["action"], c["status"]) for c in strict.calls()]
    assert result["failed"] and result["status_code"] == 414, result.get("msg")
    assert "HTTP 414" in result["msg"] and "ali_cloud_certificate_id" in result["msg"]
    # The same request gets the same answer: one attempt, no lookup-and-retry rounds.
    assert [call for call in calls if call[0] == "UploadServerCertificate"] == [("UploadServerCertificate", 414)]
    assert all(action.startswith("Describe") for action, _status in calls if action != "UploadServerCertificate")
    assert_no_key_material(result, large_pki)
