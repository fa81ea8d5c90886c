"""Listener comparison and the port/protocol rule, with a scripted SLB (no network)."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listeners import (
    HttpsListenerApi,
    ListenerConflict,
    create_params,
    desired_settings,
    differing_fields,
    unapplied_options,
    update_params,
    live_settings,
    validate_desired,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.load_balancers import LoadBalancerNotFound
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy

LIVE = {"ListenerPort": 443, "BackendServerPort": 80, "Bandwidth": -1, "Status": "running",
        "ServerCertificateId": "sc-1", "CACertificateId": "ca-1", "TLSCipherPolicy": "tls_cipher_policy_1_0",
        "EnableHttp2": "on", "Scheduler": "wrr", "StickySession": "off", "StickySessionType": "",
        "CookieTimeout": 0, "HealthCheck": "on", "HealthCheckURI": "/", "HealthCheckHttpCode": "http_3xx,http_2xx",
        "HealthCheckInterval": 2, "XForwardedFor": "on", "XForwardedFor_proto": "off", "Description": ""}


class ScriptedSlb:
    region = "cn-hangzhou"

    def __init__(self, answers):
        self.answers = answers
        self.calls = []
        # Describe and create run their attempts under the client's policy; no real sleeping here.
        self.retry_policy = RetryPolicy(sleep=lambda seconds: None)

    def call(self, action, params=None, retry=True):
        self.calls.append((action, params))
        answer = self.answers[action]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_equal_values_in_other_spellings_are_not_changes():
    desired = {"bandwidth": -1, "enable_http2": True, "health_check_http_code": ["http_2xx", "http_3xx"],
               "ca_certificate_id": "ca-1", "x_forwarded_for_proto": False}
    assert differing_fields(desired, LIVE) == {}


def test_only_differing_fields_are_reported_with_before_and_after():
    changes = differing_fields({"scheduler": "rr", "ca_certificate_id": "", "bandwidth": -1}, LIVE)
    assert changes == {"scheduler": ("wrr", "rr"), "ca_certificate_id": ("ca-1", "")}
    params = update_params(changes, {"scheduler": "rr", "ca_certificate_id": ""}, live_settings(LIVE))
    assert params == {"Scheduler": "rr", "CACertificateId": "", "ServerCertificateId": "sc-1"}


def test_sticky_fields_are_ignored_while_sticky_session_stays_off():
    assert differing_fields({"cookie_timeout": 100}, LIVE) == {}


def test_turning_sticky_on_sends_its_companion_fields():
    desired = {"sticky_session": True, "sticky_session_type": "insert", "cookie_timeout": 300}
    changes = differing_fields(desired, LIVE)
    assert set(changes) == {"sticky_session", "sticky_session_type", "cookie_timeout"}
    assert update_params(changes, desired, live_settings(LIVE)) == {
        "StickySession": "on", "StickySessionType": "insert", "CookieTimeout": 300,
        "ServerCertificateId": "sc-1"}


def test_every_update_carries_the_server_certificate_id():
    # Older API references mark ServerCertificateId required for SetLoadBalancerHTTPSListenerAttribute and
    # Terraform always sends it on an HTTPS update: turning mutual authentication on must not send
    # CACertificateId alone.
    live = dict(LIVE, CACertificateId="")
    desired = {"ca_certificate_id": "ca-2"}
    params = update_params(differing_fields(desired, live), desired, live_settings(live))
    assert params == {"CACertificateId": "ca-2", "ServerCertificateId": "sc-1"}
    desired = {"server_certificate_id": "sc-2"}
    changes = differing_fields(desired, LIVE)
    assert update_params(changes, desired, live_settings(LIVE)) == {"ServerCertificateId": "sc-2"}
    assert update_params({}, {}, live_settings(LIVE)) == {}


def test_create_params_fill_required_switches_and_skip_empty_ca():
    params = create_params({"backend_server_port": 80, "server_certificate_id": "sc", "ca_certificate_id": "",
                            "bandwidth": -1, "cookie_timeout": 5})
    assert params == {"BackendServerPort": 80, "ServerCertificateId": "sc", "Bandwidth": -1,
                      "HealthCheck": "on", "StickySession": "off"}


@pytest.mark.parametrize("desired,needle", [
    ({"sticky_session": True}, "sticky_session_type"),
    ({"sticky_session": True, "sticky_session_type": "insert"}, "cookie_timeout"),
    ({"sticky_session": True, "sticky_session_type": "server"}, "cookie"),
    ({"health_check_uri": "healthz"}, "health_check_uri"),
    ({"bandwidth": 0}, "bandwidth"),
    ({"listener_port": 70000}, "listener_port"),
    # The character sets of the API reference (SDK 3.3.31 models of Create/Set*ListenerAttribute).
    ({"description": "mtls listener"}, "description"),
    ({"health_check_uri": "/health_check"}, "health_check_uri"),
    ({"sticky_session": True, "sticky_session_type": "server", "cookie": "$session"}, "cookie"),
    # Both went out in a Create/Set call, refused by the service with the wire name (HealthCheckDomain).
    ({"health_check_domain": "bad domain!"}, "health_check_domain may contain only ASCII letters, digits, '.' and "
                                             "'-' (a domain name), or be $_ip (got 'bad domain!')"),
    ({"health_check_http_code": []}, "health_check_http_code is empty; list at least one of http_2xx"),
    # The service refused it in the Create/Set call, in check mode a change was planned.
    ({"server_certificate_id": ""}, "server_certificate_id is empty; give the ID of the uploaded server certificate"),
    ({"server_certificate_id": "  "}, "server_certificate_id is empty"),
])
def test_inconsistent_options_are_named(desired, needle):
    assert needle in validate_desired(desired)


def test_options_of_a_feature_that_stays_off_are_named_as_not_applied():
    live = dict(LIVE, HealthCheck="off", StickySession="off")
    desired = {"health_check_uri": "/healthz", "healthy_threshold": 3, "cookie_timeout": 60, "scheduler": "rr"}

    unapplied = unapplied_options(desired, live)

    assert sorted(unapplied) == ["cookie_timeout", "health_check_uri", "healthy_threshold"]
    assert unapplied["health_check_uri"] == ("health_check is off; set health_check: true in the same task to use it, "
                                             "or leave health_check_uri out")
    assert unapplied["cookie_timeout"].startswith("sticky_session is off; set sticky_session: true")
    # Turned on in the same task, they apply; the cookie of the other sticky-session type does not.
    assert unapplied_options(dict(desired, health_check=True, sticky_session=True, sticky_session_type="insert",
                                  cookie="sid"), live) == {
        "cookie": "it applies to sticky_session_type=server only; set sticky_session_type: server in the same task "
                  "to use it, or leave cookie out"}


def test_a_new_listener_gets_health_checks_but_no_sticky_sessions_unless_asked():
    assert unapplied_options({"health_check_uri": "/healthz"}) == {}
    assert list(unapplied_options({"cookie_timeout": 60})) == ["cookie_timeout"]
    assert unapplied_options({"health_check": False, "health_check_interval": 5}) == {
        "health_check_interval": "health_check is off; set health_check: true in the same task to use it, or leave "
                                 "health_check_interval out"}


def test_desired_settings_ignore_unset_options():
    assert desired_settings({"scheduler": "rr", "gzip": None, "bandwidth": -1}) == {"scheduler": "rr", "bandwidth": -1}


def _attributes(*ports_and_protocols):
    return {"LoadBalancerId": "lb-1", "ListenerPortsAndProtocol": {"ListenerPortAndProtocol": [
        {"ListenerPort": port, "ListenerProtocol": protocol} for port, protocol in ports_and_protocols]}}


def test_port_used_by_a_tcp_listener_is_a_conflict_naming_the_protocol():
    slb = ScriptedSlb({"DescribeLoadBalancerAttribute": _attributes((443, "tcp"))})
    with pytest.raises(ListenerConflict) as err:
        HttpsListenerApi(slb, "lb-1", 443).check_port()
    assert "TCP listener" in str(err.value) and "listener_port" in str(err.value)


def test_a_udp_listener_on_the_port_is_no_conflict():
    slb = ScriptedSlb({"DescribeLoadBalancerAttribute": _attributes((443, "udp"))})
    assert HttpsListenerApi(slb, "lb-1", 443).check_port() is False


def test_udp_beside_http_on_the_port_names_only_the_http_listener():
    slb = ScriptedSlb({"DescribeLoadBalancerAttribute": _attributes((443, "udp"), (443, "http"))})
    with pytest.raises(ListenerConflict) as err:
        HttpsListenerApi(slb, "lb-1", 443).check_port()
    assert "held by the HTTP listener" in str(err.value) and "UDP" not in str(err.value)


def test_legacy_misspelled_field_is_understood():
    slb = ScriptedSlb({"DescribeLoadBalancerAttribute": {
        "LoadBalancerId": "lb-1",
        "ListenerPortsAndProtocal": {"ListenerPortAndProtocal": [{"ListenerPort": 443, "ListenerProtocal": "https"}]}}})
    assert HttpsListenerApi(slb, "lb-1", 443).check_port() is True


def test_missing_load_balancer_becomes_load_balancer_not_found():
    slb = ScriptedSlb({"DescribeLoadBalancerAttribute": AlicloudApiError(
        "DescribeLoadBalancerAttribute", "InvalidLoadBalancerId.NotFound", "The specified LoadBalancerId does not exist",
        status_code=404)})
    with pytest.raises(LoadBalancerNotFound) as err:
        HttpsListenerApi(slb, "lb-gone", 443).check_port()
    assert "lb-gone" in str(err.value) and "cn-hangzhou" in str(err.value)


def test_retried_create_that_already_went_through_is_accepted():
    slb = ScriptedSlb({"CreateLoadBalancerHTTPSListener": AlicloudApiError(
        "CreateLoadBalancerHTTPSListener", "ListenerAlreadyExists", "exists", status_code=400),
        "DescribeLoadBalancerHTTPSListenerAttribute": dict(LIVE, Status="stopped")})
    HttpsListenerApi(slb, "lb-1", 443).create({"BackendServerPort": 80})
    assert [c[0] for c in slb.calls] == ["CreateLoadBalancerHTTPSListener", "DescribeLoadBalancerHTTPSListenerAttribute"]


def test_wait_for_status_times_out_with_a_clear_message():
    from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listeners import ListenerWaitTimeout
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    slb = ScriptedSlb({"DescribeLoadBalancerHTTPSListenerAttribute": dict(LIVE, Status="starting")})
    api = HttpsListenerApi(slb, "lb-1", 443, sleep=sleep, clock=lambda: now[0])
    with pytest.raises(ListenerWaitTimeout) as err:
        api.wait_for_status("running", 5)
    assert "wait_timeout" in str(err.value) and now[0] <= 5


def test_absent_is_satisfied_when_another_protocol_holds_the_port():
    from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listener_module import HttpsListenerRunner

    class Module:
        check_mode = False
        params = {"state": "absent", "load_balancer_id": "lb-1", "listener_port": 443}

    # What the emulator answers for an HTTPS read of a port a TCP/HTTP listener holds.
    slb = ScriptedSlb({"DescribeLoadBalancerHTTPSListenerAttribute": AlicloudApiError(
        "DescribeLoadBalancerHTTPSListenerAttribute", "InvalidParameter", "The specified resource does not exist.",
        status_code=400)})
    runner = HttpsListenerRunner(Module())
    runner.api = HttpsListenerApi(slb, "lb-1", 443)
    result = runner.converge({})
    assert result["changed"] is False and result["actions"] == []
    assert [call[0] for call in slb.calls] == ["DescribeLoadBalancerHTTPSListenerAttribute"]


def test_a_starting_listener_is_waited_for_before_deciding():
    from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listener_module import HttpsListenerRunner

    statuses = iter(["starting", "starting", "running"])

    class SettlingSlb(ScriptedSlb):
        def call(self, action, params=None, retry=True):
            if action == "DescribeLoadBalancerHTTPSListenerAttribute":
                self.calls.append((action, params))
                return dict(LIVE, Status=next(statuses))
            return super().call(action, params, retry)

    class Module:
        check_mode = False
        params = {"state": "present", "load_balancer_id": "lb-1", "listener_port": 443, "wait": True,
                  "wait_timeout": 30}

    slb = SettlingSlb({})
    runner = HttpsListenerRunner(Module())
    runner.api = HttpsListenerApi(slb, "lb-1", 443, sleep=lambda seconds: None)
    result = runner.converge({"scheduler": "wrr"})
    assert result["changed"] is False and result["actions"] == []
    assert [call[0] for call in slb.calls] == ["DescribeLoadBalancerHTTPSListenerAttribute"] * 3


def test_start_whose_reply_was_lost_is_accepted_once_the_listener_runs():
    from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy

    class LostStartSlb(ScriptedSlb):
        retry_policy = RetryPolicy(sleep=lambda seconds: None)

        def call(self, action, params=None, retry=True):
            self.calls.append((action, params))
            if action == "StartLoadBalancerListener":
                raise AlicloudApiError(action, "ConnectionError", "reset", connection_error=True)
            return dict(LIVE, Status="running")

    slb = LostStartSlb({})
    HttpsListenerApi(slb, "lb-1", 443).start()
    assert [call[0] for call in slb.calls] == ["StartLoadBalancerListener", "DescribeLoadBalancerHTTPSListenerAttribute"]


def test_start_still_stopped_after_a_transient_error_is_tried_again():
    from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy

    class BusyOnceSlb(ScriptedSlb):
        retry_policy = RetryPolicy(sleep=lambda seconds: None)

        def call(self, action, params=None, retry=True):
            self.calls.append((action, params))
            if action == "StartLoadBalancerListener" and len(self.calls) == 1:
                raise AlicloudApiError(action, "ServiceIsConfiguring", "busy", status_code=400)
            return dict(LIVE, Status="stopped") if action.startswith("Describe") else {}

    slb = BusyOnceSlb({})
    HttpsListenerApi(slb, "lb-1", 443).start()
    assert [call[0] for call in slb.calls] == ["StartLoadBalancerListener", "DescribeLoadBalancerHTTPSListenerAttribute",
                                               "StartLoadBalancerListener"]


def test_documented_characters_pass():
    assert validate_desired({"description": "mtls-listener_1/a.b", "health_check_uri": "/health.html?a&b%20#x",
                             "sticky_session": True, "sticky_session_type": "server", "cookie": "SESSIONid2"}) is None
    assert validate_desired({"description": ""}) is None  # clears the name
    assert validate_desired({"health_check_domain": "$_ip"}) is None
    assert validate_desired({"health_check_domain": "www.example-1.test", "health_check_http_code": ["http_2xx"]}) is None
    assert validate_desired({"health_check_domain": ""}) is None  # clears the domain (sent as $_ip)
