"""Every mutating call a cloud module makes, with its reply lost: the service applied the call, and the
module saw a dropped connection (tests/support/lost_reply_relay.py sits between the module and the
emulator, forwards the call and then closes the connection without the answer).

Each module runs through the real `ansible` CLI and its own retry path. It must end without an error and
without a duplicate (the call applied once), with the state asked for, and a plain re-run must find
nothing left to do. The emulator's fault rules cannot show this case: a faulted call changes nothing.
"""
from __future__ import annotations

import json

import pytest

from tests.support.ansible_run import run_module
from tests.support.lost_reply_relay import LostReplyRelay
from clb_helpers import running_listener
from tests.unit.alicloud.certgen import key_pem

SERVER = "mtls.clb.server_certificate"
CA = "mtls.clb.ca_certificate"
LB = "mtls.clb.load_balancer"
BACKENDS = "mtls.clb.backend_servers"
LISTENER = "mtls.clb.https_listener"
CAS_ID = "20261129"


def applied(emu, action: str, since: int = 0) -> int:
    """How often the service applied `action` (answered 200), lost replies included."""
    return sum(1 for call in emu.calls()[since:] if call["action"] == action and call["status"] == 200)


def through_relay(emu, args: dict, module: str, params: dict, lost_action: str) -> dict:
    """Run `module` with the reply of its first `lost_action` call lost; the module must succeed."""
    with LostReplyRelay(emu.api_url) as relay:
        relay.lose(lost_action)
        # No proxy between the module and the relay; retries are not slowed down by the test.
        result = run_module(module, {**args, **params, "endpoint": relay.url})
    assert relay.lost == [(lost_action, 200)], f"the {lost_action} reply was not lost: {relay.lost}"
    assert result["failed"] is False, result.get("msg")
    return result


def converged(emu, args: dict, module: str, params: dict) -> dict:
    """A re-run straight to the emulator changes nothing."""
    since = len(emu.calls())
    again = run_module(module, {**args, **params})
    assert again["failed"] is False and again["changed"] is False, again.get("msg") or again
    assert [c["action"] for c in emu.calls()[since:] if not c["action"].startswith("Describe")] == []
    return again


def server_certificate_params(pki, name="srv") -> dict:
    return {"name": name, "certificate": pki.chain_pem, "private_key": key_pem(pki.server_key)}


def test_server_certificate_upload(emu, args, pki):
    params = server_certificate_params(pki)
    result = through_relay(emu, args, SERVER, params, "UploadServerCertificate")
    assert result["changed"] and result["server_certificate_id"]
    assert applied(emu, "UploadServerCertificate") == 1
    assert converged(emu, args, SERVER, params)["server_certificate_id"] == result["server_certificate_id"]


def test_server_certificate_import_by_ali_cloud_certificate_id(emu, args, pki):
    emu.register_cas_certificate(CAS_ID, pki.chain_pem, key_pem(pki.server_key), name="www-cas",
                                 region_id=emu.region)
    params = {"name": "from-cas", "ali_cloud_certificate_id": CAS_ID, "ali_cloud_certificate_name": "www-cas",
              "ali_cloud_certificate_region_id": emu.region}
    result = through_relay(emu, args, SERVER, params, "UploadServerCertificate")
    assert result["changed"] and result["certificate_info"]["ali_cloud_certificate_id"] == CAS_ID
    assert applied(emu, "UploadServerCertificate") == 1, "the import was sent again: a duplicate certificate"
    assert converged(emu, args, SERVER, params)["server_certificate_id"] == result["server_certificate_id"]


def test_ca_certificate_upload(emu, args, pki):
    params = {"name": "client-ca", "certificate": pki.ca_pem}
    result = through_relay(emu, args, CA, params, "UploadCACertificate")
    assert result["changed"] and result["ca_certificate_id"]
    assert applied(emu, "UploadCACertificate") == 1
    assert converged(emu, args, CA, params)["ca_certificate_id"] == result["ca_certificate_id"]


@pytest.mark.parametrize("module,action", [(SERVER, "SetServerCertificateName"), (CA, "SetCACertificateName")])
def test_certificate_rename(emu, args, pki, slb, module, action):
    if module == SERVER:
        params = server_certificate_params(pki, name="old-name")
    else:
        params = {"name": "old-name", "certificate": pki.ca_pem}
    run_module(module, {**args, **params})
    renamed = {**params, "name": "new-name", "rename_existing": True}
    result = through_relay(emu, args, module, renamed, action)
    assert result["changed"] and result["name"] == "new-name"
    assert converged(emu, args, module, renamed)["name"] == "new-name"


