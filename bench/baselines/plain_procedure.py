"""The procedure done by hand, as a script: the floor that site.yml is measured against.

Steps 1-3 are the guide's own OpenSSL commands (plus a lab server CA and server certificate, since
site.yml issues one too), step 4 copies the files, steps 5-6 are the bare SDK calls (upload both
certificates, create the load balancer if it does not exist, add the backends, create and start the
listener), step 7 the guide's curl with the client certificate N times, once without it and once
with a certificate of another CA. No checks, no idempotency: it is meant to run once on an empty
region and an empty PKI directory. Access keys come from ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, the
PKCS#12 password from BENCH_PKCS12_PASSWORD, so none of them shows up in `ps`.

    python -m bench.baselines.plain_procedure --endpoint 127.0.0.1:PORT --pki-dir DIR ...
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, stdin=subprocess.DEVNULL)


def make_pki(pki: Path, domain: str, key_size: int, server_key_size: int) -> None:
    server = pki / "server"
    clients = pki / "clients"
    for directory in (pki, server, clients):
        directory.mkdir(parents=True, exist_ok=True)
    # Step 1 (lab): a server CA and a server certificate for the domain.
    openssl("genrsa", "-out", "ca.key", str(server_key_size), cwd=server)
    openssl("req", "-new", "-x509", "-key", "ca.key", "-out", "ca.crt", "-days", "1190",
            "-subj", "/CN=lab server CA", cwd=server)
    # CLB accepts only the traditional (PKCS#1) form of the uploaded key; OpenSSL 3 writes PKCS#8.
    openssl("genrsa", "-traditional", "-out", "server.key", str(server_key_size), cwd=server)
    openssl("req", "-new", "-key", "server.key", "-out", "server.csr", "-subj", "/CN=%s" % domain, cwd=server)
    (server / "san.ext").write_text("subjectAltName=DNS:%s\n" % domain)
    openssl("x509", "-req", "-in", "server.csr", "-out", "server.crt", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "825", "-extfile", "san.ext", cwd=server)
    # Step 2: the guide's root CA.
    openssl("genrsa", "-out", "root.key", str(key_size), cwd=pki)
    openssl("req", "-new", "-out", "root.csr", "-key", "root.key", "-subj", "/CN=root", cwd=pki)
    openssl("x509", "-req", "-in", "root.csr", "-out", "root.crt", "-signkey", "root.key", "-CAcreateserial",
            "-days", "3650", cwd=pki)
    # Step 3: the guide's client certificate and PKCS#12.
    openssl("genrsa", "-out", "client01.key", str(key_size), cwd=clients)
    openssl("req", "-new", "-out", "client01.csr", "-key", "client01.key", "-subj", "/CN=%s" % domain, cwd=clients)
    openssl("x509", "-req", "-in", "client01.csr", "-out", "client01.crt", "-CA", "../root.crt",
            "-CAkey", "../root.key", "-CAcreateserial", "-days", "3650", cwd=clients)
    openssl("pkcs12", "-export", "-clcerts", "-in", "client01.crt", "-inkey", "client01.key",
            "-out", "client01.p12", "-passout", "env:BENCH_PKCS12_PASSWORD", cwd=clients)


def install_client(pki: Path, home_ca: Path) -> None:
    """Step 4: client.key, client.crt, root.crt and ca.crt into /home/ca (here: a stand-in)."""
    home_ca.mkdir(parents=True, exist_ok=True)
    shutil.copy(pki / "clients" / "client01.key", home_ca / "client.key")
    shutil.copy(pki / "clients" / "client01.crt", home_ca / "client.crt")
    shutil.copy(pki / "root.crt", home_ca / "root.crt")
    shutil.copy(pki / "server" / "ca.crt", home_ca / "ca.crt")


def sdk_client(endpoint: str, region: str):
    from alibabacloud_slb20140515.client import Client
    try:
        from alibabacloud_tea_openapi.utils_models import Config
    except ImportError:  # tea-openapi 0.3.x
        from alibabacloud_tea_openapi.models import Config
    return Client(Config(access_key_id=os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                         access_key_secret=os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                         region_id=region, endpoint=endpoint, protocol="http"))


def configure_clb(options, pki: Path) -> str:
    """Steps 5-6 with the SDK; returns the load balancer's address."""
    from alibabacloud_slb20140515 import models

    client = sdk_client(options.endpoint, options.region)
    region = options.region
    server = client.upload_server_certificate(models.UploadServerCertificateRequest(
        region_id=region, server_certificate_name="server", server_certificate=(pki / "server" / "server.crt").read_text(),
        private_key=(pki / "server" / "server.key").read_text())).body
    ca = client.upload_cacertificate(models.UploadCACertificateRequest(
        region_id=region, cacertificate_name="client-ca", cacertificate=(pki / "root.crt").read_text())).body
    found = client.describe_load_balancers(models.DescribeLoadBalancersRequest(
        region_id=region, load_balancer_name=options.load_balancer_name)).body
    existing = found.load_balancers.load_balancer if found.load_balancers else []
    if existing:
        lb_id, address = existing[0].load_balancer_id, existing[0].address
    else:
        created = client.create_load_balancer(models.CreateLoadBalancerRequest(
            region_id=region, load_balancer_name=options.load_balancer_name, address_type="internet",
            instance_charge_type="PayByCLCU")).body
        lb_id, address = created.load_balancer_id, created.address
    client.add_backend_servers(models.AddBackendServersRequest(
        region_id=region, load_balancer_id=lb_id,
        backend_servers=json.dumps([{"ServerId": s, "Weight": "100", "Type": "ecs"} for s in options.backends])))
    client.create_load_balancer_httpslistener(models.CreateLoadBalancerHTTPSListenerRequest(
        region_id=region, load_balancer_id=lb_id, listener_port=options.port, backend_server_port=80,
        bandwidth=-1, server_certificate_id=server.server_certificate_id, cacertificate_id=ca.cacertificate_id,
        tlscipher_policy="tls_cipher_policy_1_2", health_check="on", sticky_session="off"))
    client.start_load_balancer_listener(models.StartLoadBalancerListenerRequest(
        region_id=region, load_balancer_id=lb_id, listener_port=options.port))
    wait_until_serving(client, models, region, lb_id, options)
    return address


