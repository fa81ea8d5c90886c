"""mtls.clb.client_bundle run in-process through its main(), with a real AnsibleModule: validation before any
write, the per-file decision, newline normalisation, the key's mode from the first instant, and diffs without
key bytes."""
from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest
from ansible.module_utils.basic import AnsibleModule
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from ansible.module_utils.testing import patch_module_args

from ansible_collections.mtls.clb.plugins.modules import client_bundle


def fake_pem(label: str, der: bytes) -> str:
    """A well-framed PEM block (the module checks the framing only, never parses the DER)."""
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, base64.b64encode(der).decode(), label)


KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7sEcretKeyBodyXYZ"
KEY = "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n" % KEY_BODY
CLIENT_CRT = fake_pem("CERTIFICATE", b"\x30\x82client certificate")
ROOT_CRT = fake_pem("CERTIFICATE", b"\x30\x82root certificate")
UID, GID = str(os.getuid()), str(os.getgid())


def bundle_args(directory, **overrides):
    args = {
        "directory": str(directory),
        "owner": UID,
        "group": GID,
        "private_key": KEY,
        "certificates": [{"name": "client.crt", "content": CLIENT_CRT}, {"name": "root.crt", "content": ROOT_CRT}],
    }
    args.update(overrides)
    return args


def run(args, capsys, check=False, diff=False):
    """The module's result as ansible would receive it (its JSON on stdout)."""
    with patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=diff)):
        with pytest.raises(SystemExit):
            client_bundle.main()
    return json.loads(capsys.readouterr().out)


