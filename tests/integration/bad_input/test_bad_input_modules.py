"""Bad input to the modules: each case fails with a message that names the option and says how
to fix it, and changes nothing (no file, no successful mutating API call, the same cloud state).

The cases read as a table: CASES (PKI modules, local files only) and CLOUD_CASES (CLB modules,
against a private emulator). Each row is (id, module, arguments, option named, hint given).
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import SlbApi
from tests.integration.security import mtls_test_pki as pki
from tests.integration.security.nothing_changed import (mutating_calls, snapshot_difference,
                                                        tree_snapshot)
from tests.support.ansible_run import run_module
from tests.support.cases import CaseParam
from tests.support.emulator import start_emulator
from tests.unit.alicloud.certgen import damaged_rsa_key_pem

BULK_BACKENDS = 25  # more than the 20 servers AddBackendServers takes in one call
PKCS12_PASSWORD = "p12-bad-input-Zq81"


@dataclass
class Workspace:
    work: Path
    emulator: object = None
    load_balancer_id: str = ""
    bulk_backend_ids: list = field(default_factory=list)

    def path(self, name: str) -> str:
        return str(self.work / name)

    @property
    def cloud(self) -> dict:
        return self.emulator.module_args()


def make_immutable(path: Path) -> None:
    """A directory nobody may write to. Root ignores mode bits, so root gets `chattr +i`."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        path.chmod(0o500)


def make_mutable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], check=False)
    path.chmod(0o700)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    work = tmp_path_factory.mktemp("bad-input")
    material = work / "material"
    ca_key = pki.new_key()
    ca = pki.certificate("root", ca_key, ca=True, days=3650)
    pki.write_pair(material, "root", ca, ca_key)
    pki.write(material / "root-encrypted.key", pki.key_pem(ca_key, passphrase="ca-pass-Bq72"))
    server_key = pki.new_key()
    server = pki.certificate("www.bad-input.test", server_key, issuer=ca, issuer_key=ca_key,
                             dns_names=["www.bad-input.test"])
    pki.write_pair(material, "server", server, server_key)
    pki.write(material / "server-encrypted.key", pki.key_pem(server_key, passphrase="srv-pass-Kp55"))
    expired = pki.certificate("www.bad-input.test", server_key, issuer=ca, issuer_key=ca_key,
                              not_before_days=-30, days=-1)
    pki.write(material / "expired.crt", pki.certificate_pem(expired), 0o644)
    pki.write(material / "unrelated.key", pki.key_pem(pki.new_key()))
    pki.write(material / "server-damaged.key", damaged_rsa_key_pem(server_key))
    pki.write(material / "malformed.crt",
              "-----BEGIN CERTIFICATE-----\nthis is not base64 !!\n-----END CERTIFICATE-----\n", 0o644)
    (work / "out").mkdir()
    locked = work / "locked"
    locked.mkdir()
    make_immutable(locked)

    bulk_ids = [f"i-bulk{number:02d}" for number in range(BULK_BACKENDS)]
    # Registered only: nothing needs to listen on these ports for AddBackendServers.
    ecs_args = [arg for number, instance_id in enumerate(bulk_ids)
                for arg in ("--ecs", f"{instance_id}=127.0.0.1:{21000 + number}")]
    emulator = start_emulator(work / "emulator", demo_backends=0, extra_args=ecs_args)
    slb = SlbApi(emulator.sdk_client(), emulator.region)
    load_balancer_id = slb.call("CreateLoadBalancer", {
        "LoadBalancerName": "bad-input", "InstanceChargeType": "PayByCLCU",
        "AddressType": "internet"})["LoadBalancerId"]
    try:
        yield Workspace(work=work, emulator=emulator, load_balancer_id=load_balancer_id,
                        bulk_backend_ids=bulk_ids)
    finally:
        emulator.stop()
        make_mutable(locked)


