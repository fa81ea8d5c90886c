"""site.yml's check mode as a plan from partial states: what `--check --diff` reports as changing is what
the real run then changes, step by step, when an earlier step re-issues a file a later step reads.

Check mode leaves the old files in place. Steps 3-5 used to plan against them: after a re-issued root CA
they reported the client certificates, the installed client files, the CA upload and the listener as
up to date, and the real run then changed all four. One emulator and one PKI directory for the module;
each test starts from the state the previous one left (everything in place after a real run).
"""
from __future__ import annotations

import secrets

import pytest

from tests.support.site import access_key_env, listener_outcome, mutating, run_site, site_vars, start_site_emulator

pytestmark = pytest.mark.slow

# Every task that changes something, by the step it belongs to: in check mode a "Report ..." task stands
# in for a module that cannot plan (its input does not exist yet, or an earlier step would replace it).
STEP_OF_TASK = {
    "mtls.clb.certificate_upload : Ensure the lab server CA (separate from the client root CA)": "lab server CA",
    "mtls.clb.certificate_upload : Ensure the lab server certificate for the domain": "server certificate",
    "mtls.clb.certificate_upload : Report that the lab server certificate would be issued": "server certificate",
    "mtls.clb.root_ca : Ensure the root CA key and self-signed certificate (procedure step 2)": "root CA",
    "mtls.clb.client_certificates : Issue the client certificates, keys and PKCS#12 files (procedure step 3)":
        "client certificates",
    "mtls.clb.client_certificates : Report the certificates a real run would issue": "client certificates",
    "mtls.clb.client_install : Install client.key (0600), client.crt, root.crt and ca.crt (0644) into the 0700 "
    "directory (procedure step 4)": "client files",
    "mtls.clb.client_install : Report the files a real run would install": "client files",
    "mtls.clb.certificate_upload : Upload the server certificate and its key (idempotent by fingerprint)":
        "server certificate upload",
    "mtls.clb.certificate_upload : Upload the client CA certificate (mutual authentication checks clients "
    "against it)": "CA certificate upload",
    "mtls.clb.mtls_listener : Find (or, if allowed, create) the load balancer by name (the procedure's "
    "prerequisite)": "load balancer",
    "mtls.clb.mtls_listener : Add the backend servers to the default server group": "backend servers",
    "mtls.clb.mtls_listener : Ensure the HTTPS listener with mutual authentication, running (procedure step 6)":
        "listener",
    "mtls.clb.mtls_listener : Report what a real run would configure": "listener",
}
REPORT_TASKS = {name for name in STEP_OF_TASK if " : Report " in name}
LISTENER_TASK = "mtls.clb.mtls_listener : Ensure the HTTPS listener with mutual authentication, running (procedure step 6)"


def changed_steps(result) -> set[tuple[str, str]]:
    """(host, step) for every task that changed, or in check mode reported a change it stands in for.

    The stdout callback drops `changed` from debug results, so a report task counts when it ran."""
    steps = set()
    for play in result.data.get("plays", []):
        for task in play.get("tasks", []):
            name = task["task"]["name"]
            for host, outcome in task["hosts"].items():
                if outcome.get("skipped"):
                    continue
                if name == "mtls.clb.certificate_upload : Report the uploads a real run would make":
                    message = outcome["msg"]
                    if "server.crt" in message or "server.key" in message:
                        steps.add((host, "server certificate upload"))
                    if "root.crt" in message:
                        steps.add((host, "CA certificate upload"))
                elif name in REPORT_TASKS or outcome.get("changed"):
                    steps.add((host, STEP_OF_TASK.get(name, name)))
    return steps


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("site-partial")
    access_key_secret = secrets.token_urlsafe(24)
    emulator = start_site_emulator(work, "sitePartialAK", access_key_secret)
    extra_vars = {**site_vars(emulator, work, verify_requests=4),
                  "mtls_clb_pkcs12_password": secrets.token_urlsafe(12)}
    env = access_key_env("sitePartialAK", access_key_secret)

    def run(check=False, **more_vars):
        return run_site({**extra_vars, **more_vars}, check=check, diff=check, env=env)

    try:
        first = run()
        assert first.rc == 0, first.stdout[-5000:] + first.stderr[-3000:]
        yield {"run": run, "emulator": emulator, "pki": work / "pki"}
    finally:
        emulator.stop()


