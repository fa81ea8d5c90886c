"""load_balancer given load_balancer_id and another name renames the instance (SetLoadBalancerName):
check, apply, check again, apply again -> changed, changed, not changed, not changed."""
from __future__ import annotations

from tests.support.ansible_run import run_module
from clb_helpers import create_load_balancer, mutating

LOAD_BALANCER = "mtls.clb.load_balancer"


def test_rename_by_id_four_steps(emu, args, slb):
    load_balancer_id = create_load_balancer(slb, name="old-name")
    params = {**args, "name": "new-name", "load_balancer_id": load_balancer_id}
    start = len(emu.calls())

    check = run_module(LOAD_BALANCER, params, check=True, diff=True)
    assert check["changed"] and check["load_balancer_id"] == load_balancer_id
    assert (check["diff"]["before"]["name"], check["diff"]["after"]["name"]) == ("old-name", "new-name")
    assert mutating(emu, start) == []
    assert slb.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": load_balancer_id})["LoadBalancerName"] \
        == "old-name"

    apply = run_module(LOAD_BALANCER, params, diff=True)
    assert apply["changed"] and apply["load_balancer_id"] == load_balancer_id
    assert apply["load_balancer"]["load_balancer_name"] == "new-name"
    assert mutating(emu, start) == ["SetLoadBalancerName"]

    again = [run_module(LOAD_BALANCER, params, check=True), run_module(LOAD_BALANCER, params)]
    assert [r["changed"] for r in again] == [False, False], [r.get("msg") for r in again]
    assert mutating(emu, start) == ["SetLoadBalancerName"]
    found = slb.call("DescribeLoadBalancers", {"LoadBalancerName": "new-name"})["LoadBalancers"]["LoadBalancer"]
    assert [lb["LoadBalancerId"] for lb in found] == [load_balancer_id]
    # Renamed, not re-created: the address (and so every client's DNS record) stays.
    assert apply["address"] == again[1]["address"]
    assert slb.call("DescribeLoadBalancers", {"LoadBalancerName": "old-name"})["LoadBalancers"]["LoadBalancer"] == []


def test_rename_of_an_unknown_id_fails_and_creates_nothing(emu, args, slb):
    result = run_module(LOAD_BALANCER, {**args, "name": "x", "load_balancer_id": "lb-doesnotexist00000000000"})
    assert result.get("failed") and "lb-doesnotexist00000000000" in result["msg"]
    assert "load_balancer_id" in result["msg"]
    assert mutating(emu) == []
