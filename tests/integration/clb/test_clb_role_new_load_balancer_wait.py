"""Role mtls_listener creating its load balancer waits until the new instance can be read before it
configures backends and the listener, as Terraform does after CreateLoadBalancer: a service whose reads
lag the create (`/_emulator/unlisted-new-load-balancer-reads`) answers NotFound for the first reads of a
new instance, and the backends' module, the next to read it, would otherwise fail on the first run."""
from __future__ import annotations

import pytest

from tests.support.ansible_run import run_playbook
from clb_helpers import STEP_6_PLAYBOOK, actions, step_6_vars, upload_ca_certificate, upload_server_certificate

HOOK = "/_emulator/unlisted-new-load-balancer-reads"


@pytest.fixture
def lagging_reads(emu):
    emu._hook("POST", HOOK, {"reads": 2})
    try:
        yield
    finally:
        emu._hook("POST", HOOK, {"reads": 0})


def test_a_new_instance_is_waited_for_before_the_backends_and_the_listener(emu, slb, pki, tmp_path, lagging_reads):
    playbook = tmp_path / "listener.yml"
    playbook.write_text(STEP_6_PLAYBOOK)
    extra_vars = step_6_vars(emu, mtls_clb_create_load_balancer=True, mtls_clb_load_balancer_name="lagging-reads",
                             mtls_listener_server_certificate_id=upload_server_certificate(slb, pki),
                             mtls_listener_ca_certificate_id=upload_ca_certificate(slb, pki))
    start = len(emu.calls())

    run = run_playbook(playbook, extra_vars=extra_vars)

    assert run.rc == 0, run.stdout[-3000:]
    calls = emu.calls()[start:]
    created = [call["action"] for call in calls].index("CreateLoadBalancer")
    # The wait reads until the instance answers (two lagging reads, then the instance), and only then do the
    # backends' module (its own read first) and the listener's calls follow.
    following = [(call["action"], call["code"]) for call in calls[created + 1:created + 6]]
    assert following == [("DescribeLoadBalancerAttribute", "InvalidLoadBalancerId.NotFound")] * 2 + [
        ("DescribeLoadBalancerAttribute", None), ("DescribeLoadBalancerAttribute", None),
        ("AddBackendServers", None)], following
    assert "StartLoadBalancerListener" in actions(emu, start)
