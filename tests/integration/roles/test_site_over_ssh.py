"""site.yml with its Linux client reached over SSH, as users run it: the inventory is
playbooks/examples/inventory.yml (filled in for the emulator), its client a host logged in to as a non-root
user with sudo (site.yml's default `become`), running the system /usr/bin/python3 with nothing from PyPI,
on a filesystem that is not the controller's (tests/support/ssh_client.py: a private sshd in a mount
namespace of its own, where /home, /root, the checkout, the controller's $HOME and PKI are empty tmpfs).

Every other site.yml test reaches its client with `ansible_connection=local`, as root, with the controller's
venv Python, on the controller's filesystem: a file read on the wrong side, a client module importing what
only the controller has, a become, ownership or permission problem, a path built from the controller's
$HOME, would all pass there. Here a `--check --diff` run before the first must plan and change nothing, the
cold run must converge with step 7 green, leave /home/ca and its files
on the client with the procedure's modes and owner (and nothing in the controller's /home), and the warm
run must report changed=0.

Needs root and the Debian packages openssh-server, openssh-client, sudo, util-linux and curl (.ci/run
installs them). Where they are missing the test fails in CI (CI set, as .ci/run runs) and is skipped
elsewhere, naming the package.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path

import pytest
import yaml

from tests.support.ansible_run import REPO_ROOT, run_playbook
from tests.support.site import PORT_OFFSET, access_key_env, mutating, start_site_emulator
from tests.support.prerequisites import missing_prerequisite
from tests.support.ssh_client import LOGIN_USER, missing_prerequisites, start_ssh_client

pytestmark = pytest.mark.slow

EXAMPLE_INVENTORY = REPO_ROOT / "playbooks" / "examples" / "inventory.yml"
DOMAIN = "www.mtls-ssh.test"
PROBE = ("mtls.clb.mtls_verify : Send the procedure's curl with the client certificate, then the negative "
         "checks (procedure step 7)")
DISTRIBUTION = "mtls.clb.mtls_verify : Show the distribution of requests across backends"
# The procedure's step 4: the directory 0700, the key 0600, the certificates 0644, all root's.
EXPECTED_MODES = {"/home/ca": "700 root root", "/home/ca/ca.crt": "644 root root",
                  "/home/ca/client.crt": "644 root root", "/home/ca/client.key": "600 root root",
                  "/home/ca/root.crt": "644 root root"}


def home_state() -> dict:
    """The controller's /home: its entries, and every file under /home/ca with its mtime and size."""
    home = Path("/home")
    state = {"entries": sorted(os.listdir(home)) if home.is_dir() else None}
    ca = home / "ca"
    if ca.exists():
        state["ca"] = {str(path): (path.lstat().st_mtime_ns, path.lstat().st_size) for path in [ca, *ca.rglob("*")]}
    return state


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    problems = missing_prerequisites()
    if problems:
        missing_prerequisite("site.yml over SSH cannot run here: " + "; ".join(problems))

    work = tmp_path_factory.mktemp("site-ssh")
    controller = work / "controller"  # everything the controller writes; the client sees an empty tmpfs here
    controller_home = controller / "home"
    controller_home.mkdir(parents=True)
    access_key_secret = secrets.token_urlsafe(24)
    pkcs12_password = secrets.token_urlsafe(12)
    home_before = home_state()
    emulator = start_site_emulator(controller, "siteSshAK", access_key_secret)
    client = None
    try:
        client = start_ssh_client(work / "ssh", hide=[controller])

        # The example inventory as a user fills it in, for the emulator. mtls_clb_pki_dir stays the example's
        # "{{ lookup('ansible.builtin.env', 'HOME') }}/mtls-clb/pki": the controller's $HOME, which the client
        # does not have.
        inventory = yaml.safe_load(EXAMPLE_INVENTORY.read_text())
        variables = inventory["all"]["vars"]
        del variables["mtls_clb_load_balancer_id"]
        variables.update(
            mtls_clb_load_balancer_name="mtls-clb-ssh", mtls_clb_create_load_balancer=True,
            mtls_clb_backend_servers=emulator.ecs_ids, mtls_clb_domain=DOMAIN, mtls_clb_issue_lab_certificate=True,
            mtls_clb_endpoint=emulator.api_url, mtls_clb_listener_port_offset=PORT_OFFSET,
            # RSA 2048 and few verification requests keep each run short; the defaults are RSA 4096 and 20.
            root_ca_key_size=2048, client_certificates_key_size=2048, mtls_verify_requests=4)
        assert "mtls_clb_client_become" not in variables and "mtls_clb_client_directory" not in variables
        inventory_path = controller / "inventory.yml"

        def set_client(**host_vars):
            """client01's inventory entry: how to reach it over SSH, then `host_vars`."""
            inventory["all"]["children"]["linux_clients"]["hosts"] = {"client01": {**client.inventory_vars(),
                                                                                   **host_vars}}
            inventory_path.write_text(yaml.safe_dump(inventory, sort_keys=False))

        set_client()
        pki = controller_home / "mtls-clb" / "pki"
        env = {**access_key_env("siteSshAK", access_key_secret), "HOME": str(controller_home),
               # ssh's ControlPersist sockets: a short path (a Unix socket's is limited), gone with the test.
               "ANSIBLE_SSH_CONTROL_PATH_DIR": str(work / "ssh" / "cp")}

        def run(check=False):
            result = run_playbook(REPO_ROOT / "site.yml", inventory=inventory_path,
                                  extra_vars={"vault_mtls_clb_pkcs12_password": pkcs12_password}, env=env,
                                  check=check, diff=check)
            output = result.stdout + result.stderr
            assert "PRIVATE KEY" not in output and access_key_secret not in output and pkcs12_password not in output
            return result

        yield {"run": run, "client": client, "emulator": emulator, "pki": pki, "inventory": inventory_path,
               "set_client": set_client, "home_before": home_before}
    finally:
        if client is not None:
            client.stop()
        emulator.stop()


