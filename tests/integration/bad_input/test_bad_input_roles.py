"""Bad input to the roles and site.yml: each case fails with a message that names the variable
and says how to fix it, and changes nothing (no file or directory, no mutating API call).

ROLE_CASES reads as a table: (id, role, variables, variable named, hint given). Each role runs
alone from a one-task playbook, as a user's own playbook would include it.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from tests.integration.security.nothing_changed import mutating_calls, snapshot_difference, tree_snapshot
from tests.support.ansible_run import REPO_ROOT, run_playbook
from tests.support.cases import CaseParam
from tests.support.emulator import start_emulator

ONE_ROLE_PLAYBOOK = """---
- name: Run one role of mtls.clb
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Include the role under test
      ansible.builtin.include_role:
        name: "{{ role_under_test }}"
"""


@dataclass
class Workspace:
    work: Path
    emulator: object

    def path(self, name: str) -> str:
        return str(self.work / name)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    work = tmp_path_factory.mktemp("bad-input-roles")
    (work / "role.yml").write_text(ONE_ROLE_PLAYBOOK)
    # Step 4's sources as earlier steps leave them; their content does not matter to the cases.
    for name in ("pki/clients/localhost.key", "pki/clients/localhost.crt", "pki/root.crt", "pki/server/ca.crt"):
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text("placeholder\n")
    (work / "home-ca-is-a-file").write_text("not a directory\n")
    # Step 5's inputs: a server directory as step 1 leaves it (0700), once without the purchased files
    # and once with them; their content does not matter, the role stops before reading them.
    for directory in ("server-without-files", "server-with-files"):
        (work / directory).mkdir(mode=0o700)
    for name in ("server.crt", "server.key"):
        (work / "server-with-files" / name).write_text("placeholder\n")
    locked = work / "locked-pki"
    locked.mkdir()
    if os.geteuid() == 0:  # root ignores mode bits
        subprocess.run(["chattr", "+i", str(locked)], check=True)
    else:
        locked.chmod(0o500)
    emulator = start_emulator(work / "emulator", demo_backends=1)
    try:
        yield Workspace(work=work, emulator=emulator)
    finally:
        emulator.stop()
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(locked)], check=False)
        locked.chmod(0o700)


def cloud(ws: Workspace) -> dict:
    return {"mtls_clb_endpoint": ws.emulator.api_url, "mtls_clb_region": ws.emulator.region}


def listener_role_vars(ws: Workspace, **overrides) -> dict:
    """Valid mtls_listener inputs (placeholder certificate IDs) with `overrides`, the one bad input."""
    return {**cloud(ws), "mtls_listener_load_balancer_name": "bad-input-roles",
            "mtls_listener_backend_servers": ws.emulator.ecs_ids,
            "mtls_listener_server_certificate_id": "srv", "mtls_listener_ca_certificate_id": "ca", **overrides}


@dataclass
class RoleCase(CaseParam):
    id: str
    role: str
    variables: Callable[[Workspace], dict]
    variable: str
    hint: str
    defect: str = ""


ROLE_CASES = [
    RoleCase("client_install: /home/ca exists as a file", "mtls.clb.client_install",
             lambda ws: {"client_install_directory": ws.path("home-ca-is-a-file"),
                         "client_install_pki_directory": ws.path("pki"),
                         "client_install_owner": str(os.getuid()), "client_install_group": str(os.getgid())},
             "client_install_directory", "not a directory"),
    RoleCase("client_install: sources missing", "mtls.clb.client_install",
             lambda ws: {"client_install_directory": ws.path("home-ca"),
                         "client_install_pki_directory": ws.path("no-pki"),
                         "client_install_owner": str(os.getuid()), "client_install_group": str(os.getgid())},
             "client_install_*_path", "Run steps 1-3 first"),
    RoleCase("certificate_upload: purchased server certificate missing", "mtls.clb.certificate_upload",
             lambda ws: {**cloud(ws), "certificate_upload_directory": ws.path("server-without-files"),
                         "certificate_upload_client_ca_certificate_path": ws.path("pki/root.crt")},
             "certificate_upload_server_certificate_path", "set certificate_upload_issue_lab_certificate"),
    # The server certificate is there and would upload fine: nothing is uploaded while the CA is missing.
    RoleCase("certificate_upload: client CA certificate missing", "mtls.clb.certificate_upload",
             lambda ws: {**cloud(ws), "certificate_upload_directory": ws.path("server-with-files"),
                         "certificate_upload_client_ca_certificate_path": ws.path("no-pki/root.crt")},
             "certificate_upload_client_ca_certificate_path", "mtls.clb.root_ca"),
    RoleCase("client_certificates: empty client list", "mtls.clb.client_certificates",
             lambda ws: {"client_certificates_clients": [], "client_certificates_directory": ws.path("clients"),
                         "client_certificates_pkcs12_password": "p12-roles-Hw31"},
             "client_certificates_clients", "put the client hosts into the linux_clients"),
    RoleCase("client_certificates: no PKCS#12 password", "mtls.clb.client_certificates",
             lambda ws: {"client_certificates_clients": ["client01"],
                         "client_certificates_directory": ws.path("clients")},
             "mtls_clb_pkcs12_password", "Ansible Vault"),
    RoleCase("root_ca: unwritable output directory", "mtls.clb.root_ca",
             lambda ws: {"root_ca_directory": ws.path("locked-pki"), "root_ca_key_size": 2048},
             "root_ca_directory", "permissions"),
    RoleCase("mtls_listener: invalid TLS policy name", "mtls.clb.mtls_listener",
             lambda ws: listener_role_vars(ws, mtls_listener_tls_cipher_policy="tls_cipher_policy_9"),
             "mtls_listener_tls_cipher_policy", "must be one of: tls_cipher_policy_1_0"),
    RoleCase("mtls_listener: load balancer not found", "mtls.clb.mtls_listener",
             lambda ws: listener_role_vars(ws, mtls_listener_load_balancer_name="no-such-balancer"),
             "mtls_listener_create_load_balancer", "Check the ID/name and the region"),
    RoleCase("mtls_listener: unknown region", "mtls.clb.mtls_listener",
             lambda ws: listener_role_vars(ws, mtls_clb_region="xx-nowhere-9"),
             "region", "ALIBABA_CLOUD_REGION_ID"),
    RoleCase("mtls_listener: no backend servers", "mtls.clb.mtls_listener",
             lambda ws: listener_role_vars(ws, mtls_listener_backend_servers=[]),
             "mtls_listener_backend_servers", "list the ECS instance IDs"),
]


def failure_messages(run) -> list[str]:
    messages = []
    for play in run.data.get("plays", []):
        for task in play.get("tasks", []):
            for result in task["hosts"].values():
                if result.get("failed"):
                    messages.append(str(result.get("msg", "")))
                    messages += [str(item.get("msg", "")) for item in result.get("results", []) if item.get("failed")]
    return messages


def run_failing(ws: Workspace, playbook: Path, variables: dict, inventory=None):
    """Run, and return (the failure messages, what changed on disk, mutating API calls)."""
    watched = [path for path in ws.work.iterdir() if path.name != "emulator"]
    files_before = tree_snapshot(*watched, *(ws.work / name for name in ("home-ca", "clients", "site-pki")))
    calls_before = len(ws.emulator.calls())
    run = run_playbook(playbook, inventory=inventory, extra_vars=variables,
                       env={"ALIBABA_CLOUD_ACCESS_KEY_ID": ws.emulator.access_key_id,
                            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ws.emulator.access_key_secret})
    assert run.rc != 0, f"the run accepted bad input:\n{run.stdout[-3000:]}"
    changed = snapshot_difference(files_before, tree_snapshot(
        *watched, *(ws.work / name for name in ("home-ca", "clients", "site-pki"))))
    return failure_messages(run), changed, mutating_calls(ws.emulator.calls()[calls_before:])


@pytest.mark.parametrize("case", [case.param() for case in ROLE_CASES])
def test_role_bad_input(workspace, case):
    """A role given bad input fails naming the variable and the fix; no file, no mutating API call."""
    messages, changed, mutating = run_failing(
        workspace, workspace.work / "role.yml", {"role_under_test": case.role, **case.variables(workspace)})

    assert changed == {}, f"files changed: {changed}"
    assert mutating == [], f"mutating API calls: {mutating}"
    message = "\n".join(messages)
    assert case.variable in message, f"the message does not name {case.variable!r}: {message}"
    assert case.hint in message, f"the message gives no hint ({case.hint!r}): {message}"


SITE_INVENTORY = """all:
  hosts:
    localhost:
      ansible_connection: local
  children:
    linux_clients:
      hosts:
        client01:
          ansible_connection: local
