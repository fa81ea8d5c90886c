"""The `/_emulator/unlisted-new-load-balancer-reads` hook: after a CreateLoadBalancer, the next N
DescribeLoadBalancerAttribute reads of the new instance answer InvalidLoadBalancerId.NotFound (a read
that lags the create), then the instance; instances that existed before are not affected; 0 (the
default, restored by reset) is read-your-writes."""
from __future__ import annotations

import urllib.error

import pytest
from alibabacloud_slb20140515 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.emulator.conftest import REGION
from tests.emulator.test_control_plane import create_lb

HOOK = "/_emulator/unlisted-new-load-balancer-reads"


def read(sdk, lb_id):
    """The instance's status, or the error code of the read."""
    try:
        return sdk.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(
            region_id=REGION, load_balancer_id=lb_id)).body.load_balancer_status
    except ClientException as error:
        return error.code


def test_the_next_reads_of_a_new_instance_answer_not_found_then_the_instance(fresh_emulator):
    sdk = fresh_emulator.sdk_client()
    before = create_lb(sdk, name="before").load_balancer_id
    assert fresh_emulator._hook("POST", HOOK, {"reads": 2}) == {"reads": 2}

    new = create_lb(sdk, name="new").load_balancer_id

    assert [read(sdk, new) for _ in range(3)] == ["InvalidLoadBalancerId.NotFound"] * 2 + ["active"]
    # An instance created before the hook was set is read as usual.
    assert read(sdk, before) == "active"


def test_a_replayed_create_is_not_a_new_instance(fresh_emulator):
    sdk = fresh_emulator.sdk_client()
    fresh_emulator._hook("POST", HOOK, {"reads": 2})
    first = create_lb(sdk, name="token", client_token="same-token").load_balancer_id
    assert read(sdk, first) == "InvalidLoadBalancerId.NotFound"
    again = create_lb(sdk, name="token", client_token="same-token").load_balancer_id
    assert again == first
    # The replay answers the first instance and does not start its lag again: one lagging read was left.
    assert [read(sdk, first) for _ in range(2)] == ["InvalidLoadBalancerId.NotFound", "active"]


def test_default_and_reset_are_read_your_writes(fresh_emulator):
    sdk = fresh_emulator.sdk_client()
    assert fresh_emulator._hook("GET", HOOK) == {"reads": 0}
    assert read(sdk, create_lb(sdk, name="default").load_balancer_id) == "active"
    fresh_emulator._hook("POST", HOOK, {"reads": 3})
    fresh_emulator.reset()
    assert fresh_emulator._hook("GET", HOOK) == {"reads": 0}
    assert read(sdk, create_lb(sdk, name="after-reset").load_balancer_id) == "active"


@pytest.mark.parametrize("payload", [{"reads": -1}, {"reads": "2"}, {"reads": True}, {"reads": 1001}, {}])
def test_bad_values_are_refused_and_change_nothing(fresh_emulator, payload):
    with pytest.raises(urllib.error.HTTPError) as info:
        fresh_emulator._hook("POST", HOOK, payload)
    assert info.value.code == 400
    assert fresh_emulator._hook("GET", HOOK) == {"reads": 0}
