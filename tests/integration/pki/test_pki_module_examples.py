"""The EXAMPLES of the PKI modules run as written, one after the other, as a user would copy them.

They share files: the root CA of pki_root_ca's first example (its key encrypted) is the CA that the
later examples of pki_root_ca and pki_client_certificates name. Only the absolute paths are moved into a
temporary directory that does not exist yet (as /etc/pki/mtls does not on a fresh machine), and the
variables the examples leave to the user are given values. Validate-modules compares option names and
types with the argument spec; this test catches what it cannot: an example that fails when it runs.
"""
from __future__ import annotations

import json
import subprocess

import yaml

from tests.support.ansible_run import BIN, REPO_ROOT, ansible_env, run_playbook

# Order matters: pki_client_certificates signs with the root CA of pki_root_ca's examples.
MODULES = ("pki_root_ca", "pki_server_certificate", "pki_client_certificates")
EXAMPLE_DIRECTORIES = ("/etc/pki/mtls", "/srv/legacy-clients")
USER_VARIABLES = {
    "vault_root_ca_passphrase": "root-Ca-passphrase-1",
    "vault_client_p12_password": "client-P12-password-2",
    "vault_laptop_p12_password": "laptop-P12-password-3",
    "legacy_clients": [{"name": "legacy01", "common_name": "legacy01.example.com"}],
}


def rendered_examples() -> dict:
    names = ["mtls.clb." + name for name in MODULES]
    completed = subprocess.run([str(BIN / "ansible-doc"), "--json", "-t", "module"] + names, cwd=REPO_ROOT,
                               env=ansible_env(), check=True, capture_output=True, text=True)
    docs = json.loads(completed.stdout)
    return {name: docs["mtls.clb." + name]["examples"] for name in MODULES}


def test_the_pki_examples_run_in_order_on_a_fresh_machine(tmp_path):
    sandbox = tmp_path / "fresh"  # not created: the examples must cope with a missing directory
    tasks = []
    for name, text in rendered_examples().items():
        for directory in EXAMPLE_DIRECTORIES:
            text = text.replace(directory, str(sandbox) + directory)
        for task in yaml.safe_load(text):
            task["name"] = "%s: %s" % (name, task["name"])
            tasks.append(task)
    modules = [key for task in tasks for key in task if key.startswith("mtls.clb.")]
    assert set(MODULES) <= {module.split(".")[-1] for module in modules}
    for task in tasks:
        for key, args in task.items():
            if key.startswith("mtls.clb."):
                paths = [value for value in args.values() if isinstance(value, str) and value.startswith("/")]
                assert all(path.startswith(str(sandbox)) for path in paths), (task["name"], paths)
    playbook = tmp_path / "examples.yml"
    playbook.write_text(yaml.safe_dump([{"name": "PKI module examples", "hosts": "localhost", "connection": "local",
                                         "gather_facts": False, "tasks": tasks}], sort_keys=False))

    run = run_playbook(playbook, extra_vars=USER_VARIABLES)

    failed = {task["task"]["name"]: result.get("msg")
              for play in run.data.get("plays", []) for task in play.get("tasks", [])
              for host, result in task["hosts"].items() if result.get("failed")}
    assert run.rc == 0 and not failed, failed or run.stderr[-2000:]
    assert (sandbox / "etc/pki/mtls/root.key").stat().st_mode & 0o777 == 0o600
    assert (sandbox / "srv/legacy-clients/legacy01.p12").is_file()