def client_files(client) -> dict:
    """{path: "mode owner group", path + " sha256": digest} of /home/ca on the client, read as root there."""
    listed = client.run("sudo -n sh -c 'stat -c \"%n %a %U %G\" /home/ca /home/ca/*; sha256sum /home/ca/*'")
    assert listed.returncode == 0, listed.stdout + listed.stderr + client.log_tail()
    files = {}
    for line in listed.stdout.splitlines():
        if line.startswith("/"):
            path, attributes = line.split(" ", 1)
            files[path] = attributes
        else:
            digest, path = line.split()
            files[path + " sha256"] = digest
    return files


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(client) -> list[str]:
    """What Ansible's runs left in the client's temporary directories (its module files carry the key)."""
    listed = client.run("sudo -n sh -c 'ls -d /root/.ansible/tmp/* /home/*/.ansible/tmp/* /tmp/ansible* "
                        "/tmp/mtls-probe-* /var/tmp/ansible* 2>/dev/null; true'")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    return listed.stdout.split()


def step_7_is_green(result) -> None:
    probes = result.task_results(PROBE, host="client01")["probes"]
    assert [(answer["rc"], answer["http_status"]) for answer in probes["client"]] == [(0, 200)] * 4, probes
    table = "\n".join(result.task_results(DISTRIBUTION, host="client01")["msg"])
    assert "ECS01" in table and "ECS02" in table, table
    assert table.count(" refused") == 2, table  # without a certificate, and with another CA's


def test_the_client_is_not_the_controller(site):
    """The premise: the client logs in as a non-root user with sudo, its /usr/bin/python3 has no cryptography,
    and it sees neither the controller's files (its inventory, later its PKI) nor the checkout."""
    client = site["client"]
    assert site["inventory"].is_file() and (REPO_ROOT / "site.yml").is_file()
    seen = client.run("id -un; sudo -n id -un; test -e %s && echo controller; test -e %s && echo checkout; "
                      "/usr/bin/python3 -c 'import cryptography' 2>/dev/null && echo cryptography; true"
                      % (site["inventory"], REPO_ROOT / "site.yml"))
    assert seen.returncode == 0, seen.stdout + seen.stderr + client.log_tail()
    assert seen.stdout.split() == [LOGIN_USER, "root"], seen.stdout


def test_check_mode_before_the_first_run_plans_over_ssh_and_changes_nothing(site):
    """`--check --diff` on the empty setup: the run ends rc 0 with the plan (step 4 on the client among it), no
    mutating API call, nothing on the client, no PKI on the controller."""
    calls_before = len(site["emulator"].calls())

    result = site["run"](check=True)

    assert result.rc == 0, result.stdout[-6000:] + result.stderr[-3000:] + site["client"].log_tail()
    assert result.changed_per_host()["client01"] > 0, json.dumps(result.stats)
    assert mutating(site["emulator"].calls()[calls_before:]) == []
    absent = site["client"].run("sudo -n sh -c 'test -e /home/ca || echo absent'")
    assert absent.stdout.split() == ["absent"], absent.stdout + absent.stderr
    assert not site["pki"].exists(), "check mode wrote the controller's PKI"
    assert leftovers(site["client"]) == []


def test_cold_run_installs_the_client_files_over_ssh_and_step_7_passes(site):
    result = site["run"]()

    assert result.rc == 0, result.stdout[-6000:] + result.stderr[-3000:] + site["client"].log_tail()
    assert result.changed_per_host()["client01"] > 0
    step_7_is_green(result)
    files = client_files(site["client"])
    assert {path: files[path] for path in EXPECTED_MODES if path in files} == EXPECTED_MODES, files
    pki = site["pki"]
    sources = {"client.key": pki / "clients" / "client01.key", "client.crt": pki / "clients" / "client01.crt",
               "root.crt": pki / "root.crt", "ca.crt": pki / "server" / "ca.crt"}
    assert {name: files[f"/home/ca/{name} sha256"] for name in sources} == \
        {name: sha256(path) for name, path in sources.items()}
    # The login user cannot read the directory: the files got there through sudo.
    denied = site["client"].run("ls /home/ca")
    assert denied.returncode != 0 and "Permission denied" in denied.stderr, denied
    assert home_state() == site["home_before"], "site.yml wrote to the controller's /home"
    assert leftovers(site["client"]) == []
    assert pki.is_dir()
    hidden = site["client"].run(f"test -e {pki} || echo hidden")
    assert hidden.stdout.split() == ["hidden"], hidden


