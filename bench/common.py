"""What the end-to-end benchmarks share: sites on private emulators, timed runs, medians, fits."""
from __future__ import annotations

import datetime
import os
import shutil
import statistics
import time
from collections import Counter
from pathlib import Path

from tests.integration.reliability.reliability_harness import SiteUnderTest

REPO = Path(__file__).resolve().parents[1]
BENCH_VENV = REPO / "build" / "bench-venv"


def option(options, name, full, quick):
    value = getattr(options, name, None)
    if value is not None:
        return value
    return quick if options.quick else full


def work_dir(name: str) -> Path:
    # Per process: concurrent bench runs must not delete each other's files.
    work = REPO / "build" / "bench" / name / str(os.getpid())
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    return work


def now_utc() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")


def load1() -> float:
    return os.getloadavg()[0]


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def make_cold(site: SiteUnderTest) -> None:
    """Nothing exists: the emulator's resources and call log are gone, the PKI and client dirs too."""
    site.emulator.reset()
    for directory in (site.pki, site.home_ca):
        if directory.exists():
            shutil.rmtree(directory)


def calls_by_action(calls: list[dict]) -> Counter:
    return Counter(call["action"] for call in calls)


# Actions that run inside the controller's worker, without starting a module on a host.
CONTROLLER_ACTIONS = frozenset(("ansible.builtin.assert", "ansible.builtin.debug", "ansible.builtin.set_fact",
                                "ansible.builtin.fail", "ansible.builtin.include_role", "ansible.builtin.include_tasks",
                                "ansible.builtin.import_role", "ansible.builtin.validate_argument_spec",
                                "ansible.builtin.meta"))


def modules_by_action(run_data: dict) -> Counter:
    """Module invocations of a playbook run: one per host and task result that was not skipped
    (a loop counts once per item, as each item is one module execution)."""
    counts: Counter = Counter()
    for play in run_data.get("plays", []):
        for task in play.get("tasks", []):
            for result in task["hosts"].values():
                if result.get("skipped"):
                    continue
                items = result.get("results")
                if isinstance(items, list):
                    counts[result.get("action", "?")] += sum(1 for item in items if not item.get("skipped"))
                else:
                    counts[result.get("action", "?")] += 1
    return counts


def median(samples) -> float:
    return statistics.median(samples)


def cell(samples, unit="") -> str:
    if not samples:
        return "not run"
    return "**%.2f%s** [%s]" % (median(samples), unit, ", ".join("%.2f" % s for s in samples))


def linear_fit(points):
    """Least squares time = constant + per_item * n over (n, seconds) points; (constant, per_item)."""
    xs = [float(n) for n, _ in points]
    ys = [float(t) for _, t in points]
    if len(set(xs)) < 2:
        return (ys[0] if ys else 0.0), 0.0
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    per_item = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)
    return mean_y - per_item * mean_x, per_item
