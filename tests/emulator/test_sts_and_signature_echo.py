"""STS credentials (key, secret, expiring token) and the gateway's echo of the V1 string to sign.

The official SDK signs every request here; the STS client puts the token where the SDK does
(`x-acs-security-token` for ACS3, `SecurityToken` for HMAC-SHA1).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import subprocess
import sys
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
from alibabacloud_slb20140515 import models as m
from Tea.exceptions import TeaException

from clb_emulator import cli
from clb_emulator.errors import ApiError
from clb_emulator.signing import Account, Authenticator, sts_credential_from_dict
from tests.emulator.conftest import REGION, SIGNATURE_SCHEMES
from tests.support.emulator import start_emulator

schemes = pytest.mark.parametrize("scheme", sorted(SIGNATURE_SCHEMES))


def enc(value):
    return quote(value, safe="~")


def register_sts(emulator, **fields):
    """Temporary credentials registered through the hook; returns (key id, secret, token)."""
    credential = {"access_key_id": "STS." + secrets.token_hex(8), "access_key_secret": secrets.token_urlsafe(16),
                  "security_token": "CAIS" + secrets.token_urlsafe(40), **fields}
    answer = emulator._hook("POST", "/_emulator/sts-credentials", credential)["sts_credential"]
    assert answer["access_key_id"] == credential["access_key_id"]
    return credential["access_key_id"], credential["access_key_secret"], credential["security_token"]


def client_for(emulator, scheme, access_key_id, access_key_secret, security_token=None):
    from alibabacloud_slb20140515.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    config = Config(access_key_id=access_key_id, access_key_secret=access_key_secret, region_id=REGION,
                    endpoint=emulator.endpoint, protocol="http", connect_timeout=5000, read_timeout=30000)
    if security_token is not None:
        config.security_token = security_token
    if SIGNATURE_SCHEMES[scheme]:
        config.signature_algorithm = SIGNATURE_SCHEMES[scheme]
    return Client(config)


def describe_cas(client):
    return client.describe_cacertificates(m.DescribeCACertificatesRequest(region_id=REGION))


def refused(call):
    with pytest.raises(TeaException) as info:
        call()
    return info.value


# -- the V1 echo ------------------------------------------------------------------------------------------

def test_a_v1_signature_mismatch_quotes_the_string_to_sign_like_the_gateway(fresh_emulator, tls_material):
    """The public answers: "Specified signature is not matched with our calculation. server string to
    sign is:POST&%2F&AccessKeyId%3D...", every value encoded twice, the uploaded key included."""
    client = client_for(fresh_emulator, "rpc-hmac-sha1", fresh_emulator.access_key_id, "not-the-secret")
    key_pem = tls_material["server"].key_pem
    error = refused(lambda: client.upload_server_certificate(m.UploadServerCertificateRequest(
        region_id=REGION, server_certificate=tls_material["server"].cert_pem, private_key=key_pem,
        server_certificate_name="echo")))
    assert error.code == "SignatureDoesNotMatch" and error.data["statusCode"] == 400
    prefix = "Specified signature is not matched with our calculation. server string to sign is:"
    message = error.data["Message"]
    assert message.startswith(prefix + "POST&%2F&AccessKeyId%3D" + fresh_emulator.access_key_id + "%26Action%3D"
                              "UploadServerCertificate%26")
    key_line = key_pem.splitlines()[3]
    assert enc(enc(key_line)) in message and "PrivateKey%3D-----BEGIN%2520RSA%2520PRIVATE%2520KEY-----%250A" in message
    assert "SignatureMethod%3DHMAC-SHA1" in message and "Signature%3D" not in message
    assert "not-the-secret" not in message and fresh_emulator.access_key_secret not in message
    good = client_for(fresh_emulator, "rpc-hmac-sha1", fresh_emulator.access_key_id, fresh_emulator.access_key_secret)
    assert good.describe_server_certificates(m.DescribeServerCertificatesRequest(
        region_id=REGION)).body.server_certificates.server_certificate == []


def test_an_acs3_signature_mismatch_answers_the_bare_documented_text(fresh_emulator):
    client = client_for(fresh_emulator, "acs3", fresh_emulator.access_key_id, "not-the-secret")
    error = refused(lambda: describe_cas(client))
    assert error.code == "SignatureDoesNotMatch"
    assert error.data["Message"] == "Specified signature is not matched with our calculation."


# -- STS through the official SDK --------------------------------------------------------------------------