"""


def site_vars(ws: Workspace, **overrides) -> dict:
    """A complete, valid set of site.yml variables with `overrides`, the one bad input (None removes a variable)."""
    variables = {**cloud(ws), "mtls_clb_pki_dir": ws.path("site-pki"), "mtls_clb_domain": "www.bad-input.test",
                 "mtls_clb_backend_servers": ws.emulator.ecs_ids, "mtls_clb_pkcs12_password": "p12-roles-Hw31",
                 "mtls_clb_issue_lab_certificate": True, "mtls_clb_create_load_balancer": True,
                 "mtls_clb_load_balancer_name": "bad-input-site", "mtls_clb_client_directory": ws.path("home-ca"),
                 "mtls_clb_client_become": False, "ansible_python_interpreter": sys.executable}
    variables.update(overrides)
    return {name: value for name, value in variables.items() if value is not None}


# (id, bad input, variable named, hint given). Each is found by site.yml's first plays, which check every
# role's inputs before step 1: no file is written and the API is not called at all.
SITE_CASES = [
    ("listener port out of range", {"mtls_clb_listener_port": 70000}, "mtls_clb_listener_port", "1-65535"),
    ("invalid TLS policy name", {"mtls_listener_tls_cipher_policy": "tls_cipher_policy_1_3"},
     "mtls_listener_tls_cipher_policy", "must be one of"),
    ("backend given by name, not ID", {"mtls_clb_backend_servers": ["ECS01", "ECS02"]}, "mtls_clb_backend_servers",
     "(i-...)"),
    ("backend weight above 100", {"mtls_listener_backend_weight": 101}, "mtls_listener_backend_weight", "0 (out of rotation) to 100"),
    ("no PKCS#12 password", {"mtls_clb_pkcs12_password": None}, "mtls_clb_pkcs12_password", "Ansible Vault"),
    ("wildcard domain", {"mtls_clb_domain": "*.bad-input.test"}, "mtls_clb_domain", "one name it covers"),
    ("domain left empty in YAML", {"mtls_clb_domain": ""}, "mtls_clb_domain", "https://<domain>/"),
    ("purchased certificate not in place", {"mtls_clb_issue_lab_certificate": False},
     "certificate_upload_server_certificate_path", "mtls_clb_issue_lab_certificate"),
    ("step 7 asked for more backends than requests", {"mtls_verify_requests": 1},
     "mtls_verify_min_backends", "at least as many"),
    ("relative client directory", {"mtls_clb_client_directory": "home/ca"}, "client_install_directory", "absolute path"),
    ("root CA renewal window longer than its validity", {"root_ca_valid_days": 10, "root_ca_renew_before_days": 30},
     "root_ca_renew_before_days", "smaller than root_ca_valid_days"),
]


@pytest.mark.parametrize("overrides, variable, hint", [pytest.param(*case[1:], id=case[0]) for case in SITE_CASES])
def test_site_checks_every_input_before_step_1(workspace, overrides, variable, hint):
    """site.yml refuses bad input for any step before step 1 runs: no file, no API call at all."""
    ws = workspace
    inventory = ws.work / "site-inventory.yml"
    inventory.write_text(SITE_INVENTORY)
    calls_before = len(ws.emulator.calls())

    messages, changed, mutating = run_failing(ws, REPO_ROOT / "site.yml", site_vars(ws, **overrides), inventory=inventory)

    assert changed == {}, f"files changed: {changed}"
    assert ws.emulator.calls()[calls_before:] == [], "the API was called before the inputs were checked"
    message = "\n".join(messages)
    assert variable in message, f"the message does not name {variable!r}: {message}"
    assert hint in message, f"the message gives no hint ({hint!r}): {message}"


def test_site_without_domain_names_the_variable(workspace):
    """site.yml without mtls_clb_domain stops at its first task, naming the variable, before any step runs."""
    ws = workspace
    variables = {**cloud(ws), "mtls_clb_pki_dir": ws.path("site-pki"), "mtls_clb_backend_servers": ws.emulator.ecs_ids,
                 "mtls_clb_pkcs12_password": "p12-roles-Hw31"}
    inventory = ws.work / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")

    messages, changed, mutating = run_failing(ws, REPO_ROOT / "site.yml", variables, inventory=inventory)

    assert changed == {} and mutating == []
    message = "\n".join(messages)
    assert "mtls_clb_domain is not set" in message and "https://<domain>/" in message, message
