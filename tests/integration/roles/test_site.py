"""site.yml end to end against the local CLB: the plan, the run, and the run that changes nothing.

One emulator and one PKI directory for the module, so the tests run in order as a user would:
check mode on nothing, apply, apply again, check mode again. Each asserts what the issue promises
about that run: what changed, which API actions were called, which files were (not) written, and
that no secret appears in the output.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from alibabacloud_slb20140515 import models as slb_models

from tests.support.site import access_key_env, mutating, run_site, site_vars, start_site_emulator

pytestmark = pytest.mark.slow


def tree_state(directory: Path) -> dict:
    """Every file under `directory` with its mtime and size: any re-issue changes this."""
    if not directory.exists():
        return {}
    return {str(path.relative_to(directory)): (path.stat().st_mtime_ns, path.stat().st_size)
            for path in sorted(directory.rglob("*")) if path.is_file()}


def runs_of(result, name: str, host: str) -> int:
    """How many times the task called `name` ran (not skipped) on `host`."""
    return sum(1 for play in result.data.get("plays", []) for task in play.get("tasks", [])
               if task["task"]["name"] == name and host in task["hosts"] and not task["hosts"][host].get("skipped"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("site")
    access_key_secret = secrets.token_urlsafe(24)
    emulator = start_site_emulator(work, "siteTestAK", access_key_secret)
    pkcs12_password = secrets.token_urlsafe(12)
    extra_vars = {**site_vars(emulator, work, verify_requests=10), "mtls_clb_pkcs12_password": pkcs12_password}
    env = access_key_env("siteTestAK", access_key_secret)

    def run(check=False, verbosity=0, limit=None, **more_vars):
        return run_site({**extra_vars, **more_vars}, check=check, diff=check, env=env, verbosity=verbosity,
                        extra_args=("--limit", limit) if limit else ())

    try:
        yield {"run": run, "emulator": emulator, "work": work, "secrets": [access_key_secret, pkcs12_password]}
    finally:
        emulator.stop()


def test_check_mode_on_nothing_is_a_plan_that_changes_nothing(site):
    emulator, work = site["emulator"], site["work"]
    result = site["run"](check=True)

    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.changed_per_host()["localhost"] > 0, "a plan on an empty setup must report changes"
    assert tree_state(work / "pki") == {}, "check mode wrote PKI files"
    assert not (work / "home-ca").exists(), "check mode created the client directory"
    assert mutating(emulator.calls()) == [], "check mode called a mutating API action"
    plan = result.task_results("mtls.clb.mtls_listener : Report what a real run would configure")
    assert "creates and starts the HTTPS listener on port 443 with mutual authentication" in plan["msg"]
    # Files that do not exist yet are said to be missing, not also "re-issued".
    uploads = result.task_results("mtls.clb.certificate_upload : Report the uploads a real run would make")["msg"]
    installs = result.task_results("mtls.clb.client_install : Report the files a real run would install",
                                   host="client01")["msg"]
    assert "re-issued" not in uploads and uploads.count("server.crt") == 1, uploads
    assert "re-issued" not in installs and installs.count("client01.crt") == 1, installs
    skipped_verify = result.task_results("mtls.clb.mtls_verify : Explain that verification needs a real run",
                                         host="client01")
    assert "skipped" in skipped_verify["msg"]


def test_first_run_does_steps_1_to_7(site):
    emulator, work = site["emulator"], site["work"]
    result = site["run"]()

    assert result.rc == 0, result.stdout[-5000:] + result.stderr[-3000:]
    actions = [call["action"] for call in mutating(emulator.calls())]
    for action in ("UploadServerCertificate", "UploadCACertificate", "CreateLoadBalancer",
                   "AddBackendServers", "CreateLoadBalancerHTTPSListener", "StartLoadBalancerListener"):
        assert actions.count(action) == 1, f"{action} called {actions.count(action)} times: {actions}"
    for name in ("root.crt", "root.key", "clients/client01.crt", "clients/client01.key",
                 "clients/client01.p12", "server/server.crt", "server/server.key", "server/ca.crt"):
        assert (work / "pki" / name).is_file(), name
    installed = work / "home-ca"
    assert oct(installed.stat().st_mode & 0o777) == "0o700"
    assert oct((installed / "client.key").stat().st_mode & 0o777) == "0o600"
    assert (installed / "ca.crt").read_bytes() == (work / "pki" / "server" / "ca.crt").read_bytes()
    table = result.task_results("mtls.clb.mtls_verify : Show the distribution of requests across backends",
                                host="client01")["msg"]
    counts = {line.split()[0]: int(line.split()[1]) for line in table if line.startswith(("ECS", "failed"))}
    assert sorted(counts) == ["ECS01", "ECS02", "failed"]
    assert counts["failed"] == 0 and counts["ECS01"] + counts["ECS02"] == 10
    assert any(line.startswith("no client certificate") and line.endswith("refused") for line in table)
    assert any(line.startswith("certificate of other CA") and line.endswith("refused") for line in table)
    # The first plays check every step's inputs; the steps do not check them again.
    for host, check in (("localhost", "mtls.clb.mtls_listener : Check the inputs before calling the API"),
                        ("localhost", "mtls.clb.certificate_upload : Check the domain and the server certificate source"),
                        ("localhost", "mtls.clb.root_ca : Check the validity settings"),
                        ("localhost", "mtls.clb.client_certificates : Refuse an empty client list with a hint"),
                        ("client01", "mtls.clb.client_install : Check the client certificate directory path"),
                        ("client01", "mtls.clb.mtls_verify : Check the verification settings")):
        assert runs_of(result, check, host) == 1, f"{check} ran {runs_of(result, check, host)} times on {host}"


def test_second_run_changes_nothing_calls_only_describe_and_reissues_nothing(site):
    emulator, work = site["emulator"], site["work"]
    calls_before = len(emulator.calls())
    files_before = tree_state(work)

    result = site["run"](verbosity=2)

    assert result.rc == 0, result.stdout[-5000:] + result.stderr[-3000:]
    assert result.changed_per_host() == {"localhost": 0, "client01": 0}
    assert mutating(emulator.calls()[calls_before:]) == []
    files_after = tree_state(work)
    assert {name: files_after.get(name) for name in files_before if not name.startswith("emulator")} == \
        {name: state for name, state in files_before.items() if not name.startswith("emulator")}
    output = result.stdout + result.stderr
    for secret in site["secrets"]:
        assert secret not in output
    for key in ("pki/root.key", "pki/clients/client01.key", "pki/server/server.key"):
        key_body = (work / key).read_text().splitlines()[1]
        assert key_body not in output, f"a line of {key} appears in the output"


def test_check_mode_after_the_run_reports_no_change(site):
    emulator = site["emulator"]
    calls_before = len(emulator.calls())

    result = site["run"](check=True)

    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.changed_per_host() == {"localhost": 0, "client01": 0}
    assert mutating(emulator.calls()[calls_before:]) == []


def test_a_limit_without_localhost_is_refused_before_step_4_unless_step_7_is_given_the_address(site):
    """`--limit client01` (one client again, as after adding it) leaves out localhost, where steps 1-3, 5 and 6
    run and step 6 gives step 7 its address. site.yml says so in its input checks, with both ways out; each way
    then works, and nothing changes."""
    emulator, work = site["emulator"], site["work"]
    calls_before = len(emulator.calls())
    files_before = tree_state(work / "pki"), tree_state(work / "home-ca")

    refused = site["run"](limit="client01")

    assert refused.rc != 0
    message = refused.task_results("Check that localhost is part of this run, or that step 7 has the address step 6 "
                                   "would give", host="client01")["msg"]
    assert message == ("localhost is not among the hosts of this run (--limit client01): steps 1-3, 5 and 6 run "
                       "there, and step 7 tests the load balancer address that step 6 gives. Add it to the limit "
                       "(--limit localhost,client01), or, to run only steps 4 and 7 on these clients, give that "
                       "address (-e mtls_verify_address=<load balancer address>).")
    assert runs_of(refused, "mtls.clb.client_install : Install client.key (0600), client.crt, root.crt and ca.crt "
                            "(0644) into the 0700 directory (procedure step 4)", "client01") == 0

    balancers = emulator.sdk_client().describe_load_balancers(
        slb_models.DescribeLoadBalancersRequest(region_id=emulator.region)).body.load_balancers.load_balancer
    address = balancers[0].address
    steps_4_and_7 = site["run"](limit="client01", mtls_verify_address=address)
    with_localhost = site["run"](limit="localhost,client01")

    for result in (steps_4_and_7, with_localhost):
        assert result.rc == 0, result.stdout[-5000:] + result.stderr[-3000:]
        assert all(changed == 0 for changed in result.changed_per_host().values()), result.stats
        table = result.task_results("mtls.clb.mtls_verify : Show the distribution of requests across backends",
                                    host="client01")["msg"]
        assert "ECS01" in "\n".join(table) and "ECS02" in "\n".join(table), table
    assert "localhost" not in steps_4_and_7.changed_per_host()
    assert mutating(emulator.calls()[calls_before:]) == []
    assert (tree_state(work / "pki"), tree_state(work / "home-ca")) == files_before


def test_step_7_says_the_client_cannot_reach_an_address_where_nothing_answers(site):
    """On the converged setup (the tests above), step 7 alone against an address where nothing listens. curl exit 7 on
    every request: the message says the load balancer cannot be reached, not that the CA or the
    weights are wrong (it led with those once)."""
    result = site["run"](limit="client01", mtls_verify_address="127.0.0.2")
    assert result.rc != 0
    message = result.task_results("mtls.clb.mtls_verify : Fail when any check of step 7 failed", host="client01")["msg"]
    assert "requests with the client certificate failed (first: curl: (7)" in message, message
    assert "The client cannot reach the load balancer (curl exit 6, 7 or 28" in message, message
    assert "ca.crt is the CA that signed" not in message, message
