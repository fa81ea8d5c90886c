"""STS credentials from the environment, through the real modules, against an emulator that checks them.

The emulator holds temporary credentials (an `STS.` key, its secret, a token that expires) and
refuses a request without the token, with a token that is not one, with another key's token, with
a token on a permanent key, and with an expired token. Each refusal must name the variables to fix,
show no secret and no token, and change nothing.
"""
from __future__ import annotations

import secrets

import pytest

from clb_helpers import mutating
from tests.support.ansible_run import run_module

CA = "mtls.clb.ca_certificate"
INFO = "mtls.clb.certificate_info"


def register_sts(emu, **fields) -> dict:
    credential = {"access_key_id": "STS.NTest" + secrets.token_hex(6), "access_key_secret": "STSSECRET-" +
                  secrets.token_urlsafe(18), "security_token": "CAIStoken-" + secrets.token_urlsafe(60), **fields}
    emu._hook("POST", "/_emulator/sts-credentials", credential)
    return credential


def connection(emu) -> dict:
    """Only where to go; the credentials come from the environment, as a RAM role's would."""
    return {"endpoint": emu.api_url, "region": emu.region}


def sts_env(key_id, secret, token=None) -> dict:
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": key_id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret}
    if token is not None:
        env["ALIBABA_CLOUD_SECURITY_TOKEN"] = token
    return env


def test_sts_credentials_in_the_environment_upload_and_read(emu, pki):
    sts = register_sts(emu)
    env = sts_env(sts["access_key_id"], sts["access_key_secret"], sts["security_token"])
    uploaded = run_module(CA, {**connection(emu), "name": "sts-ca", "certificate": pki.ca_pem}, env=env)
    assert uploaded["failed"] is False and uploaded["changed"] is True, uploaded.get("msg")
    listed = run_module(INFO, {**connection(emu), "certificate_type": "ca"}, env=env)
    assert [c["name"] for c in listed["ca_certificates"]] == ["sts-ca"]
    assert [c["code"] for c in emu.calls()] == [None] * len(emu.calls())
    for secret in (sts["access_key_secret"], sts["security_token"]):
        assert secret not in uploaded["_stdout"] + uploaded["_stderr"] + listed["_stdout"] + listed["_stderr"]


def _missing_token(emu):
    sts = register_sts(emu)
    return sts, sts_env(sts["access_key_id"], sts["access_key_secret"])


def _malformed_token(emu):
    sts = register_sts(emu)
    return sts, sts_env(sts["access_key_id"], sts["access_key_secret"], sts["security_token"][:-12])


def _token_of_another_key(emu):
    sts, other = register_sts(emu), register_sts(emu)
    env = sts_env(sts["access_key_id"], sts["access_key_secret"], other["security_token"])
    return {**sts, "other token": other["security_token"]}, env


def _token_with_a_permanent_key(emu):
    sts = register_sts(emu)
    return sts, sts_env(emu.access_key_id, emu.access_key_secret, sts["security_token"])


def _expired_token(emu):
    sts = register_sts(emu, expires_in_seconds=-30)
    return sts, sts_env(sts["access_key_id"], sts["access_key_secret"], sts["security_token"])


REFUSALS = [
    (_missing_token, "MissingSecurityToken", "SecurityToken is mandatory for this action.",
     "access_key_id is an STS key (it starts with STS.) and needs the security token"),
    (_malformed_token, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.",
     "is not a valid STS token: copy it whole"),
    (_token_of_another_key, "InvalidSecurityToken.MismatchWithAccessKey",
     "Specified SecurityToken mismatch with the AccessKey.", "does not belong to access_key_id"),
    (_token_with_a_permanent_key, "InvalidSecurityToken.MismatchWithAccessKey",
     "Specified SecurityToken mismatch with the AccessKey.", "a permanent access key takes no security_token"),
    (_expired_token, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.",
     "The STS token has expired: get a new STS key and token"),
]


@pytest.mark.parametrize("make,code,service_text,advice", REFUSALS, ids=[r[0].__name__.strip("_") for r in REFUSALS])
def test_each_sts_refusal_names_the_variables_shows_no_secret_and_changes_nothing(
        emu, pki, make, code, service_text, advice):
    sts, env = make(emu)
    result = run_module(CA, {**connection(emu), "name": "never", "certificate": pki.ca_pem}, env=env,
                        verbosity=4 if code == "InvalidSecurityToken.Expired" else 0)
    assert result["failed"] and result["code"] == code
    assert result["msg"].startswith(f"DescribeCACertificates failed: {code}: {service_text} (request id ")
    assert advice in result["msg"]
    for variable in ("security_token", "ALIBABA_CLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN"):
        assert variable in result["msg"]
    output = result["_stdout"] + result["_stderr"]
    if code == "InvalidSecurityToken.Expired":
        assert "<localhost> EXEC" in output  # really -vvvv
    for label in ("access_key_secret", "security_token", "other token"):
        if label in sts:
            assert sts[label] not in output, label
    assert emu.access_key_secret not in output
    assert mutating(emu) == []
    assert [(c["action"], c["code"]) for c in emu.calls()] == [("DescribeCACertificates", code)]  # not retried
