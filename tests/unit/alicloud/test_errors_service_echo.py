"""The service's echo of the request never reaches a message; STS refusals say which variable to fix.

The real gateway answers V1 (HMAC-SHA1) signature errors with "server string to sign is:" and the
whole canonical query, PrivateKey of an UploadServerCertificate included, percent-encoded twice
(AxiosLeo/aliyun-sdk#2, NewFuture/DDNS#57). The shapes below are those answers with fake key bytes.
"""
from __future__ import annotations

from urllib.parse import quote, unquote

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException

from ansible_collections.mtls.clb.plugins.module_utils.alicloud import client as client_mod
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import (
    REQUEST_ECHO_NOTE,
    SECURITY_TOKEN_CODES,
    SECURITY_TOKEN_ENV_TEXT,
    AlicloudApiError,
    from_sdk_exception,
    scrub_service_text,
)

FAKE_KEY_LINES = ("MIIEFAKEKEYBYTESqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDfakefake",
                  "ZZFAKEKEYBYTESsecondline+with/slashes=andplus0123456789abcd")
FAKE_KEY = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(FAKE_KEY_LINES) + "\n-----END RSA PRIVATE KEY-----\n"
FAKE_CERT = "-----BEGIN CERTIFICATE-----\nMIIDFAKECERT\n-----END CERTIFICATE-----\n"
INCOMPLETE = "The request signature does not conform to Aliyun standards."
NOT_MATCHED = "Specified signature is not matched with our calculation."


def enc(value):
    return quote(value, safe="~")


def v1_string_to_sign(params):
    """The V1 string to sign as the gateway quotes it: every value encoded, then the whole query again."""
    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
    return f"POST&{enc('/')}&{enc(canonical)}"


UPLOAD_PARAMS = {"AccessKeyId": "LTAIfake", "Action": "UploadServerCertificate", "Format": "JSON",
                 "PrivateKey": FAKE_KEY, "RegionId": "cn-hangzhou", "ServerCertificate": FAKE_CERT,
                 "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "n-1", "SignatureVersion": "1.0",
                 "Timestamp": "2026-11-29T01:00:00Z", "Version": "2014-05-15"}


def sdk_client_error(code, message, request_id="RID-ECHO", **fields):
    """Raised the way alibabacloud_tea_openapi 0.4.6 raises a 4xx: data is the whole answer."""
    body = {"Code": code, "Message": message, "RequestId": request_id, "HostId": "slb.aliyuncs.com",
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=Slb", **fields}
    return ClientException(status_code=400, code=code, message=f"code: 400, {message} request id: {request_id}",
                           data=body, request_id=request_id, description=str(fields.get("Description")),
                           detail=str(fields.get("Detail")))


def every_shown_text(error):
    """Everything a module can show of the error: msg, the result fields, str()."""
    return "\n".join([error.describe(), str(error), error.summary(), repr(error.as_result()), error.message])


def assert_no_key(text):
    decoded = unquote(unquote(text)).replace("+", " ")
    for line in FAKE_KEY_LINES:
        assert line[:24] not in decoded, line
    assert "PRIVATE KEY-----" not in decoded and "BEGIN" not in decoded


@pytest.mark.parametrize("code,prefix", [("IncompleteSignature", INCOMPLETE), ("SignatureDoesNotMatch", NOT_MATCHED)])
def test_the_gateways_string_to_sign_of_an_upload_is_cut_from_every_shown_text(code, prefix):
    message = prefix + " server string to sign is:" + v1_string_to_sign(UPLOAD_PARAMS)
    assert enc(enc(FAKE_KEY_LINES[0])) in message  # the shape of the public answers: the key twice encoded
    error = from_sdk_exception("UploadServerCertificate", sdk_client_error(code, message))
    shown = every_shown_text(error)
    assert_no_key(shown)
    assert error.message == prefix + " " + REQUEST_ECHO_NOTE
    assert error.code == code and error.request_id == "RID-ECHO" and error.status_code == 400
    assert error.describe().startswith(f"UploadServerCertificate failed: {code}: {prefix} [the rest")
    assert "access_key_secret" in error.hint()


@pytest.mark.parametrize("marker", [
    "server string to sign is:", "Server String To Sign Is: ", "SERVER STRING TO SIGN IS:", "string to sign:",
    "server%20string%20to%20sign%20is%3A", "server%2520string%2520to%2520sign%2520is", "server+string+to+sign+is:",
    "StringToSign: ", "<StringToSign>", "string_to_sign=", "The canonical request was: ", "CanonicalRequest:",
    "canonical%20request%3A", "The Canonical String for this request should have been\n'",
])
def test_every_spelling_of_the_echo_is_cut(marker):
    text = scrub_service_text(NOT_MATCHED + " " + marker + "POST&%2F&PrivateKey%3DMIIEFAKEKEYBYTES%26")
    assert "MIIEFAKEKEYBYTES" not in text and "POST&" not in text
    assert text.startswith(NOT_MATCHED) and text.endswith(" " + REQUEST_ECHO_NOTE)


def test_a_message_that_is_only_the_echo_becomes_the_note():
    assert scrub_service_text("string to sign is:POST&%2F&x") == REQUEST_ECHO_NOTE


@pytest.mark.parametrize("encode", [
    lambda key: key,
    enc,
    lambda key: enc(enc(key)),
    lambda key: key.replace(" ", "+").replace("\n", "%0A"),
    lambda key: key.replace("-", "%2D").replace(" ", "%20"),
], ids=["plain", "encoded-once", "encoded-twice", "form-encoded", "dashes-encoded"])
@pytest.mark.parametrize("label", ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])
def test_a_private_key_in_service_text_is_removed_without_an_echo_marker(encode, label):
    key = FAKE_KEY.replace("RSA PRIVATE KEY", label)
    text = scrub_service_text("The specified parameter is not valid: " + encode(key) + " (see the docs)")
    assert_no_key(text)
    assert text.startswith("The specified parameter is not valid: [private key removed]")
    assert text.endswith(" (see the docs)") and len(text) < 80


