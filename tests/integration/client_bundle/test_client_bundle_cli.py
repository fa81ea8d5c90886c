"""mtls.clb.client_bundle through the real `ansible` CLI: check, apply, check, apply; modes and content on disk;
a directory path that is a file; and no key bytes in the output, even at -vvvv with --diff."""
from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.ansible_run import run_module

MODULE = "mtls.clb.client_bundle"


def fake_certificate_pem(name: bytes) -> str:
    """A well-framed CERTIFICATE block (base64 of a DER SEQUENCE): client_bundle checks the framing, not the DER."""
    body = base64.b64encode(b"\x30\x82" + name).decode()
    return "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % body


CLIENT_CRT = fake_certificate_pem(b"client certificate for the CLI test")
ROOT_CRT = fake_certificate_pem(b"root certificate for the CLI test")
CA_CRT = fake_certificate_pem(b"server CA certificate for the CLI test")


@pytest.fixture(scope="module")
def private_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def bundle_args(directory: Path, private_key_pem: str) -> dict:
    return {
        "directory": str(directory),
        "owner": str(os.getuid()),
        "group": str(os.getgid()),
        # As lookup('ansible.builtin.file') gives it by default: without the final newline.
        "private_key": private_key_pem.rstrip("\n"),
        "certificates": [{"name": "client.crt", "content": CLIENT_CRT},
                         {"name": "root.crt", "content": ROOT_CRT.rstrip("\n")},
                         {"name": "ca.crt", "content": CA_CRT}],
    }


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def key_lines(private_key_pem: str) -> list[str]:
    return [line for line in private_key_pem.splitlines() if line and not line.startswith("-----")]


def assert_no_key_in(result: dict, private_key_pem: str) -> None:
    output = result["_stdout"] + result["_stderr"]
    assert "PRIVATE KEY" not in output
    for line in key_lines(private_key_pem):
        assert line not in output


def test_check_apply_check_apply(tmp_path, private_key_pem):
    directory = tmp_path / "home" / "ca"
    args = bundle_args(directory, private_key_pem)

    planned = run_module(MODULE, args, check=True, diff=True)
    assert planned["changed"] is True and not planned["failed"], planned
    assert planned["files"] == {"client.key": "created", "client.crt": "created", "root.crt": "created",
                                "ca.crt": "created"}
    assert not (tmp_path / "home").exists(), "check mode created the directory"

    applied = run_module(MODULE, args, diff=True)
    assert applied["changed"] is True and applied["files"] == planned["files"], applied
    assert applied["directory"] == str(directory) and applied["directory_status"] == "created"

    assert mode_of(directory) == 0o700
    assert mode_of(directory / "client.key") == 0o600
    for name in ("client.crt", "root.crt", "ca.crt"):
        assert mode_of(directory / name) == 0o644, name
    for path in [directory, *directory.iterdir()]:
        assert (path.stat().st_uid, path.stat().st_gid) == (os.getuid(), os.getgid()), path
    assert (directory / "client.key").read_text() == private_key_pem
    assert (directory / "client.crt").read_text() == CLIENT_CRT
    assert (directory / "root.crt").read_text() == ROOT_CRT
    assert (directory / "ca.crt").read_text() == CA_CRT
    assert sorted(p.name for p in directory.iterdir()) == ["ca.crt", "client.crt", "client.key", "root.crt"]

    for check in (True, False):
        again = run_module(MODULE, args, check=check, diff=True)
        assert again["changed"] is False, again
        assert set(again["files"].values()) == {"unchanged"} and again["directory_status"] == "unchanged"

    for result in (planned, applied):
        assert_no_key_in(result, private_key_pem)


def test_a_directory_path_that_is_a_file_fails_clearly_and_writes_nothing(tmp_path, private_key_pem):
    path = tmp_path / "ca"
    path.write_text("not a directory\n")

    result = run_module(MODULE, bundle_args(path, private_key_pem))

    assert result["failed"] and result["rc_ansible"] != 0
    assert result["msg"].startswith("directory: %s exists but is not a directory;" % path), result["msg"]
    assert path.read_text() == "not a directory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca"]


def test_the_key_is_not_in_the_output_at_vvvv_with_diff(tmp_path, private_key_pem):
    directory = tmp_path / "ca"
    args = bundle_args(directory, private_key_pem)

    created = run_module(MODULE, args, diff=True, verbosity=4)
    (directory / "client.key").write_text("-----BEGIN PRIVATE KEY-----\nstale\n-----END PRIVATE KEY-----\n")
    replaced = run_module(MODULE, args, diff=True, verbosity=4)

    assert created["files"]["client.key"] == "created" and replaced["files"]["client.key"] == "updated"
    assert "client.key: changed" in replaced["_stdout"]
    for result in (created, replaced):
        assert_no_key_in(result, private_key_pem)
