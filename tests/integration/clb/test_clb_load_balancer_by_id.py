"""load_balancer given only load_balancer_id uses the instance as it is (no name needed, never a
rename); given neither a name nor an ID it fails before any API call."""
from __future__ import annotations

from tests.support.ansible_run import run_module
from clb_helpers import create_load_balancer, mutating

LOAD_BALANCER = "mtls.clb.load_balancer"


def test_id_without_name_reads_the_instance_and_changes_nothing(emu, args, slb):
    load_balancer_id = create_load_balancer(slb, name="keep-this-name")
    start = len(emu.calls())

    results = [run_module(LOAD_BALANCER, {**args, "load_balancer_id": load_balancer_id}, check=True),
               run_module(LOAD_BALANCER, {**args, "load_balancer_id": load_balancer_id})]

    assert [r["changed"] for r in results] == [False, False], [r.get("msg") for r in results]
    assert {r["load_balancer_id"] for r in results} == {load_balancer_id}
    assert results[1]["address"] and results[1]["load_balancer"]["load_balancer_name"] == "keep-this-name"
    assert mutating(emu, start) == []


def test_neither_name_nor_id_fails_without_calling_the_api(emu, args):
    start = len(emu.calls())
    result = run_module(LOAD_BALANCER, {**args})
    assert result["failed"]
    assert "name" in result["msg"] and "load_balancer_id" in result["msg"]
    assert emu.calls()[start:] == []