def test_warm_run_changes_nothing(site):
    files_before = client_files(site["client"])
    mtimes_before = site["client"].run("sudo -n stat -c '%n %y' /home/ca /home/ca/*").stdout
    calls_before = len(site["emulator"].calls())

    result = site["run"]()

    assert result.rc == 0, result.stdout[-6000:] + result.stderr[-3000:] + site["client"].log_tail()
    assert result.changed_per_host() == {"localhost": 0, "client01": 0}, json.dumps(result.stats)
    step_7_is_green(result)
    assert mutating(site["emulator"].calls()[calls_before:]) == []
    assert client_files(site["client"]) == files_before
    assert site["client"].run("sudo -n stat -c '%n %y' /home/ca /home/ca/*").stdout == mtimes_before
    assert home_state() == site["home_before"]
    assert leftovers(site["client"]) == []


def test_without_become_the_defaults_are_refused_before_step_1(site):
    """`mtls_clb_client_become: false` alone, keeping the root-owned /home/ca and the role's root:root: the login
    user may neither write there nor give files to root. site.yml says so for all three variables in its
    input checks, before step 1: no PKI file, API call or client file changes. (client_bundle refuses the
    same at step 4 with nothing written there, but steps 1-3 would have run by then.)"""
    client = site["client"]
    pki_before = {str(path): path.stat().st_mtime_ns for path in site["pki"].rglob("*")}
    files_before = client_files(client)
    calls_before = len(site["emulator"].calls())
    site["set_client"](mtls_clb_client_become=False)

    result = site["run"]()

    assert result.rc != 0, result.stdout[-6000:]
    message = result.task_results("Check that the owner and group exist and that the login user can create the "
                                  "directory and give them", host="client01")["msg"]
    assert message == (
        f"client_install_owner: {LOGIN_USER}, the user steps 4 and 7 log in as on client01 without become "
        f"(mtls_clb_client_become: false), may not give the files to root; set client_install_owner to {LOGIN_USER}, "
        "or let steps 4 and 7 become root (mtls_clb_client_become: true). "
        f"client_install_group: {LOGIN_USER} is not in the group root; set client_install_group to one of its groups "
        f"({LOGIN_USER}), or let steps 4 and 7 become root (mtls_clb_client_become: true). "
        f"mtls_clb_client_directory: {LOGIN_USER} may not write to /home/ca on client01, so it cannot install the "
        f"files into /home/ca; set mtls_clb_client_directory to a path it owns, such as /home/{LOGIN_USER}/ca, or "
        "let steps 4 and 7 become root (mtls_clb_client_become: true).")
    ran = [task["task"]["name"] for play in result.data["plays"] for task in play["tasks"]]
    assert not any(name.startswith("mtls.clb.certificate_upload : Ensure") for name in ran), ran
    assert {str(path): path.stat().st_mtime_ns for path in site["pki"].rglob("*")} == pki_before
    assert mutating(site["emulator"].calls()[calls_before:]) == []
    assert client_files(client) == files_before
    assert leftovers(client) == [] and client.run("ls -d ~/.ansible/tmp/* 2>/dev/null; true").stdout.split() == []


def test_without_become_the_ssh_user_owns_the_directory_and_needs_no_sudo(site):
    """README's way for a client without sudo (the `sudo: not found` row of Troubleshooting, and
    `mtls_clb_client_become`): `mtls_clb_client_become: false`, a directory the SSH user can create
    (`mtls_clb_client_directory`) and that user as `client_install_owner` / `client_install_group`. With
    the SSH user's sudo rule taken away, steps 4 and 7 still pass, and the files are the user's."""
    client = site["client"]
    client.revoke_sudo()
    assert client.run("sudo -n true").returncode != 0, "the SSH user can still sudo"
    directory = f"/home/{LOGIN_USER}/ca"
    site["set_client"](mtls_clb_client_become=False, mtls_clb_client_directory=directory,
                       client_install_owner=LOGIN_USER, client_install_group=LOGIN_USER)

    result = site["run"]()

    assert result.rc == 0, result.stdout[-6000:] + result.stderr[-3000:] + client.log_tail()
    assert result.changed_per_host() == {"localhost": 0, "client01": 1}, json.dumps(result.stats)
    step_7_is_green(result)
    listed = client.run(f"stat -c '%n %a %U %G' {directory} {directory}/*")
    owner = f"{LOGIN_USER} {LOGIN_USER}"
    assert listed.stdout.splitlines() == [f"{directory} 700 {owner}", f"{directory}/ca.crt 644 {owner}",
                                          f"{directory}/client.crt 644 {owner}",
                                          f"{directory}/client.key 600 {owner}",
                                          f"{directory}/root.crt 644 {owner}"], listed.stdout + listed.stderr
    assert home_state() == site["home_before"]
    left = client.run("ls -d ~/.ansible/tmp/* /tmp/* 2>/dev/null; true")
    assert left.stdout.split() == [], left.stdout
