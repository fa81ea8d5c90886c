"""Default server group planning and batching (<= 20 servers per call)."""
from __future__ import annotations

import json

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.backend_servers import (
    BackendServerGroup,
    live_members,
    members_after_apply,
    plan_membership,
    planned_members,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy


def server(server_id, weight=100, description=None):
    return {"server_id": server_id, "weight": weight, "type": "ecs", "description": description}


LIVE = live_members({"BackendServers": {"BackendServer": [
    {"ServerId": "i-a", "Weight": 100, "Type": "ecs"}, {"ServerId": "i-b", "Weight": "50", "Type": "ecs"},
    {"ServerId": "i-c", "Weight": 100, "Type": "ecs", "Description": "old"}]}})


def ids(servers):
    return [s["server_id"] for s in servers]


def test_plan_adds_reweights_and_keeps_others_without_purge():
    to_add, to_update, to_remove = plan_membership([server("i-a"), server("i-b", 100), server("i-d")], LIVE, False)
    assert (ids(to_add), ids(to_update), ids(to_remove)) == (["i-d"], ["i-b"], [])


def test_plan_with_purge_removes_unlisted_servers():
    to_remove = plan_membership([server("i-a")], LIVE, True)[2]
    assert ids(to_remove) == ["i-b", "i-c"]


def test_description_is_compared_only_when_given():
    assert plan_membership([server("i-c")], LIVE, False) == ([], [], [])
    assert ids(plan_membership([server("i-c", description="new")], LIVE, False)[1]) == ["i-c"]


def test_state_absent_removes_only_listed_members():
    assert ids(plan_membership([server("i-a"), server("i-zz")], LIVE, False, "absent")[2]) == ["i-a"]


class RecordingSlb:
    region = "cn-hangzhou"
    retry_policy = RetryPolicy(sleep=lambda seconds: None)

    def __init__(self):
        self.calls = []

    def call(self, action, params=None, retry=True):
        self.calls.append((action, params))
        return {}


def test_apply_sends_at_most_20_servers_per_call():
    slb = RecordingSlb()
    many = [server("i-%02d" % n) for n in range(45)]
    BackendServerGroup(slb, "lb-1").apply(many, [], [server("i-old")])
    sizes = [(action, len(json.loads(params["BackendServers"]))) for action, params in slb.calls]
    assert sizes == [("AddBackendServers", 20), ("AddBackendServers", 20), ("AddBackendServers", 5),
                     ("RemoveBackendServers", 1)]
    first = json.loads(slb.calls[0][1]["BackendServers"])[0]
    assert first == {"ServerId": "i-00", "Type": "ecs", "Weight": "100"}


def test_add_after_a_lost_reply_sends_only_the_servers_still_missing():
    from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError

    class HalfAppliedSlb(RecordingSlb):
        """The first add stores i-1 only, then answers 503."""

        def __init__(self):
            super().__init__()
            self.attached = []

        def call(self, action, params=None, retry=True):
            self.calls.append((action, params))
            if action == "DescribeLoadBalancerAttribute":
                return {"LoadBalancerId": "lb-1", "BackendServers": {"BackendServer": [
                    {"ServerId": s, "Weight": 100} for s in self.attached]}}
            sent = [entry["ServerId"] for entry in json.loads(params["BackendServers"])]
            if len(self.calls) == 1:
                self.attached.append(sent[0])
                raise AlicloudApiError(action, "ServiceUnavailable", "lost", status_code=503)
            assert not set(sent) & set(self.attached), "re-added an attached server"
            self.attached.extend(sent)
            return {}

    slb = HalfAppliedSlb()
    BackendServerGroup(slb, "lb-1").apply([server("i-1"), server("i-2")], [], [])
    assert [call[0] for call in slb.calls] == ["AddBackendServers", "DescribeLoadBalancerAttribute", "AddBackendServers"]
    assert slb.attached == ["i-1", "i-2"]


def test_apply_returns_the_replies_in_call_order():
    class ReplyingSlb(RecordingSlb):
        def call(self, action, params=None, retry=True):
            super().call(action, params, retry)
            return {"action": action, "size": len(json.loads(params["BackendServers"]))}

    replies = BackendServerGroup(ReplyingSlb(), "lb-1").apply([server("i-d")], [server("i-b", 70)], [server("i-c")])
    assert replies == [{"action": "AddBackendServers", "size": 1}, {"action": "SetBackendServers", "size": 1},
                       {"action": "RemoveBackendServers", "size": 1}]


def test_a_refused_add_removes_nothing():
    """A server replaced by one the service refuses (ObtainIpFail: no such instance) keeps serving."""
    from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError

    class RefusingSlb(RecordingSlb):
        def call(self, action, params=None, retry=True):
            super().call(action, params, retry)
            if action == "AddBackendServers":
                raise AlicloudApiError(action, "ObtainIpFail", "no such instance", status_code=400)
            return {}

    slb = RefusingSlb()
    group = BackendServerGroup(slb, "lb-1")
    with pytest.raises(AlicloudApiError):
        group.apply([server("i-typo")], [], [server("i-old")])
    assert [call[0] for call in slb.calls] == ["AddBackendServers"]
    assert group.applied_note() is None


def _reply(*entries):
    return {"LoadBalancerId": "lb-1", "BackendServers": {"BackendServer": [
        dict(ServerId=server_id, Weight=weight, Type="ecs", Description=description)
        for server_id, weight, description in entries]}}


def test_result_after_apply_is_the_plan_with_what_the_replies_report():
    live = dict(LIVE)
    live["i-a"] = dict(live["i-a"], server_ip="10.0.0.1")
    to_add, to_update, to_remove = [server("i-d")], [server("i-b", 70)], [server("i-c")]
    planned = planned_members(live, to_add, to_update, to_remove)
    assert sorted(planned) == ["i-a", "i-b", "i-d"] and planned["i-b"]["weight"] == 70
    replies = [
        _reply(("i-a", 100, ""), ("i-b", 50, "")),                  # remove: lists only who is left
        _reply(("i-d", "100", "stored-by-slb")),                    # add: lists only the added server
        _reply(("i-b", "70", ""), ("i-stranger", "100", "")),       # set: mentions someone not planned
    ]
    final = members_after_apply(planned, replies)
    assert sorted(final) == ["i-a", "i-b", "i-d"], "a reply neither adds nor drops members"
    assert final["i-b"]["weight"] == 70, "the last reply naming a member wins"
    assert final["i-d"]["description"] == "stored-by-slb"
    assert final["i-a"]["server_ip"] == "10.0.0.1", "the IP read before the change stays"
    assert planned["i-d"].get("description") == "", "the plan itself is not modified"


def test_result_after_an_add_whose_reply_was_lost_is_the_plan():
    planned = planned_members({}, [server("i-1")], [], [])
    assert members_after_apply(planned, [None]) == planned


def test_a_group_listing_a_server_twice_is_refused_before_any_change():
    """An ENI with two IP addresses is two entries with one ServerId (the API reference's Add/SetBackendServers
    example); keyed by server_id the second would be lost, and a purge or re-weight would touch the wrong one."""
    from tests.unit.alicloud.scripted import SequencedSlb
    from ansible_collections.mtls.clb.plugins.module_utils.alicloud.backend_servers import RepeatedMember

    slb = SequencedSlb({"DescribeLoadBalancerAttribute": {"LoadBalancerId": "lb-1", "BackendServers": {
        "BackendServer": [{"ServerId": "eni-1", "ServerIp": "192.168.0.1", "Type": "eni", "Weight": 100},
                          {"ServerId": "eni-1", "ServerIp": "192.168.0.2", "Type": "eni", "Weight": 100},
                          {"ServerId": "i-a", "Type": "ecs", "Weight": 100}]}}})
    with pytest.raises(RepeatedMember) as refused:
        BackendServerGroup(slb, "lb-1").members()
    assert "lists eni-1 more than once" in str(refused.value) and "i-a" not in str(refused.value)
    assert slb.calls == ["DescribeLoadBalancerAttribute"]


def test_a_group_with_each_server_once_reads_as_before():
    from tests.unit.alicloud.scripted import SequencedSlb

    slb = SequencedSlb({"DescribeLoadBalancerAttribute": {"LoadBalancerId": "lb-1", "BackendServers": {
        "BackendServer": [{"ServerId": "eni-1", "ServerIp": "192.168.0.1", "Type": "eni", "Weight": 100}]}}})
    assert BackendServerGroup(slb, "lb-1").members()["eni-1"]["server_ip"] == "192.168.0.1"
