"""pytest configuration shared by every test directory.

Makes `ansible_collections.mtls.clb` importable from this checkout (the same link ansible.cfg
uses), so unit tests import module_utils exactly as the modules do.
"""
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO_ROOT / "build" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "mtls" / "clb"
if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(REPO_ROOT)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


# --- the local CLB emulator (tests/support/emulator.py) -----------------------------------------
import pytest  # noqa: E402  (kept below the path setup above, which must run first)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    """One `clb-emulator` for the whole session, with demo backends ECS01 and ECS02."""
    from tests.support.emulator import start_emulator

    running = start_emulator(tmp_path_factory.mktemp("clb-emulator") / "state", demo_backends=2)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def fresh_emulator(emulator):
    """The session emulator with no certificates, load balancers, listeners, calls or faults."""
    emulator.reset()
    emulator.clear_faults()
    return emulator
