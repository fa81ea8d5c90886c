"""Run one module through the real `ansible` CLI and read its result from `--tree` output.

tests/support/ansible_run.run_module asks for the `json` stdout callback, which ansible-core
2.19 no longer ships (it lives in ansible.posix, not installed here). Until that harness is
fixed this keeps the same call signature but reads the per-host JSON that `ansible --tree`
writes, so the result is the module's own dict as the controller saw it (after no_log masking).
"""
from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from tests.support.ansible_run import BIN, REPO_ROOT, ansible_env


def run_module(module: str, args: dict, *, check: bool = False, diff: bool = False,
               env: dict | None = None, verbosity: int = 0) -> dict:
    with tempfile.TemporaryDirectory(prefix="clb-tree-") as tree:
        cmd = [str(BIN / "ansible"), "localhost", "-c", "local", "-i", "localhost,",
               "-m", module, "-a", json.dumps(args), "--tree", tree]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        extra = {"ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "0"}
        extra.update(env or {})
        proc = subprocess.run(cmd, env=ansible_env(extra), capture_output=True, text=True, cwd=REPO_ROOT,
                              timeout=600, check=False)
        result_file = Path(tree) / "localhost"
        if not result_file.exists():
            raise AssertionError(f"ansible did not run {module}: rc={proc.returncode}\n"
                                 f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        result = json.loads(result_file.read_text())
    # The tree file omits `failed`; with one host the CLI exit code says it (2 = task failed).
    result.setdefault("failed", proc.returncode != 0)
    result["rc_ansible"] = proc.returncode
    result["_stdout"] = proc.stdout
    result["_stderr"] = proc.stderr
    return result
