"""CertificateModuleRunner decisions with a scripted SLB: the AliCloudCertificateId path, an upload
whose first attempt went through before a 503, reuse of a certificate under another name (renamed
only with rename_existing, never one of the SSL Certificates Service), and a service whose
fingerprints are not the SHA-1 the module computes (warned about, found again by name, common name
and expiry)."""
from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificate_module import run_server_certificate
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy
from tests.unit.alicloud.certgen import fingerprint, key_pem, make_pki, pem


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
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)

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
    assert uploads[0]["AliCloudCertificateRegionId"] == "cn-hangzhou"
    assert "ServerCertificate" not in uploads[0] and "PrivateKey" not in uploads[0]


def test_ali_cloud_certificate_without_a_region_passes_none_which_the_client_leaves_out():
    slb = CertificateSlb()
    run(FakeModule(slb, name="cas", ali_cloud_certificate_id="12345", ali_cloud_certificate_name="www"))
    uploads = [params for action, params in slb.calls if action == "UploadServerCertificate"]
    assert len(uploads) == 1 and uploads[0]["AliCloudCertificateRegionId"] is None


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


def test_absent_refuses_a_fingerprint_with_other_characters_before_any_call():
    slb = CertificateSlb()
    result = run(FakeModule(slb, state="absent", fingerprint="zz" + "ab" * 20))
    assert result["failed"] and "is not a SHA-1 fingerprint: give 40 hex digits" in result["msg"]
    assert slb.calls == []


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


def test_rename_existing_is_one_listing_and_the_rename_call():
    pki = make_pki()
    slb = ReplyingSlb()
    slb.certificates.append({"ServerCertificateId": "sc-9", "ServerCertificateName": "old",
                             "Fingerprint": fingerprint(pki.server_cert), "ExpireTime": "2031-01-02T03:04:05Z"})
    result = run(FakeModule(slb, name="new", certificate=pki.server_pem, private_key=key_pem(pki.server_key),
                            rename_existing=True))
    assert [call[0] for call in slb.calls] == ["DescribeServerCertificates", "SetServerCertificateName"]
    assert result["changed"] and result["server_certificate_id"] == "sc-9" and result["name"] == "new"
    assert result["diff"]["before"]["name"] == "old" and result["diff"]["after"]["name"] == "new"
    assert slb.certificates[0]["ServerCertificateName"] == "new"
    assert result["name_differs"] is False and result["matched_by"] == "fingerprint"


def _listed(pki, name, **extra):
    return dict({"ServerCertificateId": "sc-9", "ServerCertificateName": name,
                 "Fingerprint": fingerprint(pki.server_cert), "IsAliCloudCertificate": 0}, **extra)


@pytest.mark.parametrize("check_mode", [False, True])
def test_certificate_under_another_name_is_reused_without_renaming_by_default(check_mode):
    pki = make_pki()
    slb = ReplyingSlb()
    slb.certificates.append(_listed(pki, "terraform-www"))
    module = FakeModule(slb, check_mode=check_mode, name="www", certificate=pki.server_pem,
                        private_key=key_pem(pki.server_key))
    result = run(module)
    assert [call[0] for call in slb.calls] == ["DescribeServerCertificates"]
    assert result["changed"] is False and result["server_certificate_id"] == "sc-9"
    assert result["name"] == "terraform-www" and result["name_differs"] is True
    assert result["diff"]["before"] == result["diff"]["after"]
    assert slb.certificates[0]["ServerCertificateName"] == "terraform-www"


def test_rename_existing_in_check_mode_reports_the_rename_without_calling_it():
    pki = make_pki()
    slb = ReplyingSlb()
    slb.certificates.append(_listed(pki, "old"))
    result = run(FakeModule(slb, check_mode=True, name="new", certificate=pki.server_pem,
                            private_key=key_pem(pki.server_key), rename_existing=True))
    assert result["changed"] and result["name"] == "new" and result["diff"]["before"]["name"] == "old"
    assert [call[0] for call in slb.calls] == ["DescribeServerCertificates"]


def test_a_certificate_of_the_ssl_certificates_service_is_never_renamed():
    pki = make_pki()
    slb = ReplyingSlb()
    slb.certificates.append(_listed(pki, "cas-managed", IsAliCloudCertificate=1, AliCloudCertificateId="777"))
    module = FakeModule(slb, name="www", certificate=pki.server_pem, private_key=key_pem(pki.server_key),
                        rename_existing=True)
    result = run(module)
    assert "SetServerCertificateName" not in [call[0] for call in slb.calls]
    assert result["changed"] is False and result["name"] == "cas-managed" and result["name_differs"] is True
    assert len(module.warnings) == 1 and "SSL Certificates Service" in module.warnings[0]
    assert "rename_existing" in module.warnings[0]


