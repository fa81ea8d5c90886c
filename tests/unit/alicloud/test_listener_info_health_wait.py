# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""listener_info's health wait: reads inside one module run until enough listed servers are normal."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.modules.listener_info import (
    HEALTH_ADVICE,
    HEALTH_POLL_SECONDS,
    HealthWaitTimeout,
    _health_only,
    wait_for_healthy,
)
from tests.unit.alicloud.scripted import FakeClock, SequencedSlb


def read_of(*statuses):
    """A read function that answers each call with the next {server_id: status} of `statuses`."""
    answers = iter(statuses)
    calls = []

    def read():
        calls.append(True)
        status = next(answers)
        return [{"load_balancer_id": "lb-1", "listener_port": 443, "listener_protocol": "https",
                 "backend_health": [{"server_id": server, "server_health_status": health}
                                    for server, health in status.items()]}]
    read.calls = calls
    return read


def test_reads_until_the_listed_servers_are_normal_one_second_apart():
    clock = FakeClock()
    read = read_of({"i-1": "unavailable", "i-2": "unavailable"}, {"i-1": "normal", "i-2": "abnormal"},
                   {"i-1": "normal", "i-2": "normal"})
    listeners = wait_for_healthy(read, 2, ["i-1", "i-2"], 120, sleep=clock.sleep, clock=clock.clock)
    assert len(read.calls) == 3 and clock.sleeps == [HEALTH_POLL_SECONDS] * 2
    assert [s["server_health_status"] for s in listeners[0]["backend_health"]] == ["normal", "normal"]


def test_only_the_listed_servers_count():
    clock = FakeClock()
    read = read_of({"i-1": "normal", "i-other": "normal"}, {"i-1": "normal", "i-2": "normal", "i-other": "abnormal"})
    wait_for_healthy(read, 2, ["i-1", "i-2"], 120, sleep=clock.sleep, clock=clock.clock)
    assert len(read.calls) == 2


def test_zero_wanted_reads_once():
    clock = FakeClock()
    read = read_of({"i-1": "abnormal"})
    wait_for_healthy(read, 0, [], 120, sleep=clock.sleep, clock=clock.clock)
    assert len(read.calls) == 1 and clock.sleeps == []


def test_a_timeout_names_each_server_that_is_not_healthy_and_keeps_the_last_read():
    clock = FakeClock()
    read = read_of(*[{"i-1": "normal", "i-2": "abnormal"}] * 10)
    with pytest.raises(HealthWaitTimeout) as timeout:
        wait_for_healthy(read, 2, ["i-1", "i-2", "i-3"], 3, sleep=clock.sleep, clock=clock.clock)
    assert str(timeout.value) == ("only 1 backend server(s) healthy after 3 s, 2 wanted (wait_healthy_backends); "
                                  "not healthy: i-2 (abnormal), i-3 (not reported). " + HEALTH_ADVICE)
    assert "100.64.0.0/10" in HEALTH_ADVICE and "wait_timeout" in HEALTH_ADVICE
    assert timeout.value.listeners[0]["backend_health"][1]["server_id"] == "i-2"
    assert clock.now <= 3 and len(read.calls) == 4


def health_answer(*statuses):
    return {"BackendServers": {"BackendServer": [
        {"ListenerPort": 443, "Protocol": "https", "ServerId": "i-%d" % index, "ServerIp": "10.0.0.%d" % index,
         "Port": 80, "ServerHealthStatus": status} for index, status in enumerate(statuses, 1)]}}


def test_the_health_status_is_read_whatever_its_case():
    # The reference documents normal|abnormal|unavailable; another spelling of "normal" must not read as
    # "not healthy yet" and make the wait time out against servers that are healthy.
    clock = FakeClock()
    slb = SequencedSlb({"DescribeHealthStatus": [health_answer("Abnormal", "Normal"),
                                                 health_answer("Normal ", "NORMAL")]})
    params = {"load_balancer_ids": ["lb-1"], "listener_port": 443, "listener_protocol": "https"}

    listeners = wait_for_healthy(lambda: _health_only(slb, params), 2, ["i-1", "i-2"], 10,
                                 sleep=clock.sleep, clock=clock.clock)

    assert slb.calls == ["DescribeHealthStatus"] * 2
    assert [s["server_health_status"] for s in listeners[0]["backend_health"]] == ["normal", "normal"]
