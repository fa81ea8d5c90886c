"""load_balancer and backend_servers against the emulator: four steps, re-weighting, purge,
deletion, and the missing-load-balancer error."""
from __future__ import annotations

from tests.support.ansible_run import run_module
from clb_helpers import actions, add_backends, create_load_balancer, mutating

LB = "mtls.clb.load_balancer"
BACKENDS = "mtls.clb.backend_servers"


def test_load_balancer_four_steps_then_absent_four_steps(emu, args):
    params = {**args, "name": "mtls-demo", "instance_charge_type": "PayByCLCU", "address_type": "internet"}
    results = [run_module(LB, params, check=True), run_module(LB, params), run_module(LB, params, check=True)]
    unchanged_from = len(emu.calls())
    results.append(run_module(LB, params))
    assert [r["changed"] for r in results] == [True, True, False, False]
    assert actions(emu, unchanged_from) == ["DescribeLoadBalancers"]
    created = results[1]
    assert created["load_balancer_id"].startswith("lb-") and created["address"]
    assert results[3]["load_balancer_id"] == created["load_balancer_id"]
    assert results[3]["address"] == created["address"]
    assert created["load_balancer"]["instance_charge_type"] == "PayByCLCU"
    # A pay-by-LCU instance reads back as slb.lcu.elastic; the module compares only what was given.
    assert results[3]["load_balancer"]["load_balancer_spec"] == "slb.lcu.elastic"
    assert not results[3].get("warnings")
    assert actions(emu).count("CreateLoadBalancer") == 1

    absent = {**args, "name": "mtls-demo", "state": "absent"}
    results = [run_module(LB, absent, check=True), run_module(LB, absent), run_module(LB, absent, check=True),
               run_module(LB, absent)]
    assert [r["changed"] for r in results] == [True, True, False, False]
    assert actions(emu).count("DeleteLoadBalancer") == 1


def test_load_balancer_by_unknown_id_is_a_clear_error(emu, args):
    result = run_module(LB, {**args, "name": "x", "load_balancer_id": "lb-missing00000000"})
    assert result["failed"] and "lb-missing00000000 does not exist in region cn-hangzhou" in result["msg"]
    assert mutating(emu) == []


def test_backend_servers_four_steps_reweight_and_purge(emu, args, slb):
    load_balancer_id = create_load_balancer(slb)
    ecs01, ecs02 = emu.ecs_ids
    params = {**args, "load_balancer_id": load_balancer_id,
              "servers": [{"server_id": ecs01}, {"server_id": ecs02, "weight": 50}]}
    start = len(emu.calls())
    results = [run_module(BACKENDS, params, check=True, diff=True), run_module(BACKENDS, params),
               run_module(BACKENDS, params, check=True), run_module(BACKENDS, params)]
    assert [r["changed"] for r in results] == [True, True, False, False]
    assert results[0]["added"] == [ecs01, ecs02]
    assert results[0]["diff"]["before"] == {"backend_servers": []}
    assert [s["server_id"] for s in results[0]["diff"]["after"]["backend_servers"]] == sorted([ecs01, ecs02])
    assert sorted((s["server_id"], s["weight"]) for s in results[1]["backend_servers"]) == sorted(
        [(ecs01, 100), (ecs02, 50)])
    assert mutating(emu, start) == ["AddBackendServers"]

    start = len(emu.calls())
    reweight = run_module(BACKENDS, {**params, "servers": [{"server_id": ecs02, "weight": 80}]})
    assert reweight["changed"] and reweight["updated"] == [ecs02] and reweight["removed"] == []
    assert mutating(emu, start) == ["SetBackendServers"]

    start = len(emu.calls())
    purge = run_module(BACKENDS, {**params, "servers": [{"server_id": ecs02, "weight": 80}], "purge": True})
    assert purge["changed"] and purge["removed"] == [ecs01]
    assert [s["server_id"] for s in purge["backend_servers"]] == [ecs02]
    assert mutating(emu, start) == ["RemoveBackendServers"]


def test_a_replacement_the_service_refuses_leaves_the_group_serving(emu, args, slb):
    """purge with a mistyped new ID: the add is refused (ObtainIpFail) and the old server is not removed first."""
    load_balancer_id = create_load_balancer(slb)
    ecs01, ecs02 = emu.ecs_ids
    add_backends(slb, load_balancer_id, [ecs01, ecs02])
    start = len(emu.calls())

    result = run_module(BACKENDS, {**args, "load_balancer_id": load_balancer_id, "purge": True,
                                   "servers": [{"server_id": ecs01}, {"server_id": "i-bp3ecs04doesnotexis"}]})

    assert result["failed"] and "ObtainIpFail" in result["msg"] and not result.get("changed")
    assert mutating(emu, start) == ["AddBackendServers"]  # refused; no RemoveBackendServers before or after it
    members = slb.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": load_balancer_id})
    assert sorted(server["ServerId"] for server in members["BackendServers"]["BackendServer"]) == sorted([ecs01, ecs02])


def test_backend_servers_state_absent_removes_listed(emu, args, slb):
    load_balancer_id = create_load_balancer(slb)
    add_backends(slb, load_balancer_id, emu.ecs_ids)
    params = {**args, "load_balancer_id": load_balancer_id, "servers": [{"server_id": emu.ecs_ids[0]}],
              "state": "absent"}
    first, second = run_module(BACKENDS, params), run_module(BACKENDS, params)
    assert (first["changed"], second["changed"]) == (True, False)
    assert [s["server_id"] for s in first["backend_servers"]] == [emu.ecs_ids[1]]


def test_backend_servers_on_a_missing_load_balancer_is_a_clear_error(emu, args):
    result = run_module(BACKENDS, {**args, "load_balancer_id": "lb-missing00000000",
                                   "servers": [{"server_id": emu.ecs_ids[0]}]})
    assert result["failed"] and "lb-missing00000000 does not exist" in result["msg"]
    assert mutating(emu) == []
