# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only stdout callback: the whole run as one JSON document at the end.

ansible-core 2.19 moved its `json` callback to ansible.posix, which this project cannot depend
on; the tests need only this much of it. Output shape (as ansible.posix.json):
{"plays": [{"play": {"name"}, "tasks": [{"task": {"name", "duration"}, "hosts": {host: result}}]}],
 "stats": {host: {"ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored"}}}
A task's duration is the seconds from its start to the next task's start (the last one's: to the stats),
as ansible.posix's profile_tasks counts them: the controller's work between two tasks, a play's start
among it, belongs to the task before.
"""
from __future__ import annotations

import json
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: json_results
type: stdout
short_description: The run as one JSON document (tests only)
description: Prints every task result of every host, then the stats, as one JSON document.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "json_results"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plays = []
        # {host: [failed?, ...]} for the loop items of the current task: ansible-core 2.20+ no longer
        # keeps `failed` in the items of a loop's `results`, only the item events say which failed.
        self._item_outcomes = {}
        # (task record, time.monotonic() at its start) of the task that started last
        self._running = None

    def v2_playbook_on_play_start(self, play):
        self._plays.append({"play": {"name": play.get_name()}, "tasks": []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start_task(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start_task(task)

    def _start_task(self, task):
        if not self._plays:  # ad hoc runs have no play start event
            self._plays.append({"play": {"name": "ad hoc"}, "tasks": []})
        self._end_running_task()
        record = {"task": {"name": task.get_name()}, "hosts": {}}
        self._plays[-1]["tasks"].append(record)
        self._running = (record, time.monotonic())
        self._item_outcomes = {}

    def _end_running_task(self):
        if self._running is not None:
            record, started = self._running
            record["task"]["duration"] = round(time.monotonic() - started, 4)
            self._running = None

    def _record(self, result, **flags):
        if not self._plays or not self._plays[-1]["tasks"]:
            self._start_task(result._task)
        data = dict(self._clean_results(result._result, result._task.action) or result._result)
        data.update(flags)
        data.setdefault("action", result._task.action)
        outcomes = self._item_outcomes.pop(result._host.get_name(), [])
        for item, failed in zip(data.get("results") or [], outcomes):
            if isinstance(item, dict):
                item.setdefault("failed", failed)
        self._plays[-1]["tasks"][-1]["hosts"][result._host.get_name()] = json.loads(
            json.dumps(data, default=str))

    def v2_runner_on_ok(self, result, **kwargs):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):
        self._record(result, failed=True, ignore_errors=ignore_errors)

    def v2_runner_on_skipped(self, result, **kwargs):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        self._end_running_task()
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        self._display.display(json.dumps({"plays": self._plays, "stats": summary}, indent=2, default=str))

    def _item_outcome(self, result, failed):
        self._item_outcomes.setdefault(result._host.get_name(), []).append(failed)

    def v2_runner_item_on_ok(self, result):
        self._item_outcome(result, False)

    def v2_runner_item_on_failed(self, result):
        self._item_outcome(result, True)

    def v2_runner_item_on_skipped(self, result):
        self._item_outcome(result, False)

    v2_runner_on_async_failed = v2_runner_on_failed
