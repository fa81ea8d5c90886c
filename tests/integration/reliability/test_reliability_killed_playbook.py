"""site.yml SIGKILLed at the two points where a half-done run could leave duplicates behind.

One private emulator, three runs in order, as an operator would experience it:
1. killed right after the certificate upload (UploadServerCertificate answered 200) while the CA
   certificate's upload is on its way: the service applies it after the kill, so the run never
   learns that it happened (a lost reply);
2. the re-run, killed right after the listener was created (CreateLoadBalancerHTTPSListener 200,
   the listener exists but is stopped and was never started);
3. the re-run that must converge.
The whole process group of ansible-playbook is killed (workers and module processes too), so no
`finally`, handler or cleanup of ours runs: what the cloud holds is exactly what the API accepted.
"""
from __future__ import annotations

import time

import pytest

from reliability_harness import SiteUnderTest, succeeded, verification_passed

pytestmark = pytest.mark.slow


def kill_after(site: SiteUnderTest, action: str, held_action: str, applied_after_the_kill: bool) -> float:
    """Start site.yml and SIGKILL it once `action` answered 200, with `held_action` (the next
    mutating call) held for 3 s. Polling alone would race the module, which sends its next call
    within milliseconds. With `applied_after_the_kill` the kill waits until the held call is in
    flight and the service then applies it; otherwise the held call fails with a change-nothing 503."""
    held = {"action": held_action, "latency_ms": 3000, "count": 1}
    if not applied_after_the_kill:
        held["error"] = "ServiceUnavailable"
    site.emulator.set_faults([held])
    run = site.start()
    try:
        seconds = site.wait_for_call(run, action)
        deadline = time.monotonic() + 60
        while applied_after_the_kill and site.fault_rules()[0]["fired"] == 0:
            assert time.monotonic() < deadline and run.process.poll() is None, f"{held_action} was never sent"
            time.sleep(0.02)
    finally:
        run.kill()
        site.emulator.clear_faults()
    assert run.group_is_gone(), "a process of the killed run is still alive"
    return seconds


def test_kill_during_the_certificate_uploads_leaves_each_certificate_once(site):
    """Pins down: a kill in step 5, after the server certificate upload and during the CA
    certificate's (which the service completes after the kill), leaves each certificate uploaded
    once and nothing of step 6, so there is nothing for a re-run to duplicate."""
    seconds = kill_after(site, "UploadServerCertificate", held_action="UploadCACertificate",
                         applied_after_the_kill=True)
    deadline = time.monotonic() + 30
    while not succeeded(site.emulator.calls(), "UploadCACertificate"):
        assert time.monotonic() < deadline, "the held UploadCACertificate never completed"
        time.sleep(0.1)

    calls = site.emulator.calls()
    print(f"\nreliability: killed {seconds:.1f}s into run 1 ({len(calls)} calls)")
    assert succeeded(calls, "UploadServerCertificate") == 1 and succeeded(calls, "UploadCACertificate") == 1
    assert succeeded(calls, "CreateLoadBalancer") == 0, "the kill landed after step 6 began"
    state = site.cloud_state()
    assert len(state["server_certificates"]) == 1 and len(state["ca_certificates"]) == 1
    assert state["load_balancers"] == []


def test_rerun_uploads_nothing_twice_and_is_killed_after_the_listener_is_created(site):
    """Pins down: the re-run finds both certificates by fingerprint (no second upload, although run 1
    never saw the CA upload's reply) and gets as far as creating the listener; a kill right then
    leaves one load balancer with one stopped listener on 443."""
    calls_before = len(site.emulator.calls())
    seconds = kill_after(site, "CreateLoadBalancerHTTPSListener", held_action="StartLoadBalancerListener",
                         applied_after_the_kill=False)

    calls = site.emulator.calls()
    rerun_calls = calls[calls_before:]
    print(f"\nreliability: killed {seconds:.1f}s into run 2 ({len(rerun_calls)} calls)")
    assert succeeded(rerun_calls, "UploadServerCertificate") == 0, "the re-run uploaded the server certificate again"
    assert succeeded(rerun_calls, "UploadCACertificate") == 0, "the re-run uploaded the CA certificate again"
    state = site.cloud_state()
    assert len(state["load_balancers"]) == 1
    assert list(state["listeners"].values()) == [[(443, "https")]]
    assert state["https_listener"]["Status"] == "stopped"


def test_third_run_converges_with_no_duplicate_and_no_orphan(site):
    """Pins down: after both kills a plain re-run ends rc 0 with step 7 green, creates nothing that
    already exists (port-matched listener, name-matched load balancer, fingerprint-matched uploads,
    set-diffed backends), starts the stopped listener, and the region then holds exactly one of
    everything: every certificate once, one load balancer, one listener, each backend once."""
    calls_before = len(site.emulator.calls())
    started = time.monotonic()

    run = site.run()

    print(f"\nreliability: run 3 converged in {time.monotonic() - started:.1f}s")
    verification_passed(run)
    calls = site.emulator.calls()
    rerun_calls = calls[calls_before:]
    for action in ("UploadServerCertificate", "UploadCACertificate", "CreateLoadBalancer",
                   "CreateLoadBalancerHTTPSListener"):
        assert succeeded(rerun_calls, action) == 0, f"run 3 called {action} again"
        assert succeeded(calls, action) == 1, f"{action} succeeded {succeeded(calls, action)} times in all"
    assert succeeded(rerun_calls, "StartLoadBalancerListener") == 1
    site.assert_one_of_everything(site.cloud_state())
