"""Role mtls_listener against the emulator: a new load balancer is pay-by-LCU, and after a run that
creates/starts the listener or changes the backends the role waits until the listed servers pass the
health check (the procedure's DescribeHealthStatus poll before step 7); a run that changed nothing
makes exactly the three Describe calls it made before the wait existed."""
from __future__ import annotations

import pytest

from tests.support.ansible_run import run_playbook
from clb_helpers import (STEP_6_PLAYBOOK, actions, mutating, step_6_vars, upload_ca_certificate,
                         upload_server_certificate)


@pytest.fixture
def role(emu, slb, pki, tmp_path):
    playbook = tmp_path / "listener.yml"
    playbook.write_text(STEP_6_PLAYBOOK)
    base = step_6_vars(emu, mtls_clb_create_load_balancer=True, mtls_clb_load_balancer_name="health-wait",
                       mtls_listener_server_certificate_id=upload_server_certificate(slb, pki),
                       mtls_listener_ca_certificate_id=upload_ca_certificate(slb, pki))
    stopped = []

    def run(**extra_vars):
        return run_playbook(playbook, extra_vars={**base, **extra_vars})

    def stop(instance_id):
        emu.set_ecs_status(instance_id, "Stopped")
        stopped.append(instance_id)

    try:
        yield run, stop
    finally:
        # The session emulator's demo backends outlive the reset between tests.
        for instance_id in stopped:
            emu.set_ecs_status(instance_id, "Running")


def test_cold_run_creates_pay_by_lcu_and_waits_for_health_warm_run_does_not(emu, slb, role):
    run, _stop = role
    cold = run()
    assert cold.rc == 0, cold.stdout[-3000:]
    calls = actions(emu)
    started = calls.index("StartLoadBalancerListener")
    assert "DescribeHealthStatus" in calls[started:]
    # The wait reads health only: no listener listing per poll.
    assert set(calls[calls.index("DescribeHealthStatus"):]) == {"DescribeHealthStatus"}, calls[started:]
    created = slb.call("DescribeLoadBalancers", {"LoadBalancerName": "health-wait"})["LoadBalancers"]["LoadBalancer"]
    assert [(x["InstanceChargeType"], x["LoadBalancerSpec"]) for x in created] == [("PayByCLCU", "slb.lcu.elastic")]
    health = slb.call("DescribeHealthStatus", {"LoadBalancerId": created[0]["LoadBalancerId"], "ListenerPort": 443})
    assert sorted(s["ServerHealthStatus"] for s in health["BackendServers"]["BackendServer"]) == ["normal", "normal"]

    before = len(emu.calls())
    warm = run()
    assert warm.rc == 0, warm.stdout[-3000:]
    assert actions(emu, before) == ["DescribeLoadBalancers", "DescribeLoadBalancerAttribute",
                                    "DescribeLoadBalancerHTTPSListenerAttribute"]
    assert '"changed": true' not in warm.stdout


def test_wait_names_the_unhealthy_backend_and_accepts_fewer_when_asked(emu, role):
    run, stop = role
    assert run().rc == 0
    healthy_id, stopped_id = emu.ecs_ids
    stop(stopped_id)

    # A backend change triggers the wait; one healthy server is enough when that is what is asked for.
    before = len(emu.calls())
    enough = run(mtls_listener_backend_weight=50, mtls_listener_wait_healthy_backends=1)
    assert enough.rc == 0, enough.stdout[-3000:]
    assert mutating(emu, before) == ["SetBackendServers"]
    assert "DescribeHealthStatus" in actions(emu, before)

    before = len(emu.calls())
    refused = run(mtls_listener_backend_weight=60, mtls_listener_wait_healthy_timeout=8)
    assert refused.rc != 0
    assert mutating(emu, before) == ["SetBackendServers"]
    text = refused.stdout
    assert "only 1 backend server(s) healthy after 8 s, 2 wanted (wait_healthy_backends)" in text
    assert stopped_id + " (abnormal)" in text or stopped_id + " (unavailable)" in text
    assert healthy_id + " (" not in text
    assert "100.64.0.0/10" in text
    # The module's options, then the role variables behind them.
    assert ("Role variables behind the options named above: wait_healthy_backends = mtls_listener_wait_healthy_backends"
            in text), text[-2000:]
    assert "wait_timeout = mtls_listener_wait_healthy_timeout" in text


def test_refused_billing_and_name_fail_before_any_call(emu, role):
    run, _stop = role
    spec_only = run(mtls_clb_load_balancer_spec="slb.s1.small")
    assert spec_only.rc != 0 and "mtls_listener_instance_charge_type" in spec_only.stdout
    bad_name = run(mtls_clb_load_balancer_name="9 lives")
    assert bad_name.rc != 0 and "mtls_listener_load_balancer_name (mtls_clb_load_balancer_name)" in bad_name.stdout
    # The fixture's uploads are the only calls.
    assert mutating(emu) == ["UploadServerCertificate", "UploadCACertificate"]
    assert [a for a in actions(emu) if a.startswith("Describe")] == []
