"""load_balancer creates what Alibaba Cloud sells now (pay-by-LCU), refuses billing combinations and
names the API documents as invalid before any call, and compares an existing instance without a
warning on every run - through the real `ansible` CLI against the emulator."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import SlbApi
from tests.support.ansible_run import run_module
from tests.support.emulator import start_emulator
from clb_helpers import actions, upload_server_certificate

LB = "mtls.clb.load_balancer"


def test_a_new_instance_is_pay_by_lcu_and_reads_back_without_warnings(emu, args):
    created = run_module(LB, {**args, "name": "mtls-clb"})
    assert created["changed"] and not created.get("warnings")
    assert created["load_balancer"]["instance_charge_type"] == "PayByCLCU"
    again = run_module(LB, {**args, "name": "mtls-clb", "instance_charge_type": "PayByCLCU",
                            "address_type": "internet"})
    assert not again["changed"] and not again.get("warnings"), again.get("warnings")
    assert again["load_balancer"]["load_balancer_spec"] == "slb.lcu.elastic"
    assert again["load_balancer"]["instance_charge_type"] == "PayByCLCU"
    assert actions(emu).count("CreateLoadBalancer") == 1


def test_the_listing_s_number_code_for_the_charge_type_is_read_as_its_text(emu, args):
    """DescribeLoadBalancers answers InternetChargeType "4" with "paybytraffic" in InternetChargeTypeAlias (the API's
    documented example; the emulator answers the same): an instance asked for by that text draws no warning, and the
    module returns the text."""
    run_module(LB, {**args, "name": "mtls-clb"})
    listed = SlbApi(emu.sdk_client(), emu.region).call("DescribeLoadBalancers", {"LoadBalancerName": "mtls-clb"})
    assert listed["LoadBalancers"]["LoadBalancer"][0]["InternetChargeType"] == "4"
    again = run_module(LB, {**args, "name": "mtls-clb", "internet_charge_type": "paybytraffic"})
    assert not again["changed"] and not again.get("warnings"), again.get("warnings")
    assert again["load_balancer"]["internet_charge_type"] == "paybytraffic"


@pytest.mark.parametrize("params,named", [
    ({"load_balancer_spec": "slb.s1.small"}, ("load_balancer_spec", "instance_charge_type", "(the default)")),
    ({"load_balancer_spec": "slb.s1.small", "instance_charge_type": "PayByCLCU"},
     ("load_balancer_spec", "instance_charge_type=PayBySpec")),
    ({"internet_charge_type": "paybybandwidth", "bandwidth": 10}, ("paybybandwidth", "instance_charge_type")),
], ids=["spec-with-default-clcu", "spec-with-clcu", "bandwidth-with-clcu"])
def test_invalid_billing_combinations_fail_before_any_call(emu, args, params, named):
    result = run_module(LB, {**args, "name": "mtls-clb", **params})
    assert result["failed"]
    for text in named:
        assert text in result["msg"], (text, result["msg"])
    assert actions(emu) == []


def test_pay_by_specification_is_refused_by_the_service_and_nothing_is_created(emu, args):
    result = run_module(LB, {**args, "name": "mtls-clb", "instance_charge_type": "PayBySpec",
                             "load_balancer_spec": "slb.s1.small"})
    assert result["failed"] and result["code"] == "IllegalParam.InstanceChargeType"
    assert result["msg"].startswith("CreateLoadBalancer failed: IllegalParam.InstanceChargeType")
    assert "no longer sold" in result["msg"] and "instance_charge_type=PayByCLCU" in result["msg"]
    assert actions(emu) == ["DescribeLoadBalancers", "CreateLoadBalancer"]
    assert [call["status"] for call in emu.calls()][-1] == 400
    listed = run_module(LB, {**args, "name": "mtls-clb"}, check=True)
    assert listed["load_balancer_id"] is None


@pytest.mark.parametrize("name", ["1st-clb", "my clb", "team/clb", "x" * 81, "-clb"])
def test_names_the_api_refuses_fail_before_any_call_naming_the_option(emu, args, name):
    result = run_module(LB, {**args, "name": name})
    assert result["failed"] and result["msg"].startswith("name ")
    assert "start with a letter" in result["msg"]
    renamed = run_module(LB, {**args, "name": name, "load_balancer_id": "lb-whatever00000000000000"})
    assert renamed["failed"] and renamed["msg"].startswith("name ")
    assert actions(emu) == []


def test_absent_does_not_check_the_name_so_console_named_instances_can_be_deleted(emu, args):
    result = run_module(LB, {**args, "name": "team/clb", "state": "absent"})
    assert not result.get("failed") and not result["changed"]
    assert actions(emu) == ["DescribeLoadBalancers"]


@pytest.fixture(scope="module")
def legacy_emulator(tmp_path_factory):
    """An emulator that still sells pay-by-specification instances, to stand for one bought before the cutoff."""
    running = start_emulator(tmp_path_factory.mktemp("legacy-clb") / "state", demo_backends=0,
                             extra_args=["--allow-pay-by-spec"])
    try:
        yield running
    finally:
        running.stop()


def test_an_existing_pay_by_specification_instance_draws_a_warning_only_when_asked_otherwise(legacy_emulator):
    args = legacy_emulator.module_args()
    legacy = {**args, "name": "legacy-clb", "instance_charge_type": "PayBySpec", "load_balancer_spec": "slb.s1.small"}
    created = run_module(LB, legacy)
    assert created["changed"] and created["load_balancer"]["instance_charge_type"] == "PayBySpec"

    described = run_module(LB, legacy)
    assert not described["changed"] and not described.get("warnings")
    assert described["load_balancer"]["load_balancer_spec"] == "slb.s1.small"
    # What the role passes by default when creation is allowed: nothing about billing.
    by_name = run_module(LB, {**args, "name": "legacy-clb", "address_type": "internet"})
    assert not by_name["changed"] and not by_name.get("warnings")

    asked_for_lcu = run_module(LB, {**args, "name": "legacy-clb", "instance_charge_type": "PayByCLCU"})
    assert not asked_for_lcu["changed"]
    assert any("instance_charge_type" in w and "PayBySpec" in w for w in asked_for_lcu["warnings"])


def test_a_shared_performance_instance_is_refused_with_the_code_seen_for_it_and_the_billing_hint(legacy_emulator):
    """Even where pay-by-specification is still sold, PayBySpec without a spec is not
    (terraform-provider-alicloud#3517: ShareSlbHaltSales)."""
    result = run_module(LB, {**legacy_emulator.module_args(), "name": "shared-clb", "instance_charge_type": "PayBySpec"})
    assert result["failed"] and result["code"] == "ShareSlbHaltSales"
    assert "The share instance has been discontinued." in result["msg"]
    assert "instance_charge_type=PayByCLCU" in result["msg"] and "load_balancer_spec" in result["msg"]


def test_a_listener_on_a_pay_by_bandwidth_instance_needs_a_bandwidth_within_the_instances(legacy_emulator, pki):
    """-1 (unlimited) is for pay-by-traffic instances; on a pay-by-bandwidth one the service refuses it, and
    the module's message names its bandwidth option and the instance's limit. A value within it is taken."""
    args = legacy_emulator.module_args()
    created = run_module(LB, {**args, "name": "by-bandwidth", "instance_charge_type": "PayBySpec",
                              "load_balancer_spec": "slb.s1.small", "internet_charge_type": "paybybandwidth",
                              "bandwidth": 10})
    slb = SlbApi(legacy_emulator.sdk_client(), legacy_emulator.region)
    listener = {**args, "load_balancer_id": created["load_balancer_id"], "listener_port": 443,
                "backend_server_port": 80, "server_certificate_id": upload_server_certificate(slb, pki)}
    start = len(legacy_emulator.calls())
    refused = run_module("mtls.clb.https_listener", {**listener, "bandwidth": -1})
    assert refused["failed"] and refused["code"] == "InvalidParameter"
    assert "The specified Bandwidth is invalid." in refused["msg"] and "1-10 Mbit/s" in refused["msg"]
    assert "Check bandwidth: -1 (unlimited) is for pay-by-traffic instances" in refused["msg"]
    assert [a for a in actions(legacy_emulator, start) if not a.startswith("Describe")] == \
        ["CreateLoadBalancerHTTPSListener"]
    taken = run_module("mtls.clb.https_listener", {**listener, "bandwidth": 10})
    assert taken["changed"] and taken["listener"]["bandwidth"] == 10
