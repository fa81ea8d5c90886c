"""mode, certificate_mode, owner and group of the three PKI modules: checked before any directory or file is made
(ansible's own check comes only after the write), and shown in the diff, so a change of attributes alone is
visible there."""
from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path

import pytest

from ansible_collections.mtls.clb.plugins.module_utils import atomic_file
from ansible_collections.mtls.clb.plugins.module_utils.pki.client_certificates import ClientCertificates
from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError
from ansible_collections.mtls.clb.plugins.module_utils.pki.root_ca import RootCA
from ansible_collections.mtls.clb.plugins.module_utils.pki.server_certificate import ServerCertificate

from .conftest import make_module

BACKENDS = {"root_ca": RootCA, "server_certificate": ServerCertificate, "client_certificates": ClientCertificates}
USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(kind, args, check_mode=False):
    return BACKENDS[kind](make_module(kind, args, check_mode=check_mode)).run()


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def args_for(kind, directory: Path, root_ca: dict) -> dict:
    """Arguments that make `kind` write into `directory` (created by the module, directory_mode 0700)."""
    if kind == "root_ca":
        return {"certificate_path": str(directory / "root2.crt"), "private_key_path": str(directory / "root2.key"),
                "common_name": "second root", "key_type": "ecdsa", "directory_mode": "0700"}
    issuer = {"ca_certificate_path": root_ca["certificate_path"], "ca_private_key_path": root_ca["private_key_path"],
              "key_type": "ecdsa", "directory_mode": "0700"}
    if kind == "server_certificate":
        return dict(issuer, certificate_path=str(directory / "server.crt"),
                    private_key_path=str(directory / "server.key"), common_name="www.example.com")
    return dict(issuer, directory=str(directory), pkcs12_password="p12-attributes-Qx4",
                clients=[{"name": "alice", "common_name": "alice.example.com"}])


def key_paths(kind, args) -> list[str]:
    if kind == "client_certificates":
        return [os.path.join(args["directory"], "alice" + suffix) for suffix in (".key", ".p12")]
    return [args["private_key_path"]]


def certificate_paths(kind, args) -> list[str]:
    if kind == "client_certificates":
        return [os.path.join(args["directory"], "alice.crt")]
    return [args["certificate_path"]]


# -- bad input changes nothing --------------------------------------------------------------------------------
@pytest.fixture
def unprivileged(monkeypatch):
    """The module as a user that is neither root nor holds CAP_CHOWN: uid and gid 54321 (no account), also in the
    group 54322. Only such a user's chown fails, and only after the key was written; a real one runs client_bundle
    in tests/integration/client_bundle/test_client_bundle_without_root.py."""
    monkeypatch.setattr(os, "geteuid", lambda: 54321)
    monkeypatch.setattr(os, "getegid", lambda: 54321)
    monkeypatch.setattr(os, "getgroups", lambda: [54321, 54322])
    monkeypatch.setattr(atomic_file, "may_give_files_away", lambda: False)


@pytest.mark.parametrize("kind", sorted(BACKENDS))
@pytest.mark.parametrize("bad, named, fix, as_unprivileged_user", [
    ({"mode": "abc"}, "mode: 'abc' is neither an octal nor a symbolic mode", 'symbolic mode such as "u=rw,g=r,o="',
     False),
    ({"certificate_mode": "abc"}, "certificate_mode: 'abc' is neither an octal nor a symbolic mode",
     'quoted octal string such as "0600"', False),
    ({"mode": "u=rw,x=r"}, "mode: 'u=rw,x=r' is neither an octal nor a symbolic mode", "as for ansible.builtin.file",
     False),
    ({"certificate_mode": "017777"}, "certificate_mode: '017777' holds more than permission bits", "octal string",
     False),
    # The classic YAML slip: mode: 600 unquoted is the number 600, which as a mode is 01130.
    ({"mode": 600}, "mode: got the number 600;", "0600 and 600 are different modes", False),
    ({"certificate_mode": 0o644}, "certificate_mode: got the number 420;", 'quoted octal string such as "0600"',
     False),
    ({"owner": "nosuchuser-mtls"}, "owner: there is no user 'nosuchuser-mtls' on this host",
     "set owner to an existing user name or a numeric uid", False),
    ({"group": "nosuchgroup-mtls"}, "group: there is no group 'nosuchgroup-mtls' on this host",
     "set group to an existing group name or a numeric gid", False),
    ({"owner": "root"}, "owner: 54321, the user this task runs as, may not give the files to root: only root may "
                        "give a file to another user;", "run the task as root (become: true) or set owner to 54321",
     True),
    ({"owner": "54321", "group": "0"},
     "group: 54321, the user this task runs as, may not give the files to the group root, which it is not in;",
     "run the task as root (become: true) or set group to one of its groups (54321, 54322)", True),
], ids=["mode", "certificate_mode", "symbolic-typo", "too-many-bits", "unquoted-600", "int-mode", "owner", "group",
        "owner-not-root", "group-not-root"])
