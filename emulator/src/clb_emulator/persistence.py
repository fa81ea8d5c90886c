"""The state directory: one JSON document, replaced atomically so a crash never leaves half a file."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

STATE_FILE = "state.json"


def ensure_state_dir(path: str | os.PathLike) -> Path:
    state_dir = Path(path)
    state_dir.mkdir(parents=True, exist_ok=True)
    # The state holds uploaded private keys.
    os.chmod(state_dir, 0o700)
    return state_dir


def load_state(state_dir: Path) -> dict:
    path = state_dir / STATE_FILE
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write_private_file(path: Path, data: str) -> None:
    """Write `data` to `path` atomically with mode 0600 (temp file in the same dir, then rename)."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, path)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise


def save_state(state_dir: Path, state: dict) -> None:
    write_private_file(state_dir / STATE_FILE, json.dumps(state, indent=1, sort_keys=True))
