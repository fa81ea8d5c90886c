"""https_listener's API calls, path by path, with a scripted SLB: one listener read decides, the
load balancer is read only when a creation is refused (or in check mode), and the read that saw
the wanted status is the result."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listener_module import (
    MUTUAL_AUTHENTICATION_OFF_SECONDS,
    HttpsListenerRunner,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listeners import (
    HttpsListenerApi,
    ListenerConflict,
    ListenerStillSettling,
    ListenerWaitTimeout,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.load_balancers import LoadBalancerNotFound
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy
from tests.unit.alicloud.scripted import FakeClock, SequencedSlb

DESCRIBE = "DescribeLoadBalancerHTTPSListenerAttribute"
LB_READ = "DescribeLoadBalancerAttribute"
CREATE = "CreateLoadBalancerHTTPSListener"
START = "StartLoadBalancerListener"
STOP = "StopLoadBalancerListener"
SET = "SetLoadBalancerHTTPSListenerAttribute"

LIVE = {"LoadBalancerId": "lb-1", "ListenerPort": 443, "BackendServerPort": 80, "Bandwidth": -1, "Status": "running",
        "ServerCertificateId": "sc-1", "CACertificateId": "ca-1", "TLSCipherPolicy": "tls_cipher_policy_1_0",
        "Scheduler": "wrr", "StickySession": "off", "HealthCheck": "on", "RequestId": "req-1"}
PORT_UNKNOWN = AlicloudApiError(DESCRIBE, "InvalidParameter", "The specified resource does not exist.", status_code=400)
LB_UNKNOWN = AlicloudApiError(DESCRIBE, "InvalidLoadBalancerId.NotFound",
                              "The specified LoadBalancerId does not exist: lb-1", status_code=404)
TAKEN = AlicloudApiError(CREATE, "ListenerAlreadyExists", "A listener with the specified port already exists",
                         status_code=400)
CREATE_PARAMS = {"backend_server_port": 80, "server_certificate_id": "sc-1", "ca_certificate_id": "ca-1",
                 "bandwidth": -1}


class Failed(Exception):
    pass


class Module:
    def __init__(self, state="present", check_mode=False, wait=True):
        self.check_mode = check_mode
        self.params = {"state": state, "load_balancer_id": "lb-1", "listener_port": 443, "wait": wait,
                       "wait_timeout": 30}

    def fail_json(self, msg, **kwargs):
        raise Failed(msg)


def converge(slb, desired, **module_options):
    runner = HttpsListenerRunner(Module(**module_options))
    runner.api = HttpsListenerApi(slb, "lb-1", 443, sleep=lambda seconds: None)
    return runner.converge(desired)


def lb_with(*ports_and_protocols):
    return {"LoadBalancerId": "lb-1", "ListenerPortsAndProtocol": {"ListenerPortAndProtocol": [
        {"ListenerPort": port, "ListenerProtocol": protocol} for port, protocol in ports_and_protocols]}}


def test_cold_create_is_read_create_start_read_and_the_last_read_is_the_result():
    slb = SequencedSlb({DESCRIBE: [PORT_UNKNOWN, dict(LIVE, Scheduler="rr")], CREATE: {}, START: {}})
    result = converge(slb, dict(CREATE_PARAMS))
    assert slb.calls == [DESCRIBE, CREATE, START, DESCRIBE]
    assert result["actions"] == ["create", "start"] and result["changed"] is True
    # "rr" only exists in the second read: the result is that read, not the plan.
    assert result["listener"]["scheduler"] == "rr" and result["listener"]["status"] == "running"
    assert "request_id" not in result["listener"]


def test_cold_create_without_wait_reads_once_after_the_start():
    slb = SequencedSlb({DESCRIBE: [PORT_UNKNOWN, dict(LIVE, Status="starting")], CREATE: {}, START: {}})
    result = converge(slb, dict(CREATE_PARAMS), wait=False)
    assert slb.calls == [DESCRIBE, CREATE, START, DESCRIBE]
    assert result["listener"]["status"] == "starting"


def test_create_stopped_reads_once_for_the_result():
    slb = SequencedSlb({DESCRIBE: [PORT_UNKNOWN, dict(LIVE, Status="stopped")], CREATE: {}})
    result = converge(slb, dict(CREATE_PARAMS), state="stopped")
    assert slb.calls == [DESCRIBE, CREATE, DESCRIBE]
    assert result["actions"] == ["create"] and result["listener"]["status"] == "stopped"


def test_warm_run_reads_the_listener_once_and_nothing_else():
    slb = SequencedSlb({DESCRIBE: LIVE})
    result = converge(slb, dict(CREATE_PARAMS))
    assert slb.calls == [DESCRIBE]
    assert result["changed"] is False and result["listener"]["status"] == "running"


def test_update_alone_returns_the_live_listener_with_the_values_set():
    slb = SequencedSlb({DESCRIBE: LIVE, SET: {}})
    result = converge(slb, {"tls_cipher_policy": "tls_cipher_policy_1_2"})
    assert slb.calls == [DESCRIBE, SET]
    assert result["actions"] == ["update"]
    assert result["listener"]["tls_cipher_policy"] == "tls_cipher_policy_1_2"
    assert result["listener"]["mutual_authentication"] is True
    assert result["listener"]["server_certificate_id"] == "sc-1"


def test_turning_mutual_authentication_off_reads_back_and_returns_that_read():
    turned_off = dict(LIVE, CACertificateId="", TLSCipherPolicy="tls_cipher_policy_1_2")
    slb = SequencedSlb({DESCRIBE: [LIVE, turned_off], SET: {}})
    result = converge(slb, {"tls_cipher_policy": "tls_cipher_policy_1_2", "ca_certificate_id": ""})
    assert slb.calls == [DESCRIBE, SET, DESCRIBE]
    assert result["actions"] == ["update"]
    assert result["listener"]["mutual_authentication"] is False
    assert result["listener"]["server_certificate_id"] == "sc-1"


def converge_on_fake_time(slb, desired, clock):
    runner = HttpsListenerRunner(Module())
    runner.api = HttpsListenerApi(slb, "lb-1", 443, sleep=clock.sleep, clock=clock.clock)
    return runner.converge(desired)


def test_a_service_that_keeps_the_ca_after_an_empty_ca_certificate_id_fails_after_a_few_reads():
    slb = SequencedSlb({DESCRIBE: LIVE, SET: {}})
    clock = FakeClock()
    with pytest.raises(ListenerWaitTimeout) as info:
        converge_on_fake_time(slb, {"ca_certificate_id": ""}, clock)
    reads_after_the_set = slb.calls[2:]
    assert slb.calls[:2] == [DESCRIBE, SET] and set(reads_after_the_set) == {DESCRIBE}
    assert 3 <= len(reads_after_the_set) <= 8 and 3.0 <= clock.now <= MUTUAL_AUTHENTICATION_OFF_SECONDS
    message = str(info.value)
    assert "ca_certificate_id" in message and "still reports CACertificateId ca-1 after 5s" in message
    assert "state=absent" in message


def test_a_ca_that_goes_away_on_a_later_read_is_mutual_authentication_off():
    """The change may apply asynchronously: the first reads may still show the old CA."""
    turned_off = dict(LIVE, CACertificateId="")
    slb = SequencedSlb({DESCRIBE: [LIVE, LIVE, LIVE, turned_off], SET: {}})
    clock = FakeClock()
    result = converge_on_fake_time(slb, {"ca_certificate_id": ""}, clock)
    assert slb.calls == [DESCRIBE, SET, DESCRIBE, DESCRIBE, DESCRIBE]
    assert result["listener"]["mutual_authentication"] is False and clock.sleeps == [0.2, 0.4]


class RunnableModule(Module):
    """What HttpsListenerRunner.run needs besides the params: the client and the exits."""

    def __init__(self, slb, **options):
        super().__init__(**options)
        self.slb = slb
        self.failure = None
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)

    def fail_json(self, msg, **kwargs):
        self.failure = dict(kwargs, msg=msg)
        raise Failed(msg)

    def exit_json(self, **kwargs):
        raise AssertionError("the run should have failed: {0}".format(kwargs))


@pytest.mark.parametrize("code,status", [("CertificateNotExist", 400), ("ResourceNotFound.Certificate", 404),
                                         ("InvalidParameter", 400)])
def test_an_update_refused_with_a_certificate_code_for_the_empty_ca_says_so_and_what_to_do(code, status):
    refusal = AlicloudApiError(SET, code, "The specified CertificateId does not exist.", request_id="REQ-CA",
                               status_code=status)
    slb = SequencedSlb({DESCRIBE: LIVE, SET: refusal})
    module = RunnableModule(slb)
    module.params.update({"ca_certificate_id": "", "backend_server_port": None, "server_certificate_id": None})
    with pytest.raises(Failed):
        HttpsListenerRunner(module).run()
    assert slb.calls == [DESCRIBE, SET]
    message = module.failure["msg"]
    assert message.startswith("ca_certificate_id: the update of listener lb-1:443 sent an empty CA certificate ID")
    assert "the service refused it: {0} failed: {1}: The specified CertificateId".format(SET, code) in message
    assert "(request id REQ-CA)" in message and "state=absent" in message
    assert module.failure["code"] == code and module.failure["api_action"] == SET


def test_an_empty_ca_refused_together_with_a_new_server_certificate_names_it_to_check_first():
    refusal = AlicloudApiError(SET, "CertificateNotExist", "The specified CertificateId does not exist.",
                               status_code=400)
    slb = SequencedSlb({DESCRIBE: LIVE, SET: refusal})
    module = RunnableModule(slb)
    module.params.update({"ca_certificate_id": "", "server_certificate_id": "sc-2"})
    with pytest.raises(Failed):
        HttpsListenerRunner(module).run()
    assert "If server_certificate_id (sc-2, sent in the same update) is right" in module.failure["msg"]


def test_an_update_refused_for_another_reason_while_turning_off_is_the_plain_api_error():
    refusal = AlicloudApiError(SET, "Forbidden", "User not authorized", status_code=403)
    slb = SequencedSlb({DESCRIBE: LIVE, SET: refusal})
    with pytest.raises(AlicloudApiError) as err:
        converge(slb, {"ca_certificate_id": ""})
    assert err.value.code == "Forbidden"


def test_turning_off_then_starting_checks_the_read_back_before_the_start():
    stopped = dict(LIVE, Status="stopped")
    slb = SequencedSlb({DESCRIBE: [stopped, dict(stopped, CACertificateId=""), dict(LIVE, CACertificateId="")],
                        SET: {}, START: {}})
    result = converge(slb, {"ca_certificate_id": ""})
    assert slb.calls == [DESCRIBE, SET, DESCRIBE, START, DESCRIBE]
    assert result["listener"]["status"] == "running" and result["listener"]["mutual_authentication"] is False


def test_update_and_start_use_the_wait_read_as_the_result():
    stopped = dict(LIVE, Status="stopped")
    slb = SequencedSlb({DESCRIBE: [stopped, dict(LIVE, TLSCipherPolicy="tls_cipher_policy_1_2")], SET: {}, START: {}})
    result = converge(slb, {"tls_cipher_policy": "tls_cipher_policy_1_2"})
    assert slb.calls == [DESCRIBE, SET, START, DESCRIBE]
    assert result["actions"] == ["update", "start"] and result["listener"]["status"] == "running"


def test_stop_uses_the_wait_read_as_the_result():
    slb = SequencedSlb({DESCRIBE: [LIVE, dict(LIVE, Status="stopped")], STOP: {}})
    result = converge(slb, {}, state="stopped")
    assert slb.calls == [DESCRIBE, STOP, DESCRIBE]
    assert result["listener"]["status"] == "stopped"


@pytest.mark.parametrize("state", ["present", "stopped", "absent"])
def test_unknown_load_balancer_is_load_balancer_not_found_from_the_listener_read(state):
    slb = SequencedSlb({DESCRIBE: LB_UNKNOWN})
    with pytest.raises(LoadBalancerNotFound) as err:
        converge(slb, dict(CREATE_PARAMS), state=state)
    assert "lb-1 does not exist in region cn-hangzhou" in str(err.value)
    assert slb.calls == [DESCRIBE]


def test_unknown_load_balancer_reported_only_by_the_create_is_load_balancer_not_found():
    """Should the listener read say "does not exist" for the load balancer too, the create names it."""
    slb = SequencedSlb({DESCRIBE: PORT_UNKNOWN, CREATE: AlicloudApiError(
        CREATE, "InvalidLoadBalancerId.NotFound", "The specified LoadBalancerId does not exist", status_code=404)})
    with pytest.raises(LoadBalancerNotFound):
        converge(slb, dict(CREATE_PARAMS))
    assert slb.calls == [DESCRIBE, CREATE]


def test_port_held_by_http_is_learned_from_the_refused_create_and_named():
    slb = SequencedSlb({DESCRIBE: PORT_UNKNOWN, CREATE: TAKEN, LB_READ: lb_with((443, "http"))})
    with pytest.raises(ListenerConflict) as err:
        converge(slb, dict(CREATE_PARAMS))
    assert "port 443" in str(err.value) and "HTTP listener" in str(err.value) and "listener_port" in str(err.value)
    assert slb.calls == [DESCRIBE, CREATE, DESCRIBE, LB_READ]


def test_create_whose_reply_was_lost_is_accepted_and_started():
    """The retried create meets the listener its first attempt made."""
    stopped = dict(LIVE, Status="stopped")
    slb = SequencedSlb({DESCRIBE: [PORT_UNKNOWN, stopped, LIVE], CREATE: TAKEN, START: {}})
    result = converge(slb, dict(CREATE_PARAMS))
    assert slb.calls == [DESCRIBE, CREATE, DESCRIBE, START, DESCRIBE]
    assert result["listener"]["status"] == "running"


def test_check_mode_reads_the_load_balancer_instead_of_creating():
    slb = SequencedSlb({DESCRIBE: PORT_UNKNOWN, LB_READ: lb_with()})
    result = converge(slb, dict(CREATE_PARAMS), check_mode=True)
    assert slb.calls == [DESCRIBE, LB_READ]
    assert result["changed"] is True and result["actions"] == ["create", "start"]


def test_check_mode_names_the_protocol_holding_the_port():
    slb = SequencedSlb({DESCRIBE: PORT_UNKNOWN, LB_READ: lb_with((443, "tcp"))})
    with pytest.raises(ListenerConflict) as err:
        converge(slb, dict(CREATE_PARAMS), check_mode=True)
    assert "TCP listener" in str(err.value)


def test_missing_create_options_fail_before_any_mutating_call():
    slb = SequencedSlb({DESCRIBE: PORT_UNKNOWN})
    with pytest.raises(Failed) as err:
        converge(slb, {"backend_server_port": 80})
    assert "server_certificate_id" in str(err.value)
    assert slb.calls == [DESCRIBE]


STATUS_REFUSED = AlicloudApiError(START, "OperationFailed.ListenerStatusNotSupport",
                                  "The status of the listener does not support this operation. Please try again later.",
                                  status_code=400)


def test_start_refused_while_the_new_listener_is_still_being_set_up_is_retried():
    slb = SequencedSlb({START: [STATUS_REFUSED, {}], DESCRIBE: dict(LIVE, Status="configuring")})
    HttpsListenerApi(slb, "lb-1", 443).start()
    assert slb.calls == [START, DESCRIBE, START]


def test_start_refused_because_the_listener_already_runs_is_done():
    slb = SequencedSlb({START: STATUS_REFUSED, DESCRIBE: LIVE})
    HttpsListenerApi(slb, "lb-1", 443).start()
    assert slb.calls == [START, DESCRIBE]


def test_start_refused_until_the_retries_run_out_reports_the_service_error():
    slb = SequencedSlb({START: STATUS_REFUSED, DESCRIBE: dict(LIVE, Status="configuring")})
    slb.retry_policy = RetryPolicy(max_attempts=3, sleep=lambda seconds: None)
    with pytest.raises(ListenerStillSettling) as err:
        HttpsListenerApi(slb, "lb-1", 443).start()
    assert err.value.code == "OperationFailed.ListenerStatusNotSupport" and err.value.action == START
    assert "retry_max_attempts" in err.value.describe()
    assert slb.calls == [START, DESCRIBE] * 3


def test_start_refused_for_another_reason_is_not_retried():
    refused = AlicloudApiError(START, "Forbidden", "User not authorized", status_code=403)
    slb = SequencedSlb({START: refused, DESCRIBE: dict(LIVE, Status="stopped")})
    with pytest.raises(AlicloudApiError) as err:
        HttpsListenerApi(slb, "lb-1", 443).start()
    assert err.value.code == "Forbidden" and slb.calls == [START]


SET_REFUSED = AlicloudApiError(SET, "OperationFailed.ListenerStatusNotSupport",
                               "The status of the listener does not support this operation. Please try again later.",
                               status_code=400)


def test_update_refused_while_the_listener_settles_is_asked_again():
    """Setting attributes is idempotent, so no read is needed between the attempts."""
    slb = SequencedSlb({SET: [SET_REFUSED, SET_REFUSED, {}]})
    HttpsListenerApi(slb, "lb-1", 443).update({"TLSCipherPolicy": "tls_cipher_policy_1_2"})
    assert slb.calls == [SET, SET, SET]


def test_update_refused_until_the_retries_run_out_reports_the_service_error():
    slb = SequencedSlb({SET: SET_REFUSED})
    slb.retry_policy = RetryPolicy(max_attempts=4, sleep=lambda seconds: None)
    with pytest.raises(AlicloudApiError) as err:
        HttpsListenerApi(slb, "lb-1", 443).update({"TLSCipherPolicy": "tls_cipher_policy_1_2"})
    assert err.value.code == "OperationFailed.ListenerStatusNotSupport" and err.value.action == SET
    assert "retry_max_attempts" in err.value.describe()
    assert slb.calls == [SET] * 4


def test_update_refused_for_a_bad_parameter_is_not_retried():
    bad = AlicloudApiError(SET, "InvalidParameter", "The specified parameter is not valid.", status_code=400)
    slb = SequencedSlb({SET: bad})
    with pytest.raises(AlicloudApiError) as err:
        HttpsListenerApi(slb, "lb-1", 443).update({"TLSCipherPolicy": "nope"})
    assert err.value.code == "InvalidParameter" and slb.calls == [SET]
