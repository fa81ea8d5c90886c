"""https_listener compares what the user wants with what the real service answers, not with what the
emulator echoes: values that differ in form but not in meaning are no change, so a warm run stays
changed=0 and sends no Set* call.

The answers below have the shape and types of DescribeLoadBalancerHTTPSListenerAttributeResponseBody
(/work/shared/reference/slb_response_skeletons.md, slb_models_full.md) with the documented example values,
and the variants a real service may plausibly answer: the SDK converts no types, so a number may arrive as a
string; enums in another case; a status-code list in another order, case or with spaces."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listener_module import HttpsListenerRunner
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listeners import (
    HttpsListenerApi,
    create_params,
    differing_fields,
    live_settings,
    update_params,
)
from tests.unit.alicloud.scripted import FakeClock, SequencedSlb

DESCRIBE = "DescribeLoadBalancerHTTPSListenerAttribute"

# Every field the module compares, typed as the SDK model types it (int / str), values as documented.
DOCUMENTED = {
    "RequestId": "CEF72CEB-54B6-4AE8-B225-F876FF7BA984", "LoadBalancerId": "lb-bp1mxu5r8lau****",
    "ListenerPort": 443, "BackendServerPort": 80, "Bandwidth": -1, "Status": "running",
    "ServerCertificateId": "1231579085529123_158f79de306", "CACertificateId": "139a00604bd-cn-east-hangzhou-01",
    "TLSCipherPolicy": "tls_cipher_policy_1_2", "EnableHttp2": "on", "Gzip": "on", "Scheduler": "wrr",
    "StickySession": "on", "StickySessionType": "insert", "CookieTimeout": 500, "Cookie": "",
    "HealthCheck": "on", "HealthCheckURI": "/test/index.html", "HealthCheckDomain": "www.test.com",
    "HealthCheckHttpCode": "http_2xx,http_3xx", "HealthCheckConnectPort": 80, "HealthCheckInterval": 5,
    "HealthCheckTimeout": 3, "HealthCheckMethod": "get", "HealthyThreshold": 4, "UnhealthyThreshold": 4,
    "IdleTimeout": 15, "RequestTimeout": 60, "XForwardedFor": "on", "XForwardedFor_SLBIP": "off",
    "XForwardedFor_SLBID": "off", "XForwardedFor_proto": "on", "XForwardedFor_SLBPORT": "off",
    "XForwardedFor_ClientSrcPort": "off", "Description": "mtls-443",
}
# The same listener as module options (what a task that manages every field sets).
WANTED = {
    "backend_server_port": 80, "bandwidth": -1, "server_certificate_id": "1231579085529123_158f79de306",
    "ca_certificate_id": "139a00604bd-cn-east-hangzhou-01", "tls_cipher_policy": "tls_cipher_policy_1_2",
    "enable_http2": True, "gzip": True, "scheduler": "wrr", "sticky_session": True, "sticky_session_type": "insert",
    "cookie_timeout": 500, "health_check": True, "health_check_uri": "/test/index.html",
    "health_check_domain": "www.test.com", "health_check_http_code": ["http_3xx", "http_2xx"],
    "health_check_connect_port": 80, "health_check_interval": 5, "health_check_timeout": 3,
    "health_check_method": "get", "healthy_threshold": 4, "unhealthy_threshold": 4, "idle_timeout": 15,
    "request_timeout": 60, "x_forwarded_for": True, "x_forwarded_for_slb_ip": False,
    "x_forwarded_for_slb_id": False, "x_forwarded_for_proto": True, "x_forwarded_for_slb_port": False,
    "x_forwarded_for_client_src_port": False, "description": "mtls-443",
}


def test_the_documented_answer_for_the_wanted_listener_is_no_change():
    assert differing_fields(WANTED, DOCUMENTED) == {}


def test_numbers_answered_as_strings_are_no_change():
    as_strings = dict(DOCUMENTED, **dict((key, str(value)) for key, value in DOCUMENTED.items()
                                         if isinstance(value, int)))
    assert as_strings["Bandwidth"] == "-1" and as_strings["BackendServerPort"] == "80"
    assert differing_fields(WANTED, as_strings) == {}


@pytest.mark.parametrize("wire,answered", [
    ("Scheduler", "WRR"),
    ("TLSCipherPolicy", "TLS_CIPHER_POLICY_1_2"),
    ("StickySessionType", "Insert"),
    ("HealthCheckMethod", "GET"),
    ("EnableHttp2", "On"),
    ("XForwardedFor_proto", "ON"),
    ("HealthCheckHttpCode", "HTTP_3XX, http_2xx"),
    ("HealthCheckHttpCode", "http_2xx,http_3xx,http_2xx"),
])
def test_enum_values_in_another_case_order_or_spacing_are_no_change(wire, answered):
    assert differing_fields(WANTED, dict(DOCUMENTED, **{wire: answered})) == {}


def test_a_real_difference_in_an_enum_is_still_a_change_and_sends_the_wanted_value():
    live = dict(DOCUMENTED, Scheduler="RR", HealthCheckHttpCode="HTTP_2XX")
    changes = differing_fields(WANTED, live)
    assert changes == {"scheduler": ("rr", "wrr"), "health_check_http_code": (["http_2xx"], ["http_2xx", "http_3xx"])}
    sent = update_params(changes, WANTED, live_settings(live))
    assert sent["Scheduler"] == "wrr" and sent["HealthCheckHttpCode"] == "http_2xx,http_3xx"


@pytest.mark.parametrize("wanted,answered", [
    ("$_ip", ""),
    ("$_ip", None),
    ("", "$_ip"),
    ("$_ip", "$_IP"),
])
def test_health_check_domain_of_the_backend_ip_is_the_same_as_none(wanted, answered):
    # SDK models: "If you do not set the HealthCheckDomain parameter or set the parameter to $_ip, the CLB
    # instance uses the private IP address of each backend server"; which of the two it reads back as is unknown.
    live = dict(DOCUMENTED, HealthCheckDomain=answered)
    if answered is None:
        del live["HealthCheckDomain"]
    assert differing_fields(dict(WANTED, health_check_domain=wanted), live) == {}


def test_a_domain_instead_of_the_backend_ip_is_a_change():
    assert differing_fields(dict(WANTED, health_check_domain="www.test.com"), dict(DOCUMENTED, HealthCheckDomain="$_ip")) \
        == {"health_check_domain": ("$_ip", "www.test.com")}


def test_cookie_timeout_of_a_server_sticky_session_is_not_compared_nor_sent():
    # CookieTimeout is documented for insert sticky sessions only: a service that keeps no CookieTimeout for a
    # server one must not make every run send it again.
    wanted = dict(WANTED, sticky_session_type="server", cookie="B490B5EBF6F3CD402E515D22BCDA1598", cookie_timeout=500)
    live = dict(DOCUMENTED, StickySessionType="server", Cookie="B490B5EBF6F3CD402E515D22BCDA1598", CookieTimeout=0)
    assert differing_fields(wanted, live) == {}
    create = create_params(wanted)
    assert create["Cookie"] == "B490B5EBF6F3CD402E515D22BCDA1598" and "CookieTimeout" not in create


def test_cookie_of_an_insert_sticky_session_is_not_compared_nor_sent():
    wanted = dict(WANTED, cookie="abc")
    live = dict(DOCUMENTED)
    del live["Cookie"]
    assert differing_fields(wanted, live) == {}
    create = create_params(wanted)
    assert create["CookieTimeout"] == 500 and "Cookie" not in create


def test_switching_the_sticky_type_compares_and_sends_the_cookie_setting_of_the_new_type():
    wanted = dict(WANTED, sticky_session_type="server", cookie="abc", cookie_timeout=500)
    changes = differing_fields(wanted, DOCUMENTED)
    assert set(changes) == {"sticky_session_type", "cookie"}
    sent = update_params(changes, wanted, live_settings(DOCUMENTED))
    assert sent["StickySessionType"] == "server" and sent["Cookie"] == "abc" and "CookieTimeout" not in sent


class Module:
    check_mode = False

    def __init__(self):
        self.params = {"state": "present", "load_balancer_id": "lb-1", "listener_port": 443, "wait": True,
                       "wait_timeout": 30}

    def fail_json(self, msg, **kwargs):
        raise AssertionError(msg)


@pytest.mark.parametrize("status", ["Running", "RUNNING", " running"])
def test_a_running_listener_in_another_case_is_left_alone_without_waiting(status):
    clock = FakeClock()
    slb = SequencedSlb({DESCRIBE: dict(DOCUMENTED, Status=status)})
    runner = HttpsListenerRunner(Module())
    runner.api = HttpsListenerApi(slb, "lb-1", 443, sleep=clock.sleep, clock=clock.clock)
    result = runner.converge(dict(WANTED))
    assert slb.calls == [DESCRIBE] and clock.sleeps == []
    assert result["changed"] is False and result["actions"] == [] and result["listener"]["status"] == "running"