# The reference's order of operations (slb-api.md section 7.1) ends with two polls before the test: the
# listener until it is running, then DescribeHealthStatus until every backend is normal. Same 1 s
# interval as mtls.clb.mtls_listener's health wait (listener_info wait_healthy_backends), so both pay the same waiting.
POLL_SECONDS = 1.0
POLL_TIMEOUT = 120.0


def wait_until_serving(client, models, region, lb_id, options):
    deadline = time.monotonic() + POLL_TIMEOUT
    while client.describe_load_balancer_httpslistener_attribute(
            models.DescribeLoadBalancerHTTPSListenerAttributeRequest(
                region_id=region, load_balancer_id=lb_id, listener_port=options.port)).body.status != "running":
        if time.monotonic() > deadline:
            raise SystemExit("the listener did not reach running")
        time.sleep(POLL_SECONDS)
    while True:
        health = client.describe_health_status(models.DescribeHealthStatusRequest(
            region_id=region, load_balancer_id=lb_id, listener_port=options.port)).body
        servers = health.backend_servers.backend_server if health.backend_servers else []
        normal = {s.server_id for s in servers if s.server_health_status == "normal"}
        if set(options.backends) <= normal:
            return
        if time.monotonic() > deadline:
            raise SystemExit("backends not healthy: %s" % sorted(set(options.backends) - normal))
        time.sleep(POLL_SECONDS)


def curl(home_ca: Path, domain: str, port: int, address: str, cert: Path | None, key: Path | None) -> int:
    cmd = ["curl", "--silent", "--output", "/dev/null", "--connect-timeout", "5", "--max-time", "10",
           "--cacert", str(home_ca / "ca.crt"), "--resolve", "%s:%d:%s" % (domain, port, address)]
    if cert is not None:
        cmd += ["--cert", str(cert), "--key", str(key)]
    cmd.append("https://%s:%d/" % (domain, port))
    return subprocess.run(cmd, check=False, stdin=subprocess.DEVNULL).returncode


def verify(options, home_ca: Path, address: str, scratch: Path) -> None:
    """Step 7: the guide's curl N times, then without a certificate and with a foreign one."""
    port = options.port + options.port_offset
    for _ in range(options.requests):
        if curl(home_ca, options.domain, port, address, home_ca / "client.crt", home_ca / "client.key") != 0:
            raise SystemExit("curl with the client certificate failed")
    if curl(home_ca, options.domain, port, address, None, None) == 0:
        raise SystemExit("the listener accepted a request without a client certificate")
    scratch.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "foreign.key", "-out", "foreign.crt",
            "-subj", "/CN=foreign", "-days", "1", cwd=scratch)
    if curl(home_ca, options.domain, port, address, scratch / "foreign.crt", scratch / "foreign.key") == 0:
        raise SystemExit("the listener accepted a certificate of another CA")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="host:port of the SLB API")
    parser.add_argument("--region", default="cn-hangzhou")
    parser.add_argument("--pki-dir", type=Path, required=True)
    parser.add_argument("--home-ca", type=Path, required=True)
    parser.add_argument("--backends", nargs="+", required=True)
    parser.add_argument("--load-balancer-name", default="mtls-clb-demo")
    parser.add_argument("--domain", default="www.mtls-demo.test")
    parser.add_argument("--port", type=int, default=443)
    parser.add_argument("--port-offset", type=int, default=0)
    parser.add_argument("--key-size", type=int, default=4096, help="root and client keys (the guide: 4096)")
    parser.add_argument("--server-key-size", type=int, default=2048)
    parser.add_argument("--requests", type=int, default=20)
    options = parser.parse_args(argv)
    make_pki(options.pki_dir, options.domain, options.key_size, options.server_key_size)
    install_client(options.pki_dir, options.home_ca)
    address = configure_clb(options, options.pki_dir)
    verify(options, options.home_ca, address, options.pki_dir / "foreign")
    return 0


if __name__ == "__main__":
    sys.exit(main())
