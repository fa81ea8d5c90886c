"""mtls.clb.client_bundle run as a user that is not root (`become_user: nobody` through sudo, the system
python3), as on a Linux client reached without become: an owner or group that user may not give the files,
and a directory it may not read, are refused before anything is written, with the option and the fix named,
in check mode too; an owner and group it may give work.

Without this check the module created the directory and wrote the files, and only then failed at the chown
with ansible's generic "chown failed" (site.yml's step 4 with `mtls_clb_client_become: false` and the
default `client_install_owner: root`)."""
from __future__ import annotations

import base64
import grp
import os
import pwd
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from tests.support.ansible_run import ONE_ROLE_PLAYBOOK, run_module, run_playbook
from tests.support.prerequisites import missing_prerequisite

MODULE = "mtls.clb.client_bundle"
USER = "nobody"
SYSTEM_PYTHON = "/usr/bin/python3"
# How ansible runs the module as USER: become through sudo (root needs no password), the module piped to a
# Python USER may execute (the venv's is under /root, 0700).
AS_USER = {"ANSIBLE_BECOME": "true", "ANSIBLE_BECOME_METHOD": "sudo", "ANSIBLE_BECOME_USER": USER,
           "ANSIBLE_PIPELINING": "true", "ANSIBLE_PYTHON_INTERPRETER": SYSTEM_PYTHON}


def fake_pem(label: str, der: bytes) -> str:
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, base64.b64encode(der).decode(), label)


KEY = fake_pem("PRIVATE KEY", b"\x30\x82not a real key, the module checks the framing only")
CLIENT_CRT = fake_pem("CERTIFICATE", b"\x30\x82client certificate")


@pytest.fixture(scope="module")
def user():
    """The unprivileged account and how ansible becomes it."""
    if os.geteuid() != 0:
        pytest.skip("becoming another user without a password needs root")
    problems = []
    if shutil.which("sudo") is None:
        problems.append("sudo (Debian package sudo)")
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        problems.append(SYSTEM_PYTHON + " (Debian package python3)")
    try:
        account = pwd.getpwnam(USER)
    except KeyError:
        account = None
        problems.append("the user " + USER)
    if problems:
        missing_prerequisite("client_bundle as a non-root user cannot run here, missing: " + ", ".join(problems))
    return {"uid": account.pw_uid, "gid": account.pw_gid, "group": grp.getgrgid(account.pw_gid).gr_name}


@pytest.fixture
def place(user):
    """A directory the unprivileged user may create entries in (pytest's tmp_path is root's, 0700)."""
    path = Path(tempfile.mkdtemp(prefix="mtls-bundle-nonroot-", dir="/tmp"))
    os.chown(path, user["uid"], user["gid"])
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def as_user(args: dict, check: bool = False) -> dict:
    return run_module(MODULE, args, check=check, diff=check, env=AS_USER)


def bundle(directory: Path, **overrides) -> dict:
    args = {"directory": str(directory), "private_key": KEY,
            "certificates": [{"name": "client.crt", "content": CLIENT_CRT}]}
    args.update(overrides)
    return args


@pytest.mark.parametrize("check", [False, True], ids=["run", "check mode"])
def test_an_owner_only_root_may_give_is_refused_before_anything_is_written(place, user, check):
    target = place / "ca"

    result = as_user(bundle(target, owner="root", group=user["group"]), check=check)

    assert result["failed"], result
    assert result["msg"].startswith("owner: nobody, the user this task runs as, may not give the files to root"), \
        result["msg"]
    assert result["msg"].endswith("run the task as root (become: true) or set owner to nobody"), result["msg"]
    assert os.listdir(place) == []  # not even the directory
    assert "PRIVATE KEY" not in result["_stdout"] + result["_stderr"]


def test_a_group_the_user_is_not_in_is_refused_naming_its_groups(place, user):
    target = place / "ca"

    result = as_user(bundle(target, owner=USER, group="root"))

    assert result["failed"], result
    assert result["msg"].startswith("group: nobody, the user this task runs as, may not give the files to the "
                                    "group root"), result["msg"]
    assert result["msg"].endswith("or set group to one of its groups (%s)" % user["group"]), result["msg"]
    assert os.listdir(place) == []


def test_a_directory_the_user_may_not_read_is_refused_naming_directory(place, user):
    target = place / "ca"
    target.mkdir(mode=0o700)  # root's, as /home/ca after a run with become
    (target / "client.key").write_text(KEY)
    before = sorted(os.listdir(target))

    result = as_user(bundle(target, owner=USER, group=user["group"]))

    assert result["failed"], result
    assert result["msg"].startswith("directory: cannot read %s/" % target), result["msg"]
    assert "run the task as root (become: true)" in result["msg"], result["msg"]
    assert sorted(os.listdir(target)) == before and (target / "client.key").read_text() == KEY


def test_its_own_name_and_group_install_the_files_and_the_rerun_changes_nothing(place, user):
    target = place / "ca"
    args = bundle(target, owner=USER, group=user["group"])

    first = as_user(args)
    second = as_user(args)

    assert not first["failed"] and first["changed"], first
    assert not second["failed"] and not second["changed"], second
    for path in (target, target / "client.key", target / "client.crt"):
        info = path.stat()
        assert (info.st_uid, info.st_gid) == (user["uid"], user["gid"]), path
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert stat.S_IMODE((target / "client.key").stat().st_mode) == 0o600


def test_the_role_names_its_variable_when_the_user_may_not_give_the_files_to_root(place, user):
    """client_install's defaults (root:root) run as a user without become: the role says which variable to
    set, in its own names, and nothing is written on the client."""
    pki = place / "pki"
    for name in ("clients/localhost.crt", "root.crt", "server/ca.crt"):
        (pki / name).parent.mkdir(parents=True, exist_ok=True)
        (pki / name).write_text(CLIENT_CRT)
    (pki / "clients/localhost.key").write_text(KEY)
    playbook = place / "role.yml"
    playbook.write_text(ONE_ROLE_PLAYBOOK)
    target = place / "home-ca"

    run = run_playbook(playbook, env=AS_USER, extra_vars={"role_under_test": "mtls.clb.client_install",
                                                          "client_install_pki_directory": str(pki),
                                                          "client_install_directory": str(target)})

    assert run.rc != 0
    message = run.task_results("mtls.clb.client_install : Refuse an owner or group the client cannot give the "
                               "files")["msg"]
    assert message == ("client_install_owner: nobody, the user this task runs as, may not give the files to root: "
                       "only root may give a file to another user; run the task as root (become: true) or set "
                       "client_install_owner to nobody")
    assert not target.exists()