@schemes
def test_sts_credentials_with_their_token_work_in_the_roles_account(fresh_emulator, scheme, tls_material):
    key_id, secret, token = register_sts(fresh_emulator)
    permanent = fresh_emulator.sdk_client(SIGNATURE_SCHEMES[scheme])
    uploaded = permanent.upload_cacertificate(m.UploadCACertificateRequest(
        region_id=REGION, cacertificate=tls_material["client_ca"].cert_pem, cacertificate_name="sts-visible"))
    listed = describe_cas(client_for(fresh_emulator, scheme, key_id, secret, token))
    assert [c.cacertificate_id for c in listed.body.cacertificates.cacertificate] == [uploaded.body.cacertificate_id]
    assert fresh_emulator.calls()[-1]["code"] is None


@schemes
def test_an_sts_key_without_its_token_is_refused(fresh_emulator, scheme):
    key_id, secret, _token = register_sts(fresh_emulator)
    error = refused(lambda: describe_cas(client_for(fresh_emulator, scheme, key_id, secret)))
    assert (error.code, error.data["statusCode"]) == ("MissingSecurityToken", 400)
    assert error.data["Message"] == "SecurityToken is mandatory for this action."


@schemes
def test_a_token_that_is_no_token_is_malformed(fresh_emulator, scheme):
    key_id, secret, token = register_sts(fresh_emulator)
    error = refused(lambda: describe_cas(client_for(fresh_emulator, scheme, key_id, secret, token[:-5])))
    assert (error.code, error.data["statusCode"]) == ("InvalidSecurityToken.Malformed", 400)
    assert error.data["Message"] == "Specified SecurityToken is malformed."
    assert token[:-5] not in json.dumps(error.data)


@schemes
def test_the_token_of_other_sts_keys_does_not_match(fresh_emulator, scheme):
    key_id, secret, _token = register_sts(fresh_emulator)
    _other_id, _other_secret, other_token = register_sts(fresh_emulator)
    error = refused(lambda: describe_cas(client_for(fresh_emulator, scheme, key_id, secret, other_token)))
    assert (error.code, error.data["statusCode"]) == ("InvalidSecurityToken.MismatchWithAccessKey", 400)
    assert error.data["Message"] == "Specified SecurityToken mismatch with the AccessKey."


@schemes
def test_a_token_with_a_permanent_key_is_refused(fresh_emulator, scheme):
    _key_id, _secret, token = register_sts(fresh_emulator)
    client = client_for(fresh_emulator, scheme, fresh_emulator.access_key_id, fresh_emulator.access_key_secret, token)
    error = refused(lambda: describe_cas(client))
    assert error.code == "InvalidSecurityToken.MismatchWithAccessKey"


@schemes
def test_an_expired_token_is_refused(fresh_emulator, scheme):
    key_id, secret, token = register_sts(fresh_emulator, expires_in_seconds=-1)
    error = refused(lambda: describe_cas(client_for(fresh_emulator, scheme, key_id, secret, token)))
    assert (error.code, error.data["statusCode"]) == ("InvalidSecurityToken.Expired", 400)
    assert error.data["Message"] == "Specified SecurityToken is expired."


@schemes
def test_an_sts_key_with_the_wrong_secret_is_a_signature_error_first(fresh_emulator, scheme):
    key_id, _secret, token = register_sts(fresh_emulator)
    error = refused(lambda: describe_cas(client_for(fresh_emulator, scheme, key_id, "wrong", token)))
    assert error.code == "SignatureDoesNotMatch"


def test_refused_sts_calls_change_nothing(fresh_emulator, tls_material):
    key_id, secret, token = register_sts(fresh_emulator, expires_in_seconds=-1)
    client = client_for(fresh_emulator, "acs3", key_id, secret, token)
    refused(lambda: client.upload_cacertificate(m.UploadCACertificateRequest(
        region_id=REGION, cacertificate=tls_material["client_ca"].cert_pem, cacertificate_name="never")))
    assert describe_cas(fresh_emulator.sdk_client()).body.cacertificates.cacertificate == []


# -- the hook and the CLI option ---------------------------------------------------------------------------

def test_the_hook_lists_sts_keys_without_secret_or_token(fresh_emulator):
    key_id, secret, token = register_sts(fresh_emulator, expiration="2031-05-01T08:00:00Z")
    listed = fresh_emulator._hook("GET", "/_emulator/sts-credentials")["sts_credentials"]
    entry = next(c for c in listed if c["access_key_id"] == key_id)
    assert entry["expiration"] == "2031-05-01T08:00:00Z" and entry["account_id"]
    assert secret not in json.dumps(listed) and token not in json.dumps(listed)


