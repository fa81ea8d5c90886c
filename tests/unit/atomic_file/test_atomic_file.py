"""plugins/module_utils/atomic_file.py, the writer every module uses: new bytes owner-only until the caller
sets the mode, a replaced file's owner kept and its mode not, links replaced rather than followed, and
nothing left behind when the move fails."""
from __future__ import annotations

import grp
import os
import pwd
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.mtls.clb.plugins.module_utils import atomic_file


@pytest.fixture
def module():
    with patch_module_args({}):
        return AnsibleModule(argument_spec={})


@pytest.fixture
def open_umask():
    """The worst case: a umask that narrows nothing."""
    previous = os.umask(0)
    yield
    assert os.umask(previous) == 0, "the writer left its umask behind"


def mode_of(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.parametrize("old_mode", [None, 0o600, 0o644, 0o666], ids=["new", "0600", "0644", "0666"])
def test_new_bytes_are_owner_only_whatever_was_there(tmp_path, module, open_umask, old_mode):
    path = tmp_path / "client.key"
    if old_mode is not None:
        path.write_bytes(b"old")
        path.chmod(old_mode)
    atomic_file.replace_file(module, str(path), b"new secret")
    assert path.read_bytes() == b"new secret" and mode_of(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["client.key"]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_replaced_file_keeps_its_owner_and_group(tmp_path, module):
    path = tmp_path / "root.crt"
    path.write_bytes(b"v1")
    os.chown(path, 4321, 4322)
    atomic_file.replace_file(module, str(path), b"v2")
    assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4322) and path.read_bytes() == b"v2"


def test_a_symbolic_link_is_replaced_not_followed(tmp_path, module):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"not ours")
    path = tmp_path / "client.crt"
    path.symlink_to(elsewhere)
    atomic_file.replace_file(module, str(path), b"cert")
    assert not path.is_symlink() and path.read_bytes() == b"cert"
    assert elsewhere.read_bytes() == b"not ours"


def test_a_failed_move_leaves_the_old_file_and_no_temporary(tmp_path, module, monkeypatch):
    path = tmp_path / "client.key"
    path.write_bytes(b"old")

    def failing_move(*_args, **_kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(module, "atomic_move", failing_move)
    with pytest.raises(OSError):
        atomic_file.replace_file(module, str(path), b"new")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["client.key"]


def test_make_directory_is_owner_only_and_creates_parents(tmp_path, open_umask):
    target = tmp_path / "a" / "b" / "ca"
    atomic_file.make_directory(str(target))
    assert target.is_dir() and mode_of(target) == 0o700
    with pytest.raises(FileExistsError):
        atomic_file.make_directory(str(target))


# -- owner and group, resolved before anything is written (client_bundle and the PKI modules) ------------------
def test_owner_and_group_resolve_by_name_and_number():
    user = pwd.getpwuid(os.getuid())
    group = grp.getgrgid(os.getgid())
    assert atomic_file.resolve_user_id("owner", user.pw_name) == user.pw_uid
    assert atomic_file.resolve_user_id("owner", "4321") == 4321, "a numeric uid needs no account"
    assert atomic_file.resolve_group_id("group", group.gr_name) == group.gr_gid
    assert atomic_file.resolve_user_id("owner", None) is None and atomic_file.resolve_group_id("group", None) is None


@pytest.mark.parametrize("resolve, option, value, message", [
    (atomic_file.resolve_user_id, "owner", "nosuchuser-mtls",
     "owner: there is no user 'nosuchuser-mtls' on this host; create the user first or set owner to an existing "
     "user name or a numeric uid"),
    (atomic_file.resolve_group_id, "group", "nosuchgroup-mtls",
     "group: there is no group 'nosuchgroup-mtls' on this host; create the group first or set group to an existing "
     "group name or a numeric gid"),
], ids=["owner", "group"])
def test_an_unknown_owner_or_group_names_the_option_and_the_fix(resolve, option, value, message):
    with pytest.raises(ValueError) as error:
        resolve(option, value)
    assert str(error.value) == message


# -- ownership_problem: what a user that is not root may give its files -----------------------------------------
@pytest.fixture
def as_user_54321(monkeypatch):
    """uid and gid 54321 (no account), also in the group 54322."""
    monkeypatch.setattr(os, "geteuid", lambda: 54321)
    monkeypatch.setattr(os, "getegid", lambda: 54321)
    monkeypatch.setattr(os, "getgroups", lambda: [54321, 54322])


@pytest.mark.parametrize("uid, gid", [(None, None), (54321, None), (None, 54322), (54321, 54321)])
def test_its_own_uid_and_groups_are_no_problem(as_user_54321, monkeypatch, uid, gid):
    monkeypatch.setattr(atomic_file, "may_give_files_away", lambda: pytest.fail("asked though nothing is given away"))
    assert atomic_file.ownership_problem(uid, gid) is None


@pytest.mark.parametrize("uid, gid", [(0, None), (54321, 0), (4242, 4242)])
def test_root_or_cap_chown_may_give_files_to_anyone(as_user_54321, monkeypatch, uid, gid):
    monkeypatch.setattr(atomic_file, "may_give_files_away", lambda: True)
    assert atomic_file.ownership_problem(uid, gid) is None


def test_another_owner_is_named_before_another_group(as_user_54321, monkeypatch):
    monkeypatch.setattr(atomic_file, "may_give_files_away", lambda: False)
    assert atomic_file.ownership_problem(0, 0).startswith("owner: 54321, the user this task runs as, may not give "
                                                          "the files to root")


def test_root_may_give_files_away():
    if os.geteuid() != 0:
        pytest.skip("needs root")
    assert atomic_file.may_give_files_away() is True