def test_own_name_is_preferred_among_certificates_with_the_same_fingerprint():
    pki = make_pki()
    slb = ReplyingSlb()
    slb.certificates.extend([_listed(pki, "someone-else"), _listed(pki, "www", ServerCertificateId="sc-10")])
    result = run(FakeModule(slb, name="www", certificate=pki.server_pem, private_key=key_pem(pki.server_key)))
    assert result["server_certificate_id"] == "sc-10" and result["name_differs"] is False


def sha256_fingerprint(cert):
    return ":".join("{0:02X}".format(b) for b in cert.fingerprint(hashes.SHA256()))


def sha1_of_pem(cert):
    return ":".join("{0:02x}".format(b) for b in hashlib.sha1(pem(cert).encode()).digest())


class FingerprintingSlb(CertificateSlb):
    """Stores uploads as SLB lists them (name, CommonName, ExpireTime, ExpireTimeStamp) and
    fingerprints them with `fingerprint_of(leaf)`, which may differ from the module's SHA-1."""

    def __init__(self, fingerprint_of, fingerprint_in_reply=True):
        super().__init__()
        self.fingerprint_of = fingerprint_of
        self.fingerprint_in_reply = fingerprint_in_reply

    def call(self, action, params=None, retry=True):
        self.calls.append((action, dict(params or {})))
        if action == "DescribeServerCertificates":
            wanted = (params or {}).get("ServerCertificateId")
            return {"ServerCertificates": {"ServerCertificate": [
                dict(item) for item in self.certificates if not wanted or item["ServerCertificateId"] == wanted]}}
        if action == "UploadServerCertificate":
            leaf = x509.load_pem_x509_certificate(params["ServerCertificate"].encode())
            not_after = leaf.not_valid_after_utc
            item = {"ServerCertificateId": "sc-%d" % (len(self.certificates) + 1),
                    "ServerCertificateName": params.get("ServerCertificateName"),
                    "Fingerprint": self.fingerprint_of(leaf),
                    "CommonName": leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value,
                    "ExpireTime": not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "ExpireTimeStamp": int(not_after.timestamp()) * 1000, "IsAliCloudCertificate": 0}
            self.certificates.append(item)
            reply = dict(item, RequestId="req-upload")
            if not self.fingerprint_in_reply:
                del reply["Fingerprint"]
            return reply
        raise AssertionError(action)


def _present(slb, pki, **params):
    module = FakeModule(slb, **dict({"name": "www", "certificate": pki.server_pem,
                                     "private_key": key_pem(pki.server_key)}, **params))
    return dict(run(module), warnings=module.warnings)


def test_upload_with_the_expected_fingerprint_warns_nothing():
    pki = make_pki()
    result = _present(FingerprintingSlb(fingerprint), pki)
    assert result["changed"] and result["warnings"] == []
    assert result["matched_by"] is None and result["name_differs"] is False


@pytest.mark.parametrize("fingerprint_in_reply", [True, False])
def test_another_fingerprint_format_is_warned_about_and_found_again_by_name_common_name_and_expiry(
        fingerprint_in_reply):
    pki = make_pki()
    slb = FingerprintingSlb(sha256_fingerprint, fingerprint_in_reply=fingerprint_in_reply)
    first = _present(slb, pki)
    first_warnings = first["warnings"]
    service_value = sha256_fingerprint(pki.server_cert)
    assert first["changed"] and first["fingerprint"] == service_value.lower()
    assert len(first_warnings) == 1
    assert service_value in first_warnings[0] and fingerprint(pki.server_cert) in first_warnings[0]
    assert "report" in first_warnings[0] and "name, common name and expiry" in first_warnings[0]
    # Without the fingerprint in the reply, the new ID is read back to learn the service's value.
    expected_first_calls = ["DescribeServerCertificates", "UploadServerCertificate"]
    if not fingerprint_in_reply:
        expected_first_calls.append("DescribeServerCertificates")
    assert [call[0] for call in slb.calls] == expected_first_calls

    for check_mode in (True, False):
        again = FakeModule(slb, check_mode=check_mode, name="www", certificate=pki.server_pem,
                           private_key=key_pem(pki.server_key))
        result = run(again)
        assert result["changed"] is False and result["server_certificate_id"] == first["server_certificate_id"]
        assert result["matched_by"] == "name_common_name_expire_time"
        assert len(again.warnings) == 1 and service_value in again.warnings[0]
    assert [call[0] for call in slb.calls].count("UploadServerCertificate") == 1


