"""Every mutating call the cloud modules make meets a transient error on its first attempt, one code at a time.

The seeded probabilistic runs (test_clb_errors_and_resilience.py, the reliability suite) fault whichever calls
the seed picks; here each mutating action has its own rule (`count: 1`), so every (action, code) pair is
exercised in one pass of the modules through a whole life cycle: upload, rename, create, attach, listen, update,
stop, delete. A faulted call changes nothing (`/_emulator/faults`), so the module must ask again and apply each
call once: no duplicate upload, instance or listener, and each step reports its change.
"""
from __future__ import annotations

import pytest

from tests.support.ansible_run import run_module
from tests.unit.alicloud.certgen import key_pem

pytestmark = pytest.mark.slow

MUTATING = ("UploadServerCertificate", "SetServerCertificateName", "UploadCACertificate", "SetCACertificateName",
            "CreateLoadBalancer", "SetLoadBalancerName", "AddBackendServers", "SetBackendServers",
            "CreateLoadBalancerHTTPSListener", "StartLoadBalancerListener", "SetLoadBalancerHTTPSListenerAttribute",
            "StopLoadBalancerListener", "DeleteLoadBalancerListener", "RemoveBackendServers",
            "DeleteServerCertificate", "DeleteCACertificate", "DeleteLoadBalancer")
STATUS = {"SystemBusy": 449, "ServiceUnavailable": 503, "Throttling.User": 400}


def ok(result: dict) -> dict:
    assert result["failed"] is False and result["changed"], result.get("msg") or result
    return result


@pytest.mark.parametrize("code", sorted(STATUS))
def test_every_mutating_call_is_asked_again_after_a_transient_error_and_applied_once(emu, args, pki, code):
    rule = {"error": code, "count": 1, **({"retry_after_ms": 200} if code.startswith("Throttling") else {})}
    emu.set_faults([{"action": action, **rule} for action in MUTATING])
    server = {**args, "certificate": pki.chain_pem, "private_key": key_pem(pki.server_key)}
    ca = {**args, "certificate": pki.ca_pem}

    server_id = ok(run_module("mtls.clb.server_certificate", {**server, "name": "srv"}))["server_certificate_id"]
    ok(run_module("mtls.clb.server_certificate", {**server, "name": "srv-renamed", "rename_existing": True}))
    ca_id = ok(run_module("mtls.clb.ca_certificate", {**ca, "name": "ca"}))["ca_certificate_id"]
    ok(run_module("mtls.clb.ca_certificate", {**ca, "name": "ca-renamed", "rename_existing": True}))
    lb_id = ok(run_module("mtls.clb.load_balancer", {**args, "name": "busy"}))["load_balancer_id"]
    ok(run_module("mtls.clb.load_balancer", {**args, "load_balancer_id": lb_id, "name": "busy-renamed"}))
    backends = {**args, "load_balancer_id": lb_id}
    servers = [{"server_id": server_id_, "weight": 100} for server_id_ in emu.ecs_ids]
    ok(run_module("mtls.clb.backend_servers", {**backends, "servers": servers}))
    ok(run_module("mtls.clb.backend_servers", {**backends, "servers": [dict(s, weight=60) for s in servers]}))
    listener = {**args, "load_balancer_id": lb_id, "listener_port": 443, "backend_server_port": 80,
                "server_certificate_id": server_id, "ca_certificate_id": ca_id}
    created = ok(run_module("mtls.clb.https_listener", listener))
    assert created["actions"] == ["create", "start"] and created["listener"]["status"] == "running"
    assert ok(run_module("mtls.clb.https_listener", {**listener, "description": "busy"}))["actions"] == ["update"]
    assert ok(run_module("mtls.clb.https_listener", {**listener, "state": "stopped"}))["actions"] == ["stop"]
    assert ok(run_module("mtls.clb.https_listener", {**listener, "state": "absent"}))["actions"] == ["delete"]
    ok(run_module("mtls.clb.backend_servers", {**backends, "servers": servers, "state": "absent"}))
    ok(run_module("mtls.clb.server_certificate", {**args, "server_certificate_id": server_id, "state": "absent"}))
    ok(run_module("mtls.clb.ca_certificate", {**args, "ca_certificate_id": ca_id, "state": "absent"}))
    ok(run_module("mtls.clb.load_balancer", {**args, "load_balancer_id": lb_id, "state": "absent"}))

    calls = emu.calls()
    for action in MUTATING:
        outcomes = [(call["status"], call["code"]) for call in calls if call["action"] == action]
        assert outcomes == [(STATUS[code], code), (200, None)], f"{action}: {outcomes}"
    emu.clear_faults()
    assert run_module("mtls.clb.certificate_info", args)["server_certificates"] == []
    assert run_module("mtls.clb.load_balancer", {**args, "name": "busy-renamed", "state": "absent"})["changed"] is False
