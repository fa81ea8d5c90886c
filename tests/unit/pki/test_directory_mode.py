"""directory_mode, shared by the three PKI modules: the directory the files go into is created (or given the
mode) by the module itself, checked before any work, and never created in check mode or on bad input."""
from __future__ import annotations

import os
import stat
import subprocess

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.pki.client_certificates import ClientCertificates
from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError
from ansible_collections.mtls.clb.plugins.module_utils.pki.root_ca import RootCA
from ansible_collections.mtls.clb.plugins.module_utils.pki.server_certificate import ServerCertificate

from .conftest import make_module

BACKENDS = {"root_ca": RootCA, "server_certificate": ServerCertificate, "client_certificates": ClientCertificates}


def run(kind, args, check_mode=False):
    return BACKENDS[kind](make_module(kind, args, check_mode=check_mode)).run()


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def fresh_root(tmp_path, root_ca_args):
    """root_ca args whose directory (two levels deep) does not exist yet."""
    directory = tmp_path / "new" / "pki"
    return dict(root_ca_args, certificate_path=str(directory / "root.crt"),
                private_key_path=str(directory / "root.key"), directory_mode="0700")


def test_root_ca_creates_its_directory_with_the_mode_then_is_idempotent(tmp_path, fresh_root):
    old_umask = os.umask(0)  # nothing narrows the modes the module sets
    try:
        first = run("root_ca", fresh_root)
    finally:
        os.umask(old_umask)
    directory = tmp_path / "new" / "pki"
    assert first["changed"] and mode_of(directory) == 0o700
    assert mode_of(fresh_root["private_key_path"]) == 0o600
    assert run("root_ca", fresh_root)["changed"] is False


def test_a_loosened_directory_is_tightened_and_reported(tmp_path, fresh_root):
    run("root_ca", fresh_root)
    directory = tmp_path / "new" / "pki"
    directory.chmod(0o755)
    result = run("root_ca", fresh_root, check_mode=True)
    assert result["changed"] and result["reason"] == "directory mode set" and mode_of(directory) == 0o755
    result = run("root_ca", fresh_root)
    assert result["changed"] and result["reason"] == "directory mode set" and mode_of(directory) == 0o700


def test_check_mode_plans_into_a_missing_directory_and_creates_nothing(tmp_path, fresh_root):
    result = run("root_ca", fresh_root, check_mode=True)
    assert result["changed"] and result["private_key_reason"]
    assert not (tmp_path / "new").exists()


def test_without_directory_mode_a_missing_directory_is_refused_with_the_fix(tmp_path, fresh_root):
    del fresh_root["directory_mode"]
    with pytest.raises(PkiError) as error:
        run("root_ca", fresh_root)
    message = str(error.value)
    assert message.startswith("private_key_path: directory ") and 'set directory_mode (for example "0700")' in message
    assert error.value.directory == str(tmp_path / "new" / "pki")
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("value, named", [
    (700, "got the number 700"),
    ("rwx", "'rwx' is not an octal mode"),
])
def test_a_bad_directory_mode_is_refused_before_anything_is_created(tmp_path, fresh_root, value, named):
    with pytest.raises(PkiError) as error:
        run("root_ca", dict(fresh_root, directory_mode=value))
    assert str(error.value).startswith("directory_mode: ") and named in str(error.value)
    assert not (tmp_path / "new").exists()


def test_a_path_below_a_file_is_refused(tmp_path, fresh_root):
    (tmp_path / "new").write_text("a file, not a directory\n")
    with pytest.raises(PkiError) as error:
        run("root_ca", fresh_root)
    assert "cannot be created because %s is not a directory" % (tmp_path / "new") in str(error.value)


@pytest.mark.skipif(os.geteuid() != 0, reason="uses chattr, which needs root")
def test_an_unwritable_parent_is_refused_before_any_key_is_made(tmp_path, fresh_root):
    parent = tmp_path / "new"
    parent.mkdir()
    subprocess.run(["chattr", "+i", str(parent)], check=True)
    try:
        with pytest.raises(PkiError) as error:
            run("root_ca", fresh_root)
    finally:
        subprocess.run(["chattr", "-i", str(parent)], check=True)
    assert "cannot be created because %s is not writable" % parent in str(error.value)
    assert error.value.directory == str(parent / "pki")
    assert list(parent.iterdir()) == []


def test_server_certificate_creates_its_directory(tmp_path, root_ca):
    args = {"certificate_path": str(tmp_path / "srv-new" / "server.crt"),
            "private_key_path": str(tmp_path / "srv-new" / "server.key"), "common_name": "www.example.com",
            "ca_certificate_path": root_ca["certificate_path"], "ca_private_key_path": root_ca["private_key_path"],
            "key_type": "ecdsa", "directory_mode": "0750"}
    assert run("server_certificate", args)["changed"] and mode_of(tmp_path / "srv-new") == 0o750
    assert run("server_certificate", args)["changed"] is False


def test_client_certificates_directory_mode_fixes_an_existing_directory(tmp_path, root_ca):
    directory = tmp_path / "clients"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    args = {"ca_certificate_path": root_ca["certificate_path"], "ca_private_key_path": root_ca["private_key_path"],
            "directory": str(directory), "clients": [{"name": "c1", "common_name": "c1"}],
            "pkcs12_password": "p12-dir-mode-Zq8", "key_type": "ecdsa"}
    run("client_certificates", args)
    assert mode_of(directory) == 0o755, "without directory_mode an existing directory is left as it is"
    result = run("client_certificates", dict(args, directory_mode="0700"))
    assert result["changed"] and result["directory_reason"] == "directory mode set" and mode_of(directory) == 0o700
    assert run("client_certificates", dict(args, directory_mode="0700"))["changed"] is False
