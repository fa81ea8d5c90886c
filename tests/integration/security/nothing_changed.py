"""Evidence that a failed run changed nothing: file trees and the emulator's call log.

Shared by the bad-input, secrets and security suites. A snapshot lists every path under a
directory (directories too, so a created-but-empty directory counts) with its type, size, mode
and mtime; any write, chmod or new file shows up as a difference.
"""
from __future__ import annotations

from pathlib import Path

from tests.support.site import mutating


def tree_snapshot(*roots: Path) -> dict:
    snapshot = {}
    for root in roots:
        root = Path(root)
        if not root.exists():
            snapshot[str(root)] = None
            continue
        for path in [root, *sorted(root.rglob("*"))]:
            stat = path.lstat()
            snapshot[str(path)] = ("dir" if path.is_dir() else "file", stat.st_size, stat.st_mode, stat.st_mtime_ns)
    return snapshot


def snapshot_difference(before: dict, after: dict) -> dict:
    """{path: (before, after)} for every path whose entry differs; empty when nothing changed."""
    return {path: (before.get(path), after.get(path))
            for path in sorted(set(before) | set(after)) if before.get(path) != after.get(path)}


def mutating_calls(calls: list[dict]) -> list[str]:
    """`Action:code` of every call that is not read-only (the SLB API's read-only actions are Describe*)."""
    return [f"{call['action']}:{call['code']}" for call in mutating(calls)]
