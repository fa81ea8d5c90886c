"""https_listener against the emulator: create + start + wait, each field update sent alone,
states present/stopped/absent, mutual authentication on/off, and the clear errors."""
from __future__ import annotations

import pytest

from tests.support.ansible_run import run_module
from clb_helpers import actions, mutating, running_listener, upload_ca_certificate, upload_server_certificate
from tests.unit.alicloud.certgen import make_pki

LISTENER = "mtls.clb.https_listener"
SET = "SetLoadBalancerHTTPSListenerAttribute"


def test_create_four_steps_starts_the_listener_with_mutual_authentication(emu, args, stack):
    params = {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443,
              "backend_server_port": 80, "server_certificate_id": stack["server_certificate_id"],
              "ca_certificate_id": stack["ca_certificate_id"], "tls_cipher_policy": "tls_cipher_policy_1_2"}
    setup_calls = len(emu.calls())
    check = run_module(LISTENER, params, check=True, diff=True)
    assert check["changed"] and check["actions"] == ["create", "start"]
    assert check["changes"]["ca_certificate_id"] == {"before": None, "after": stack["ca_certificate_id"]}
    assert check["diff"]["before"] == {} and check["diff"]["after"]["mutual_authentication"] is True
    assert check["diff"]["after"]["status"] == "running"
    assert mutating(emu, setup_calls) == []

    apply = run_module(LISTENER, params)
    assert apply["changed"] and apply["actions"] == ["create", "start"]
    listener = apply["listener"]
    assert listener["status"] == "running" and listener["mutual_authentication"] is True
    assert listener["server_certificate_id"] == stack["server_certificate_id"]
    assert listener["ca_certificate_id"] == stack["ca_certificate_id"]
    assert listener["tls_cipher_policy"] == "tls_cipher_policy_1_2" and listener["bandwidth"] == -1
    assert mutating(emu, setup_calls) == ["CreateLoadBalancerHTTPSListener", "StartLoadBalancerListener"]

    assert run_module(LISTENER, params, check=True)["changed"] is False
    start = len(emu.calls())
    again = run_module(LISTENER, params)
    assert again["changed"] is False and again["actions"] == [] and again["listener"]["status"] == "running"
    assert actions(emu, start) and mutating(emu, start) == []


FIELD_UPDATES = {
    "tls_and_http2": {"tls_cipher_policy": "tls_cipher_policy_1_2_strict", "enable_http2": False},
    "scheduler_and_bandwidth": {"scheduler": "rr", "bandwidth": 50},
    "sticky_session_insert": {"sticky_session": True, "sticky_session_type": "insert", "cookie_timeout": 600},
    "health_check": {"health_check_uri": "/healthz", "health_check_http_code": ["http_3xx", "http_2xx"],
                     "health_check_interval": 5, "health_check_timeout": 3, "health_check_method": "get",
                     "healthy_threshold": 4, "unhealthy_threshold": 5, "health_check_domain": "www.example.test",
                     "health_check_connect_port": 8080},
    "x_forwarded_headers": {"x_forwarded_for": False, "x_forwarded_for_proto": True, "x_forwarded_for_slb_ip": True,
                            "x_forwarded_for_slb_id": True, "x_forwarded_for_slb_port": True,
                            "x_forwarded_for_client_src_port": True},
    "timeouts_gzip_description": {"description": "mtls-listener", "gzip": False, "idle_timeout": 30,
                                  "request_timeout": 90},
    "mutual_authentication_off": {"ca_certificate_id": ""},
}


@pytest.mark.parametrize("fields", FIELD_UPDATES.values(), ids=FIELD_UPDATES.keys())
def test_each_field_update_sends_only_what_differs(emu, args, slb, stack, fields):
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    params = {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443, **fields}
    # Check mode runs the same comparison (pinned in the create and state tests); here each field's
    # apply and re-apply are what matter, and every ansible run costs about a second.
    start = len(emu.calls())
    apply = run_module(LISTENER, params)
    assert apply["changed"] and apply["actions"] == ["update"] and set(apply["changes"]) == set(fields)
    assert mutating(emu, start) == [SET]
    for option, value in fields.items():
        expected = sorted(value) if isinstance(value, list) else value
        assert apply["listener"][option] == expected, option
    if "ca_certificate_id" in fields:
        assert apply["listener"]["mutual_authentication"] is False
    start = len(emu.calls())
    assert run_module(LISTENER, params)["changed"] is False
    assert mutating(emu, start) == []


