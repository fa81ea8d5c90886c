"""DeleteLoadBalancer after a lost reply: the retry's InvalidLoadBalancerId.NotFound means it is deleted."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.load_balancers import delete_load_balancer
from tests.unit.alicloud.scripted import SequencedSlb


def test_a_retried_delete_answered_not_found_has_deleted_the_instance():
    lost_reply = AlicloudApiError("DeleteLoadBalancer", "ServiceUnavailable", "temporary failure", status_code=503)
    gone = AlicloudApiError("DeleteLoadBalancer", "InvalidLoadBalancerId.NotFound",
                            "The specified LoadBalancerId does not exist.", status_code=404)
    slb = SequencedSlb({"DeleteLoadBalancer": [lost_reply, gone]})
    delete_load_balancer(slb, "lb-1")
    assert slb.calls == ["DeleteLoadBalancer", "DeleteLoadBalancer"]


def test_other_refusals_still_fail():
    protected = AlicloudApiError("DeleteLoadBalancer", "DeleteProtectionIsOn", "delete protection is on",
                                 status_code=400)
    with pytest.raises(AlicloudApiError):
        delete_load_balancer(SequencedSlb({"DeleteLoadBalancer": protected}), "lb-1")
