"""Running listeners are real mutual-TLS servers: checked with the real `curl` and `openssl s_client`,
the way step 7 of the procedure tests a CLB."""
from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time

import pytest
from alibabacloud_slb20140515 import models as m

from tests.emulator import throwaway_pki as pki
from tests.emulator.conftest import REGION, backend_servers_json
from tests.support.emulator import PROXY_VARS, start_emulator

DOMAIN = "www.example.test"
pytestmark = pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl")),
                                reason="needs the curl and openssl CLIs (bindep.txt)")


def _env():
    return {k: v for k, v in os.environ.items() if k not in PROXY_VARS}


class Deployment:
    """Steps 5-6 of the procedure against the emulator, and step 7's client side."""

    def __init__(self, emulator, material, workdir, port=443, ca="client_ca", **listener):
        self.emulator, self.material, self.workdir, self.port = emulator, material, workdir, port
        # What a client dials: ListenerPort + --listener-port-offset.
        self.dial_port = port + emulator.listener_port_offset
        self.sdk = emulator.sdk_client()
        self.files = {}
        for name in ("server_ca", "client", "other_client", "client_expired"):
            self.files[name] = material[name].write(workdir, name)
        sdk = self.sdk
        self.server_cert_id = sdk.upload_server_certificate(m.UploadServerCertificateRequest(
            region_id=REGION, server_certificate=material["server"].cert_pem,
            private_key=material["server"].key_pem)).body.server_certificate_id
        self.ca_id = None
        if ca:
            self.ca_id = sdk.upload_cacertificate(m.UploadCACertificateRequest(
                region_id=REGION, cacertificate=material[ca].cert_pem)).body.cacertificate_id
        lb = sdk.create_load_balancer(m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")).body
        self.lb_id, self.address = lb.load_balancer_id, lb.address
        sdk.add_backend_servers(m.AddBackendServersRequest(
            region_id=REGION, load_balancer_id=self.lb_id, backend_servers=backend_servers_json(emulator.ecs_ids)))
        args = dict(region_id=REGION, load_balancer_id=self.lb_id, listener_port=port, backend_server_port=80,
                    bandwidth=-1, health_check="on", health_check_uri="/health", health_check_interval=1,
                    healthy_threshold=2, unhealthy_threshold=2, health_check_timeout=1, sticky_session="off",
                    server_certificate_id=self.server_cert_id, cacertificate_id=self.ca_id,
                    tlscipher_policy="tls_cipher_policy_1_2", xforwarded_for_proto="on")
        args.update(listener)
        sdk.create_load_balancer_httpslistener(m.CreateLoadBalancerHTTPSListenerRequest(**args))
        self.start()

    def start(self):
        self.sdk.start_load_balancer_listener(m.StartLoadBalancerListenerRequest(
            region_id=REGION, load_balancer_id=self.lb_id, listener_port=self.port, listener_protocol="https"))

    def stop(self):
        self.sdk.stop_load_balancer_listener(m.StopLoadBalancerListenerRequest(
            region_id=REGION, load_balancer_id=self.lb_id, listener_port=self.port))

    def set_listener(self, **changes):
        self.sdk.set_load_balancer_httpslistener_attribute(m.SetLoadBalancerHTTPSListenerAttributeRequest(
            region_id=REGION, load_balancer_id=self.lb_id, listener_port=self.port, **changes))

    def health(self) -> dict:
        body = self.sdk.describe_health_status(m.DescribeHealthStatusRequest(
            region_id=REGION, load_balancer_id=self.lb_id, listener_port=self.port)).body
        return {s.server_id: s.server_health_status for s in body.backend_servers.backend_server}

    def wait_health(self, expected: dict, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            current = self.health()
            if current == expected or time.monotonic() > deadline:
                return current
            time.sleep(0.2)

    def curl(self, client: str | None = "client", extra=()) -> subprocess.CompletedProcess:
        command = ["curl", "-sS", "--max-time", "10", "--noproxy", "*", "--resolve",
                   f"{DOMAIN}:{self.dial_port}:{self.address}", "--cacert", str(self.files["server_ca"][0]),
                   "-w", "\n%{http_code}"]
        if client:
            cert, key = self.files[client]
            command += ["--cert", str(cert), "--key", str(key)]
        command += [*extra, f"https://{DOMAIN}:{self.dial_port}/"]
        return subprocess.run(command, capture_output=True, text=True, timeout=30, env=_env(),
                              check=False)

    def s_client(self, client: str | None = "client", extra=()) -> subprocess.CompletedProcess:
        command = ["openssl", "s_client", "-connect", f"{self.address}:{self.dial_port}", "-servername", DOMAIN,
                   "-CAfile", str(self.files["server_ca"][0]), "-verify_return_error", "-ign_eof"]
        if client:
            cert, key = self.files[client]
            command += ["-cert", str(cert), "-key", str(key)]
        command += list(extra)
        request = f"GET / HTTP/1.1\r\nHost: {DOMAIN}\r\nConnection: close\r\n\r\n"
        return subprocess.run(command, input=request, capture_output=True, text=True, timeout=30, env=_env(),
                              check=False)


def answered_by(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    body, _newline, status = result.stdout.rpartition("\n")
    assert status == "200", result.stdout
    return body.splitlines()[0]


@pytest.fixture
def deployment(fresh_emulator, tls_material, tmp_path):
    # Servers whose health is not decided yet already get traffic, so tests need not wait for it.
    return Deployment(fresh_emulator, tls_material, tmp_path)


def test_client_certificate_gets_200_from_both_backends(deployment):
    answers = [answered_by(deployment.curl()) for _attempt in range(4)]
    assert sorted(answers) == ["ECS01", "ECS01", "ECS02", "ECS02"]
    body = deployment.curl().stdout
    assert '"X-Forwarded-For": "127.0.0.1"' in body
    assert '"X-Forwarded-Proto": "https"' in body


def test_openssl_s_client_with_client_certificate(deployment):
    result = deployment.s_client()
    assert result.returncode == 0, result.stderr
    assert "Verify return code: 0 (ok)" in result.stdout
    assert "HTTP/1.1 200" in result.stdout
    assert "ECS0" in result.stdout


@pytest.mark.parametrize("client", [None, "other_client", "client_expired"],
                         ids=["no-client-cert", "cert-from-other-ca", "expired-client-cert"])
def test_handshake_refused_without_a_valid_client_certificate(deployment, client):
    result = deployment.curl(client)
    assert result.returncode != 0
    assert "200" not in result.stdout
    handshake = deployment.s_client(client)
    assert "HTTP/1.1 200" not in handshake.stdout


def test_stopped_listener_closes_its_port(deployment):
    deployment.stop()
    result = deployment.curl()
    assert result.returncode == 7, result.stderr  # curl: couldn't connect
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((deployment.address, deployment.dial_port), timeout=5).close()
    deployment.start()
    assert answered_by(deployment.curl()) in ("ECS01", "ECS02")


def test_one_way_tls_without_ca_certificate(fresh_emulator, tls_material, tmp_path):
    deployed = Deployment(fresh_emulator, tls_material, tmp_path, ca=None)
    assert answered_by(deployed.curl(client=None)) in ("ECS01", "ECS02")


def _peer_fingerprint(deployment) -> str:
    context = ssl.create_default_context(cafile=str(deployment.files["server_ca"][0]))
    context.load_cert_chain(*[str(p) for p in deployment.files["client"]])
    with socket.create_connection((deployment.address, deployment.dial_port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
            der = tls.getpeercert(binary_form=True)
    from cryptography import x509
    return pki.sha1_colon_fingerprint(x509.load_der_x509_certificate(der))


def test_certificate_changes_apply_live(deployment, tls_material):
    assert _peer_fingerprint(deployment) == pki.sha1_colon_fingerprint(tls_material["server"].cert)
    new_id = deployment.sdk.upload_server_certificate(m.UploadServerCertificateRequest(
        region_id=REGION, server_certificate=tls_material["server2"].cert_pem,
        private_key=tls_material["server2"].key_pem)).body.server_certificate_id
    deployment.set_listener(server_certificate_id=new_id)
    assert _peer_fingerprint(deployment) == pki.sha1_colon_fingerprint(tls_material["server2"].cert)

    other_ca_id = deployment.sdk.upload_cacertificate(m.UploadCACertificateRequest(
        region_id=REGION, cacertificate=tls_material["other_ca"].cert_pem)).body.cacertificate_id
    deployment.set_listener(cacertificate_id=other_ca_id)
    assert deployment.curl("client").returncode != 0
    assert answered_by(deployment.curl("other_client")) in ("ECS01", "ECS02")


def test_tls_cipher_policy_is_enforced(deployment):
    assert deployment.curl(extra=["--tlsv1.3"]).returncode != 0  # tls_cipher_policy_1_2: TLS 1.2 only
    assert answered_by(deployment.curl(extra=["--tls-max", "1.2", "--ciphers", "AES128-GCM-SHA256"]))
    deployment.set_listener(tlscipher_policy="tls_cipher_policy_1_2_strict")
    # Strict = ECDHE (forward secrecy) only.
    assert deployment.curl(extra=["--tls-max", "1.2", "--ciphers", "AES128-GCM-SHA256"]).returncode != 0
    assert answered_by(deployment.curl(extra=["--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256"]))
    deployment.set_listener(tlscipher_policy="tls_cipher_policy_1_2_strict_with_1_3")
    result = deployment.s_client(extra=["-tls1_3"])
    assert "TLSv1.3" in result.stdout and "HTTP/1.1 200" in result.stdout


def test_weights_and_schedulers(deployment, fresh_emulator):
    ecs01, ecs02 = fresh_emulator.ecs_ids
    deployment.sdk.set_backend_servers(m.SetBackendServersRequest(
        region_id=REGION, load_balancer_id=deployment.lb_id,
        backend_servers=backend_servers_json([ecs02], weight=0)))
    assert {answered_by(deployment.curl()) for _attempt in range(4)} == {"ECS01"}  # weight 0 = no traffic
    deployment.sdk.set_backend_servers(m.SetBackendServersRequest(
        region_id=REGION, load_balancer_id=deployment.lb_id,
        backend_servers=backend_servers_json([ecs02], weight=50)))
    answers = [answered_by(deployment.curl()) for _attempt in range(6)]
    assert (answers.count("ECS01"), answers.count("ECS02")) == (4, 2)  # wrr 100:50
    deployment.set_listener(scheduler="rr")
    answers = [answered_by(deployment.curl()) for _attempt in range(4)]
    assert (answers.count("ECS01"), answers.count("ECS02")) == (2, 2)  # rr ignores weights > 0


def test_unhealthy_backend_is_skipped_and_reported(deployment, fresh_emulator):
    ecs01, ecs02 = fresh_emulator.ecs_ids
    assert deployment.wait_health({ecs01: "normal", ecs02: "normal"}) == {ecs01: "normal", ecs02: "normal"}
    fresh_emulator.set_ecs_status(ecs02, "Stopped")
    try:
        assert deployment.wait_health({ecs01: "normal", ecs02: "abnormal"}) == {ecs01: "normal", ecs02: "abnormal"}
        assert {answered_by(deployment.curl()) for _attempt in range(4)} == {"ECS01"}
    finally:
        fresh_emulator.set_ecs_status(ecs02, "Running")
    assert deployment.wait_health({ecs01: "normal", ecs02: "normal"}) == {ecs01: "normal", ecs02: "normal"}


def test_restart_keeps_state_and_brings_listeners_back(tls_material, tmp_path):
    with start_emulator(tmp_path / "state", demo_backends=2, listener_port_offset=10000) as emulator:
        deployed = Deployment(emulator, tls_material, tmp_path / "files", port=443)
        assert deployed.dial_port == 10443
        assert deployed.wait_health({i: "normal" for i in emulator.ecs_ids}, timeout=10)
        before = deployed.sdk.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(
            region_id=REGION, load_balancer_id=deployed.lb_id)).body.to_map()
        certs_before = deployed.sdk.describe_server_certificates(
            m.DescribeServerCertificatesRequest(region_id=REGION)).body.to_map()
        api_port = emulator.port
        emulator.restart()
        assert emulator.port == api_port
        deployed.sdk = emulator.sdk_client()
        after = deployed.sdk.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(
            region_id=REGION, load_balancer_id=deployed.lb_id)).body.to_map()
        certs_after = deployed.sdk.describe_server_certificates(
            m.DescribeServerCertificatesRequest(region_id=REGION)).body.to_map()
        for body in (before, after, certs_before, certs_after):
            body.pop("RequestId")
        assert after == before
        assert certs_after == certs_before
        listener = deployed.sdk.describe_load_balancer_httpslistener_attribute(
            m.DescribeLoadBalancerHTTPSListenerAttributeRequest(region_id=REGION, load_balancer_id=deployed.lb_id,
                                                                listener_port=443)).body
        assert listener.status == "running"
        answers = {answered_by(deployed.curl()) for _attempt in range(4)}
        assert answers == {"ECS01", "ECS02"}
        assert deployed.curl(client=None).returncode != 0


def test_forwarded_headers_follow_the_switches(deployment):
    deployment.set_listener(xforwarded_for="off", xforwarded_for_proto="off", xforwarded_for_slbid="on",
                            xforwarded_for_slbport="on")
    body = deployment.curl().stdout
    assert "X-Forwarded-For" not in body and "X-Forwarded-Proto" not in body
    assert f'"SLB-ID": "{deployment.lb_id}"' in body
    assert '"X-Forwarded-Port": "443"' in body


def test_tls13_listener_still_requires_the_client_certificate(deployment):
    deployment.set_listener(tlscipher_policy="tls_cipher_policy_1_2_strict_with_1_3")
    assert answered_by(deployment.curl(extra=["--tlsv1.3"])) in ("ECS01", "ECS02")
    refused = deployment.curl(client=None, extra=["--tlsv1.3"])
    assert refused.returncode != 0 and "200" not in refused.stdout
    assert deployment.curl(client="other_client", extra=["--tlsv1.3"]).returncode != 0


def test_listener_whose_port_is_taken_does_not_start(fresh_emulator, tls_material):
    from Tea.exceptions import TeaException

    sdk = fresh_emulator.sdk_client()
    server_id = sdk.upload_server_certificate(m.UploadServerCertificateRequest(
        region_id=REGION, server_certificate=tls_material["server"].cert_pem,
        private_key=tls_material["server"].key_pem)).body.server_certificate_id
    lb = sdk.create_load_balancer(m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")).body
    sdk.create_load_balancer_httpslistener(m.CreateLoadBalancerHTTPSListenerRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=8443, backend_server_port=80,
        bandwidth=-1, health_check="off", sticky_session="off", server_certificate_id=server_id))
    with socket.socket() as squatter:
        squatter.bind((lb.address, 8443 + fresh_emulator.listener_port_offset))
        squatter.listen(1)
        with pytest.raises(TeaException) as info:
            sdk.start_load_balancer_listener(m.StartLoadBalancerListenerRequest(
                region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=8443))
    assert info.value.code == "InternalError"
    assert "8443" in info.value.data["Message"]
    status = sdk.describe_load_balancer_httpslistener_attribute(m.DescribeLoadBalancerHTTPSListenerAttributeRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=8443)).body.status
    assert status == "stopped"


def test_ecs_option_registers_an_external_backend(tls_material, tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server naming)
            body = b"external-backend\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET  # noqa: N815

        def log_message(self, format, *args):  # noqa: A002 pylint: disable=redefined-builtin
            pass

    backend = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    try:
        spec = f"i-external000000000001=127.0.0.1:{backend.server_address[1]}"
        with start_emulator(tmp_path / "state", demo_backends=0, extra_args=("--ecs", spec)) as emulator:
            assert emulator.ecs_instances == [{"instance_id": "i-external000000000001",
                                               "instance_name": "i-external000000000001", "host": "127.0.0.1",
                                               "port": backend.server_address[1], "status": "Running",
                                               "region": "cn-hangzhou"}]
            deployed = Deployment(emulator, tls_material, tmp_path / "files")
            assert answered_by(deployed.curl()) == "external-backend"
    finally:
        backend.shutdown()
        backend.server_close()


def test_health_check_off_reports_unavailable_and_still_serves(fresh_emulator, tls_material, tmp_path):
    deployed = Deployment(fresh_emulator, tls_material, tmp_path, health_check="off")
    assert set(deployed.health().values()) == {"unavailable"}
    assert {answered_by(deployed.curl()) for _attempt in range(2)} == {"ECS01", "ECS02"}