def test_without_a_name_the_mismatch_warning_asks_for_one():
    pki = make_pki()
    result = _present(FingerprintingSlb(sha256_fingerprint), pki, name=None)
    assert result["changed"] and len(result["warnings"]) == 1 and "Set name" in result["warnings"][0]


def test_fallback_needs_the_same_name_common_name_and_expiry():
    pki = make_pki()
    slb = FingerprintingSlb(sha256_fingerprint)
    _present(slb, pki, name="www")
    other_name = _present(slb, pki, name="www-2")
    assert other_name["changed"] and other_name["matched_by"] is None
    slb.certificates[0]["ExpireTimeStamp"] += 1000
    slb.certificates[1]["CommonName"] = "other.example.test"
    third = _present(slb, pki, name="www")
    fourth = _present(slb, pki, name="www-2")
    assert third["changed"] and fourth["changed"]
    assert [call[0] for call in slb.calls].count("UploadServerCertificate") == 4


def test_a_different_sha1_value_is_another_certificate_so_it_is_uploaded_and_warned_about():
    """A 40-digit fingerprint that is not ours cannot be told apart from a re-keyed certificate
    (same name, common name and expiry), so the module uploads rather than reuse the wrong key."""
    pki = make_pki()
    slb = FingerprintingSlb(sha1_of_pem)
    first = _present(slb, pki)
    assert first["changed"] and len(first["warnings"]) == 1
    assert sha1_of_pem(pki.server_cert) in first["warnings"][0] and "uploads it again" in first["warnings"][0]
    second = _present(slb, pki)
    assert second["changed"] and second["server_certificate_id"] != first["server_certificate_id"]


def _re_keyed(pki, key):
    """The server certificate again with another key: same subject, issuer and validity."""
    original = pki.server_cert
    return (x509.CertificateBuilder().subject_name(original.subject).issuer_name(original.issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(original.not_valid_before_utc).not_valid_after(original.not_valid_after_utc)
            .sign(pki.ca_key, hashes.SHA256()))


def test_a_re_keyed_certificate_with_the_same_name_common_name_and_expiry_is_uploaded():
    pki = make_pki()
    slb = FingerprintingSlb(fingerprint)
    first = _present(slb, pki)
    re_keyed = _re_keyed(pki, pki.other_key)
    second = _present(slb, pki, certificate=pem(re_keyed), private_key=key_pem(pki.other_key))
    assert second["changed"] and second["server_certificate_id"] != first["server_certificate_id"]
    assert second["fingerprint"] == fingerprint(re_keyed) and second["warnings"] == []
    assert [item["ExpireTime"] for item in slb.certificates] == [first["expire_time"]] * 2


def test_lost_upload_reply_is_found_again_by_the_fallback_identity():
    pki = make_pki()
    slb = FingerprintingSlb(sha256_fingerprint)
    original = slb.call
    lost = []

    def call_losing_the_first_reply(action, params=None, retry=True):
        reply = original(action, params, retry)
        if action == "UploadServerCertificate" and not lost:
            lost.append(reply)
            raise AlicloudApiError(action, "ServiceUnavailable", "lost reply", status_code=503)
        return reply

    slb.call = call_losing_the_first_reply
    result = _present(slb, pki)
    assert result["changed"] and result["server_certificate_id"] == "sc-1"
    assert len(slb.certificates) == 1


class ListingFailsAfterUploadSlb(CertificateSlb):
    """The upload goes through; the listing that reads its fingerprint afterwards is refused."""

    def call(self, action, params=None, retry=True):
        if action == "DescribeServerCertificates" and self.certificates:
            self.calls.append((action, dict(params or {})))
            raise AlicloudApiError(action, "Forbidden.RAM", "not allowed to list", status_code=403)
        return super().call(action, params, retry)


def test_a_failure_after_the_upload_went_through_reports_the_upload_as_changed():
    pki = make_pki()
    slb = ListingFailsAfterUploadSlb()
    result = run(FakeModule(slb, name="srv", certificate=pki.server_pem, private_key=key_pem(pki.server_key)))
    assert result["failed"] and result["changed"] is True
    assert result["server_certificate_id"] == "sc-1"
    assert "uploaded as sc-1 before this failure and stays" in result["note"]