@pytest.mark.parametrize("module,action", [(SERVER, "DeleteServerCertificate"), (CA, "DeleteCACertificate")])
def test_certificate_delete(emu, args, pki, module, action):
    params = server_certificate_params(pki) if module == SERVER else {"name": "client-ca", "certificate": pki.ca_pem}
    run_module(module, {**args, **params})
    absent = {"name": params["name"], "state": "absent"}
    result = through_relay(emu, args, module, absent, action)
    assert result["changed"] and len(result["deleted"]) == 1
    assert applied(emu, action) == 1
    converged(emu, args, module, absent)


def test_load_balancer_create(emu, args):
    params = {"name": "lost-reply-clb"}
    result = through_relay(emu, args, LB, params, "CreateLoadBalancer")
    assert result["changed"] and result["load_balancer_id"]
    assert applied(emu, "CreateLoadBalancer") == 2, "the retry did not reach the service"
    listed = run_module("mtls.clb.load_balancer", {**args, **params})
    assert listed["load_balancer_id"] == result["load_balancer_id"] and listed["changed"] is False


def test_load_balancer_rename_and_delete(emu, args, slb):
    created = run_module(LB, {**args, "name": "before-rename"})
    renamed = {"load_balancer_id": created["load_balancer_id"], "name": "after-rename"}
    result = through_relay(emu, args, LB, renamed, "SetLoadBalancerName")
    assert result["changed"] and result["load_balancer"]["load_balancer_name"] == "after-rename"
    converged(emu, args, LB, renamed)

    absent = {"name": "after-rename", "state": "absent"}
    deleted = through_relay(emu, args, LB, absent, "DeleteLoadBalancer")
    assert deleted["changed"] and applied(emu, "DeleteLoadBalancer") == 1
    converged(emu, args, LB, absent)


def test_backend_servers_add_reweight_remove(emu, args, slb):
    load_balancer_id = run_module(LB, {**args, "name": "backends"})["load_balancer_id"]
    servers = [{"server_id": server_id, "weight": 100} for server_id in emu.ecs_ids]
    add = {"load_balancer_id": load_balancer_id, "servers": servers}
    added = through_relay(emu, args, BACKENDS, add, "AddBackendServers")
    assert added["changed"] and applied(emu, "AddBackendServers") == 1
    converged(emu, args, BACKENDS, add)

    reweight = {"load_balancer_id": load_balancer_id, "servers": [dict(s, weight=50) for s in servers]}
    through_relay(emu, args, BACKENDS, reweight, "SetBackendServers")
    converged(emu, args, BACKENDS, reweight)

    remove = {"load_balancer_id": load_balancer_id, "servers": servers[:1], "state": "absent"}
    removed = through_relay(emu, args, BACKENDS, remove, "RemoveBackendServers")
    assert removed["changed"]
    members = slb.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": load_balancer_id})
    assert [s["ServerId"] for s in members["BackendServers"]["BackendServer"]] == [servers[1]["server_id"]]
    converged(emu, args, BACKENDS, remove)


def listener_params(stack) -> dict:
    return {"load_balancer_id": stack["load_balancer_id"], "listener_port": 443, "backend_server_port": 80,
            "server_certificate_id": stack["server_certificate_id"], "ca_certificate_id": stack["ca_certificate_id"]}


@pytest.mark.parametrize("action", ["CreateLoadBalancerHTTPSListener", "StartLoadBalancerListener"])
def test_listener_create_and_start(emu, args, stack, action):
    params = listener_params(stack)
    result = through_relay(emu, args, LISTENER, params, action)
    assert result["actions"] == ["create", "start"] and result["listener"]["status"] == "running"
    assert applied(emu, "CreateLoadBalancerHTTPSListener") == 1 and applied(emu, "StartLoadBalancerListener") == 1
    converged(emu, args, LISTENER, params)


def test_listener_update_stop_delete(emu, args, slb, stack):
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    params = listener_params(stack)

    updated = {**params, "description": "after-a-lost-reply"}
    result = through_relay(emu, args, LISTENER, updated, "SetLoadBalancerHTTPSListenerAttribute")
    assert result["actions"] == ["update"] and result["listener"]["description"] == "after-a-lost-reply"
    converged(emu, args, LISTENER, updated)

    stopped = {**updated, "state": "stopped"}
    result = through_relay(emu, args, LISTENER, stopped, "StopLoadBalancerListener")
    assert result["actions"] == ["stop"] and result["listener"]["status"] == "stopped"
    converged(emu, args, LISTENER, stopped)

    absent = {"load_balancer_id": stack["load_balancer_id"], "listener_port": 443, "state": "absent"}
    result = through_relay(emu, args, LISTENER, absent, "DeleteLoadBalancerListener")
    assert result["actions"] == ["delete"] and applied(emu, "DeleteLoadBalancerListener") == 1
    ports = slb.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": stack["load_balancer_id"]})
    assert json.dumps(ports.get("ListenerPortsAndProtocol") or {}).count("443") == 0
    converged(emu, args, LISTENER, absent)
