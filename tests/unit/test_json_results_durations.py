# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test-only json_results callback gives every task a duration, from its start to the next task's
start, as ansible.posix's profile_tasks counts: the site-e2e benchmark splits a warm run's time by it."""
from __future__ import annotations

import json
import subprocess
import time

from tests.support.ansible_run import BIN, ansible_env, parse_json_output


def test_every_task_has_the_time_until_the_next_task_started(tmp_path):
    playbook = tmp_path / "durations.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "slow", "ansible.builtin.command": "sleep 0.6", "changed_when": False},
        {"name": "fast", "ansible.builtin.debug": {"msg": "x"}},
    ]}, {"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "last", "ansible.builtin.debug": {"msg": "y"}},
    ]}]))

    started = time.monotonic()
    proc = subprocess.run([str(BIN / "ansible-playbook"), str(playbook), "-i", "localhost,", "-c", "local"],
                          env=ansible_env(), capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started

    assert proc.returncode == 0, proc.stdout + proc.stderr
    tasks = {task["task"]["name"]: task["task"]["duration"]
             for play in parse_json_output(proc.stdout)["plays"] for task in play["tasks"]}
    assert set(tasks) == {"slow", "fast", "last"}
    assert tasks["slow"] >= 0.6
    assert tasks["fast"] < tasks["slow"]
    assert tasks["last"] >= 0
    assert sum(tasks.values()) < elapsed