def test_server_certificate_swap_and_mutual_authentication_back_on(emu, args, slb, stack):
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"])
    renewed = upload_server_certificate(slb, make_pki(cn="renewed.example.test"), name="renewed")
    params = {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443,
              "server_certificate_id": renewed, "ca_certificate_id": stack["ca_certificate_id"]}
    result = run_module(LISTENER, params)
    assert set(result["changes"]) == {"server_certificate_id", "ca_certificate_id"}
    assert result["listener"]["server_certificate_id"] == renewed
    assert result["listener"]["mutual_authentication"] is True


def test_stopped_present_absent(emu, args, slb, stack):
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"])
    base = {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443}
    stopped = run_module(LISTENER, {**base, "state": "stopped"})
    assert stopped["actions"] == ["stop"] and stopped["listener"]["status"] == "stopped"
    assert run_module(LISTENER, {**base, "state": "stopped"})["changed"] is False
    started = run_module(LISTENER, base)
    assert started["actions"] == ["start"] and started["listener"]["status"] == "running"
    absent = {**base, "state": "absent"}
    results = [run_module(LISTENER, absent, check=True), run_module(LISTENER, absent),
               run_module(LISTENER, absent, check=True), run_module(LISTENER, absent)]
    assert [r["changed"] for r in results] == [True, True, False, False]
    assert actions(emu).count("DeleteLoadBalancerListener") == 1


def test_backend_port_change_is_refused_without_touching_the_listener(emu, args, slb, stack):
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"])
    start = len(emu.calls())
    params = {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443,
              "backend_server_port": 8080, "description": "would-change-too"}
    for check in (True, False):
        result = run_module(LISTENER, params, check=check)
        assert result["failed"] and "backend_server_port" in result["msg"] and "state=absent" in result["msg"]
    assert mutating(emu, start) == []


def test_missing_load_balancer_is_a_clear_error(emu, args):
    result = run_module(LISTENER, {**args, "load_balancer_id": "lb-doesnotexist000000", "listener_port": 443,
                                   "backend_server_port": 80, "server_certificate_id": "x"})
    assert result["failed"]
    assert "lb-doesnotexist000000 does not exist in region cn-hangzhou" in result["msg"]
    assert mutating(emu) == []


def test_creating_without_a_server_certificate_says_which_option_is_missing(emu, args, stack):
    result = run_module(LISTENER, {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 8443,
                                   "backend_server_port": 80})
    assert result["failed"] and "server_certificate_id" in result["msg"]
    assert mutating(emu) == ["UploadServerCertificate", "UploadCACertificate", "CreateLoadBalancer",
                             "AddBackendServers"]


def test_sticky_session_without_type_fails_before_any_api_call(emu, args):
    result = run_module(LISTENER, {**args, "load_balancer_id": "lb-x", "listener_port": 443, "sticky_session": True})
    assert result["failed"] and "sticky_session_type" in result["msg"]
    assert actions(emu) == []


def test_listener_info_reports_listener_and_backend_health(emu, args, slb, stack):
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    info = run_module("mtls.clb.listener_info", {**args, "load_balancer_id": stack["load_balancer_id"]}, check=True)
    assert info["changed"] is False
    [listener] = info["listeners"]
    assert listener["listener_port"] == 443 and listener["listener_protocol"] == "https"
    assert listener["status"] == "running" and listener["mutual_authentication"] is True
    assert sorted(h["server_id"] for h in listener["backend_health"]) == sorted(emu.ecs_ids)
    assert mutating(emu) == ["UploadServerCertificate", "UploadCACertificate", "CreateLoadBalancer",
                             "AddBackendServers", "CreateLoadBalancerHTTPSListener", "StartLoadBalancerListener"]