def tree(directory: Path) -> dict:
    """Everything under `directory` (bytes, mode, uid, gid), and the directory's own mode."""
    if not directory.exists():
        return {}
    state = {".": (None, stat.S_IMODE(directory.stat().st_mode))}
    for path in sorted(directory.iterdir()):
        info = path.lstat()
        content = path.read_bytes() if path.is_file() else None
        state[path.name] = (content, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
    return state


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- validation: the message names the option and the fix, and nothing is written ---------------------
@pytest.mark.parametrize("overrides, named, fix", [
    ({"private_key": None, "certificates": None}, "private_key, certificates", "set at least one"),
    ({"certificates": [{"name": "../client.crt", "content": CLIENT_CRT}]}, "certificates[0].name", "plain file name"),
    ({"certificates": [{"name": "sub/client.crt", "content": CLIENT_CRT}]}, "certificates[0].name", "no '/'"),
    ({"certificates": [{"name": "..", "content": CLIENT_CRT}]}, "certificates[0].name", "plain file name"),
    ({"certificates": [{"name": ".", "content": CLIENT_CRT}]}, "certificates[0].name", "plain file name"),
    ({"private_key_name": "/etc/client.key"}, "private_key_name", "plain file name"),
    ({"certificates": [{"name": "a.crt", "content": CLIENT_CRT}, {"name": "a.crt", "content": ROOT_CRT}]},
     "certificates[1] (a.crt)", "its own name"),
    ({"certificates": [{"name": "client.key", "content": CLIENT_CRT}]}, "certificates[0] (client.key)",
     "already used by private_key_name"),
    ({"certificates": [{"name": "ca.crt", "content": ""}]}, "certificates[0] (ca.crt)", "rstrip=false"),
    ({"private_key": "  \n"}, "private_key", "pass the PEM text"),
    ({"private_key_mode": 384}, "private_key_mode", "quote the mode"),
    ({"certificate_mode": "u=rw"}, "certificate_mode", "octal string such as"),
    ({"directory_mode": "0800"}, "directory_mode", "octal string such as"),
    ({"owner": "no-such-user-mtls"}, "owner", "existing user name or a numeric uid"),
    ({"group": "no-such-group-mtls"}, "group", "existing group name or a numeric gid"),
    ({"directory": "relative/ca"}, "directory", "absolute path"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_bad_input_is_refused_before_anything_is_written(tmp_path, capsys, overrides, named, fix):
    directory = tmp_path / "ca"
    result = run(dict(bundle_args(directory), **overrides), capsys)

    assert result.get("failed"), result
    assert result["msg"].startswith(named), result["msg"]
    assert fix in result["msg"], result["msg"]
    assert not directory.exists()
    assert KEY_BODY not in json.dumps(result)


def test_a_directory_path_that_is_a_file_is_refused_and_left_alone(tmp_path, capsys):
    path = tmp_path / "ca"
    path.write_text("not a directory\n")
    before = path.read_bytes(), mode_of(path)

    for check in (True, False):
        result = run(bundle_args(path), capsys, check=check)
        assert result.get("failed")
        assert result["msg"] == ("directory: %s exists but is not a directory; move it away or set directory to "
                                 "another path" % path)
    assert (path.read_bytes(), mode_of(path)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca"]


def test_a_directory_below_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    result = run(bundle_args(tmp_path / "file" / "sub" / "ca"), capsys)
    assert result.get("failed")
    assert "is not a directory" in result["msg"] and result["msg"].startswith("directory:")


def test_a_special_file_in_place_of_a_certificate_is_refused_before_any_write(tmp_path, capsys):
    directory = tmp_path / "ca"
    directory.mkdir(mode=0o755)
    (directory / "root.crt").mkdir()
    before = tree(directory)

    result = run(bundle_args(directory), capsys)

    assert result.get("failed")
    assert result["msg"].startswith("certificates[1] (root.crt): ") and "not a regular file" in result["msg"]
    assert tree(directory) == before, "the key, client.crt or the directory mode was written before the refusal"


# -- the decision --------------------------------------------------------------------------------------------
def test_check_apply_check_apply(tmp_path, capsys):
    directory = tmp_path / "home" / "ca"
    args = bundle_args(directory)

    planned = run(args, capsys, check=True)
    assert planned["changed"] is True
    assert planned["directory_status"] == "created"
    assert planned["files"] == {"client.key": "created", "client.crt": "created", "root.crt": "created"}
    assert not (tmp_path / "home").exists(), "check mode created something"

    applied = run(args, capsys)
    assert (applied["changed"], applied["directory_status"], applied["files"]) == \
        (True, planned["directory_status"], planned["files"])
    assert mode_of(directory) == 0o700
    assert (directory / "client.key").read_text() == KEY and mode_of(directory / "client.key") == 0o600
    assert (directory / "client.crt").read_text() == CLIENT_CRT and mode_of(directory / "client.crt") == 0o644
    assert (directory / "root.crt").read_text() == ROOT_CRT and mode_of(directory / "root.crt") == 0o644
    assert sorted(p.name for p in directory.iterdir()) == ["client.crt", "client.key", "root.crt"], "temp file left"

    for check in (True, False):
        again = run(args, capsys, check=check)
        assert again["changed"] is False
        assert again["directory_status"] == "unchanged"
        assert set(again["files"].values()) == {"unchanged"}


def test_each_file_gets_its_own_status(tmp_path, capsys):
    directory = tmp_path / "ca"
    run(bundle_args(directory), capsys)
    (directory / "client.crt").write_text("stale certificate of an earlier client\n")
    (directory / "root.crt").chmod(0o600)
    directory.chmod(0o755)
    (directory / "unrelated.txt").write_text("left alone\n")
    before = tree(directory)

    planned = run(bundle_args(directory), capsys, check=True)
    assert tree(directory) == before, "check mode changed something"
    applied = run(bundle_args(directory), capsys)

    for result in (planned, applied):
        assert result["changed"] is True
        assert result["directory_status"] == "attributes"
        assert result["files"] == {"client.key": "unchanged", "client.crt": "updated", "root.crt": "attributes"}
    assert (directory / "client.crt").read_text() == CLIENT_CRT
    assert mode_of(directory / "root.crt") == 0o644 and mode_of(directory) == 0o700
    assert (directory / "unrelated.txt").read_text() == "left alone\n"


def test_a_loosened_key_is_an_attributes_change(tmp_path, capsys):
    directory = tmp_path / "ca"
    run(bundle_args(directory), capsys)
    (directory / "client.key").chmod(0o644)

    result = run(bundle_args(directory), capsys)

    assert result["files"]["client.key"] == "attributes"
    assert mode_of(directory / "client.key") == 0o600


def test_a_symlink_in_place_of_a_file_is_replaced_not_followed(tmp_path, capsys):
    directory = tmp_path / "ca"
    run(bundle_args(directory), capsys)
    elsewhere = tmp_path / "elsewhere.crt"
    elsewhere.write_text(CLIENT_CRT)
    (directory / "client.crt").unlink()
    (directory / "client.crt").symlink_to(elsewhere)

    result = run(bundle_args(directory), capsys)

    assert result["files"]["client.crt"] == "updated"
    assert not (directory / "client.crt").is_symlink()
    assert (directory / "client.crt").read_text() == CLIENT_CRT and elsewhere.read_text() == CLIENT_CRT


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_without_owner_and_group_a_replaced_file_keeps_its_owner_and_group(tmp_path, capsys):
    """What the docs of owner and group promise: existing files keep theirs when the options are not set."""
    directory = tmp_path / "ca"
    run(bundle_args(directory), capsys)
    stale = directory / "client.crt"
    stale.write_text("stale\n")
    os.chown(stale, 4321, 4322)
    result = run(bundle_args(directory, owner=None, group=None), capsys)
    assert result["files"]["client.crt"] == "updated"
    assert stale.read_text() == CLIENT_CRT and (stale.stat().st_uid, stale.stat().st_gid) == (4321, 4322)


def test_certificates_only_leaves_an_existing_key_alone(tmp_path, capsys):
    directory = tmp_path / "ca"
    run(bundle_args(directory), capsys)
    result = run(bundle_args(directory, private_key=None, certificates=[{"name": "ca.crt", "content": ROOT_CRT}]),
                 capsys)
    assert result["files"] == {"ca.crt": "created"}
    assert (directory / "client.key").read_text() == KEY


def test_an_empty_certificate_list_manages_only_the_directory(tmp_path, capsys):
    directory = tmp_path / "ca"
    result = run(bundle_args(directory, private_key=None, certificates=[], directory_mode="0750"), capsys)
    assert result["changed"] is True and result["files"] == {}
    assert mode_of(directory) == 0o750 and list(directory.iterdir()) == []


@pytest.mark.parametrize("installed, given", [
    (CLIENT_CRT, CLIENT_CRT.rstrip("\n")),       # lookup('file') strips the final newline by default
    (CLIENT_CRT.rstrip("\n") + "\n", CLIENT_CRT),
])
def test_a_missing_final_newline_is_added_so_the_same_input_is_idempotent(tmp_path, capsys, installed, given):
    directory = tmp_path / "ca"
    args = bundle_args(directory, private_key=KEY.rstrip("\n"), certificates=[{"name": "client.crt", "content": given}])
    first = run(args, capsys)
    assert first["changed"] is True
    assert (directory / "client.crt").read_text() == installed
    assert (directory / "client.key").read_text() == KEY

    assert run(args, capsys)["changed"] is False
    unstripped = bundle_args(directory, certificates=[{"name": "client.crt", "content": CLIENT_CRT}])
    assert run(unstripped, capsys)["changed"] is False


# -- the key is never wider than 0600, not even for an instant ---------------------------------------------------
@pytest.mark.parametrize("existing_mode", [None, 0o600, 0o644], ids=["new key", "replaced key", "replaced loose key"])
def test_the_new_key_content_is_never_readable_by_others(tmp_path, capsys, monkeypatch, existing_mode):
    directory = tmp_path / "ca"
    directory.mkdir(mode=0o700)
    key_path = directory / "client.key"
    if existing_mode is not None:
        key_path.write_text("-----BEGIN PRIVATE KEY-----\nold\n-----END PRIVATE KEY-----\n")
        key_path.chmod(existing_mode)
    created = []       # (path, mode argument) of every file os.open creates
    seen_modes = []    # mode of any file holding the new key, each time ansible touches it
    real_open = os.open
    real_move = AnsibleModule.atomic_move
    real_attributes = AnsibleModule.set_fs_attributes_if_different

    def recording_open(path, flags, mode=0o777, *args, **kwargs):
        if flags & os.O_CREAT:
            created.append((os.fspath(path), mode))
        return real_open(path, flags, mode, *args, **kwargs)

    def note_key_mode(path):
        path = Path(os.fsdecode(path))
        if path.is_file() and path.read_text() == KEY:
            seen_modes.append((path.name, mode_of(path)))

    def recording_move(self, src, dest, *args, **kwargs):
        note_key_mode(src)
        real_move(self, src, dest, *args, **kwargs)
        note_key_mode(dest)

    def recording_attributes(self, file_args, changed, *args, **kwargs):
        note_key_mode(file_args["path"])
        return real_attributes(self, file_args, changed, *args, **kwargs)

    monkeypatch.setattr(client_bundle.os, "open", recording_open)
    monkeypatch.setattr(AnsibleModule, "atomic_move", recording_move)
    monkeypatch.setattr(AnsibleModule, "set_fs_attributes_if_different", recording_attributes)
    old_umask = os.umask(0)  # the worst case: nothing narrows what the module asks for
    try:
        result = run(bundle_args(directory, certificates=[]), capsys)
        umask_after_run = os.umask(0)
    finally:
        os.umask(old_umask)

    assert result["files"]["client.key"] == ("created" if existing_mode is None else "updated")
    key_temporaries = [(path, mode) for path, mode in created if Path(path).name.startswith(".client.key.")]
    assert len(key_temporaries) == 1 and key_temporaries[0][1] == 0o600, created
    assert seen_modes and all(mode == 0o600 for _name, mode in seen_modes), seen_modes
    assert mode_of(key_path) == 0o600 and key_path.read_text() == KEY
    assert umask_after_run == 0, "the module left its umask behind"


# -- diff and output never carry the key ---------------------------------------------------------------------
def test_diff_shows_certificates_and_only_names_the_key(tmp_path, capsys):
    directory = tmp_path / "ca"
    created = run(bundle_args(directory), capsys, diff=True)
    (directory / "client.crt").write_text("stale\n")
    (directory / "client.key").write_text("-----BEGIN PRIVATE KEY-----\nold\n-----END PRIVATE KEY-----\n")
    updated = run(bundle_args(directory), capsys, diff=True)
    (directory / "client.key").chmod(0o640)
    attributes = run(bundle_args(directory), capsys, diff=True)
    unchanged = run(bundle_args(directory), capsys, diff=True)

    for result in (created, updated, attributes, unchanged):
        text = json.dumps(result)
        assert "PRIVATE KEY" not in text and KEY_BODY not in text
    key_entries = [entry for entry in updated["diff"] if "prepared" in entry]
    assert key_entries == [{"prepared": "client.key: changed\n"}]
    certificate_entry = next(entry for entry in updated["diff"] if entry.get("after_header", "").endswith("client.crt"))
    assert certificate_entry["before"] == "stale\n" and certificate_entry["after"] == CLIENT_CRT
    assert attributes["diff"] == [{"prepared": "client.key: changed\n"}]
    assert created["diff"][0]["after"]["state"] == "directory" and created["diff"][0]["before"]["state"] == "absent"
    assert unchanged["diff"] == []


# -- PEM framing: what is written as a certificate or key must at least look like one ---------------------------
SENTINEL = "CONTENT-SENTINEL-42"  # marks the content: no message may echo it
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def key_pem(private_format=serialization.PrivateFormat.PKCS8, encryption=None):
    return EC_KEY.private_bytes(serialization.Encoding.PEM, private_format,
                                encryption or serialization.NoEncryption()).decode()


@pytest.mark.parametrize("certificate_content, fix", [
    ("hello world %s\n" % SENTINEL, "not PEM (no BEGIN CERTIFICATE ... END CERTIFICATE block)"),
    (key_pem(), "holds a private key (a PRIVATE KEY block)"),
    (key_pem(serialization.PrivateFormat.TraditionalOpenSSL), "holds a private key (a EC PRIVATE KEY block)"),
    (CLIENT_CRT + key_pem(), "pass the key in private_key and only certificates here"),
    (fake_pem("PUBLIC KEY", b"\x30\x01"), "holds a PUBLIC KEY block, not only CERTIFICATE blocks"),
    ("-----BEGIN CERTIFICATE-----\nnot base64 %s !!\n-----END CERTIFICATE-----\n" % SENTINEL,
     "block on line 1 is not valid base64"),
    (fake_pem("CERTIFICATE", b"hello, not DER"), "block on line 1 does not hold DER data"),
    (fake_pem("CERTIFICATE", b""), "block on line 1 does not hold DER data"),
    (CLIENT_CRT.replace("-----END CERTIFICATE-----\n", ""), "the block that begins on line 1 has no END line"),
    (CLIENT_CRT.replace("END CERTIFICATE", "END X509 CRL"), "line 3 should be the END line of the block"),
    ("-----END CERTIFICATE-----\n" + CLIENT_CRT, "line 1 is an END line without a BEGIN line"),
    ("-----BEGIN CERTIFICATE----\n", "line 1 starts like a PEM BEGIN or END line but is not one"),
], ids=["text", "pkcs8-key", "ec-key", "certificate-and-key", "public-key", "bad-base64", "not-der", "empty-body",
        "no-end", "wrong-end", "end-first", "bad-boundary"])
def test_a_certificate_that_is_not_pem_certificates_is_refused_before_anything_is_written(
        tmp_path, capsys, certificate_content, fix):
    directory = tmp_path / "ca"
    args = bundle_args(directory, certificates=[{"name": "client.crt", "content": CLIENT_CRT},
                                                {"name": "root.crt", "content": certificate_content}])
    for check in (True, False):
        result = run(args, capsys, check=check)

        assert result.get("failed"), result
        assert result["msg"].startswith("certificates[1] (root.crt): "), result["msg"]
        assert fix in result["msg"], result["msg"]
        # The invocation echoes module_args (certificates are not no_log); the message must not add the content.
        assert SENTINEL not in result["msg"] and KEY_BODY not in result["msg"]
        assert key_pem().splitlines()[1] not in result["msg"], "a line of the key passed as a certificate was echoed"
    assert not directory.exists()


@pytest.mark.parametrize("private_key, fix", [
    ("not a key %s" % SENTINEL, "not a PEM private key (no BEGIN PRIVATE KEY ... END PRIVATE KEY block)"),
    (CLIENT_CRT, "holds a CERTIFICATE block besides the key"),
    (KEY + CLIENT_CRT, "holds a CERTIFICATE block besides the key"),
    (KEY + key_pem(), "holds 2 private key blocks; pass exactly one key"),
    ("-----BEGIN PRIVATE KEY-----\n%s!\n-----END PRIVATE KEY-----\n" % KEY_BODY, "not valid base64"),
    (fake_pem("OPENSSH PRIVATE KEY", b"openssh-key-v1\0"), "holds a OPENSSH PRIVATE KEY block besides the key"),
], ids=["text", "certificate", "key-and-certificate", "two-keys", "bad-base64", "openssh"])
def test_a_private_key_that_is_not_one_pem_key_is_refused_before_anything_is_written(tmp_path, capsys, private_key,
                                                                                     fix):
    directory = tmp_path / "ca"
    for check in (True, False):
        result = run(bundle_args(directory, private_key=private_key), capsys, check=check)

        assert result.get("failed"), result
        assert result["msg"].startswith("private_key: "), result["msg"]
        assert fix in result["msg"], result["msg"]
        assert SENTINEL not in json.dumps(result) and KEY_BODY not in json.dumps(result), "private_key is no_log"
    assert not directory.exists()


@pytest.mark.parametrize("private_key", [
    key_pem(),
    key_pem(serialization.PrivateFormat.TraditionalOpenSSL),
    key_pem(encryption=serialization.BestAvailableEncryption(b"client-key-pass")),
    key_pem(serialization.PrivateFormat.TraditionalOpenSSL, serialization.BestAvailableEncryption(b"pass-42")),
    fake_pem("EC PARAMETERS", b"\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07")
    + key_pem(serialization.PrivateFormat.TraditionalOpenSSL),
    key_pem().replace("\n", "\r\n"),
], ids=["pkcs8", "traditional", "pkcs8-encrypted", "traditional-encrypted-with-headers", "openssl-ecparam-genkey",
        "crlf"])
def test_every_usual_private_key_form_is_installed_as_given(tmp_path, capsys, private_key):
    directory = tmp_path / "ca"
    result = run(bundle_args(directory, private_key=private_key), capsys)
    assert not result.get("failed"), result.get("msg")
    assert (directory / "client.key").read_bytes() == private_key.encode()


def test_a_ca_bundle_with_comments_and_a_chain_is_installed_as_given(tmp_path, capsys):
    """Text outside the blocks is allowed (RFC 7468); a CA bundle like Mozilla's has it between blocks."""
    bundle = "# Issuer: CN=Example Root\n# Label: example\n" + CLIENT_CRT + "\n# Label: second\n" + ROOT_CRT
    directory = tmp_path / "ca"
    result = run(bundle_args(directory, certificates=[{"name": "ca.crt", "content": bundle}]), capsys)
    assert not result.get("failed"), result.get("msg")
    assert (directory / "ca.crt").read_text() == bundle


@pytest.mark.parametrize("old_content", [
    "old-key",                   # the file held a key alone (say private_key_name and a certificate swapped names)
    "old-certificate-and-key",   # a combined PEM made by hand for curl --cert, now managed as a certificate
], ids=["key", "certificate-and-key"])
def test_a_replaced_certificate_file_that_held_a_private_key_does_not_show_it_in_the_diff(tmp_path, capsys,
                                                                                          old_content):
    """The old content of a certificate file goes into the diff; when that file held a private key (not the one
    in private_key, so no_log masking cannot catch it), the diff must not show it."""
    directory = tmp_path / "ca"
    run(bundle_args(directory), capsys)
    old_key = key_pem(serialization.PrivateFormat.TraditionalOpenSSL)
    old_body_line = old_key.splitlines()[1]
    stale = old_key if old_content == "old-key" else ROOT_CRT + old_key
    (directory / "client.crt").write_text(stale)
    for check in (True, False):
        result = run(bundle_args(directory), capsys, check=check, diff=True)
        text = json.dumps(result)
        assert "PRIVATE KEY" not in text and old_body_line not in text
        entry = next(item for item in result["diff"] if item.get("after_header", "").endswith("client.crt"))
        assert entry["after"] == CLIENT_CRT and "private key" in entry["before"]
    assert (directory / "client.crt").read_text() == CLIENT_CRT


def test_a_key_given_as_certificate_content_is_refused_without_showing_it(tmp_path, capsys):
    """The refusal's result carries the invocation (shown at -vvv): the key in certificates[].content is no
    module secret, so no_log masking alone would print it."""
    directory = tmp_path / "ca"
    stray_key = key_pem(serialization.PrivateFormat.TraditionalOpenSSL)
    for content in (stray_key, CLIENT_CRT + stray_key):
        result = run(bundle_args(directory, certificates=[{"name": "client.crt", "content": content}]), capsys)
        assert result["failed"] and "holds a private key" in result["msg"]
        text = json.dumps(result)
        assert "PRIVATE KEY-----" not in text
        assert not any(line in text for line in stray_key.splitlines()[1:-1])
        assert CLIENT_CRT.splitlines()[1] in text or content == stray_key  # the certificate itself is not hidden
