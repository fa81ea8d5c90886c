"""https_listener against the emulator: settings that mean the same as what the listener has are no change
(test_alicloud_listener_normalization.py covers the answer variants of the real service unit by unit)."""
from __future__ import annotations

from tests.support.ansible_run import run_module
from clb_helpers import mutating, running_listener

LISTENER = "mtls.clb.https_listener"
SET = "SetLoadBalancerHTTPSListenerAttribute"


def _params(args, stack, **options):
    return {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443, **options}


def test_health_check_domain_of_the_backend_ip_on_a_listener_without_one_is_no_change(emu, args, slb, stack):
    # Documented: not setting HealthCheckDomain and setting it to $_ip both check the backend's private IP.
    live = running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    assert live["HealthCheckDomain"] == ""
    start = len(emu.calls())
    result = run_module(LISTENER, _params(args, stack, health_check_domain="$_ip"))
    assert result["changed"] is False and result["actions"] == []
    assert mutating(emu, start) == []


def test_server_sticky_session_with_a_leftover_cookie_timeout_sends_only_the_cookie(emu, args, slb, stack):
    # CookieTimeout applies to insert sticky sessions only: it is neither sent nor compared for a server one, so
    # a service that keeps none for it cannot make every run update the listener.
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    params = _params(args, stack, sticky_session=True, sticky_session_type="server", cookie="mtlssession",
                     cookie_timeout=600)
    start = len(emu.calls())
    apply = run_module(LISTENER, params)
    assert apply["changed"] and apply["actions"] == ["update"]
    assert set(apply["changes"]) == {"sticky_session", "sticky_session_type", "cookie"}
    assert apply["listener"]["cookie"] == "mtlssession" and not apply["listener"]["cookie_timeout"]
    assert mutating(emu, start) == [SET]
    start = len(emu.calls())
    again = run_module(LISTENER, params)
    assert again["changed"] is False and mutating(emu, start) == []


def test_clearing_the_health_check_domain_sends_the_backend_ip_and_is_then_no_change(emu, args, slb, stack):
    # An empty HealthCheckDomain is a value the API refuses (emulator/README.md: empty listener parameters);
    # $_ip is its documented equivalent of "not set", so clearing the domain sends that.
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    assert run_module(LISTENER, _params(args, stack, health_check_domain="example.com"))["changed"]
    start = len(emu.calls())
    cleared = run_module(LISTENER, _params(args, stack, health_check_domain=""))
    assert cleared["changed"] and cleared["actions"] == ["update"], cleared
    assert mutating(emu, start) == [SET]
    live = slb.call("DescribeLoadBalancerHTTPSListenerAttribute",
                    {"LoadBalancerId": stack["load_balancer_id"], "ListenerPort": 443})
    assert live["HealthCheckDomain"] == "$_ip"
    start = len(emu.calls())
    again = run_module(LISTENER, _params(args, stack, health_check_domain=""))
    assert again["changed"] is False and mutating(emu, start) == []