def test_listener_info_health_only_makes_one_health_read_per_instance(emu, args, slb, stack):
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    before = len(emu.calls())
    info = run_module("mtls.clb.listener_info", {**args, "load_balancer_id": stack["load_balancer_id"],
                                                 "listener_port": 443, "listener_protocol": "https",
                                                 "listener_details": False})
    assert info["changed"] is False
    assert actions(emu, before) == ["DescribeHealthStatus"]
    [listener] = info["listeners"]
    assert (listener["load_balancer_id"], listener["listener_port"], listener["listener_protocol"]) == (
        stack["load_balancer_id"], 443, "https")
    assert "status" not in listener
    assert sorted(h["server_id"] for h in listener["backend_health"]) == sorted(emu.ecs_ids)


def test_listener_info_health_only_needs_the_instances(emu, args):
    result = run_module("mtls.clb.listener_info", {**args, "listener_details": False})
    assert result["failed"] and "give load_balancer_ids" in result["msg"]
    assert actions(emu) == []


def test_health_check_settings_with_the_health_check_off_are_named_as_not_applied(emu, args, slb, stack):
    """They are neither sent nor compared (the listener would not use them): said, not silently dropped."""
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    params = {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443, "health_check": False,
              "health_check_uri": "/not-used"}

    start = len(emu.calls())
    result = run_module(LISTENER, params)

    assert result["changed"] and set(result["changes"]) == {"health_check"}
    assert mutating(emu, start) == [SET]
    listener = slb.call("DescribeLoadBalancerHTTPSListenerAttribute",
                        {"LoadBalancerId": stack["load_balancer_id"], "ListenerPort": 443})
    assert listener["HealthCheck"] == "off" and listener.get("HealthCheckURI") != "/not-used"
    warning = (f"health_check_uri is not applied to listener {stack['load_balancer_id']}:443, which does not use it: "
               "health_check is off; set health_check: true in the same task to use it, or leave health_check_uri out.")
    assert warning in result.get("warnings", [])
    again = run_module(LISTENER, params)
    assert again["changed"] is False and warning in again.get("warnings", [])


def test_an_empty_server_certificate_id_is_refused_before_any_call(emu, args, slb, stack):
    params = {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 8443, "backend_server_port": 80,
              "server_certificate_id": ""}
    start = len(emu.calls())

    result = run_module(LISTENER, params, check=True)

    assert result["failed"] and result["msg"].startswith("server_certificate_id is empty; give the ID of the uploaded")
    assert emu.calls()[start:] == []


def test_a_ca_rotation_of_one_listener_names_the_other_listener_still_trusting_the_old_ca(emu, args, slb, stack):
    """Day 2: a second listener (another port) made with the same CA is not switched by a run for the first."""
    lb, old_ca = stack["load_balancer_id"], stack["ca_certificate_id"]
    running_listener(slb, lb, stack["server_certificate_id"], old_ca, port=443)
    running_listener(slb, lb, stack["server_certificate_id"], old_ca, port=8443)
    new_ca = upload_ca_certificate(slb, make_pki(ca_cn="Rotated Root CA"), name="rotated-ca")
    params = {**args, "load_balancer_id": lb, "listener_port": 443, "ca_certificate_id": new_ca}
    warning = (f"ca_certificate_id {old_ca}, which listener {lb}:443 leaves for {new_ca}, is still set on {lb}:8443: "
               "they keep accepting client certificates of the old CA and refusing those of the new one. Switch them "
               f"too, with ca_certificate_id {new_ca} in the task or playbook that manages them.")

    for check in (True, False):
        result = run_module(LISTENER, params, check=check)
        assert result["changed"] and warning in result.get("warnings", []), result.get("warnings")

    again = run_module(LISTENER, params)
    assert again["changed"] is False and not again.get("warnings")
    other = slb.call("DescribeLoadBalancerHTTPSListenerAttribute", {"LoadBalancerId": lb, "ListenerPort": 8443})
    assert other["CACertificateId"] == old_ca  # named, not changed
