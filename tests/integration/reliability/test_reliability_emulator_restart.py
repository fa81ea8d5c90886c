"""The CLB emulator (control and data plane) is restarted while site.yml is running.

The restart (SIGTERM, then a new process on the same port and state directory) lands while a
mutating call is in flight: AddBackendServers is held by a 3 s delay when the emulator goes down, so
its connection is cut without a reply, and the calls that follow meet a closed port until the new
process is ready. The modules treat connection errors as transient and retry them with backoff.
"""
from __future__ import annotations

import time

import pytest

from reliability_harness import succeeded, verification_passed

pytestmark = pytest.mark.slow


def test_run_survives_an_emulator_restart_in_the_middle_of_step_6(site):
    """Pins down: a run whose API endpoint goes away mid-call and comes back a moment later still
    ends rc 0 with step 7 green (the listener is served again after the restart), the call that was
    cut is sent again and succeeds once, and the region holds exactly one of everything."""
    site.emulator.set_faults([{"action": "AddBackendServers", "latency_ms": 3000, "count": 1}])
    started = time.monotonic()
    run = site.start()
    site.wait_for_call(run, "CreateLoadBalancer")
    deadline = time.monotonic() + 60
    while site.fault_rules()[0]["fired"] == 0:
        assert time.monotonic() < deadline and run.process.poll() is None, "AddBackendServers was never sent"
        time.sleep(0.02)
    assert not any(c["action"] == "AddBackendServers" for c in site.emulator.calls()), "the held call ended early"
    restart_started = time.monotonic()
    site.restart_emulator()
    restart_seconds = time.monotonic() - restart_started

    result = run.wait(timeout=300)

    print(f"\nreliability: emulator restarted {restart_started - started:.1f}s into the run in "
          f"{restart_seconds:.2f}s; the run ended after {time.monotonic() - started:.1f}s")
    verification_passed(result)  # step 7 ran against the listener the restarted emulator serves
    after_restart = site.emulator.calls()
    assert succeeded(after_restart, "AddBackendServers") == 1, "the cut AddBackendServers was not sent again"
    assert succeeded(site.all_calls(), "CreateLoadBalancer") == 1
    site.assert_one_of_everything(site.cloud_state())
