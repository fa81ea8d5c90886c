"""CreateLoadBalancer as the real service sells instances now: pay-by-LCU only (pay-by-specification
is refused unless --allow-pay-by-spec), the CLCU spec read back as slb.lcu.elastic (a spec sent with
PayByCLCU is ignored, as documented), and the documented LoadBalancerName rules on create and rename.
In-process (no HTTP), like test_backend_rules."""
from __future__ import annotations

import json

import pytest
from clb_emulator.backend import SlbBackend
from clb_emulator.cli import build_parser
from clb_emulator.ecs import EcsRegistry
from clb_emulator.errors import ApiError
from clb_emulator.signing import Account

ACCOUNT = Account("1234567890123456", "AKtest", "secret")
REGION = "cn-hangzhou"


def make_backend(tmp_path, **options):
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700, exist_ok=True)
    return SlbBackend(state_dir, EcsRegistry(), **options)


@pytest.fixture
def backend(tmp_path):
    return make_backend(tmp_path)


def create(backend, **params):
    return backend.action_CreateLoadBalancer({"RegionId": REGION, **params}, ACCOUNT)


def refusal(backend, **params):
    with pytest.raises(ApiError) as info:
        create(backend, **params)
    return info.value


def instances(backend):
    return backend.action_DescribeLoadBalancers({"RegionId": REGION}, ACCOUNT)["LoadBalancers"]["LoadBalancer"]


@pytest.mark.parametrize("params", [
    {"InstanceChargeType": "PayBySpec", "LoadBalancerSpec": "slb.s1.small"},
    # The API's documented default is PayBySpec, so leaving the charge type out asks for it too.
    {"LoadBalancerSpec": "slb.s1.small"},
    {},
], ids=["explicit", "spec-only", "nothing"])
def test_pay_by_specification_is_refused_and_creates_nothing(backend, params):
    error = refusal(backend, LoadBalancerName="mtls-clb", **params)
    assert (error.code, error.status) == ("IllegalParam.InstanceChargeType", 400)
    assert error.message.startswith("The parameter InstanceChargeType is illegal.") and "PayByCLCU" in error.message
    assert instances(backend) == []


def test_pay_by_lcu_refuses_pay_by_bandwidth_as_documented(backend):
    error = refusal(backend, LoadBalancerName="mtls-clb", InstanceChargeType="PayByCLCU",
                    InternetChargeType="paybybandwidth", Bandwidth="10")
    assert error.code == "InvalidParameter" and "InternetChargeType" in error.message
    assert instances(backend) == []


def test_pay_by_lcu_ignores_a_spec_as_documented_and_reports_slb_lcu_elastic(backend):
    """The metadata: with PayByCLCU, LoadBalancerSpec "does not take effect" (不生效)."""
    create(backend, LoadBalancerName="mtls-clb", InstanceChargeType="PayByCLCU", LoadBalancerSpec="slb.s3.small")
    assert [(x["InstanceChargeType"], x["LoadBalancerSpec"]) for x in instances(backend)] == \
        [("PayByCLCU", "slb.lcu.elastic")]


def test_pay_by_lcu_instance_reads_back_as_slb_lcu_elastic(backend):
    lb = create(backend, LoadBalancerName="mtls-clb", InstanceChargeType="PayByCLCU")
    listed = instances(backend)[0]
    attributes = backend.action_DescribeLoadBalancerAttribute(
        {"RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"]}, ACCOUNT)
    for record in (listed, attributes):
        assert record["InstanceChargeType"] == "PayByCLCU"
        assert record["LoadBalancerSpec"] == "slb.lcu.elastic"
        assert record["InternetChargeTypeAlias"] == "paybytraffic"
    # The listing gives the charge type as a number code (the documented example's "4"), the attributes as text.
    assert listed["InternetChargeType"] == "4"
    assert attributes["InternetChargeType"] == "paybytraffic"


def test_the_switch_allows_pay_by_specification_with_a_spec(tmp_path):
    backend = make_backend(tmp_path, allow_pay_by_spec=True)
    create(backend, LoadBalancerName="legacy", LoadBalancerSpec="slb.s2.small")
    assert [(x["InstanceChargeType"], x["LoadBalancerSpec"]) for x in instances(backend)] == \
        [("PayBySpec", "slb.s2.small")]
    # Shared-performance instances (no spec) stay unsold even then, with the code seen for them.
    shared = refusal(backend, LoadBalancerName="shared", InstanceChargeType="PayBySpec")
    assert (shared.code, shared.status, shared.message) == ("ShareSlbHaltSales", 400,
                                                           "The share instance has been discontinued.")
    assert len(instances(backend)) == 1
    assert build_parser().parse_args(["--state-dir", "x", "--allow-pay-by-spec"]).allow_pay_by_spec is True
    assert build_parser().parse_args(["--state-dir", "x"]).allow_pay_by_spec is False


def test_state_from_before_the_spec_read_back_is_reported_as_slb_lcu_elastic(tmp_path):
    backend = make_backend(tmp_path)
    lb = create(backend, LoadBalancerName="old", InstanceChargeType="PayByCLCU")
    state_file = backend.state_dir / "state.json"
    state = json.loads(state_file.read_text())
    state["load_balancers"][lb["LoadBalancerId"]]["LoadBalancerSpec"] = ""
    state_file.write_text(json.dumps(state))
    assert instances(make_backend(tmp_path))[0]["LoadBalancerSpec"] == "slb.lcu.elastic"


GOOD_NAMES = ["mtls-clb", "molecule-listener", "a", "lb_1.test-2", "x" * 80, "负载均衡-1"]
BAD_NAMES = ["1mtls", "-lead", "_lead", ".lead", "has space", "slash/name", "star*", "x" * 81, "semi;colon"]


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_documented_names_are_accepted_on_create_and_rename(backend, name):
    lb = create(backend, LoadBalancerName=name, InstanceChargeType="PayByCLCU")
    backend.action_SetLoadBalancerName({"RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"],
                                        "LoadBalancerName": name}, ACCOUNT)
    assert [x["LoadBalancerName"] for x in instances(backend)] == [name]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_outside_the_rules_are_refused_on_create_and_rename(backend, name):
    error = refusal(backend, LoadBalancerName=name, InstanceChargeType="PayByCLCU")
    assert error.code == "InvalidParameter" and "LoadBalancerName" in error.message
    lb = create(backend, LoadBalancerName="kept", InstanceChargeType="PayByCLCU")
    with pytest.raises(ApiError) as info:
        backend.action_SetLoadBalancerName({"RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"],
                                            "LoadBalancerName": name}, ACCOUNT)
    assert info.value.code == "InvalidParameter"
    assert [x["LoadBalancerName"] for x in instances(backend)] == ["kept"]
