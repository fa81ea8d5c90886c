"""The atomic writer: secret files are never readable by others, not even for a moment."""
from __future__ import annotations

import os

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.pki.files import write_file

from .conftest import make_module


@pytest.mark.parametrize("old_mode", [None, 0o600, 0o644], ids=["new file", "replaced file", "replaced loosened file"])
def test_key_file_is_0600_when_it_appears(tmp_path, root_ca_args, monkeypatch, old_mode):
    path = tmp_path / "secret.key"
    if old_mode is not None:
        # A key someone loosened to 0644 must not pass that mode on to the new key, even for a moment.
        path.write_bytes(b"old")
        path.chmod(old_mode)
    module = make_module("root_ca", root_ca_args)
    modes_seen = []
    real = module.set_fs_attributes_if_different

    def spy(file_args, changed, *args, **kwargs):
        modes_seen.append(os.stat(file_args["path"]).st_mode & 0o777)
        return real(file_args, changed, *args, **kwargs)
    monkeypatch.setattr(module, "set_fs_attributes_if_different", spy)
    old_umask = os.umask(0o022)
    try:
        write_file(module, str(path), b"new secret", "0600")
    finally:
        os.umask(old_umask)
    assert modes_seen == [0o600]
    assert path.read_bytes() == b"new secret" and path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_replaced_file_keeps_its_owner_and_group(tmp_path, root_ca_args):
    path = tmp_path / "c.crt"
    path.write_bytes(b"v1")
    os.chown(path, 4321, 4322)
    module = make_module("root_ca", root_ca_args)
    write_file(module, str(path), b"v2", "0644")
    assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4322) and path.read_bytes() == b"v2"


def test_certificate_mode_is_applied_to_new_files(tmp_path, root_ca_args):
    module = make_module("root_ca", root_ca_args)
    write_file(module, str(tmp_path / "c.crt"), b"cert", "0644")
    assert (tmp_path / "c.crt").stat().st_mode & 0o777 == 0o644


def test_backup_keeps_the_previous_content(tmp_path, root_ca_args):
    path = tmp_path / "c.crt"
    path.write_bytes(b"v1")
    module = make_module("root_ca", root_ca_args)
    backup = write_file(module, str(path), b"v2", "0644", backup=True)
    assert open(backup, "rb").read() == b"v1" and path.read_bytes() == b"v2"