def test_a_bad_mode_owner_or_group_fails_before_the_directory_or_a_key_is_made(request, tmp_path, root_ca, kind, bad,
                                                                               named, fix, as_unprivileged_user):
    parent = tmp_path / "empty"
    parent.mkdir()
    args = dict(args_for(kind, parent / "pki", root_ca), **bad)
    if as_unprivileged_user:
        request.getfixturevalue("unprivileged")

    for check_mode in (True, False):
        with pytest.raises(PkiError) as error:
            run(kind, args, check_mode=check_mode)
        assert str(error.value).startswith(named), str(error.value)
        assert str(error.value).endswith(fix) if as_unprivileged_user else fix in str(error.value)
        assert list(parent.iterdir()) == [], "the directory (or a key) was created before the refusal"


def test_an_existing_key_is_left_alone_by_a_refused_run(root_ca):
    key = Path(root_ca["private_key_path"])
    before = key.read_bytes(), mode_of(key), sorted(os.listdir(key.parent))
    with pytest.raises(PkiError, match="^mode: "):
        run("root_ca", dict(root_ca, mode="rw", force=True))
    assert (key.read_bytes(), mode_of(key), sorted(os.listdir(key.parent))) == before


# -- what is accepted is applied as ansible.builtin.file would ------------------------------------------------
@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_symbolic_modes_and_owner_group_by_name_are_applied(tmp_path, root_ca, kind):
    args = dict(args_for(kind, tmp_path / "pki", root_ca), mode="u=rw,g=r,o=", certificate_mode="a=r",
                owner=USER, group=GROUP)
    first = run(kind, args)
    assert first["changed"]
    assert [mode_of(path) for path in key_paths(kind, args)] == [0o640] * len(key_paths(kind, args))
    assert [mode_of(path) for path in certificate_paths(kind, args)] == [0o444]
    assert run(kind, args)["changed"] is False


# -- diff: a change of attributes alone is visible ----------------------------------------------------------
def files_diff(kind, result, client="alice"):
    diff = result["diff"]
    if kind == "client_certificates":
        return diff["before"][client]["files"], diff["after"][client]["files"]
    return diff["before"]["files"], diff["after"]["files"]


