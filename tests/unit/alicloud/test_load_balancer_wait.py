"""load_balancer wait=true: a new instance that the service does not list yet is waited for."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.modules.load_balancer import LoadBalancerWaitTimeout, _wait_active

from tests.unit.alicloud.scripted import FakeClock, SequencedSlb


def not_found():
    return AlicloudApiError("DescribeLoadBalancerAttribute", "InvalidLoadBalancerId.NotFound",
                            "The specified LoadBalancerId does not exist.", status_code=404)


def test_a_just_created_instance_not_listed_yet_is_waited_for():
    # Terraform's SlbLoadBalancerStateRefreshFunc reads NotFound right after the create as "not yet there".
    slb = SequencedSlb({"DescribeLoadBalancerAttribute": [
        not_found(), not_found(), {"LoadBalancerId": "lb-1", "LoadBalancerStatus": "inactive"},
        {"LoadBalancerId": "lb-1", "LoadBalancerStatus": "active", "Address": "198.51.100.7"}]})
    clock = FakeClock()
    attributes = _wait_active(slb, "lb-1", 30, sleep=clock.sleep, clock=clock.clock)
    assert attributes["LoadBalancerStatus"] == "active"
    assert slb.calls.count("DescribeLoadBalancerAttribute") == 4


def test_an_instance_never_listed_times_out_naming_it():
    slb = SequencedSlb({"DescribeLoadBalancerAttribute": not_found()})
    clock = FakeClock()
    with pytest.raises(LoadBalancerWaitTimeout) as raised:
        _wait_active(slb, "lb-1", 5, sleep=clock.sleep, clock=clock.clock)
    assert "lb-1" in str(raised.value) and "not yet listed" in str(raised.value)
