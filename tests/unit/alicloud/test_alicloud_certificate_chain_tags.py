"""The chain tag of server_certificate / ca_certificate with a scripted SLB that keeps tags as the real one
lists them: every upload from PEM is tagged with the SHA-256 of the whole chain, an upload of the same
leaf tagged with another chain is stale (uploaded anew and named as replaced, never deleted), an untagged
one matches as before, and a lost upload reply never mistakes the stale upload for the new one."""
from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificate_material import (
    chain_sha256,
    load_certificate_chain,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificate_module import (
    run_ca_certificate,
    run_server_certificate,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificates import (
    CHAIN_LENGTH_TAG,
    CHAIN_SHA256_TAG,
    listed_chain_length,
    listed_chain_sha256,
    split_by_chain,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy
from tests.unit.alicloud.certgen import fingerprint, key_pem, make_certificate, make_pki, pem, rsa_key
from tests.unit.alicloud.test_alicloud_certificate_module import (
    CertificateSlb,
    Exited,
    FakeModule,
    FingerprintingSlb,
    _present,
    sha256_fingerprint,
)

WIRE = {
    "server": ("DescribeServerCertificates", "UploadServerCertificate", "ServerCertificates", "ServerCertificate",
               "ServerCertificateId", "ServerCertificateName", "ServerCertificate"),
    "ca": ("DescribeCACertificates", "UploadCACertificate", "CACertificates", "CACertificate",
           "CACertificateId", "CACertificateName", "CACertificate"),
}


class TaggingSlb:
    """One kind of certificate: uploads are stored with their tags and the leaf's SHA-1 fingerprint, listed
    as Describe* lists them; `lose_replies` upload replies are lost after the upload was stored."""
    region = "cn-hangzhou"

    def __init__(self, kind="server", lose_replies=0):
        (self.describe, self.upload, self.outer, self.inner, self.id_field, self.name_field,
         self.pem_field) = WIRE[kind]
        self.certificates = []
        self.calls = []
        self.lose_replies = lose_replies
        self.retry_policy = RetryPolicy(sleep=lambda seconds: None)

    def add(self, chain_pem, name="www", tags=None):
        """An upload made earlier (by this collection when tags are given, else by another tool)."""
        item = {self.id_field: "cert-%d" % (len(self.certificates) + 1), self.name_field: name,
                "Fingerprint": fingerprint(load_certificate_chain(chain_pem, "x")[0]),
                "Tags": {"Tag": [{"TagKey": key, "TagValue": value} for key, value in (tags or {}).items()]}}
        self.certificates.append(item)
        return item[self.id_field]

    def call(self, action, params=None, retry=True):
        params = dict(params or {})
        self.calls.append((action, params))
        if action == self.describe:
            return {self.outer: {self.inner: [dict(item) for item in self.certificates]}}
        if action == self.upload:
            certificate_id = self.add(params[self.pem_field], params.get(self.name_field),
                                      dict((tag["Key"], tag["Value"]) for tag in params.get("Tag") or []))
            if self.lose_replies:
                self.lose_replies -= 1
                raise AlicloudApiError(action, "ServiceUnavailable", "lost reply", status_code=503)
            reply = dict(self.certificates[-1])
            del reply["Tags"]  # Upload* replies carry no tags
            assert reply[self.id_field] == certificate_id
            return reply
        if action == "DeleteServerCertificate":
            self.certificates = [item for item in self.certificates if item[self.id_field] != params[self.id_field]]
            return {}
        raise AssertionError(action)

    def actions(self):
        return [call[0] for call in self.calls]

    def uploads(self):
        return [params for action, params in self.calls if action == self.upload]


@pytest.fixture(scope="module")
def chains():
    """A root, two intermediates and a leaf: the leaf alone, leaf + both intermediates, and CA bundles."""
    root_key, first_key = rsa_key(5), rsa_key(3)
    pki = make_pki(ca_cn="Intermediate 2")
    root = make_certificate("Test Root", root_key, ca=True, days=3650)
    first = make_certificate("Intermediate 1", first_key, "Test Root", root_key, ca=True, days=3650)
    second = make_certificate("Intermediate 2", pki.ca_key, "Intermediate 1", first_key, ca=True, days=3650)
    return {"key": key_pem(pki.server_key), "leaf": pki.server_cert,
            "leaf_only": pem(pki.server_cert),
            "full": pem(pki.server_cert) + pem(second) + pem(first),
            "ca_root": pem(root), "ca_bundle": pem(root) + pem(first),
            "certs": (pki.server_cert, second, first), "root": root, "intermediate": first}


def run(runner, module):
    with pytest.raises(Exited) as done:
        runner(module)
    return done.value.result


def server(slb, chains, chain, check_mode=False, name="www"):
    return run(run_server_certificate, FakeModule(slb, check_mode=check_mode, name=name,
                                                  certificate=chains[chain], private_key=chains["key"]))


def ca(slb, chains, bundle, check_mode=False, name="client-ca"):
    module = FakeModule(slb, check_mode=check_mode, name=name, certificate=chains[bundle])
    module.params["ca_certificate_id"] = None
    return run(run_ca_certificate, module)


def tags_of(chain_pem):
    chain = load_certificate_chain(chain_pem, "x")
    return {CHAIN_SHA256_TAG: chain_sha256(chain), CHAIN_LENGTH_TAG: str(len(chain))}


def test_chain_digest_is_sha256_over_every_certificate_der_in_order(chains):
    leaf, second, first = chains["certs"]
    der = b"".join(cert.public_bytes(serialization.Encoding.DER) for cert in (leaf, second, first))
    assert chain_sha256([leaf, second, first]) == hashlib.sha256(der).hexdigest()
    assert chain_sha256([leaf]) != chain_sha256([leaf, second, first])
    assert chain_sha256([leaf, first, second]) != chain_sha256([leaf, second, first])
    # Text around the PEM blocks (bag attributes, CRLF) is not part of the chain.
    noisy = "Bag Attributes\r\n" + chains["full"].replace("\n", "\r\n") + "\r\n"
    assert chain_sha256(load_certificate_chain(noisy, "x")) == chain_sha256([leaf, second, first])


def test_an_upload_is_tagged_with_the_chain_digest_and_length_and_nothing_secret(chains):
    slb = TaggingSlb()
    result = server(slb, chains, "full")
    (upload,) = slb.uploads()
    assert upload["Tag"] == [{"Key": CHAIN_SHA256_TAG, "Value": tags_of(chains["full"])[CHAIN_SHA256_TAG]},
                             {"Key": CHAIN_LENGTH_TAG, "Value": "3"}]
    assert "PRIVATE" not in repr(upload["Tag"])
    assert result["changed"] and result["replaced_certificate_id"] is None
    assert result["diff"]["after"]["chain_certificates"] == 3
    assert result["certificate_info"]["tags"] == {"tag": [
        {"tag_key": key, "tag_value": value} for key, value in tags_of(chains["full"]).items()]}
    assert server(slb, chains, "full")["changed"] is False
    assert slb.actions()[-1] == "DescribeServerCertificates" and len(slb.uploads()) == 1


def test_a_stale_upload_of_the_leaf_alone_is_replaced_not_matched(chains):
    slb = TaggingSlb()
    stale = slb.add(chains["leaf_only"], tags=tags_of(chains["leaf_only"]))
    result = server(slb, chains, "full")
    assert result["changed"] and result["server_certificate_id"] not in (None, stale)
    assert result["replaced_certificate_id"] == stale
    assert result["matched_by"] is None
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert (before["id"], before["chain_certificates"]) == (stale, 1)
    assert (after["id"], after["chain_certificates"]) == (result["server_certificate_id"], 3)
    assert before["chain_sha256"] != after["chain_sha256"] == tags_of(chains["full"])[CHAIN_SHA256_TAG]
    assert [action for action in slb.actions() if not action.startswith("Describe")] == ["UploadServerCertificate"]
    assert len(slb.certificates) == 2, "the stale upload stays: a listener may still use it"
    again = server(slb, chains, "full")
    assert again["changed"] is False and again["server_certificate_id"] == result["server_certificate_id"]
    assert again["replaced_certificate_id"] is None and again["diff"]["before"] == again["diff"]["after"]


def test_check_mode_plans_the_replacement_without_mutating(chains):
    slb = TaggingSlb()
    stale = slb.add(chains["leaf_only"], tags=tags_of(chains["leaf_only"]))
    result = server(slb, chains, "full", check_mode=True)
    assert result["changed"] and result["server_certificate_id"] is None
    assert result["replaced_certificate_id"] == stale
    assert (result["diff"]["before"]["chain_certificates"], result["diff"]["after"]["chain_certificates"]) == (1, 3)
    assert slb.actions() == ["DescribeServerCertificates"]


def test_an_untagged_upload_of_the_leaf_still_matches_whatever_chain_it_holds(chains):
    slb = TaggingSlb()
    untagged = slb.add(chains["leaf_only"])
    module = FakeModule(slb, name="www", certificate=chains["full"], private_key=chains["key"])
    result = run(run_server_certificate, module)
    assert result["changed"] is False and result["server_certificate_id"] == untagged
    assert result["matched_by"] == "fingerprint" and result["replaced_certificate_id"] is None
    assert module.warnings == []
    assert "chain_sha256" not in result["diff"]["before"]
    assert slb.uploads() == []


def test_an_untagged_upload_wins_over_a_stale_tagged_one(chains):
    slb = TaggingSlb()
    slb.add(chains["leaf_only"], tags=tags_of(chains["leaf_only"]))
    untagged = slb.add(chains["leaf_only"], name="other")
    result = server(slb, chains, "full")
    assert result["changed"] is False and result["server_certificate_id"] == untagged
    assert slb.uploads() == []


def test_the_own_name_is_preferred_among_stale_uploads(chains):
    slb = TaggingSlb()
    slb.add(chains["leaf_only"], name="someone-else", tags=tags_of(chains["leaf_only"]))
    own = slb.add(chains["leaf_only"], name="www", tags=tags_of(chains["leaf_only"]))
    assert server(slb, chains, "full")["replaced_certificate_id"] == own


def test_a_lost_reply_finds_the_new_upload_again_never_the_stale_one(chains):
    slb = TaggingSlb(lose_replies=1)
    stale = slb.add(chains["leaf_only"], tags=tags_of(chains["leaf_only"]))
    result = server(slb, chains, "full")
    assert len(slb.uploads()) == 1
    assert result["server_certificate_id"] == "cert-2" and result["replaced_certificate_id"] == stale


def test_a_lost_reply_on_a_service_that_lists_no_tags_takes_the_new_untagged_upload(chains, monkeypatch):
    slb = TaggingSlb(lose_replies=1)
    slb.add(chains["leaf_only"], tags=tags_of(chains["leaf_only"]))
    original_add = slb.add
    monkeypatch.setattr(slb, "add", lambda chain_pem, name="www", tags=None: original_add(chain_pem, name))
    result = server(slb, chains, "full")
    assert len(slb.uploads()) == 1 and result["server_certificate_id"] == "cert-2"


@pytest.mark.parametrize("given, kept", [("leaf_only", "cert-2"), ("full", "cert-1")])
def test_absent_with_the_certificate_deletes_the_upload_of_that_chain_only(chains, given, kept):
    slb = TaggingSlb()
    slb.add(chains["leaf_only"], tags=tags_of(chains["leaf_only"]))
    slb.add(chains["full"], tags=tags_of(chains["full"]))
    result = run(run_server_certificate, FakeModule(slb, state="absent", certificate=chains[given]))
    assert result["changed"] and result["deleted"] == [{"cert-1": "cert-2", "cert-2": "cert-1"}[kept]]
    assert [item["ServerCertificateId"] for item in slb.certificates] == [kept]


def test_absent_with_the_certificate_still_deletes_an_untagged_upload_of_the_leaf(chains):
    slb = TaggingSlb()
    untagged = slb.add(chains["leaf_only"])
    result = run(run_server_certificate, FakeModule(slb, state="absent", certificate=chains["full"]))
    assert result["deleted"] == [untagged] and slb.certificates == []


def test_an_ali_cloud_certificate_import_carries_no_tag():
    slb = CertificateSlb()
    run(run_server_certificate, FakeModule(slb, name="cas", ali_cloud_certificate_id="12345"))
    (upload,) = [params for action, params in slb.calls if action == "UploadServerCertificate"]
    assert "Tag" not in upload and upload["AliCloudCertificateId"] == "12345"


def test_ca_bundle_changed_beyond_its_first_certificate_is_uploaded_anew(chains):
    slb = TaggingSlb("ca")
    first = ca(slb, chains, "ca_root")
    assert first["changed"] and slb.uploads()[0]["Tag"][1] == {"Key": CHAIN_LENGTH_TAG, "Value": "1"}
    check = ca(slb, chains, "ca_bundle", check_mode=True)
    assert check["changed"] and check["replaced_certificate_id"] == first["ca_certificate_id"]
    assert len(slb.uploads()) == 1
    bundle = ca(slb, chains, "ca_bundle")
    assert bundle["changed"] and bundle["ca_certificate_id"] != first["ca_certificate_id"]
    assert bundle["replaced_certificate_id"] == first["ca_certificate_id"]
    assert bundle["fingerprint"] == first["fingerprint"] == fingerprint(chains["root"])
    assert ca(slb, chains, "ca_bundle")["changed"] is False
    assert len(slb.uploads()) == 2


def test_listed_tags_are_read_in_every_shape_a_reply_may_have():
    digest = "AB" * 32
    assert listed_chain_sha256({"Tags": {"Tag": [{"TagKey": CHAIN_SHA256_TAG, "TagValue": digest}]}}) == digest.lower()
    assert listed_chain_sha256({"Tags": [{"TagKey": CHAIN_SHA256_TAG, "TagValue": digest}]}) == digest.lower()
    for untagged in ({}, {"Tags": None}, {"Tags": {}}, {"Tags": {"Tag": []}},
                     {"Tags": {"Tag": [{"TagKey": "other", "TagValue": digest}]}}):
        assert listed_chain_sha256(untagged) is None
    assert listed_chain_length({"Tags": {"Tag": [{"TagKey": CHAIN_LENGTH_TAG, "TagValue": "x"}]}}) is None
    same = {"id": 1, "Tags": {"Tag": [{"TagKey": CHAIN_SHA256_TAG, "TagValue": "aa"}]}}
    other = {"id": 2, "Tags": {"Tag": [{"TagKey": CHAIN_SHA256_TAG, "TagValue": "bb"}]}}
    untagged = {"id": 3}
    assert split_by_chain([same, other, untagged], "aa") == ([same], [untagged], [other])


class TaggingFingerprintingSlb(FingerprintingSlb):
    """Fingerprints that are not SHA-1 (so uploads are found by name, common name and expiry), and tags kept."""

    def call(self, action, params=None, retry=True):
        reply = super().call(action, params, retry)
        if action == "UploadServerCertificate":
            self.certificates[-1]["Tags"] = {"Tag": [{"TagKey": tag["Key"], "TagValue": tag["Value"]}
                                                     for tag in (params or {}).get("Tag") or []]}
            reply.pop("Tags", None)
        return reply


def test_a_stale_upload_found_by_name_common_name_and_expiry_is_replaced_without_the_reuse_warning():
    pki = make_pki()
    slb = TaggingFingerprintingSlb(sha256_fingerprint)
    leaf_only = _present(slb, pki)
    corrected = _present(slb, pki, certificate=pki.server_pem + pem(pki.ca_cert))

    assert corrected["changed"] and corrected["replaced_certificate_id"] == leaf_only["server_certificate_id"]
    assert not any("was found by its name" in warning for warning in corrected["warnings"]), corrected["warnings"]
    again = _present(slb, pki, certificate=pki.server_pem + pem(pki.ca_cert))
    assert again["changed"] is False and again["server_certificate_id"] == corrected["server_certificate_id"]
    assert any("was found by its name" in warning for warning in again["warnings"]), again["warnings"]
