"""site.yml as an operator re-runs it in production: a renewed purchased server certificate, a client
added to and removed from the inventory. Each change is planned with `--check --diff` first, then run,
then planned again: the plan must name the tasks the real run changes, and say of the listener what the
real run does to it (switch a certificate on the existing listener, not create one).

One emulator, one PKI directory and one inventory file for the module; each test starts from the state
the previous one left. The server certificate is a "purchased" one (mtls_clb_issue_lab_certificate
false), issued here by a stand-in public CA, as an operator would drop the renewed files into
<pki>/server/. The root CA rotation is covered by test_site_check_mode_partial_states.py and the
reliability suite.
"""
from __future__ import annotations

import os
import secrets
import socket
import ssl
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tests.integration.security import mtls_test_pki as pki
from tests.support.ansible_run import REPO_ROOT, run_module, run_playbook
from tests.support.site import (LISTENER_TASK, PORT_OFFSET, access_key_env, listener_outcome, mutating, site_vars,
                                start_site_emulator)

pytestmark = pytest.mark.slow

DOMAIN = "www.mtls-renewal.test"
SERVER_UPLOAD = "mtls.clb.certificate_upload : Upload the server certificate and its key (idempotent by fingerprint)"


def sha1(pem: bytes) -> str:
    return x509.load_pem_x509_certificate(pem).fingerprint(hashes.SHA1()).hex(":")


def changed_tasks(result) -> set[tuple[str, str]]:
    """(host, task) for every task that changed, or in check mode is a "Report ..." task standing in for one."""
    found = set()
    for play in result.data.get("plays", []):
        for task in play.get("tasks", []):
            name = task["task"]["name"]
            for host, outcome in task["hosts"].items():
                if outcome.get("changed") or (" : Report " in name and not outcome.get("skipped")):
                    found.add((host, name))
    return found