@pytest.mark.parametrize("fields,complaint", [
    ({"access_key_id": "LTAIpermanent"}, "access_key_id must start with 'STS.'"),
    ({"security_token": ""}, "security_token is required"),
    ({"expiration": "tomorrow"}, "expiration must look like"),
    ({"account_access_key_id": "nobody"}, "account_access_key_id names no permanent access key"),
    ({"colour": "blue"}, "unknown STS credential fields: colour"),
])
def test_the_hook_refuses_bad_credentials_naming_the_field(fresh_emulator, fields, complaint):
    import urllib.error

    payload = {"access_key_id": "STS.ok", "access_key_secret": "s", "security_token": "t", **fields}
    with pytest.raises(urllib.error.HTTPError) as info:
        fresh_emulator._hook("POST", "/_emulator/sts-credentials", payload)
    assert info.value.code == 400
    assert complaint in json.loads(info.value.read())["error"]


def test_the_cli_option_loads_sts_credentials_from_a_file(tmp_path):
    credentials = tmp_path / "sts.json"
    token = "CAIS" + secrets.token_urlsafe(30)
    credentials.write_text(json.dumps({"sts_credentials": [{
        "access_key_id": "STS.fromfile", "access_key_secret": "file-secret", "security_token": token,
        "expiration": "2099-01-01T00:00:00Z", "account_access_key_id": "testAK"}]}))
    with start_emulator(tmp_path / "state", demo_backends=0,
                        extra_args=("--sts-credentials", str(credentials))) as emulator:
        assert emulator.ready["sts_access_key_ids"] == ["STS.fromfile"]
        describe_cas(client_for(emulator, "acs3", "STS.fromfile", "file-secret", token))
        error = refused(lambda: describe_cas(client_for(emulator, "acs3", "STS.fromfile", "file-secret")))
        assert error.code == "MissingSecurityToken"


def test_a_bad_sts_file_stops_the_start_naming_the_entry_and_field(tmp_path):
    credentials = tmp_path / "sts.json"
    credentials.write_text(json.dumps({"sts_credentials": [{"access_key_id": "STS.a", "access_key_secret": "s"}]}))
    result = subprocess.run([sys.executable, "-m", "clb_emulator.cli", "--state-dir", str(tmp_path / "state"),
                             "--sts-credentials", str(credentials)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and result.stdout == ""
    assert "--sts-credentials" in result.stderr and "entry 0: security_token is required" in result.stderr
    assert not (tmp_path / "state").exists()


def test_a_permanent_key_may_not_look_like_an_sts_key():
    with pytest.raises(ValueError, match="STS keys"):
        Authenticator([Account("1", "STS.looks-temporary", "secret")])
    with pytest.raises(SystemExit, match="STS keys"):
        cli.main(["--state-dir", "/nonexistent/never-created", "--access-key-id", "STS.x"])


# -- ACS3: the token header must be signed -----------------------------------------------------------------

def acs3_headers(access_key_id, secret, signed, token):
    """A GET / request signed the ACS3 way over the headers in `signed` (the SDK always signs the token)."""
    headers = {"host": "127.0.0.1", "x-acs-action": "DescribeCACertificates", "x-acs-version": "2014-05-15",
               "x-acs-date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "x-acs-signature-nonce": secrets.token_hex(8), "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
               "x-acs-security-token": token}
    names = sorted(signed)
    canonical = "\n".join(["GET", "/", "", "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names),
                           headers["x-acs-content-sha256"]])
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    signature = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={';'.join(names)},"
                                f"Signature={signature}")
    return headers


def test_an_unsigned_token_header_is_an_incomplete_signature():
    accounts = [Account("1", "AK", "secret")]
    auth = Authenticator(accounts, [sts_credential_from_dict(
        {"access_key_id": "STS.k", "access_key_secret": "sts-secret", "security_token": "tok"}, accounts)])
    base = ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"]
    with pytest.raises(ApiError) as info:
        auth.authenticate("GET", "/", {}, acs3_headers("STS.k", "sts-secret", base, "tok"), b"")
    assert info.value.code == "IncompleteSignature" and "x-acs-security-token" in info.value.message
    signed = auth.authenticate("GET", "/", {}, acs3_headers("STS.k", "sts-secret", base + ["x-acs-security-token"],
                                                            "tok"), b"")
    assert signed.account.account_id == "1" and signed.account.access_key_id == "STS.k"