def actual_state(path, with_owner=False) -> dict:
    info = os.stat(path)
    state = {"state": "file", "mode": "%04o" % stat.S_IMODE(info.st_mode)}
    if with_owner:
        state.update(owner=pwd.getpwuid(info.st_uid).pw_name, group=grp.getgrgid(info.st_gid).gr_name)
    return state


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_a_mode_only_change_shows_the_modes_in_the_diff_and_check_mode_predicts_it(tmp_path, root_ca, kind):
    args = args_for(kind, tmp_path / "pki", root_ca)
    run(kind, args)
    changed_args = dict(args, mode="0640", certificate_mode="0600")
    key, certificate = key_paths(kind, args)[0], certificate_paths(kind, args)[0]

    planned = run(kind, changed_args, check_mode=True)
    applied = run(kind, changed_args)

    for result in (planned, applied):
        reason = result["clients"][0]["reason"] if kind == "client_certificates" else result["reason"]
        assert result["changed"] and reason == "file attributes changed"
        before, after = files_diff(kind, result)
        assert before[key] == {"state": "file", "mode": "0600"} and after[key] == {"state": "file", "mode": "0640"}
        assert before[certificate] == {"state": "file", "mode": "0644"}
        assert after[certificate] == {"state": "file", "mode": "0600"}
        assert result["diff"]["before"] != result["diff"]["after"]
    assert files_diff(kind, planned) == files_diff(kind, applied)
    assert actual_state(key) == files_diff(kind, applied)[1][key], "the diff's after is not what is on disk"


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_owner_and_group_are_in_the_diff_when_set(tmp_path, root_ca, kind):
    args = dict(args_for(kind, tmp_path / "pki", root_ca), owner=str(os.getuid()), group=GROUP)
    result = run(kind, args)
    before, after = files_diff(kind, result)
    key = key_paths(kind, args)[0]
    assert before[key] == {"state": "absent"}
    expected = {"state": "file", "mode": "0600", "owner": USER, "group": GROUP}
    assert after[key] == actual_state(key, with_owner=True) == expected
    unchanged = run(kind, args)
    if kind != "client_certificates":  # that one lists changed clients only
        assert unchanged["diff"]["before"]["files"] == unchanged["diff"]["after"]["files"]


def test_a_reissued_certificate_shows_the_mode_it_gets(tmp_path, root_ca):
    """A file written anew starts owner-only, so a symbolic mode works from 0600, not from the old file's mode."""
    args = args_for("server_certificate", tmp_path / "pki", root_ca)
    run("server_certificate", args)
    os.chmod(args["certificate_path"], 0o666)
    result = run("server_certificate", dict(args, certificate_mode="g+r", common_name="other.example.com"),
                 check_mode=True)
    assert result["diff"]["before"]["files"][args["certificate_path"]]["mode"] == "0666"
    assert result["diff"]["after"]["files"][args["certificate_path"]]["mode"] == "0640"


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_a_directory_mode_change_is_in_the_diff(tmp_path, root_ca, kind):
    args = args_for(kind, tmp_path / "pki", root_ca)
    created = run(kind, args, check_mode=True)
    directory = str(tmp_path / "pki")
    directories = created["diff"] if kind == "client_certificates" else \
        {side: created["diff"][side]["files"] for side in ("before", "after")}
    assert directories["before"][directory] == {"state": "absent"}
    assert directories["after"][directory] == {"state": "directory", "mode": "0700"}

    run(kind, args)
    os.chmod(directory, 0o755)
    tightened = run(kind, args)
    if kind == "client_certificates":
        before, after = tightened["diff"]["before"], tightened["diff"]["after"]
        assert tightened["directory_reason"] == "directory mode set"
    else:
        before, after = tightened["diff"]["before"]["files"], tightened["diff"]["after"]["files"]
        assert tightened["reason"] == "directory mode set"
    assert before[directory] == {"state": "directory", "mode": "0755"}
    assert after[directory] == {"state": "directory", "mode": "0700"}


def test_client_diff_lists_only_the_client_whose_attributes_changed(tmp_path, root_ca):
    args = args_for("client_certificates", tmp_path / "pki", root_ca)
    args["clients"].append({"name": "bob", "common_name": "bob.example.com"})
    run("client_certificates", args)
    os.chmod(tmp_path / "pki" / "bob.p12", 0o644)

    result = run("client_certificates", args)

    assert sorted(result["diff"]["before"]) == ["bob"]
    p12 = str(tmp_path / "pki" / "bob.p12")
    assert result["diff"]["before"]["bob"]["files"][p12]["mode"] == "0644"
    assert result["diff"]["after"]["bob"]["files"][p12]["mode"] == "0600"
    assert result["diff"]["after"]["bob"]["reason"] == "file attributes changed"