def file_state(directory) -> dict:
    return {path.name: (path.stat().st_mtime_ns, path.read_bytes()) for path in sorted(directory.iterdir())}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("site-renewal")
    access_key_secret = secrets.token_urlsafe(24)
    pkcs12_password = secrets.token_urlsafe(12)
    emulator = start_site_emulator(work, "siteRenewalAK", access_key_secret)
    extra_vars = {**site_vars(emulator, work, verify_requests=4), "mtls_clb_pkcs12_password": pkcs12_password}
    # Each client has a directory of its own (a host variable), so site.yml must not get one for all.
    del extra_vars["mtls_clb_client_directory"]
    env = access_key_env("siteRenewalAK", access_key_secret)
    inventory = work / "inventory.yml"

    def set_clients(*names):
        hosts = "".join(
            f"        {name}:\n          ansible_connection: local\n"
            f"          ansible_python_interpreter: {sys.executable}\n"
            f"          mtls_clb_client_directory: {work / ('home-' + name)}\n" for name in names)
        inventory.write_text(
            "all:\n  vars:\n    mtls_clb_region: cn-hangzhou\n"
            f"    mtls_clb_domain: {DOMAIN}\n    mtls_clb_issue_lab_certificate: false\n"
            "    mtls_clb_create_load_balancer: true\n    mtls_clb_load_balancer_name: mtls-clb-renewal\n"
            "    mtls_clb_client_become: false\n"
            f"  children:\n    linux_clients:\n      hosts:\n{hosts}")

    # The purchased certificate: a stand-in public CA, its certificate as <pki>/server/ca.crt for the clients.
    public_ca_key = pki.new_key()
    public_ca = pki.certificate("Renewal Test Public CA", public_ca_key, ca=True, days=3650)
    server_dir = work / "pki" / "server"
    pki.write(server_dir / "ca.crt", pki.certificate_pem(public_ca), 0o644)

    def install_server_certificate(key, days):
        leaf = pki.certificate(DOMAIN, key, issuer=public_ca, issuer_key=public_ca_key, days=days,
                               dns_names=[DOMAIN])
        pki.write_pair(server_dir, "server", leaf, key)

    def run(check=False):
        result = run_playbook(REPO_ROOT / "site.yml", inventory=inventory, extra_vars=extra_vars, check=check,
                              diff=check, env=env)
        output = result.stdout + result.stderr
        assert "PRIVATE KEY" not in output and access_key_secret not in output and pkcs12_password not in output
        return result

    def cloud(action, **params):
        from alibabacloud_slb20140515 import models

        client = emulator.sdk_client()
        methods = {name.replace("_", ""): name for name in dir(client)
                   if not name.startswith("_") and not name.endswith(("_async", "_with_options"))}
        method = getattr(client, methods[action.lower()])
        return method(getattr(models, action + "Request")().from_map({"RegionId": emulator.region, **params})) \
            .body.to_map()

    def listener():
        balancers = cloud("DescribeLoadBalancers")["LoadBalancers"]["LoadBalancer"]
        assert len(balancers) == 1, balancers
        attributes = cloud("DescribeLoadBalancerHTTPSListenerAttribute",
                           LoadBalancerId=balancers[0]["LoadBalancerId"], ListenerPort=443)
        return dict(attributes, Address=balancers[0]["Address"])

    def server_certificates():
        return cloud("DescribeServerCertificates")["ServerCertificates"]["ServerCertificate"]

    def served_fingerprint(client):
        """The SHA-1 of the certificate the TLS listener presents to `client` (its installed files)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        home = work / f"home-{client}"
        context.load_cert_chain(home / "client.crt", home / "client.key")
        with socket.create_connection((listener()["Address"], 443 + PORT_OFFSET), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
                return x509.load_der_x509_certificate(tls.getpeercert(True)).fingerprint(hashes.SHA1()).hex(":")

    def curl(certificate, key):
        """The procedure's step-7 request with the given client files: curl's exit code and HTTP status."""
        port = 443 + PORT_OFFSET
        completed = subprocess.run(
            ["curl", "--silent", "--connect-timeout", "5", "--max-time", "10", "--output", os.devnull,
             "--write-out", "%{http_code}", "--cacert", str(server_dir / "ca.crt"),
             "--resolve", f"{DOMAIN}:{port}:{listener()['Address']}", "--cert", str(certificate), "--key", str(key),
             f"https://{DOMAIN}:{port}/"],
            capture_output=True, text=True, timeout=30, check=False,
            env={k: v for k, v in os.environ.items() if k.lower() not in ("https_proxy", "http_proxy", "all_proxy")})
        return completed.returncode, completed.stdout

    set_clients("client01")
    install_server_certificate(pki.new_key(), days=365)
    try:
        first = run()
        assert first.rc == 0, first.stdout[-5000:] + first.stderr[-3000:]
        yield {"run": run, "emulator": emulator, "work": work, "server_dir": server_dir, "set_clients": set_clients,
               "install_server_certificate": install_server_certificate, "listener": listener,
               "server_certificates": server_certificates, "served_fingerprint": served_fingerprint, "curl": curl}
    finally:
        emulator.stop()


def plan_then_run(site):
    """Check mode, the real run, then a real re-run: returns (plan, done, calls of the real run)."""
    emulator = site["emulator"]
    calls_before = len(emulator.calls())
    plan = site["run"](check=True)
    assert plan.rc == 0, plan.stdout[-3000:] + plan.stderr[-3000:]
    assert mutating(emulator.calls()[calls_before:]) == [], "check mode called a mutating API action"
    calls_before = len(emulator.calls())
    done = site["run"]()
    assert done.rc == 0, done.stdout[-5000:] + done.stderr[-3000:]
    done_calls = emulator.calls()[calls_before:]
    calls_before = len(emulator.calls())
    again = site["run"]()
    assert again.rc == 0 and set(again.changed_per_host().values()) == {0}, sorted(changed_tasks(again))
    assert mutating(emulator.calls()[calls_before:]) == []
    return plan, done, done_calls


def test_a_renewed_server_certificate_is_uploaded_once_and_the_listener_switches_to_it(site):
    """Same key, new validity (a renewal): check mode plans the upload and a switch of the existing
    listener's server certificate, which is what the real run does; the listener then serves the new
    certificate, and the old upload stays in the region, used by nothing."""
    old_id = site["listener"]()["ServerCertificateId"]
    key = load_pem_private_key((site["server_dir"] / "server.key").read_bytes(), None)
    site["install_server_certificate"](key, days=400)
    new_fingerprint = sha1((site["server_dir"] / "server.crt").read_bytes())

    plan, done, calls = plan_then_run(site)

    assert changed_tasks(done) == {("localhost", SERVER_UPLOAD), ("localhost", LISTENER_TASK)}, \
        sorted(changed_tasks(done))
    assert listener_outcome(done) == {"actions": ["update"], "fields": ["server_certificate_id"]}
    assert [call["action"] for call in mutating(calls)] == [
        "UploadServerCertificate", "SetLoadBalancerHTTPSListenerAttribute"]
    assert changed_tasks(plan) == changed_tasks(done), sorted(changed_tasks(plan))
    assert listener_outcome(plan) == listener_outcome(done)

    # The diff names the upload the listener leaves (README "Renewal and rotation": delete it by that ID).
    planned = plan.task_results(LISTENER_TASK)["changes"]["server_certificate_id"]
    assert planned["before"] == old_id and planned["after"] != old_id, planned
    assert done.task_results(LISTENER_TASK)["changes"]["server_certificate_id"]["before"] == old_id

    live = site["listener"]()
    listed = {c["ServerCertificateId"]: c["Fingerprint"] for c in site["server_certificates"]()}
    assert listed[live["ServerCertificateId"]] == new_fingerprint and live["ServerCertificateId"] != old_id
    assert old_id in listed, "the replaced upload was deleted"
    assert site["served_fingerprint"]("client01") == new_fingerprint

    deleted = run_module("mtls.clb.server_certificate", {**site["emulator"].module_args(), "state": "absent",
                                                         "server_certificate_id": old_id})
    assert deleted["changed"] and deleted["deleted"] == [old_id], deleted
    assert [c["ServerCertificateId"] for c in site["server_certificates"]()] == [live["ServerCertificateId"]]


CLIENT_CERTIFICATES = ("mtls.clb.client_certificates : Issue the client certificates, keys and PKCS#12 files "
                       "(procedure step 3)")
CLIENT_INSTALL = ("mtls.clb.client_install : Install client.key (0600), client.crt, root.crt and ca.crt (0644) "
                  "into the 0700 directory (procedure step 4)")
CLIENT_INSTALL_REPORT = "mtls.clb.client_install : Report the files a real run would install"
# In check mode these report tasks stand in for the task a real run changes.
STANDS_IN_FOR = {CLIENT_INSTALL_REPORT: CLIENT_INSTALL}


def planned_tasks(result) -> set[tuple[str, str]]:
    return {(host, STANDS_IN_FOR.get(name, name)) for host, name in changed_tasks(result)}


def test_an_added_client_gets_its_files_and_no_other_client_changes(site):
    """client02 joins linux_clients: step 3 issues its key, certificate and .p12 on the controller, step 4
    installs them on client02; client01's files (controller and client) keep their bytes and mtimes, and
    nothing in the cloud changes. The listener accepts client02's certificate."""
    work = site["work"]
    clients_before = {name: state for name, state in file_state(work / "pki" / "clients").items()
                      if name.startswith("client01.")}
    home_before = file_state(work / "home-client01")
    site["set_clients"]("client01", "client02")

    plan, done, calls = plan_then_run(site)

    assert changed_tasks(done) == {("localhost", CLIENT_CERTIFICATES), ("client02", CLIENT_INSTALL)}, \
        sorted(changed_tasks(done))
    assert planned_tasks(plan) == changed_tasks(done), sorted(changed_tasks(plan))
    # The recap counts the same: the report of the files steps 1-3 would write stands in for the install only
    # when the install itself plans no change (here it does: client02's directory and root.crt are new).
    assert plan.changed_per_host()["client02"] == done.changed_per_host()["client02"] == 1
    # The new client's files do not exist yet: said once, not also "would be re-issued".
    report = plan.task_results(CLIENT_INSTALL_REPORT, host="client02")["msg"]
    assert report.count("client02.key") == 1 and "re-issued" not in report, report
    assert mutating(calls) == []
    clients_after = file_state(work / "pki" / "clients")
    assert {name: clients_after[name] for name in clients_before} == clients_before
    assert sorted(clients_after) == ["client01.crt", "client01.key", "client01.p12",
                                     "client02.crt", "client02.key", "client02.p12"]
    assert file_state(work / "home-client01") == home_before
    assert sorted(file_state(work / "home-client02")) == ["ca.crt", "client.crt", "client.key", "root.crt"]
    assert site["curl"](work / "home-client02" / "client.crt", work / "home-client02" / "client.key") == (0, "200")


def test_a_removed_client_is_left_alone_and_its_certificate_still_works(site):
    """client02 leaves linux_clients: nothing changes anywhere (plan and run report changed=0), its files
    stay on the controller, and the listener still accepts its certificate, which the client CA still
    signs: the SLB API has no certificate revocation list. README "Renewal and rotation" says so, and that
    only a new root CA (root_ca_force) shuts such a certificate out."""
    work = site["work"]
    controller_before = file_state(work / "pki" / "clients")
    site["set_clients"]("client01")

    plan, done, calls = plan_then_run(site)

    assert changed_tasks(plan) == set(), sorted(changed_tasks(plan))
    assert changed_tasks(done) == set(), sorted(changed_tasks(done))
    assert mutating(calls) == []
    assert file_state(work / "pki" / "clients") == controller_before
    assert site["curl"](work / "home-client02" / "client.crt", work / "home-client02" / "client.key") == (0, "200")
