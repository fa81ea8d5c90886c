"""The "listener is busy" codes of the real SLB API, injected through the emulator's fault rules
(`/_emulator/faults`; a faulted call changes nothing): the modules retry them where they mean
"try again later" and converge, and fail at once where the same code is a final refusal."""
from __future__ import annotations

from tests.support.ansible_run import run_module
from clb_helpers import actions, running_listener

LISTENER = "mtls.clb.https_listener"
LB = "mtls.clb.load_balancer"
START = "StartLoadBalancerListener"
DELETE = "DeleteLoadBalancerListener"
SET = "SetLoadBalancerHTTPSListenerAttribute"


def outcomes(emu, action, since=0):
    """(HTTP status, code) of each call of `action` in the call log, oldest first."""
    return [(call["status"], call["code"]) for call in emu.calls()[since:] if call["action"] == action]


def test_start_answered_listener_processing_then_operation_deny_is_retried_and_converges(emu, args, stack):
    emu.set_faults([{"action": START, "error": "ListenerProcessing", "count": 2},
                    {"action": START, "error": "Operation.Deny", "count": 1}])
    params = {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443, "backend_server_port": 80,
              "server_certificate_id": stack["server_certificate_id"], "ca_certificate_id": stack["ca_certificate_id"]}

    result = run_module(LISTENER, params)

    assert result.get("failed") is not True, result.get("msg")
    assert result["actions"] == ["create", "start"] and result["listener"]["status"] == "running"
    assert outcomes(emu, START) == [(400, "ListenerProcessing"), (400, "ListenerProcessing"),
                                    (400, "Operation.Deny"), (200, None)]
    emu.clear_faults()
    assert run_module(LISTENER, params)["changed"] is False


def test_set_and_delete_answered_listener_status_codes_are_retried(emu, args, slb, stack):
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    base = {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443}
    emu.set_faults([{"action": SET, "error": "Operation.Deny", "count": 1},
                    {"action": SET, "error": "OperationFailed.ListenerStatusNotSupport", "count": 1},
                    {"action": DELETE, "error": "OperationFailed.ListenerStatusNotSupport", "count": 2}])

    updated = run_module(LISTENER, {**base, "description": "after-the-settling"})
    deleted = run_module(LISTENER, {**base, "state": "absent"})

    assert updated["actions"] == ["update"] and updated["listener"]["description"] == "after-the-settling"
    assert outcomes(emu, SET) == [(400, "Operation.Deny"), (400, "OperationFailed.ListenerStatusNotSupport"),
                                  (200, None)]
    assert deleted["changed"] and outcomes(emu, DELETE) == [(400, "OperationFailed.ListenerStatusNotSupport")] * 2 + \
        [(200, None)]
    assert run_module(LISTENER, {**base, "state": "absent"})["changed"] is False


def test_operation_deny_on_create_load_balancer_fails_at_once_with_the_code(emu, args):
    emu.set_faults([{"action": "CreateLoadBalancer", "error": "Operation.Deny", "count": 1}])

    result = run_module(LB, {**args, "name": "denied-clb"})

    assert result["failed"] and result["code"] == "Operation.Deny"
    assert result["msg"].startswith("CreateLoadBalancer failed: Operation.Deny")
    assert "retry_max_attempts" not in result["msg"]
    assert actions(emu).count("CreateLoadBalancer") == 1
    emu.clear_faults()
    assert run_module(LB, {**args, "name": "denied-clb", "state": "absent"})["changed"] is False


def test_create_load_balancer_whose_client_token_is_processing_is_asked_again_and_creates_one(emu, args):
    emu.set_faults([{"action": "CreateLoadBalancer", "error": "OperationFailed.TokenIsProcessing", "count": 1}])

    result = run_module(LB, {**args, "name": "token-clb"})

    assert result["changed"] and result["load_balancer_id"]
    assert outcomes(emu, "CreateLoadBalancer") == [(400, "OperationFailed.TokenIsProcessing"), (200, None)]
    emu.clear_faults()
    assert run_module(LB, {**args, "name": "token-clb"})["changed"] is False