def client_args(ws: Workspace, **overrides) -> dict:
    args = {"ca_certificate_path": ws.path("material/root.crt"), "ca_private_key_path": ws.path("material/root.key"),
            "directory": ws.path("out/clients"), "key_size": 2048, "pkcs12_password": PKCS12_PASSWORD,
            "clients": [{"name": "client01", "common_name": "client01.bad-input.test"}]}
    args.update(overrides)
    return args


def server_pki_args(ws: Workspace, **overrides) -> dict:
    args = {"certificate_path": ws.path("out/server.crt"), "private_key_path": ws.path("out/server.key"),
            "common_name": "www.bad-input.test", "ca_certificate_path": ws.path("material/root.crt"),
            "ca_private_key_path": ws.path("material/root.key"), "key_size": 2048}
    args.update(overrides)
    return args


def upload_args(ws: Workspace, **overrides) -> dict:
    args = {**ws.cloud, "name": "bad-input-server", "certificate_path": ws.path("material/server.crt"),
            "private_key_path": ws.path("material/server.key")}
    args.update(overrides)
    return args


def listener_args(ws: Workspace, **overrides) -> dict:
    args = {**ws.cloud, "load_balancer_id": ws.load_balancer_id, "listener_port": 443,
            "backend_server_port": 80, "server_certificate_id": "not-uploaded", "ca_certificate_id": "not-uploaded"}
    args.update(overrides)
    return args


@dataclass
class Case(CaseParam):
    id: str
    module: str
    args: Callable[[Workspace], dict]
    option: str
    hint: str
    defect: str = ""
    # A call the API must refuse may be the only way to learn the input is bad (SLB has no ECS lookup);
    # such a call is allowed if it was refused and the cloud state is unchanged.
    refused_call_allowed: str = ""


PKI_CASES = [
    Case("client CN equal to the CA CN", "mtls.clb.pki_client_certificates",
         lambda ws: client_args(ws, clients=[{"name": "client01", "common_name": "root"}]),
         "common_name", "choose another common_name"),
    Case("empty client list", "mtls.clb.pki_client_certificates",
         lambda ws: client_args(ws, clients=[]), "clients", "give at least one client"),
    Case("malformed CA certificate PEM", "mtls.clb.pki_client_certificates",
         lambda ws: client_args(ws, ca_certificate_path=ws.path("material/malformed.crt")),
         "ca_certificate_path", "is not a PEM X.509 certificate"),
    Case("CA key does not belong to the CA certificate", "mtls.clb.pki_client_certificates",
         lambda ws: client_args(ws, ca_private_key_path=ws.path("material/unrelated.key")),
         "ca_private_key_path", "point both options at the same CA"),
    Case("encrypted CA key without passphrase", "mtls.clb.pki_client_certificates",
         lambda ws: client_args(ws, ca_private_key_path=ws.path("material/root-encrypted.key")),
         "ca_private_key_passphrase", "set ca_private_key_passphrase"),
    Case("no PKCS#12 password", "mtls.clb.pki_client_certificates",
         lambda ws: {k: v for k, v in client_args(ws).items() if k != "pkcs12_password"},
         "pkcs12_password", "set clients[].pkcs12_password or the shared pkcs12_password"),
    Case("unwritable client directory", "mtls.clb.pki_client_certificates",
         lambda ws: client_args(ws, directory=ws.path("locked")), "directory", "fix its permissions"),
    Case("unwritable root CA directory", "mtls.clb.pki_root_ca",
         lambda ws: {"certificate_path": ws.path("locked/root.crt"), "private_key_path": ws.path("locked/root.key"),
                     "common_name": "root", "key_size": 2048},
         "private_key_path", "fix its permissions"),
    Case("root CA directory missing", "mtls.clb.pki_root_ca",
         lambda ws: {"certificate_path": ws.path("out/missing/root.crt"),
                     "private_key_path": ws.path("out/missing/root.key"), "common_name": "root", "key_size": 2048},
         "private_key_path", "create it first"),
    Case("server CN equal to the CA CN", "mtls.clb.pki_server_certificate",
         lambda ws: server_pki_args(ws, common_name="root"), "common_name", "choose another common_name"),
    Case("server certificate: CA key mismatch", "mtls.clb.pki_server_certificate",
         lambda ws: server_pki_args(ws, ca_private_key_path=ws.path("material/unrelated.key")),
         "ca_private_key_path", "same CA"),
]

