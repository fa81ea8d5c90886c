"""The Galaxy artifact: it builds, installs offline into an empty collections path, and its
modules run from there (not from this checkout)."""
from __future__ import annotations

import json
import os
import posixpath
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.support.ansible_run import REPO_ROOT, ansible_env

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def artifact(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("artifact")
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out), "."],
                   cwd=REPO_ROOT, check=True, capture_output=True, text=True)
    (tarball,) = out.glob("mtls-clb-*.tar.gz")
    return tarball


def test_artifact_ships_the_collection_and_no_dev_only_files(artifact):
    with tarfile.open(artifact) as tar:
        names = set(tar.getnames())
    top_level = {n.split("/")[0] for n in names}
    assert {"MANIFEST.json", "FILES.json", "README.md", "plugins", "meta", "roles", "playbooks"} <= top_level
    assert "plugins/modules/pki_root_ca.py" in names
    assert "meta/runtime.yml" in names
    for dev_only in ("emulator", "bench", "scripts", ".ci", ".venv", "build", "Makefile", "ansible.cfg"):
        assert not any(n == dev_only or n.startswith(dev_only + "/") for n in names), dev_only


# A Markdown link target: `](target)`, without a title. Absolute URLs and in-page anchors are skipped.
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_artifact_documents_link_only_to_files_it_ships(artifact):
    """Galaxy renders the README from the artifact: a relative link into a directory that
    build_ignore leaves out (emulator/, bench/) is dead there even though it works in the checkout."""
    with tarfile.open(artifact) as tar:
        names = set(tar.getnames())
        documents = {member.name: tar.extractfile(member).read().decode()
                     for member in tar.getmembers() if member.isfile() and member.name.endswith(".md")}
    assert "README.md" in documents
    dead = []
    for name, text in documents.items():
        for target in MARKDOWN_LINK.findall(text):
            path = target.split("#", 1)[0]
            if not path or re.match(r"[a-z][a-z0-9+.-]*:", path):
                continue
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), path)).rstrip("/")
            if resolved not in names:
                dead.append(f"{name}: {target}")
    assert not dead, "links to files the artifact does not ship: " + ", ".join(dead)


def test_installed_artifact_runs_its_modules(artifact, tmp_path):
    install_root = tmp_path / "collections"
    # A neutral config and working directory: the checkout's link (build/collections) is invisible,
    # so ansible-galaxy cannot answer "already installed" and only the installed copy satisfies
    # `mtls.clb` afterwards.
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text(f"[defaults]\ncollections_path = {install_root}\n")
    env = ansible_env({"ANSIBLE_CONFIG": str(cfg)})
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "-p", str(install_root),
                    str(artifact)], check=True, capture_output=True, text=True, cwd=tmp_path, env=env)
    installed = install_root / "ansible_collections" / "mtls" / "clb"
    assert (installed / "MANIFEST.json").is_file()
    args = {"certificate_path": str(tmp_path / "pki" / "root.crt"),
            "private_key_path": str(tmp_path / "pki" / "root.key"),
            "common_name": "Artifact Test Root", "key_type": "ecdsa", "curve": "secp256r1"}
    (tmp_path / "pki").mkdir()
    proc = subprocess.run([str(BIN / "ansible"), "localhost", "-c", "local", "-i", "localhost,",
                           "-m", "mtls.clb.pki_root_ca", "-a", json.dumps(args)],
                          env=env, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout[proc.stdout.index("{"):])["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert result["changed"] is True
    assert (tmp_path / "pki" / "root.crt").is_file()
    assert oct((tmp_path / "pki" / "root.key").stat().st_mode & 0o777) == "0o600"

    doc = subprocess.run([str(BIN / "ansible-doc"), "-t", "module", "-l", "mtls.clb"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, check=True)
    assert "mtls.clb.pki_root_ca" in doc.stdout
    assert os.path.realpath(installed) != os.path.realpath(REPO_ROOT)
