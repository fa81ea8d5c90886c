"""A final (not retried) refusal after an earlier call of the same task went through: the task fails with the
refusal first, says what it already changed and that a re-run finishes the job, reports changed; the re-run
does only what is left, creates nothing twice and converges. The refusal is injected (`/_emulator/faults`,
a faulted call changes nothing): Forbidden.RAM, a RAM policy that lacks one action, is a realistic way to
meet it half-way through a task."""
from __future__ import annotations

from tests.support.ansible_run import run_module
from clb_helpers import running_listener

LISTENER = "mtls.clb.https_listener"
BACKENDS = "mtls.clb.backend_servers"
REFUSED = "Forbidden.RAM"


def applied(emu, action: str, since: int = 0) -> int:
    return sum(1 for call in emu.calls()[since:] if call["action"] == action and call["status"] == 200)


def listener_params(args, stack, **extra) -> dict:
    return {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443, "backend_server_port": 80,
            "server_certificate_id": stack["server_certificate_id"], "ca_certificate_id": stack["ca_certificate_id"],
            **extra}


def test_listener_created_then_start_refused_reports_the_creation_and_the_rerun_starts_it(emu, args, stack):
    emu.set_faults([{"action": "StartLoadBalancerListener", "error": REFUSED, "count": 1}])
    params = listener_params(args, stack)

    failed = run_module(LISTENER, params)

    assert failed["failed"] and failed["code"] == REFUSED and failed["api_action"] == "StartLoadBalancerListener"
    assert failed["msg"].startswith("StartLoadBalancerListener failed: Forbidden.RAM"), failed["msg"]
    assert "slb:StartLoadBalancerListener" in failed["msg"]  # the permission hint is kept
    assert f"listener {stack['load_balancer_id']}:443 was created" in failed["msg"], failed["msg"]
    assert "a new run compares the listener as it is and does only what is left" in failed["msg"]
    assert failed["changed"] is True and failed["actions"] == ["create"]
    assert args["access_key_secret"] not in failed["_stdout"] + failed["_stderr"]

    emu.clear_faults()
    since = len(emu.calls())
    rerun = run_module(LISTENER, params)
    assert rerun["failed"] is False and rerun["actions"] == ["start"], rerun.get("msg")
    assert rerun["listener"]["status"] == "running"
    assert applied(emu, "CreateLoadBalancerHTTPSListener", since) == 0
    assert applied(emu, "CreateLoadBalancerHTTPSListener") == 1
    assert run_module(LISTENER, params)["changed"] is False


def test_listener_updated_then_start_refused_reports_the_update(emu, args, slb, stack):
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    assert run_module(LISTENER, listener_params(args, stack, state="stopped"))["actions"] == ["stop"]
    emu.set_faults([{"action": "StartLoadBalancerListener", "error": REFUSED, "count": 1}])
    params = listener_params(args, stack, description="updated-then-refused")

    failed = run_module(LISTENER, params)

    assert failed["failed"] and failed["changed"] is True and failed["actions"] == ["update"]
    assert "was updated, and that stays" in failed["msg"], failed["msg"]
    emu.clear_faults()
    rerun = run_module(LISTENER, params)
    assert rerun["actions"] == ["start"] and rerun["listener"]["description"] == "updated-then-refused"


def test_refusal_before_any_change_says_nothing_was_changed(emu, args, stack):
    emu.set_faults([{"action": "CreateLoadBalancerHTTPSListener", "error": REFUSED, "count": 1}])

    failed = run_module(LISTENER, listener_params(args, stack))

    assert failed["failed"] and failed["changed"] is False and "Before this failure" not in failed["msg"]


def test_backends_added_then_removal_refused_reports_the_add_and_the_rerun_removes_only(emu, args, slb, stack):
    first, second = emu.ecs_ids
    run_module(BACKENDS, {**args, "load_balancer_id": stack["load_balancer_id"], "servers": [{"server_id": first}],
                          "state": "absent"})
    # The group now holds `second` only; the task wants `first` only, so it adds `first`, then removes `second`
    # (adds first: a server being replaced keeps serving until its replacement is in).
    params = {**args, "load_balancer_id": stack["load_balancer_id"], "servers": [{"server_id": first}], "purge": True}
    emu.set_faults([{"action": "RemoveBackendServers", "error": REFUSED, "count": 1}])

    failed = run_module(BACKENDS, params)

    assert failed["failed"] and failed["code"] == REFUSED and failed["changed"] is True
    assert failed["msg"].startswith("RemoveBackendServers failed: Forbidden.RAM"), failed["msg"]
    assert f"AddBackendServers ({first})" in failed["msg"] and "a new run compares the group" in failed["msg"]
    emu.clear_faults()
    since = len(emu.calls())
    rerun = run_module(BACKENDS, params)
    assert rerun["failed"] is False and rerun["added"] == [] and rerun["removed"] == [second]
    assert applied(emu, "AddBackendServers", since) == 0
    assert run_module(BACKENDS, params)["changed"] is False


def test_load_balancer_created_then_its_wait_refused_returns_the_instance_and_the_rerun_finds_it(emu, args):
    emu.set_faults([{"action": "DescribeLoadBalancerAttribute", "error": REFUSED, "count": 1}])
    params = {**args, "name": "created-then-refused", "wait": True}

    failed = run_module("mtls.clb.load_balancer", params)

    assert failed["failed"] and failed["code"] == REFUSED and failed["changed"] is True
    assert failed["msg"].startswith("DescribeLoadBalancerAttribute failed: Forbidden.RAM"), failed["msg"]
    assert f"Load balancer {failed['load_balancer_id']} ('created-then-refused') was created" in failed["msg"]
    emu.clear_faults()
    rerun = run_module("mtls.clb.load_balancer", params)
    assert rerun["changed"] is False and rerun["load_balancer_id"] == failed["load_balancer_id"]
    assert applied(emu, "CreateLoadBalancer") == 1