CLOUD_CASES = [
    Case("certificate/key mismatch", "mtls.clb.server_certificate",
         lambda ws: upload_args(ws, private_key_path=ws.path("material/unrelated.key")),
         "private_key_path", "give the key that belongs to the server certificate"),
    Case("damaged private key (matches the certificate, fails OpenSSL's RSA check)", "mtls.clb.server_certificate",
         lambda ws: upload_args(ws, private_key_path=ws.path("material/server-damaged.key")),
         "private_key_path", "give an intact copy"),
    Case("CA certificate given as the server certificate", "mtls.clb.server_certificate",
         lambda ws: upload_args(ws, certificate_path=ws.path("material/root.crt"),
                                private_key_path=ws.path("material/root.key")),
         "certificate_path", "is a CA certificate (basicConstraints CA:TRUE), not a server certificate"),
    Case("key given with a certificate of the certificate service", "mtls.clb.server_certificate",
         lambda ws: {**ws.cloud, "name": "bad-input-server", "ali_cloud_certificate_id": "12345",
                     "private_key_path": ws.path("material/server.key")},
         "ali_cloud_certificate_id", "mutually exclusive"),
    # The certificate service's name and region went unused with PEM material; the API reference requires the name
    # with the ID (the region is optional: the real service was seen refusing it, see the module's docs).
    Case("certificate service name without its ID", "mtls.clb.server_certificate",
         lambda ws: upload_args(ws, ali_cloud_certificate_name="www-cas"),
         "ali_cloud_certificate_id, ali_cloud_certificate_name", "required together"),
    Case("certificate service region without its ID", "mtls.clb.server_certificate",
         lambda ws: upload_args(ws, ali_cloud_certificate_region_id="cn-hangzhou"),
         "ali_cloud_certificate_id", "required by 'ali_cloud_certificate_region_id'"),
    Case("certificate service ID without its name", "mtls.clb.server_certificate",
         lambda ws: {**ws.cloud, "name": "bad-input-server", "ali_cloud_certificate_id": "12345"},
         "ali_cloud_certificate_name", "required together"),
    Case("expired server certificate", "mtls.clb.server_certificate",
         lambda ws: upload_args(ws, certificate_path=ws.path("material/expired.crt")),
         "certificate_path", "renew it before uploading"),
    Case("encrypted key without passphrase", "mtls.clb.server_certificate",
         lambda ws: upload_args(ws, private_key_path=ws.path("material/server-encrypted.key")),
         "private_key_passphrase", "set private_key_passphrase"),
    Case("malformed server certificate PEM", "mtls.clb.server_certificate",
         lambda ws: upload_args(ws, certificate_path=ws.path("material/malformed.crt")),
         "certificate_path", "not valid PEM"),
    Case("malformed CA certificate PEM", "mtls.clb.ca_certificate",
         lambda ws: {**ws.cloud, "name": "bad-input-ca", "certificate_path": ws.path("material/malformed.crt")},
         "certificate_path", "not valid PEM"),
    Case("unknown region", "mtls.clb.ca_certificate",
         lambda ws: {**ws.cloud, "region": "xx-nowhere-9", "name": "bad-input-ca",
                     "certificate_path": ws.path("material/root.crt")},
         "region", "Check the region option"),
    Case("plain http endpoint on a remote host", "mtls.clb.ca_certificate",
         lambda ws: {**ws.cloud, "endpoint": "http://slb.example.com", "name": "bad-input-ca",
                     "certificate_path": ws.path("material/root.crt")},
         "endpoint", "https"),
    Case("listener: load balancer not found", "mtls.clb.https_listener",
         lambda ws: listener_args(ws, load_balancer_id="lb-doesnotexist00000000000"),
         "load_balancer_id", "check load_balancer_id and region"),
    Case("backends: load balancer not found", "mtls.clb.backend_servers",
         lambda ws: {**ws.cloud, "load_balancer_id": "lb-doesnotexist00000000000",
                     "servers": [{"server_id": ws.bulk_backend_ids[0]}]},
         "load_balancer_id", "check load_balancer_id and region"),
    # required=True lets "" through; unchecked, the API answers MissingParameter (naming no option), and
    # listener_info would take it as no filter and list every instance's listeners.
    Case("listener: empty load balancer ID", "mtls.clb.https_listener",
         lambda ws: listener_args(ws, load_balancer_id=""),
         "load_balancer_id", "is empty"),
    Case("backends: empty load balancer ID", "mtls.clb.backend_servers",
         lambda ws: {**ws.cloud, "load_balancer_id": " ",
                     "servers": [{"server_id": ws.bulk_backend_ids[0]}]},
         "load_balancer_id", "is empty"),
    Case("listener_info: empty load balancer ID", "mtls.clb.listener_info",
         lambda ws: {**ws.cloud, "load_balancer_ids": [ws.load_balancer_id, ""], "listener_port": 443},
         "load_balancer_ids", "empty entry"),
    Case("invalid TLS cipher policy name", "mtls.clb.https_listener",
         lambda ws: listener_args(ws, tls_cipher_policy="tls_cipher_policy_9"),
         "tls_cipher_policy", "must be one of: tls_cipher_policy_1_0"),
    Case("backend ECS instance not found", "mtls.clb.backend_servers",
         lambda ws: {**ws.cloud, "load_balancer_id": ws.load_balancer_id,
                     "servers": [{"server_id": "i-bp0000000000000000nope"}]},
         "server_id", "running ECS instance",
         refused_call_allowed="AddBackendServers"),
]


