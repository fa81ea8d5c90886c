"""https_listener turning mutual authentication off (`ca_certificate_id: ""`, sent as CACertificateId="")
against a service that applies the change late (`/_emulator/stale-listener-reads`), never, or refuses
the empty value (a fault rule on SetLoadBalancerHTTPSListenerAttribute)."""
from __future__ import annotations

from tests.support.ansible_run import run_module
from clb_helpers import actions, running_listener

LISTENER = "mtls.clb.https_listener"
SET = "SetLoadBalancerHTTPSListenerAttribute"
DESCRIBE = "DescribeLoadBalancerHTTPSListenerAttribute"
STALE_READS = "/_emulator/stale-listener-reads"


def reads_after_the_set(emu, since):
    called = actions(emu, since)
    return called[called.index(SET) + 1:]


def test_a_ca_still_reported_on_the_first_reads_is_waited_out(emu, args, slb, stack):
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    emu._hook("POST", STALE_READS, {"reads": 2})
    start = len(emu.calls())

    result = run_module(LISTENER, {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443,
                                   "ca_certificate_id": ""})

    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] and result["listener"]["mutual_authentication"] is False
    assert result["listener"]["ca_certificate_id"] == ""
    assert reads_after_the_set(emu, start) == [DESCRIBE] * 3


def test_a_ca_that_stays_fails_after_a_few_reads_and_says_what_to_do(emu, args, slb, stack):
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    emu._hook("POST", STALE_READS, {"reads": 1000})
    start = len(emu.calls())

    result = run_module(LISTENER, {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443,
                                   "ca_certificate_id": ""})

    assert result["failed"]
    assert "still reports CACertificateId {0}".format(stack["ca_certificate_id"]) in result["msg"]
    assert "state=absent" in result["msg"] and "ca_certificate_id" in result["msg"]
    assert 3 <= len(reads_after_the_set(emu, start)) <= 8
    assert set(reads_after_the_set(emu, start)) == {DESCRIBE}


def test_an_update_refused_with_a_certificate_code_says_the_empty_ca_id_was_refused(emu, args, slb, stack):
    running_listener(slb, stack["load_balancer_id"], stack["server_certificate_id"], stack["ca_certificate_id"])
    emu.set_faults([{"action": SET, "error": "CertificateNotExist", "count": 1}])

    result = run_module(LISTENER, {**args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443,
                                   "ca_certificate_id": ""})

    assert result["failed"] and result["code"] == "CertificateNotExist"
    assert "sent an empty CA certificate ID" in result["msg"] and "the service refused it" in result["msg"]
    assert "state=absent" in result["msg"]
    emu.clear_faults()
    live = slb.call(DESCRIBE, {"LoadBalancerId": stack["load_balancer_id"], "ListenerPort": 443})
    assert live["CACertificateId"] == stack["ca_certificate_id"]