def plan_then_run(site, once=(), **more_vars):
    """Check mode, the real run and check mode again, each with `more_vars` (the again without the names
    in `once`, such as a force that would re-issue once more); returns (planned, done). The plan must also
    say what the real run does to the listener (its actions and changed fields), not only that it changes."""
    emulator = site["emulator"]
    calls_before = len(emulator.calls())
    plan = site["run"](check=True, **more_vars)
    assert plan.rc == 0, plan.stdout[-3000:] + plan.stderr[-3000:]
    site["plan"] = plan
    assert mutating(emulator.calls()[calls_before:]) == [], "check mode called a mutating API action"
    done = site["run"](**more_vars)
    assert done.rc == 0, done.stdout[-5000:] + done.stderr[-3000:]
    again = site["run"](check=True, **{name: value for name, value in more_vars.items() if name not in once})
    assert again.rc == 0 and again.changed_per_host() == {"localhost": 0, "client01": 0}, \
        sorted(changed_steps(again))
    assert listener_outcome(plan) == listener_outcome(done)
    return changed_steps(plan), changed_steps(done)


def test_a_reissued_root_ca_is_planned_through_to_the_listener(site):
    """root_ca_force: new client CA, so new client certificates, new files on the client, a new CA
    upload and the listener switched to it; check mode must say so for each step."""
    planned, done = plan_then_run(site, once=("root_ca_force",), root_ca_force=True)

    assert done >= {("localhost", "root CA"), ("localhost", "client certificates"), ("client01", "client files"),
                    ("localhost", "CA certificate upload"), ("localhost", "listener")}, sorted(done)
    assert planned == done
    # Step 4's plan names the client's certificate as well as root.crt: both are re-issued.
    install_plan = site["plan"].task_results("mtls.clb.client_install : Report the files a real run would install",
                                             host="client01")
    assert "root.crt" in install_plan["msg"] and "client01.crt" in install_plan["msg"], install_plan["msg"]
    # The listener exists: the plan is the update to the CA the new upload gets, not a creation.
    listener_plan = site["plan"].task_results(LISTENER_TASK)
    assert listener_plan.get("actions") == ["update"], listener_plan
    assert set(listener_plan["changes"]) == {"ca_certificate_id"}, listener_plan["changes"]


def test_a_reissued_lab_server_ca_is_planned_through_to_the_listener(site):
    """The lab CA's key is gone: new lab CA, so a new server certificate, a new ca.crt on the client, a
    new server certificate upload and the listener switched to it."""
    (site["pki"] / "server" / "ca.key").unlink()

    planned, done = plan_then_run(site)

    assert done >= {("localhost", "lab server CA"), ("localhost", "server certificate"), ("client01", "client files"),
                    ("localhost", "server certificate upload"), ("localhost", "listener")}, sorted(done)
    assert planned == done
    listener_plan = site["plan"].task_results(LISTENER_TASK)
    assert listener_plan.get("actions") == ["update"], listener_plan
    assert set(listener_plan["changes"]) == {"server_certificate_id"}, listener_plan["changes"]


def test_a_lab_ca_directory_mode_change_plans_no_new_server_certificate(site):
    """Only the server directory's mode is off: the lab CA task fixes it, nothing is re-issued."""
    (site["pki"] / "server").chmod(0o755)

    planned, done = plan_then_run(site)

    assert done == {("localhost", "lab server CA")}, sorted(done)
    assert planned == done


def test_a_deleted_lab_server_certificate_is_reissued_with_its_key_and_switched_on_the_listener(site):
    """README "Renewal and rotation": deleting server.crt re-issues the lab server certificate now, with the
    same key; it is uploaded and the existing listener switched to it, and the plan says so."""
    key_before = (site["pki"] / "server" / "server.key").read_bytes()
    (site["pki"] / "server" / "server.crt").unlink()

    planned, done = plan_then_run(site)

    assert done == {("localhost", "server certificate"), ("localhost", "server certificate upload"),
                    ("localhost", "listener")}, sorted(done)
    assert planned == done
    assert (site["pki"] / "server" / "server.key").read_bytes() == key_before


def test_client_certificates_reissued_with_another_key_size_are_planned_onto_the_client(site):
    """A new client key size re-issues the client's key and certificate: check mode must plan the
    install of the new files on the client, not find the old ones up to date."""
    planned, done = plan_then_run(site, client_certificates_key_size=3072)

    assert done == {("localhost", "client certificates"), ("client01", "client files")}, sorted(done)
    assert planned == done
