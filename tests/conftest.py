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
