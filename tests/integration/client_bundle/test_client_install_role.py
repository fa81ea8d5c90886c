"""Role mtls.clb.client_install on top of mtls.clb.client_bundle: step 4 is one module run per client, the files
are byte for byte the controller's, and the key is in no output at -vvvv with --diff (default callback)."""
from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench.common import CONTROLLER_ACTIONS, modules_by_action
from tests.support.ansible_run import ONE_ROLE_PLAYBOOK, run_playbook

# Each installed file and its source under client_install_pki_directory on the controller.
SOURCES = {"client.key": "clients/localhost.key", "client.crt": "clients/localhost.crt", "root.crt": "root.crt",
           "ca.crt": "server/ca.crt"}


def client_module_runs(run) -> dict:
    return {action: count for action, count in modules_by_action(run.data).items() if action not in CONTROLLER_ACTIONS}


@pytest.fixture
def workspace(tmp_path):
    pki = tmp_path / "pki"
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    for name, source in SOURCES.items():
        (pki / source).parent.mkdir(parents=True, exist_ok=True)
        # A well-framed CERTIFICATE block (base64 of a DER SEQUENCE): client_bundle checks the framing only.
        body = base64.b64encode(b"\x30\x82" + name.encode())
        content = key if name == "client.key" else \
            b"-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % body
        (pki / source).write_bytes(content)
    (tmp_path / "role.yml").write_text(ONE_ROLE_PLAYBOOK)
    variables = {"role_under_test": "mtls.clb.client_install", "client_install_pki_directory": str(pki), "client_install_directory": str(tmp_path / "home-ca"),
                 "client_install_owner": str(os.getuid()), "client_install_group": str(os.getgid())}
    return tmp_path, variables


def test_step_4_is_one_module_run_and_the_second_run_changes_nothing(workspace):
    work, variables = workspace

    first = run_playbook(work / "role.yml", extra_vars=variables)
    second = run_playbook(work / "role.yml", extra_vars=variables)

    assert first.rc == 0, first.stdout[-3000:]
    assert first.stats["localhost"]["changed"] == 1
    assert client_module_runs(first) == {"mtls.clb.client_bundle": 1}
    assert second.rc == 0 and second.stats["localhost"]["changed"] == 0, second.stdout[-3000:]
    assert client_module_runs(second) == {"mtls.clb.client_bundle": 1}
    home_ca = work / "home-ca"
    assert stat.S_IMODE(home_ca.stat().st_mode) == 0o700
    for name, source in SOURCES.items():
        assert (home_ca / name).read_bytes() == (work / "pki" / source).read_bytes(), name
        assert stat.S_IMODE((home_ca / name).stat().st_mode) == (0o600 if name == "client.key" else 0o644), name


def test_the_key_is_in_no_output_at_vvvv_with_diff(workspace):
    work, variables = workspace
    key_lines = [line for line in (work / "pki" / SOURCES["client.key"]).read_text().splitlines()
                 if not line.startswith("-----")]

    created = run_playbook(work / "role.yml", extra_vars=variables, diff=True, verbosity=4, json_output=False)
    (work / "home-ca" / "client.key").write_text("-----BEGIN PRIVATE KEY-----\nstale\n-----END PRIVATE KEY-----\n")
    replaced = run_playbook(work / "role.yml", extra_vars=variables, diff=True, verbosity=4, json_output=False)

    for run in (created, replaced):
        assert run.rc == 0, run.stdout[-3000:]
        output = run.stdout + run.stderr
        assert "client.key: changed" in output
        assert "PRIVATE KEY" not in output
        for line in key_lines:
            assert line not in output
    assert Path(work / "home-ca" / "client.key").read_bytes() == (work / "pki" / SOURCES["client.key"]).read_bytes()


def test_an_unknown_owner_names_the_variable_and_writes_nothing(workspace):
    work, variables = workspace

    run = run_playbook(work / "role.yml", extra_vars={**variables, "client_install_owner": "no-such-user-mtls"})

    assert run.rc != 0
    message = run.task_results("mtls.clb.client_install : Refuse an owner or group the client cannot give the "
                               "files")["msg"]
    assert message == ("client_install_owner: there is no user 'no-such-user-mtls' on this host; create the user "
                       "first or set client_install_owner to an existing user name or a numeric uid")
    assert not (work / "home-ca").exists()


def test_check_mode_without_sources_reports_them_and_writes_nothing(workspace):
    work, variables = workspace

    run = run_playbook(work / "role.yml", check=True,
                       extra_vars={**variables, "client_install_pki_directory": str(work / "no-pki")})

    assert run.rc == 0, run.stdout[-3000:]
    report = run.task_results("mtls.clb.client_install : Report the files a real run would install")["msg"]
    assert report.startswith("Check mode: localhost.key, localhost.crt, root.crt, ca.crt do not exist yet")
    assert not (work / "home-ca").exists()
