"""https_listener through the real `ansible` CLI against the emulator, for the defects of review 6:
the first read misses an existing listener (B1), an unset bandwidth resets a cap, and values out of
their documented range reach the mutating call (backend_servers too)."""
from __future__ import annotations

from tests.support.ansible_run import run_module
from tests.unit.alicloud.certgen import fingerprint, make_pki
from clb_helpers import actions, running_listener, upload_ca_certificate, upload_server_certificate

LISTENER = "mtls.clb.https_listener"
BACKENDS = "mtls.clb.backend_servers"
INFO = "mtls.clb.certificate_info"
LB = "mtls.clb.load_balancer"
DESCRIBE = "DescribeLoadBalancerHTTPSListenerAttribute"
CREATE = "CreateLoadBalancerHTTPSListener"
SET = "SetLoadBalancerHTTPSListenerAttribute"


def live_listener(slb, load_balancer_id, port=443):
    return slb.call(DESCRIBE, {"LoadBalancerId": load_balancer_id, "ListenerPort": port})


def outcomes(emu, since=0):
    return [(call["action"], call["code"]) for call in emu.calls()[since:]]


def test_a_listener_the_first_read_missed_gets_the_new_certificates(emu, args, slb, stack):
    """Review 6 B1, as reproduced there: one injected not-found read, so the module creates, the
    service refuses (ListenerAlreadyExists), and the listener it then finds must be converged."""
    lb_id = stack["load_balancer_id"]
    running_listener(slb, lb_id, stack["server_certificate_id"], stack["ca_certificate_id"])
    renewed = make_pki(cn="www.example.test", ca_cn="Rotated Client CA")
    new_server = upload_server_certificate(slb, renewed, name="srv-renewed")
    new_ca = upload_ca_certificate(slb, renewed, name="client-ca-rotated")
    params = {**args, "load_balancer_id": lb_id, "listener_port": 443, "backend_server_port": 80,
              "server_certificate_id": new_server, "ca_certificate_id": new_ca}
    emu.set_faults([{"action": DESCRIBE, "error": "ResourceNotFound.Listener", "count": 1}])
    since = len(emu.calls())

    result = run_module(LISTENER, params)

    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True and result["actions"] == ["update"]
    assert result["changes"]["ca_certificate_id"] == {"before": stack["ca_certificate_id"], "after": new_ca}
    assert result["changes"]["server_certificate_id"] == {"before": stack["server_certificate_id"],
                                                          "after": new_server}
    assert result["listener"]["ca_certificate_id"] == new_ca
    assert (CREATE, "ListenerAlreadyExists") in outcomes(emu, since) and (SET, None) in outcomes(emu, since)
    live = live_listener(slb, lb_id)
    assert live["CACertificateId"] == new_ca and live["ServerCertificateId"] == new_server
    assert live["Status"] == "running"
    emu.clear_faults()
    assert run_module(LISTENER, params)["changed"] is False


def test_a_capped_bandwidth_survives_a_task_that_does_not_mention_it(emu, args, slb, stack):
    lb_id = stack["load_balancer_id"]
    running_listener(slb, lb_id, stack["server_certificate_id"], stack["ca_certificate_id"])
    base = {**args, "load_balancer_id": lb_id, "listener_port": 443}
    assert run_module(LISTENER, {**base, "bandwidth": 10})["actions"] == ["update"]

    # The module's own example "Turn mutual authentication off (one-way TLS)".
    result = run_module(LISTENER, {**base, "ca_certificate_id": ""})

    assert result.get("failed") is not True, result.get("msg")
    assert list(result["changes"]) == ["ca_certificate_id"]
    assert live_listener(slb, lb_id)["Bandwidth"] == 10


def test_a_new_listener_without_bandwidth_is_created_unlimited(emu, args, slb, stack):
    lb_id = stack["load_balancer_id"]
    params = {**args, "load_balancer_id": lb_id, "listener_port": 443, "backend_server_port": 80,
              "server_certificate_id": stack["server_certificate_id"]}

    planned = run_module(LISTENER, params, check=True)
    result = run_module(LISTENER, params)

    assert planned["changes"]["bandwidth"] == {"before": None, "after": -1}
    assert result["actions"] == ["create", "start"] and result["changes"]["bandwidth"]["after"] == -1
    # The emulator, like the API, refuses an HTTPS creation without Bandwidth.
    assert live_listener(slb, lb_id)["Bandwidth"] == -1


def test_out_of_range_listener_values_fail_before_any_call_in_check_mode_and_apply(emu, args, stack):
    base = {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443, "backend_server_port": 80,
            "server_certificate_id": stack["server_certificate_id"]}
    since = len(emu.calls())

    for check in (True, False):
        cookie = run_module(LISTENER, {**base, "sticky_session": True, "sticky_session_type": "insert",
                                       "cookie_timeout": 100000}, check=check)
        interval = run_module(LISTENER, {**base, "health_check_interval": 100}, check=check)
        description = run_module(LISTENER, {**base, "description": "d" * 300}, check=check)

        assert cookie["failed"] and cookie["msg"].startswith("cookie_timeout must be 1-86400 (got 100000)")
        assert interval["failed"] and interval["msg"].startswith("health_check_interval must be 1-50 (got 100)")
        assert description["failed"] and description["msg"].startswith(
            "description must be at most 256 characters (got 300)")
    assert actions(emu, since) == []


def test_a_backend_description_over_80_characters_fails_before_any_call(emu, args, stack):
    server_id = emu.ecs_ids[0]
    since = len(emu.calls())

    for check in (True, False):
        result = run_module(BACKENDS, {**args, "load_balancer_id": stack["load_balancer_id"],
                                       "servers": [{"server_id": server_id, "description": "b" * 100}]}, check=check)

        assert result["failed"] and "servers[].description" in result["msg"] and "at most 80" in result["msg"]
        assert server_id in result["msg"]
    assert actions(emu, since) == []


def test_certificate_info_refuses_a_fingerprint_that_is_not_sha1_instead_of_listing_all(emu, args, pki, stack):
    since = len(emu.calls())
    for bad in ("zz", "-", "None", "", "ab:cd", fingerprint(pki.ca_cert) + "0"):
        result = run_module(INFO, {**args, "fingerprint": bad})

        assert result.get("failed") is True, (bad, result)
        assert result["msg"].startswith("fingerprint {0!r} is not a SHA-1 fingerprint".format(bad))
        assert "ca_certificates" not in result
    assert actions(emu, since) == []

    upper_without_colons = fingerprint(pki.ca_cert).replace(":", "").upper()
    found = run_module(INFO, {**args, "certificate_type": "ca", "fingerprint": upper_without_colons})
    assert [item["id"] for item in found["ca_certificates"]] == [stack["ca_certificate_id"]]


def test_load_balancer_refuses_a_wait_timeout_below_one_second_before_any_call(emu, args):
    result = run_module(LB, {**args, "name": "lb-wait", "wait": True, "wait_timeout": -1})

    assert result["failed"] and result["msg"] == "wait_timeout must be at least 1 second (got -1)"
    assert actions(emu) == []


def test_backend_servers_refuses_purge_with_state_absent_before_any_call(emu, args, stack):
    since = len(emu.calls())

    result = run_module(BACKENDS, {**args, "load_balancer_id": stack["load_balancer_id"], "state": "absent",
                                   "purge": True, "servers": [{"server_id": emu.ecs_ids[0]}]})

    assert result["failed"] and result["msg"].startswith("purge applies to state=present")
    assert actions(emu, since) == []