def test_a_key_cut_off_by_the_service_is_removed_to_the_end():
    text = scrub_service_text("KeyFormatError: -----BEGIN%2520RSA%2520PRIVATE%2520KEY-----%250A" + FAKE_KEY_LINES[0])
    assert_no_key(text)
    assert text == "KeyFormatError: [private key removed]"


def test_a_key_whose_begin_line_was_cut_off_is_removed_from_the_start():
    text = scrub_service_text(FAKE_KEY_LINES[1] + "\n-----END RSA PRIVATE KEY----- was refused")
    assert_no_key(text)
    assert text == "[private key removed] was refused"


def test_secret_parameters_quoted_as_name_value_lose_their_value():
    text = scrub_service_text("Bad PrivateKey=MIIEFAKEKEYBYTES%2Bx&RegionId=cn-hangzhou and "
                              "SecurityToken%3DCAIStokenFAKE%26Format%3DJSON")
    assert "MIIEFAKEKEYBYTES" not in text and "CAIStokenFAKE" not in text
    assert "PrivateKey=[removed]&RegionId=cn-hangzhou" in text and "SecurityToken%3D[removed]%26Format" in text


@pytest.mark.parametrize("message", [
    "Specified signature is not matched with our calculation.",
    'The input parameter "PrivateKey" that is mandatory for processing this request is not supplied.',
    "The specified ServerCertificate is incorrectly formatted.",
    "Certificate and key does not match.",
    "Specified SecurityToken is expired.",
    "The request signature does not conform to Aliyun standards.",
    "The specified RegionId does not exist.",
])
def test_ordinary_service_messages_are_left_alone(message):
    assert scrub_service_text(message) == message


def test_scrubbing_twice_changes_nothing_so_copies_of_an_error_stay_readable():
    first = AlicloudApiError("UploadServerCertificate", "IncompleteSignature",
                             INCOMPLETE + " server string to sign is:" + v1_string_to_sign(UPLOAD_PARAMS))
    # listeners.py re-creates errors from another error's fields; the construction scrubs again.
    copy = AlicloudApiError(first.action, first.code, first.message, request_id=first.request_id)
    assert copy.message == first.message == INCOMPLETE + " " + REQUEST_ECHO_NOTE


def test_the_fallback_to_the_sdk_message_is_scrubbed_too():
    message = NOT_MATCHED + " server string to sign is:" + v1_string_to_sign(UPLOAD_PARAMS)
    exc = ClientException(status_code=400, code="SignatureDoesNotMatch",
                          message=f"code: 400, {message} request id: RID-2", data={"statusCode": 400},
                          request_id="RID-2")
    error = from_sdk_exception("UploadServerCertificate", exc)
    assert_no_key(every_shown_text(error))
    assert error.message == NOT_MATCHED + " " + REQUEST_ECHO_NOTE