def cloud_state(ws: Workspace) -> dict:
    """Everything the bad-input cases could have changed, read through Describe calls."""
    slb = SlbApi(ws.emulator.sdk_client(), ws.emulator.region)
    state = {"server_certificates": slb.call("DescribeServerCertificates", {}).get("ServerCertificates"),
             "ca_certificates": slb.call("DescribeCACertificates", {}).get("CACertificates"),
             "load_balancers": {}}
    balancers = slb.call("DescribeLoadBalancers", {}).get("LoadBalancers", {}).get("LoadBalancer", [])
    for balancer in balancers:
        attribute = slb.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": balancer["LoadBalancerId"]})
        state["load_balancers"][balancer["LoadBalancerId"]] = {
            key: attribute.get(key) for key in ("ListenerPortsAndProtocol", "BackendServers", "LoadBalancerStatus")}
    return state


def assert_fails_cleanly(ws: Workspace, case: Case) -> dict:
    args = case.args(ws)
    files_before = tree_snapshot(ws.work / "material", ws.work / "out", ws.work / "locked")
    state_before = cloud_state(ws)
    calls_before = len(ws.emulator.calls())

    result = run_module(case.module, args)
    calls = ws.emulator.calls()[calls_before:]
    message = result.get("msg", "")

    assert result["failed"], f"{case.module} accepted bad input: {result}"
    assert snapshot_difference(files_before, tree_snapshot(
        ws.work / "material", ws.work / "out", ws.work / "locked")) == {}, "a file was written or changed"
    mutating = mutating_calls(calls)
    if case.refused_call_allowed:
        assert all(call.split(":")[0] == case.refused_call_allowed and not call.endswith(":None")
                   for call in mutating), f"mutating call went through: {mutating}"
    else:
        assert mutating == [], f"mutating API call on bad input: {mutating}"
    assert cloud_state(ws) == state_before, "the cloud state changed"
    assert case.option in message, f"the message does not name {case.option!r}: {message}"
    assert case.hint in message, f"the message gives no hint ({case.hint!r}): {message}"
    return result


