"""CertificateModuleRunner decisions with a scripted SLB: the AliCloudCertificateId path (the
emulator does not serve it) and an upload whose first attempt went through before a 503."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificate_module import run_server_certificate
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy
from tests.unit.alicloud.certgen import fingerprint, key_pem, make_pki


class Exited(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


class FakeModule:
    def __init__(self, slb, check_mode=False, **params):
        defaults = {"name": None, "certificate": None, "certificate_path": None, "private_key": None,
                    "private_key_path": None, "private_key_passphrase": None, "ali_cloud_certificate_id": None,
                    "ali_cloud_certificate_name": None, "ali_cloud_certificate_region_id": None,
                    "server_certificate_id": None, "fingerprint": None, "state": "present"}
        defaults.update(params)
        self.params = defaults
        self.check_mode = check_mode
        self.slb = slb

    def exit_json(self, **result):
        raise Exited(result)

    def fail_json(self, **result):
        raise Exited(dict(result, failed=True))

    def fail_api_error(self, error, **result):
        raise Exited(dict(result, failed=True, msg=error.describe()))


class CertificateSlb:
    """Holds server certificates; UploadServerCertificate can fail after storing (like a lost reply)."""
    region = "cn-hangzhou"

    def __init__(self, fail_after_store=0):
        self.certificates = []
        self.calls = []
        self.fail_after_store = fail_after_store
        self.retry_policy = RetryPolicy(sleep=lambda s: None)

    def call(self, action, params=None, retry=True):
        self.calls.append((action, dict(params or {})))
        if action == "DescribeServerCertificates":
            return {"ServerCertificates": {"ServerCertificate": list(self.certificates)}}
        if action == "UploadServerCertificate":
            item = {"ServerCertificateId": "sc-%d" % (len(self.certificates) + 1),
                    "ServerCertificateName": params.get("ServerCertificateName"),
                    "Fingerprint": params.get("_fingerprint", ""),
                    "AliCloudCertificateId": params.get("AliCloudCertificateId", "")}
            self.certificates.append(item)
            if self.fail_after_store:
                self.fail_after_store -= 1
                raise AlicloudApiError(action, "ServiceUnavailable", "lost reply", status_code=503)
            return item
        raise AssertionError(action)


def run(module):
    with pytest.raises(Exited) as done:
        run_server_certificate(module)
    return done.value.result


def test_ali_cloud_certificate_is_registered_once_without_pem():
    slb = CertificateSlb()
    first = run(FakeModule(slb, name="cas", ali_cloud_certificate_id="12345", ali_cloud_certificate_region_id="cn-hangzhou"))
    second = run(FakeModule(slb, name="cas", ali_cloud_certificate_id="12345"))
    uploads = [params for action, params in slb.calls if action == "UploadServerCertificate"]
    assert first["changed"] and second["changed"] is False
    assert first["server_certificate_id"] == second["server_certificate_id"] == "sc-1"
    assert len(uploads) == 1 and uploads[0]["AliCloudCertificateId"] == "12345"
    assert "ServerCertificate" not in uploads[0] and "PrivateKey" not in uploads[0]


def test_upload_that_went_through_before_a_503_is_not_repeated(monkeypatch):
    pki = make_pki()
    slb = CertificateSlb(fail_after_store=1)
    original = slb.call

    def call_with_fingerprint(action, params=None, retry=True):
        # The scripted service computes no fingerprints; hand it the one SLB would compute.
        if action == "UploadServerCertificate":
            params = dict(params, _fingerprint=fingerprint(pki.server_cert).upper())
        return original(action, params, retry)

    monkeypatch.setattr(slb, "call", call_with_fingerprint)
    result = run(FakeModule(slb, name="srv", certificate=pki.server_pem, private_key=key_pem(pki.server_key, "pkcs8")))
    assert result["changed"] and result["server_certificate_id"] == "sc-1"
    assert [call[0] for call in slb.calls].count("UploadServerCertificate") == 1
    assert len(slb.certificates) == 1


def test_check_mode_plans_the_upload_without_calling_it():
    pki = make_pki()
    slb = CertificateSlb()
    result = run(FakeModule(slb, check_mode=True, name="srv", certificate=pki.server_pem,
                            private_key=key_pem(pki.server_key)))
    assert result["changed"] and result["server_certificate_id"] is None
    assert result["fingerprint"] == fingerprint(pki.server_cert)
    assert [call[0] for call in slb.calls] == ["DescribeServerCertificates"]


def test_absent_needs_something_to_identify_the_certificate():
    result = run(FakeModule(CertificateSlb(), state="absent"))
    assert result["failed"] and "server_certificate_id, name, fingerprint" in result["msg"]


class ReplyingSlb(CertificateSlb):
    """Answers uploads with the stored record as SLB does (ID, name, fingerprint, expiry) and renames."""

    def __init__(self, reply_extra=None, reply_without=()):
        super().__init__()
        self.reply_extra = reply_extra or {}
        self.reply_without = reply_without

    def call(self, action, params=None, retry=True):
        if action == "SetServerCertificateName":
            self.calls.append((action, dict(params)))
            for item in self.certificates:
                if item["ServerCertificateId"] == params["ServerCertificateId"]:
                    item["ServerCertificateName"] = params["ServerCertificateName"]
            return {"RequestId": "req-rename"}
        reply = super().call(action, params, retry)
        if action == "UploadServerCertificate":
            reply = dict(reply, RequestId="req-upload", **self.reply_extra)
            for key in self.reply_without:
                reply.pop(key, None)
        return reply


def test_upload_result_comes_from_the_reply_without_listing_again():
    pki = make_pki()
    slb = ReplyingSlb(reply_extra={"Fingerprint": fingerprint(pki.server_cert).upper(),
                                   "ExpireTime": "2031-01-02T03:04:05Z", "CommonName": "from-the-reply"})
    result = run(FakeModule(slb, name="srv", certificate=pki.server_pem, private_key=key_pem(pki.server_key)))
    assert [call[0] for call in slb.calls] == ["DescribeServerCertificates", "UploadServerCertificate"]
    assert result["changed"] and result["server_certificate_id"] == "sc-1" and result["name"] == "srv"
    assert result["fingerprint"] == fingerprint(pki.server_cert)
    # Values only the reply has show that the reply, not the local parse, is the result.
    assert result["expire_time"] == "2031-01-02T03:04:05Z" and result["common_name"] == "from-the-reply"
    assert "request_id" not in result["certificate_info"]
    assert result["diff"]["after"]["id"] == "sc-1"


def test_upload_reply_without_fingerprint_or_name_is_completed_from_what_was_sent():
    pki = make_pki()
    slb = ReplyingSlb(reply_without=("Fingerprint", "ServerCertificateName"))
    result = run(FakeModule(slb, name="srv", certificate=pki.server_pem, private_key=key_pem(pki.server_key)))
    assert result["server_certificate_id"] == "sc-1" and result["name"] == "srv"
    assert result["fingerprint"] == fingerprint(pki.server_cert)
    assert result["common_name"] == "www.example.test"


def test_rename_is_one_listing_and_the_rename_call():
    pki = make_pki()
    slb = ReplyingSlb()
    slb.certificates.append({"ServerCertificateId": "sc-9", "ServerCertificateName": "old",
                             "Fingerprint": fingerprint(pki.server_cert), "ExpireTime": "2031-01-02T03:04:05Z"})
    result = run(FakeModule(slb, name="new", certificate=pki.server_pem, private_key=key_pem(pki.server_key)))
    assert [call[0] for call in slb.calls] == ["DescribeServerCertificates", "SetServerCertificateName"]
    assert result["changed"] and result["server_certificate_id"] == "sc-9" and result["name"] == "new"
    assert result["diff"]["before"]["name"] == "old" and result["diff"]["after"]["name"] == "new"
    assert slb.certificates[0]["ServerCertificateName"] == "new"
