"""Review 6, findings 4, 6 and 12 through the real `ansible` CLI: a bad mode, owner or group of a PKI module and
non-PEM content for client_bundle fail with nothing on disk; an attributes-only change shows in --diff."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.ansible_run import run_module

CLIENT_BUNDLE = "mtls.clb.client_bundle"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ca")
    args = {"certificate_path": str(directory / "root.crt"), "private_key_path": str(directory / "root.key"),
            "common_name": "review6 root", "key_type": "ecdsa"}
    result = run_module("mtls.clb.pki_root_ca", args)
    assert not result.get("failed"), result.get("msg")
    return args


def module_args(module: str, directory: Path, ca: dict) -> dict:
    if module == "mtls.clb.pki_root_ca":
        return {"certificate_path": str(directory / "r.crt"), "private_key_path": str(directory / "r.key"),
                "common_name": "another root", "key_type": "ecdsa", "directory_mode": "0700"}
    issuer = {"ca_certificate_path": ca["certificate_path"], "ca_private_key_path": ca["private_key_path"],
              "key_type": "ecdsa", "directory_mode": "0700"}
    if module == "mtls.clb.pki_server_certificate":
        return dict(issuer, certificate_path=str(directory / "s.crt"), private_key_path=str(directory / "s.key"),
                    common_name="www.review6.test")
    return dict(issuer, directory=str(directory), pkcs12_password="p12-review6-Wd2",
                clients=[{"name": "a", "common_name": "a.review6.test"}])


@pytest.mark.parametrize("module", ["mtls.clb.pki_root_ca", "mtls.clb.pki_server_certificate",
                                    "mtls.clb.pki_client_certificates"])
@pytest.mark.parametrize("bad, message", [
    ({"mode": "abc"}, "mode: 'abc' is neither an octal nor a symbolic mode"),
    ({"owner": "nosuchuser"}, "owner: there is no user 'nosuchuser' on this host"),
    ({"group": "nosuchgroup"}, "group: there is no group 'nosuchgroup' on this host"),
], ids=["mode", "owner", "group"])
def test_bad_mode_owner_or_group_fails_with_nothing_on_disk(tmp_path, ca, module, bad, message):
    parent = tmp_path / "empty"
    parent.mkdir()

    result = run_module(module, dict(module_args(module, parent / "pki", ca), **bad))

    assert result.get("failed") and result["changed"] is False, result
    assert result["msg"].startswith(message), result["msg"]
    assert list(parent.iterdir()) == [], "a directory or key was written before the refusal"
    # AnsibleModule's file keys came with the old, late failure; nothing was touched, so there is no file to describe.
    assert "uid" not in result and "path" not in result


def test_attributes_only_change_shows_in_check_diff(tmp_path, ca):
    args = module_args("mtls.clb.pki_root_ca", tmp_path / "pki", ca)
    assert not run_module("mtls.clb.pki_root_ca", args).get("failed")

    result = run_module("mtls.clb.pki_root_ca", dict(args, mode="0640", certificate_mode="0600"), check=True, diff=True)

    assert result["changed"] and result["reason"] == "file attributes changed"
    before, after = result["diff"]["before"]["files"], result["diff"]["after"]["files"]
    assert (before[args["private_key_path"]]["mode"], after[args["private_key_path"]]["mode"]) == ("0600", "0640")
    assert (before[args["certificate_path"]]["mode"], after[args["certificate_path"]]["mode"]) == ("0644", "0600")
    assert os.stat(args["private_key_path"]).st_mode & 0o777 == 0o600, "check mode changed the file"


@pytest.mark.parametrize("bundle, message", [
    ({"certificates": [{"name": "x.crt", "content": "hello world"}]},
     "certificates[0] (x.crt): the content is not PEM"),
    ({"private_key": "not a key"}, "private_key: the content is not a PEM private key"),
], ids=["certificate", "private_key"])
def test_client_bundle_refuses_text_that_is_not_pem(tmp_path, bundle, message):
    directory = tmp_path / "ca"
    for check in (True, False):
        result = run_module(CLIENT_BUNDLE, dict(directory=str(directory), **bundle), check=check)
        assert result.get("failed") and result["msg"].startswith(message), result
    assert not directory.exists()


def test_client_bundle_refuses_a_key_given_as_a_certificate(tmp_path, ca):
    key = Path(ca["private_key_path"]).read_text()
    directory = tmp_path / "ca"

    result = run_module(CLIENT_BUNDLE, {"directory": str(directory),
                                        "certificates": [{"name": "root.crt", "content": key}]})

    assert result.get("failed")
    assert result["msg"].startswith("certificates[0] (root.crt): the content holds a private key"), result["msg"]
    assert key.splitlines()[1] not in result["msg"]
    assert not directory.exists(), "the key would have been written 0644"
