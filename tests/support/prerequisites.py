"""What to do when a test's system prerequisite (a Debian package .ci/run installs) is missing: in CI
(`CI` set, as .ci/run runs) the test fails, naming the package, so a broken CI image cannot pass by
skipping; on a developer's machine it is skipped with the same message."""
from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_prerequisite(message: str) -> None:
    """Fail (CI) or skip (elsewhere) the running test with `message`, which names the package to install."""
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)