@pytest.mark.parametrize("case", [case.param() for case in PKI_CASES])
def test_pki_module_bad_input(workspace, case):
    """A PKI module given bad input names the option and the fix, and writes nothing."""
    assert_fails_cleanly(workspace, case)


@pytest.mark.parametrize("case", [case.param() for case in CLOUD_CASES])
def test_cloud_module_bad_input(workspace, case):
    """A CLB module given bad input names the option and the fix; the cloud state is unchanged."""
    assert_fails_cleanly(workspace, case)


@pytest.mark.parametrize("module, args", [
    ("mtls.clb.https_listener", lambda ws: listener_args(ws, load_balancer_id="")),
    ("mtls.clb.backend_servers", lambda ws: {**ws.cloud, "load_balancer_id": "",
                                             "servers": [{"server_id": ws.bulk_backend_ids[0]}]}),
    ("mtls.clb.listener_info", lambda ws: {**ws.cloud, "load_balancer_ids": [""]}),
])
def test_empty_load_balancer_id_is_refused_before_any_api_call(workspace, module, args):
    """An empty load balancer ID (an unset variable, a check-mode plan) fails locally, naming the option."""
    calls_before = len(workspace.emulator.calls())
    result = run_module(module, args(workspace))
    assert result["failed"], result
    assert "load_balancer_id" in result["msg"], result["msg"]
    assert workspace.emulator.calls()[calls_before:] == []


def test_listener_port_held_by_an_http_listener(workspace):
    """https_listener on a port an HTTP listener holds fails, names listener_port and changes nothing.

    The HTTP listener is made with the official SDK directly, as another tool would have made it.
    """
    from alibabacloud_slb20140515 import models

    client = workspace.emulator.sdk_client()
    client.create_load_balancer_httplistener(models.CreateLoadBalancerHTTPListenerRequest(
        region_id=workspace.emulator.region, load_balancer_id=workspace.load_balancer_id, listener_port=8443,
        backend_server_port=80, bandwidth=-1, sticky_session="off", health_check="off"))
    # The module lets the API decide whether the port is free (a refused create, ListenerAlreadyExists)
    # instead of reading the load balancer before every create; the refused call changes nothing.
    case = Case("port held by HTTP listener", "mtls.clb.https_listener",
                lambda ws: listener_args(ws, listener_port=8443), "listener_port", "HTTP listener",
                refused_call_allowed="CreateLoadBalancerHTTPSListener")
    assert_fails_cleanly(workspace, case)


def test_more_than_20_backends_are_added_in_batches(workspace):
    """25 ECS instances in one backend_servers task: added in calls of at most 20, all attached, then idempotent."""
    ws = workspace
    slb = SlbApi(ws.emulator.sdk_client(), ws.emulator.region)
    balancer_id = slb.call("CreateLoadBalancer", {"LoadBalancerName": "bulk", "InstanceChargeType": "PayByCLCU",
                                                  "AddressType": "internet"})["LoadBalancerId"]
    args = {**ws.cloud, "load_balancer_id": balancer_id,
            "servers": [{"server_id": server_id} for server_id in ws.bulk_backend_ids]}
    calls_before = len(ws.emulator.calls())

    result = run_module("mtls.clb.backend_servers", args)

    assert not result["failed"] and result["changed"], result.get("msg")
    adds = [call for call in ws.emulator.calls()[calls_before:] if call["action"] == "AddBackendServers"]
    assert len(adds) == 2 and all(call["code"] is None for call in adds), adds
    attached = slb.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": balancer_id})
    attached_ids = sorted(server["ServerId"] for server in attached["BackendServers"]["BackendServer"])
    assert attached_ids == sorted(ws.bulk_backend_ids)

    calls_before = len(ws.emulator.calls())
    again = run_module("mtls.clb.backend_servers", args)
    assert not again["failed"] and not again["changed"]
    assert mutating_calls(ws.emulator.calls()[calls_before:]) == []