def test_the_answers_other_fields_are_never_shown():
    """data, description, detail and the raw body may hold the same echo: none of them is rendered."""
    echo = "server string to sign is:" + v1_string_to_sign(UPLOAD_PARAMS)
    exc = sdk_client_error("SignatureDoesNotMatch", NOT_MATCHED, Description=echo, Detail=echo,
                           AccessDeniedDetail={"echo": echo}, StringToSign=echo)
    error = from_sdk_exception("UploadServerCertificate", exc)
    assert_no_key(every_shown_text(error))
    assert set(error.as_result()) == {"api_action", "code", "error_message", "request_id", "status_code"}
    assert error.message == NOT_MATCHED


@pytest.mark.parametrize("code", sorted(SECURITY_TOKEN_CODES))
def test_sts_refusals_name_the_token_variables_and_never_the_token(code):
    texts = {"InvalidSecurityToken.Expired": "Specified SecurityToken is expired.",
             "InvalidSecurityToken.Malformed": "Specified SecurityToken is malformed.",
             "InvalidSecurityToken.MismatchWithAccessKey": "Specified SecurityToken mismatch with the AccessKey.",
             "MissingSecurityToken": "SecurityToken is mandatory for this action."}
    error = from_sdk_exception("DescribeServerCertificates", sdk_client_error(code, texts[code]))
    text = error.describe()
    assert text.startswith(f"DescribeServerCertificates failed: {code}: {texts[code]} (request id RID-ECHO). ")
    assert "security_token" in text and "ALIBABA_CLOUD_SECURITY_TOKEN" in text and "ALICLOUD_SECURITY_TOKEN" in text
    assert not error.retryable


def test_the_token_variables_in_the_hints_are_the_ones_the_modules_read():
    assert SECURITY_TOKEN_ENV_TEXT == " / ".join(client_mod.SECURITY_TOKEN_ENV)


class _EchoingSdk:
    """An SLB SDK client whose only call fails with `error`."""

    def __init__(self, error):
        self.error = error

    def upload_server_certificate_with_options(self, request, runtime):
        raise self.error


@pytest.mark.parametrize("message", [
    {"Detail": "server string to sign is:" + v1_string_to_sign(UPLOAD_PARAMS)},   # an object, not a string
    ["server string to sign is:" + v1_string_to_sign(UPLOAD_PARAMS)],            # a list
    12345,                                                                        # a number (no echo at all)
], ids=["object", "list", "number"])
def test_a_service_message_that_is_not_a_string_fails_the_call_without_showing_the_answer(message):
    """A gateway that answers Message as JSON other than a string must not crash the translation: a crash there
    is raised while the SDK exception is handled, so its traceback (shown as module_stderr, at any verbosity)
    quotes that exception, whose text is the whole unscrubbed answer."""
    import traceback

    from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy

    leaky = sdk_client_error("SignatureDoesNotMatch", message)
    api = client_mod.SlbApi(_EchoingSdk(leaky), "cn-hangzhou", RetryPolicy(max_attempts=1))
    with pytest.raises(Exception) as raised:
        api.call("UploadServerCertificate", {"ServerCertificate": FAKE_CERT, "PrivateKey": FAKE_KEY})
    shown = "".join(traceback.format_exception(type(raised.value), raised.value, raised.value.__traceback__))
    decoded = unquote(unquote(shown))
    assert isinstance(raised.value, AlicloudApiError), shown
    assert raised.value.code == "SignatureDoesNotMatch" and raised.value.request_id == "RID-ECHO"
    assert not any(line[:24] in decoded for line in FAKE_KEY_LINES), shown
    assert "PRIVATE KEY" not in decoded
    assert "credentials" not in raised.value.describe() or "access_key_secret" in raised.value.describe()


def test_a_translation_that_fails_still_raises_an_error_without_the_sdk_exception(monkeypatch):
    """Whatever the SDK raises next, a bug in the translation must not put that exception into a traceback."""
    import traceback

    from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy

    def broken(*_args, **_kwargs):
        raise KeyError("translation bug")

    monkeypatch.setattr(client_mod, "from_sdk_exception", broken)
    leaky = sdk_client_error("SignatureDoesNotMatch", "server string to sign is:" + v1_string_to_sign(UPLOAD_PARAMS))
    api = client_mod.SlbApi(_EchoingSdk(leaky), "cn-hangzhou", RetryPolicy(max_attempts=1))
    with pytest.raises(AlicloudApiError) as raised:
        api.call("UploadServerCertificate", {"ServerCertificate": FAKE_CERT, "PrivateKey": FAKE_KEY})
    error = raised.value
    shown = unquote(unquote("".join(traceback.format_exception(type(error), error, error.__traceback__))))
    assert "ClientException" in raised.value.message and "PRIVATE KEY" not in shown
    assert not any(line[:24] in shown for line in FAKE_KEY_LINES)
