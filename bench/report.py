"""docs/benchmarks.md: a header, then one section per benchmark between marker comments."""
from __future__ import annotations

import datetime
import os
import platform
import re
import subprocess
from pathlib import Path

HEADER = """# Benchmarks

Written by `make bench` (`.venv/bin/python -m bench`, from the repository root); every number
below comes from a real run on the machine named in its section. Rerun a single benchmark with
`.venv/bin/python -m bench BENCHMARK`, see `.venv/bin/python -m bench --help`.
"""


def update_section(path: Path, name: str, title: str, body: str) -> None:
    start, end = "<!-- bench:%s:start -->" % name, "<!-- bench:%s:end -->" % name
    block = "%s\n## %s\n\n%s\n%s" % (start, title, body.rstrip() + "\n", end)
    text = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return "%.0f GiB" % (int(line.split()[1]) / 1024 / 1024)
    except OSError:
        pass
    return "unknown"


def _openssl_version() -> str:
    try:
        from cryptography.hazmat.backends.openssl.backend import backend
        return backend.openssl_version_text()
    except Exception:  # the report still has value without it
        return "unknown"


def machine_summary(extra: dict | None = None) -> str:
    import cryptography
    try:
        ansible_core = subprocess.run([str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "ansible"), "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        ansible_core = "unknown"
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    rows = {
        "date (UTC)": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "CPU": "%s, %d cores available" % (_cpu_model(), len(os.sched_getaffinity(0))),
        "memory": _memory(),
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "cryptography": "%s (%s)" % (cryptography.__version__, _openssl_version()),
        "ansible": ansible_core,
        "load average before the run": " ".join("%.2f" % x for x in load) if load[0] != "?" else "unknown",
    }
    rows.update(extra or {})
    return "\n".join(["| | |", "|---|---|"] + ["| %s | %s |" % (k, v) for k, v in rows.items()])
