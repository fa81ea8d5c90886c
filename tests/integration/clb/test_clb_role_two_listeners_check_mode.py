"""Two mtls.clb.mtls_listener includes on one load balancer in a user's own playbook: the first may create
the instance, the second (another port) only uses it. In check mode nothing is created, so the second
include found no instance and failed, while the real run then succeeded. Check mode now remembers the
instances an earlier include of the same run plans to create (by region and name), so the plan goes through;
a second include naming an instance nobody plans to create still fails as the real run would."""
from __future__ import annotations

import pytest

from tests.support.ansible_run import run_playbook
from clb_helpers import mutating, step_6_vars, upload_ca_certificate, upload_server_certificate

TWO_LISTENERS = """\
- name: Two listeners on one load balancer
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: The HTTPS listener on 443, creating the load balancer if needed
      ansible.builtin.include_role:
        name: mtls.clb.mtls_listener
      vars:
        mtls_listener_create_load_balancer: true
    - name: The HTTPS listener on 8443 of the same load balancer
      ansible.builtin.include_role:
        name: mtls.clb.mtls_listener
      vars:
        mtls_listener_port: 8443
        mtls_listener_create_load_balancer: false
        mtls_listener_load_balancer_name: "{{ second_name }}"
"""
REPORT = "mtls.clb.mtls_listener : Report what a real run would configure"


@pytest.fixture
def run(emu, slb, pki, tmp_path):
    playbook = tmp_path / "two-listeners.yml"
    playbook.write_text(TWO_LISTENERS)
    base = step_6_vars(emu, mtls_clb_load_balancer_name="two-listeners", second_name="two-listeners",
                       mtls_listener_server_certificate_id=upload_server_certificate(slb, pki),
                       mtls_listener_ca_certificate_id=upload_ca_certificate(slb, pki))

    def run_it(check=False, **extra_vars):
        return run_playbook(playbook, check=check, diff=check, extra_vars={**base, **extra_vars})

    return run_it


def listeners(slb, name):
    found = slb.call("DescribeLoadBalancers", {"LoadBalancerName": name})["LoadBalancers"]["LoadBalancer"]
    assert len(found) == 1, found
    attribute = slb.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": found[0]["LoadBalancerId"]})
    return sorted(attribute["ListenerPorts"]["ListenerPort"])


def test_check_mode_plans_the_second_listener_on_the_instance_the_first_would_create(emu, slb, run):
    before = len(emu.calls())
    plan = run(check=True)

    assert plan.rc == 0, plan.stdout[-3000:]
    assert mutating(emu, before) == []
    second = plan.task_results(REPORT)
    assert "port 8443" in second["msg"] and "an earlier mtls.clb.mtls_listener of this run creates it" in second["msg"]
    # The first include is the one that creates it.
    assert plan.stdout.count("does not exist yet; a real run creates it") == 1, plan.stdout[-3000:]

    done = run()
    assert done.rc == 0, done.stdout[-3000:]
    assert listeners(slb, "two-listeners") == [443, 8443]
    again = run(check=True)
    assert again.rc == 0 and again.changed_per_host() == {"localhost": 0}, again.stdout[-3000:]


def test_check_mode_still_fails_for_an_instance_no_include_would_create(emu, run):
    before = len(emu.calls())
    plan = run(check=True, second_name="two-listener")

    assert plan.rc != 0
    assert mutating(emu, before) == []
    assert "Load balancer two-listener not found" in plan.stdout
    assert "mtls_listener_create_load_balancer: true" in plan.stdout
