"""site.yml (steps 1-7) against a private CLB emulator: what every test and benchmark that runs the
whole procedure with the demo inventory shares.

The run's directory `work` holds the emulator's state (`work/emulator`), the PKI (`work/pki`) and
the stand-in for client01's `/home/ca` (`work/home-ca`). How the secrets reach the playbook (extra
vars, Ansible Vault, environment) is each caller's choice, so `site_vars` holds none.
"""
from __future__ import annotations

import os
from pathlib import Path

from tests.support.ansible_run import REPO_ROOT, PlaybookRun, run_playbook
from tests.support.emulator import RunningEmulator, start_emulator

SITE = REPO_ROOT / "site.yml"
DEMO_INVENTORY = REPO_ROOT / "playbooks" / "inventory" / "demo.yml"
# Root binds 443 itself; anyone else needs the emulator's offset (the listener is then on 10443).
PORT_OFFSET = 0 if os.geteuid() == 0 else 10000


def start_site_emulator(work: Path, access_key_id: str, access_key_secret: str) -> RunningEmulator:
    """The emulator the demo inventory expects: ECS01 and ECS02 as backends, listeners at PORT_OFFSET."""
    return start_emulator(work / "emulator", demo_backends=2, access_key_id=access_key_id,
                          access_key_secret=access_key_secret, listener_port_offset=PORT_OFFSET)


def site_vars(emulator: RunningEmulator, work: Path, verify_requests: int) -> dict:
    """site.yml's variables for a run against `emulator` with its files under `work`, installed for
    the current user (no root needed)."""
    return {
        "mtls_clb_endpoint": emulator.api_url,
        "mtls_clb_backend_servers": emulator.ecs_ids,
        "mtls_clb_pki_dir": str(work / "pki"),
        "mtls_clb_client_directory": str(work / "home-ca"),
        "mtls_clb_listener_port_offset": PORT_OFFSET,
        "client_install_owner": str(os.getuid()),
        "client_install_group": str(os.getgid()),
        # RSA 2048 and few verification requests keep each run short; the demo runs the RSA 4096 defaults.
        "root_ca_key_size": 2048,
        "client_certificates_key_size": 2048,
        "mtls_verify_requests": verify_requests,
    }


def access_key_env(access_key_id: str, access_key_secret: str) -> dict:
    """The access key as the SDK's credential chain reads it from the environment."""
    return {"ALIBABA_CLOUD_ACCESS_KEY_ID": access_key_id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": access_key_secret}


def run_site(extra_vars: dict, **run_playbook_options) -> PlaybookRun:
    """`ansible-playbook site.yml -i demo.yml`; the options are run_playbook's (check, diff, env, ...)."""
    return run_playbook(SITE, inventory=DEMO_INVENTORY, extra_vars=extra_vars, **run_playbook_options)


def mutating(calls: list[dict]) -> list[dict]:
    """The calls that could change something (the SLB API's read-only actions are Describe*)."""
    return [call for call in calls if not call["action"].startswith("Describe")]


LISTENER_TASK = ("mtls.clb.mtls_listener : Ensure the HTTPS listener with mutual authentication, running "
                 "(procedure step 6)")


def listener_outcome(result: PlaybookRun) -> dict:
    """What a site.yml run did to the HTTPS listener, or in check mode plans to do: the module's actions
    (create, start, update) and the fields that change; {} when the task did not run."""
    for play in result.data.get("plays", []):
        for task in play.get("tasks", []):
            outcome = task["hosts"].get("localhost", {})
            if task["task"]["name"] == LISTENER_TASK and not outcome.get("skipped"):
                return {"actions": outcome.get("actions"), "fields": sorted(outcome.get("changes") or {})}
    return {}
