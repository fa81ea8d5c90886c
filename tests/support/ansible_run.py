"""Run modules and playbooks of this checkout through the real `ansible` CLIs.

Every call goes through ansible-core exactly as a user's would (argument parsing, check mode,
diff, no_log). Structured results come from `ansible --tree` (modules) and from the test-only
`json_results` stdout callback beside this file (playbooks; ansible-core 2.19 no longer ships
a JSON callback of its own).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CALLBACK_DIR = Path(__file__).resolve().parent / "callback_plugins"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


def ansible_env(extra: dict | None = None) -> dict:
    """Environment for an ansible process: this checkout's config, no proxies, JSON output, then `extra`
    (a value of None removes that variable)."""
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.update(
        ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACK_DIR),
        ANSIBLE_STDOUT_CALLBACK="json_results",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    for name, value in (extra or {}).items():
        if value is None:  # None removes the variable
            env.pop(name, None)
        else:
            env[name] = value
    return env


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str
    data: dict = field(default_factory=dict)

    def task_results(self, name: str, host: str = "localhost") -> dict:
        """The result of the task called `name` on `host` (the last one, if it ran more than once)."""
        found = None
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                if task["task"]["name"] == name and host in task["hosts"]:
                    found = task["hosts"][host]
        if found is None:
            raise KeyError(f"no task named {name!r} ran on {host!r}")
        return found

    @property
    def stats(self) -> dict:
        return self.data.get("stats", {})

    def changed_per_host(self) -> dict:
        return {host: stats["changed"] for host, stats in self.stats.items()}


def parse_json_output(stdout: str) -> dict:
    """The json_results callback's document in a run's stdout; {} if the run ended before writing it."""
    start = stdout.find("{")
    if start < 0:
        return {}
    try:
        return json.loads(stdout[start:])
    except ValueError:
        return {}


def _mode_flags(check: bool, diff: bool, verbosity: int) -> list[str]:
    """The command-line flags `ansible` and `ansible-playbook` share for check mode, diff and -v."""
    flags = []
    if check:
        flags.append("--check")
    if diff:
        flags.append("--diff")
    if verbosity:
        flags.append("-" + "v" * verbosity)
    return flags


# A user's playbook that includes one role of the collection: the role is the extra var `role_under_test`.
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


def run_module(module: str, args: dict, *, check: bool = False, diff: bool = False,
               env: dict | None = None, verbosity: int = 0, timeout: int = 600) -> dict:
    """Run one module on localhost with `ansible` (ad hoc) and return its result dict.

    The result is what the controller recorded (after no_log masking), plus `failed`,
    `rc_ansible` (the CLI's exit code) and `_stdout`/`_stderr` (the CLI's own output, which
    the no-secrets checks read).
    """
    cmd = [str(BIN / "ansible"), "localhost", "-c", "local", "-i", "localhost,", "-m", module]
    if args:
        cmd += ["-a", json.dumps(args)]
    cmd += _mode_flags(check, diff, verbosity)
    proc = subprocess.run(cmd, env=ansible_env(env), capture_output=True, text=True, cwd=REPO_ROOT,
                          timeout=timeout, check=False)
    data = parse_json_output(proc.stdout)
    try:
        result = dict(data["plays"][-1]["tasks"][-1]["hosts"]["localhost"])
    except (KeyError, IndexError):
        raise AssertionError(f"ansible did not run {module}: rc={proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}") from None
    result.setdefault("failed", False)
    result["rc_ansible"] = proc.returncode
    result["_stdout"] = proc.stdout
    result["_stderr"] = proc.stderr
    return result


def run_playbook(playbook: str | os.PathLike, *, inventory: str | os.PathLike | None = None,
                 extra_vars: dict | None = None, check: bool = False, diff: bool = False,
                 env: dict | None = None, verbosity: int = 0, json_output: bool = True,
                 extra_args: tuple = ()) -> PlaybookRun:
    """Run `ansible-playbook`; with json_output the `json` callback's document is parsed."""
    cmd = [str(BIN / "ansible-playbook"), str(playbook)]
    cmd += ["-i", str(inventory) if inventory else "localhost,"]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    cmd += _mode_flags(check, diff, verbosity)
    cmd += list(extra_args)
    extra_env = dict(env or {})
    if not json_output:
        extra_env.setdefault("ANSIBLE_STDOUT_CALLBACK", "default")
    proc = subprocess.run(cmd, env=ansible_env(extra_env), capture_output=True, text=True, cwd=REPO_ROOT,
                          check=False)
    data = parse_json_output(proc.stdout) if json_output else {}
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, data)
