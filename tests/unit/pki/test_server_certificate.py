"""pki_server_certificate backend: profile, default SANs, re-issue table, errors."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError
from ansible_collections.mtls.clb.plugins.module_utils.pki.server_certificate import ServerCertificate

from .conftest import assert_no_secrets, make_module, snapshot


@pytest.fixture
def server_args(tmp_path, root_ca):
    (tmp_path / "srv").mkdir()
    return {
        "certificate_path": str(tmp_path / "srv" / "server.crt"),
        "private_key_path": str(tmp_path / "srv" / "server.key"),
        "common_name": "www.example.com",
        "ca_certificate_path": root_ca["certificate_path"],
        "ca_private_key_path": root_ca["private_key_path"],
        "key_type": "ecdsa",
    }


def run(args, check_mode=False):
    return ServerCertificate(make_module("server_certificate", args, check_mode=check_mode)).run()


def load(args):
    return x509.load_pem_x509_certificate(Path(args["certificate_path"]).read_bytes())


def test_server_profile_and_default_san(server_args):
    result = run(server_args)
    assert result["changed"] and result["reason"] == "private key is missing"
    cert = load(server_args)
    assert cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.SERVER_AUTH])
    assert result["subject_alt_names"] == ["DNS:www.example.com"]
    assert os.stat(server_args["private_key_path"]).st_mode & 0o777 == 0o600
    assert run(server_args)["changed"] is False


def test_ip_common_name_becomes_an_ip_san(server_args):
    run(dict(server_args, common_name="127.0.0.1"))
    cert = load(server_args)
    assert [str(ip) for ip in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            .value.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


REISSUE = [
    ("SAN added", {"subject_alt_names": ["DNS:www.example.com", "DNS:example.com"]}, "subjectAltName differs"),
    ("CN changed", {"common_name": "api.example.com"}, "subject differs"),
    ("key size changed", {"key_type": "rsa", "key_size": 2048}, "want RSA 2048"),
    ("forced", {"force": True}, "force=true"),
    ("valid_days only", {"valid_days": 397}, None),
    ("SAN spelled as the default", {"subject_alt_names": ["DNS:www.example.com"]}, None),
]


@pytest.mark.parametrize("label, options, reason", REISSUE, ids=[r[0] for r in REISSUE])
def test_reissue_table(server_args, label, options, reason):
    run(server_args)
    result = run(dict(server_args, **options))
    if reason is None:
        assert result["changed"] is False, result["reason"]
    else:
        assert result["changed"] and reason in result["reason"]
        rerun = dict(server_args, **options)
        rerun.pop("force", None)
        assert run(rerun)["changed"] is False


def test_encrypted_server_key_round_trip_and_wrong_passphrase_is_not_replaced(server_args):
    args = dict(server_args, private_key_passphrase="srv-pass")
    run(args)
    assert b"ENCRYPTED" in Path(args["private_key_path"]).read_bytes()
    assert run(args)["changed"] is False
    before = snapshot(Path(args["private_key_path"]).parent)
    with pytest.raises(PkiError) as err:
        run(dict(args, private_key_passphrase="nope"))
    assert "private_key_passphrase is wrong" in str(err.value) and "nope" not in str(err.value)
    assert snapshot(Path(args["private_key_path"]).parent) == before


def test_cn_equal_to_ca_cn_is_refused(server_args):
    with pytest.raises(PkiError, match="common_name: 'root' is the CA's common name"):
        run(dict(server_args, common_name="root"))
    assert not os.listdir(Path(server_args["certificate_path"]).parent)


def test_check_mode_and_diff(server_args):
    result = run(server_args, check_mode=True)
    assert result["changed"] and not os.listdir(Path(server_args["certificate_path"]).parent)
    run(server_args)
    result = run(dict(server_args, common_name="api.example.com"), check_mode=True)
    assert result["diff"]["before"]["subject"] == "CN=www.example.com"
    assert result["fingerprint_sha256"] is None
    assert_no_secrets(result)


@pytest.mark.parametrize("option, ca_file, spelling", [
    ("certificate_path", "root.crt", "same path"),
    ("private_key_path", "root.key", "same path"),
    ("certificate_path", "root.crt", "through .."),
    ("private_key_path", "root.key", "through a symbolic link"),
], ids=lambda value: value if isinstance(value, str) else None)
@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_a_path_that_is_the_cas_own_file_is_refused_and_the_ca_is_left_alone(tmp_path, server_args, option, ca_file,
                                                                             spelling, check_mode):
    """Written there, the server certificate would replace the CA certificate, or the server certificate would be
    issued for the CA's own key (which step 5 then uploads)."""
    ca_dir = tmp_path / "ca"
    if spelling == "through ..":
        path = str(tmp_path / "srv" / ".." / "ca" / ca_file)
    elif spelling == "through a symbolic link":
        (tmp_path / "ca-link").symlink_to(ca_dir)
        path = str(tmp_path / "ca-link" / ca_file)
    else:
        path = str(ca_dir / ca_file)
    ca_before, srv_before = snapshot(ca_dir), snapshot(tmp_path / "srv")
    with pytest.raises(PkiError) as error:
        run(dict(server_args, **{option: path}), check_mode=check_mode)
    what = "certificate (ca_certificate_path)" if ca_file == "root.crt" else "private key (ca_private_key_path)"
    assert str(error.value) == (f"{option}: {path} is the signing CA's {what}; writing there would replace the CA, "
                                "so set it to a file of the server certificate's own")
    assert snapshot(ca_dir) == ca_before and snapshot(tmp_path / "srv") == srv_before
