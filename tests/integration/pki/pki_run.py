"""run_module for these tests, reading the result from `ansible --tree`.

tests/support/ansible_run.run_module asks for the `json` stdout callback, which ansible-core 2.19
no longer ships (it moved to ansible.posix, which is not installed), so its calls fail before the
module runs. This keeps run_module's signature and result shape (plus `_stdout`/`_stderr`, the
CLI's own output, which the no-secrets checks read) until the shared harness is fixed.
"""
from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from tests.support.ansible_run import BIN, REPO_ROOT, ansible_env


def run_module(module: str, args: dict, *, check: bool = False, diff: bool = False,
               env: dict | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="pki-tree-") as tree:
        cmd = [str(BIN / "ansible"), "localhost", "-c", "local", "-i", "localhost,",
               "-m", module, "-a", json.dumps(args), "--tree", tree]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        extra = {"ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "0"}
        extra.update(env or {})
        proc = subprocess.run(cmd, env=ansible_env(extra), capture_output=True, text=True, cwd=REPO_ROOT,
                              timeout=600)
        result_file = Path(tree) / "localhost"
        if not result_file.exists():
            raise AssertionError(f"ansible did not run {module}: rc={proc.returncode}\n"
                                 f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        result = json.loads(result_file.read_text())
    result.setdefault("failed", proc.returncode != 0)
    result["rc_ansible"] = proc.returncode
    result["_stdout"] = proc.stdout
    result["_stderr"] = proc.stderr
    return result
