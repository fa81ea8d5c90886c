"""site.yml converges while a third of all API calls fail transiently; then the client CA is replaced.

The module's tests run in order on one private emulator, as an operator would: a run under faults,
then a run that rotates the root CA on the state the faulty run left.

A private emulator answers about one call in three with a transient error (three rules of 1/8 each:
1 - (7/8)^3 = 0.33), seeded so the run is reproducible. A faulted call changes nothing, so the only
way to get duplicates is a module that re-sends a create without first looking whether it worked.
"""
from __future__ import annotations

import shutil
import time

import pytest
from cryptography import x509

from reliability_harness import CURL_REFUSAL_EXIT_CODES, sha1_fingerprint, succeeded, verification_passed
from tests.support.site import mutating

pytestmark = pytest.mark.slow

TRANSIENT_CODES = ("Throttling", "ServiceUnavailable", "ServiceIsConfiguring")
PER_RULE_PROBABILITY = 0.125
SEED = 20261128


def test_site_converges_with_a_third_of_the_calls_failing_transiently(site):
    """Pins down: every cloud module retries Throttling (honouring x-acs-retry-after), 503 and
    ServiceIsConfiguring, so site.yml ends rc 0 with step 7 green; afterwards the region holds each
    certificate once (counted by fingerprint through the SDK), one load balancer, one listener and
    each backend once; and the call log proves the faults were hit, mutating calls included."""
    site.emulator.set_faults([
        {"action": "*", "error": code, "probability": PER_RULE_PROBABILITY, "seed": SEED + index,
         # The service's usual hint is 1 s; 300 ms keeps the suite short and still exercises the header.
         **({"retry_after_ms": 300} if code == "Throttling" else {})}
        for index, code in enumerate(TRANSIENT_CODES)])
    started = time.monotonic()

    run = site.run()

    seconds = time.monotonic() - started
    verification_passed(run)
    calls = site.emulator.calls()
    faulted = [call for call in calls if call["code"] in TRANSIENT_CODES]
    per_code = ", ".join(f"{code}={sum(c['code'] == code for c in faulted)}" for code in TRANSIENT_CODES)
    print(f"\nreliability: {len(calls)} API calls, {len(faulted)} transient faults ({per_code}), "
          f"{len(mutating(faulted))} on mutating calls; site.yml converged in {seconds:.1f}s")
    assert 0.2 < len(faulted) / len(calls) < 0.5, f"{len(faulted)} of {len(calls)} calls faulted"
    assert {call["code"] for call in faulted} == set(TRANSIENT_CODES)
    assert mutating(faulted), "no mutating call was faulted: the retry of a create was not exercised"
    site.emulator.clear_faults()  # the checks below read the region without faults

    for action in ("UploadServerCertificate", "UploadCACertificate", "CreateLoadBalancer",
                   "CreateLoadBalancerHTTPSListener", "StartLoadBalancerListener"):
        assert succeeded(calls, action) == 1, f"{action} succeeded {succeeded(calls, action)} times"
    site.assert_one_of_everything(site.cloud_state())


def test_new_root_ca_reaches_clients_and_listener_and_the_old_client_certificate_is_refused(site, tmp_path):
    """Pins down, on the state the faulty run left: re-running site.yml with `root_ca_force: true`
    (the root_ca role's documented way to replace the CA) re-issues the client certificate from the
    new CA, installs it into the /home/ca stand-in, uploads the new CA certificate and points the
    listener at it, without creating anything else; the client certificate saved from before is then
    refused in the TLS handshake, the new one is accepted."""
    old = tmp_path / "old-client"
    old.mkdir()
    for name in ("client.crt", "client.key", "root.crt"):
        shutil.copy2(site.home_ca / name, old / name)
    accepted_before = site.curl(old / "client.crt", old / "client.key")
    assert accepted_before.returncode == 0 and accepted_before.stdout.endswith("\n200"), accepted_before
    calls_before = len(site.emulator.calls())

    run = site.run(root_ca_force=True)

    verification_passed(run)
    new_root_pem = (site.pki / "root.crt").read_bytes()
    assert sha1_fingerprint(new_root_pem) != sha1_fingerprint((old / "root.crt").read_bytes())
    assert (site.home_ca / "root.crt").read_bytes() == new_root_pem
    installed = x509.load_pem_x509_certificate((site.home_ca / "client.crt").read_bytes())
    assert installed != x509.load_pem_x509_certificate((old / "client.crt").read_bytes())
    installed.verify_directly_issued_by(x509.load_pem_x509_certificate(new_root_pem))

    state = site.cloud_state()
    trusted = [c for c in state["ca_certificates"] if c["CACertificateId"] == state["https_listener"]["CACertificateId"]]
    assert [c["Fingerprint"] for c in trusted] == [sha1_fingerprint(new_root_pem)]
    run_mutations = [call["action"] for call in mutating(site.emulator.calls()[calls_before:])]
    assert sorted(run_mutations) == ["SetLoadBalancerHTTPSListenerAttribute", "UploadCACertificate"], run_mutations
    print(f"\nreliability: CA rotation run called {run_mutations}; CA certificates left in the region: "
          f"{len(state['ca_certificates'])}")

    refused = site.curl(old / "client.crt", old / "client.key")
    assert refused.returncode in CURL_REFUSAL_EXIT_CODES, refused
    accepted = site.curl(site.home_ca / "client.crt", site.home_ca / "client.key")
    assert accepted.returncode == 0 and accepted.stdout.endswith("\n200"), accepted
