"""https_listener on a port that a listener of another protocol (HTTP) holds: a clear error that
names the port and the protocol and changes nothing; state=absent leaves the other listener alone."""
from __future__ import annotations

import pytest

from tests.support.ansible_run import run_module
from clb_helpers import mutating, running_listener

LISTENER = "mtls.clb.https_listener"
PORT = 8443


@pytest.fixture
def http_listener(slb, stack):
    """A running HTTP listener on PORT, made through the API as another tool would have made it."""
    ids = {"LoadBalancerId": stack["load_balancer_id"], "ListenerPort": PORT}
    slb.call("CreateLoadBalancerHTTPListener", dict(ids, BackendServerPort=80, HealthCheck="off",
                                                    StickySession="off", Description="legacy-http"))
    slb.call("StartLoadBalancerListener", dict(ids, ListenerProtocol="http"))
    return ids


def _http_listener_state(slb, ids):
    live = slb.call("DescribeLoadBalancerHTTPListenerAttribute", ids)
    return {k: live.get(k) for k in ("ListenerPort", "Status", "BackendServerPort", "Description", "Scheduler")}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_present_on_a_port_held_by_http_fails_naming_port_and_protocol(
        emu, args, slb, stack, http_listener, check_mode):
    before = _http_listener_state(slb, http_listener)
    start = len(emu.calls())
    result = run_module(LISTENER, {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": PORT,
                                   "backend_server_port": 80, "server_certificate_id": stack["server_certificate_id"],
                                   "ca_certificate_id": stack["ca_certificate_id"]}, check=check_mode)
    assert result.get("failed"), result
    assert "port {0}".format(PORT) in result["msg"] and "HTTP listener" in result["msg"], result["msg"]
    assert "listener_port" in result["msg"], result["msg"]  # says how to get past it
    calls = emu.calls()[start:]
    if check_mode:
        assert mutating(emu, start) == []
    else:
        # The module creates without reading the load balancer first; the service refuses the taken
        # port, and only then is the load balancer read to name the protocol.
        refused = [(c["action"], c["status"], c.get("code")) for c in calls if not c["action"].startswith("Describe")]
        assert refused == [("CreateLoadBalancerHTTPSListener", 400, "ListenerAlreadyExists")], refused
    assert _http_listener_state(slb, http_listener) == before


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent_on_a_port_held_by_http_is_unchanged_and_leaves_it_running(emu, args, slb, stack, http_listener,
                                                                          check_mode):
    before = _http_listener_state(slb, http_listener)
    assert before["Status"] == "running"
    start = len(emu.calls())
    result = run_module(LISTENER, {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": PORT,
                                   "state": "absent"}, check=check_mode, diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False and result["actions"] == []
    assert result["diff"] == {"before": {}, "after": {}}
    assert mutating(emu, start) == []
    assert _http_listener_state(slb, http_listener) == before
    listed = slb.call("DescribeLoadBalancerListeners", {"LoadBalancerId": stack["load_balancer_id"]})["Listeners"]
    assert [(item["ListenerPort"], item["ListenerProtocol"]) for item in listed] == [(PORT, "http")]


def test_https_listener_next_to_an_http_listener_is_managed_normally(emu, args, slb, stack, http_listener):
    params = {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443, "backend_server_port": 80,
              "server_certificate_id": stack["server_certificate_id"], "ca_certificate_id": stack["ca_certificate_id"]}
    created = run_module(LISTENER, params)
    assert created["changed"] and created["listener"]["status"] == "running"
    start = len(emu.calls())
    assert run_module(LISTENER, params)["changed"] is False
    assert mutating(emu, start) == []
    removed = run_module(LISTENER, {**params, "state": "absent"})
    assert removed["changed"] and removed["actions"] == ["delete"]
    listed = slb.call("DescribeLoadBalancerListeners", {"LoadBalancerId": stack["load_balancer_id"]})["Listeners"]
    assert [(item["ListenerPort"], item["ListenerProtocol"], item["Status"]) for item in listed] == [
        (PORT, "http", "running")]


def test_listener_info_filters_by_protocol(emu, args, slb, stack, http_listener):
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    params = {**args, "load_balancer_ids": [stack["load_balancer_id"]]}
    every = run_module("mtls.clb.listener_info", params)["listeners"]
    assert [(item["listener_port"], item["listener_protocol"]) for item in every] == [(443, "https"), (PORT, "http")]
    assert every[0]["mutual_authentication"] is True and "mutual_authentication" not in every[1]
    only_http = run_module("mtls.clb.listener_info", {**params, "listener_protocol": "http"})["listeners"]
    assert [(item["listener_port"], item["status"]) for item in only_http] == [(PORT, "running")]
