"""Tags on UploadServerCertificate / UploadCACertificate: stored, listed by Describe* in the documented
`Tags{Tag:[{TagKey,TagValue}]}` shape, kept over a restart, and checked against the documented rules
(at most 20, key not empty, lengths, no `aliyun`/`acs:` prefix, no `http://`), through the official SDK."""
from __future__ import annotations

import pytest
from alibabacloud_slb20140515 import models as m

from tests.emulator.conftest import REGION
from tests.emulator.test_control_plane import error_code, refusal
from tests.support.emulator import start_emulator

SERVER_TAG = m.UploadServerCertificateRequestTag
CA_TAG = m.UploadCACertificateRequestTag


def upload_server(sdk, material, tags=None, name="www"):
    return sdk.upload_server_certificate(m.UploadServerCertificateRequest(
        region_id=REGION, server_certificate=material.cert_pem, private_key=material.key_pem,
        server_certificate_name=name, tag=tags)).body


def upload_ca(sdk, material, tags=None, name="client-ca"):
    return sdk.upload_cacertificate(m.UploadCACertificateRequest(
        region_id=REGION, cacertificate=material.cert_pem, cacertificate_name=name, tag=tags)).body


def listed_server_tags(sdk):
    body = sdk.describe_server_certificates(m.DescribeServerCertificatesRequest(region_id=REGION)).to_map()["body"]
    return {item["ServerCertificateId"]: item["Tags"] for item in body["ServerCertificates"]["ServerCertificate"]}


def listed_ca_tags(sdk):
    body = sdk.describe_cacertificates(m.DescribeCACertificatesRequest(region_id=REGION)).to_map()["body"]
    return {item["CACertificateId"]: item["Tags"] for item in body["CACertificates"]["CACertificate"]}


def test_server_certificate_tags_are_listed_in_order_and_an_untagged_upload_lists_none(sdk, tls_material):
    server = tls_material["server"]
    tagged = upload_server(sdk, server, [SERVER_TAG(key="mtls-clb-chain-sha256", value="ab" * 32),
                                         SERVER_TAG(key="team", value="")], name="tagged")
    untagged = upload_server(sdk, server, name="untagged")
    listed = listed_server_tags(sdk)
    assert listed[tagged.server_certificate_id] == {"Tag": [
        {"TagKey": "mtls-clb-chain-sha256", "TagValue": "ab" * 32}, {"TagKey": "team", "TagValue": ""}]}
    assert listed[untagged.server_certificate_id] == {"Tag": []}
    # The documented upload reply has no Tags field; the SDK model would drop one anyway.
    assert "Tags" not in tagged.to_map()


def test_ca_certificate_tags_are_listed(sdk, tls_material):
    ca = tls_material["client_ca"]
    uploaded = upload_ca(sdk, ca, [CA_TAG(key="mtls-clb-chain-sha256", value="cd" * 32)])
    assert listed_ca_tags(sdk)[uploaded.cacertificate_id] == {
        "Tag": [{"TagKey": "mtls-clb-chain-sha256", "TagValue": "cd" * 32}]}


def test_tags_survive_a_restart(tls_material, tmp_path):
    with start_emulator(tmp_path / "state", demo_backends=0) as emulator:
        uploaded = upload_ca(emulator.sdk_client(), tls_material["client_ca"], [CA_TAG(key="k", value="v")])
        emulator.restart()
        assert listed_ca_tags(emulator.sdk_client())[uploaded.cacertificate_id] == {
            "Tag": [{"TagKey": "k", "TagValue": "v"}]}


def test_twenty_tags_are_accepted_and_a_twenty_first_is_tag_count_limit(fresh_emulator, tls_material):
    sdk = fresh_emulator.sdk_client()
    ca = tls_material["client_ca"]
    upload_ca(sdk, ca, [CA_TAG(key="k%d" % n, value="v") for n in range(20)])
    calls = len(fresh_emulator.calls())
    assert error_code(lambda: upload_ca(sdk, ca, [CA_TAG(key="k%d" % n, value="v") for n in range(21)],
                                        name="too-many")) == "TagCountLimit"
    assert len(listed_ca_tags(sdk)) == 1, "a refused upload stores nothing"
    assert fresh_emulator.calls()[calls]["status"] == 400


@pytest.mark.parametrize("key, value, needle", [
    ("", "v", "cannot be empty"),
    ("k" * 65, "v", "at most 64"),
    ("aliyun-owner", "v", "cannot start with"),
    ("ACS:owner", "v", "cannot start with"),
    ("see-http://example.test", "v", "cannot contain"),
    ("k", "v" * 129, "at most 128"),
    ("k", "acs:x", "cannot start with"),
    ("k", "https://example.test", "cannot contain"),
])
def test_documented_tag_rules_refuse_the_upload_naming_the_parameter(fresh_emulator, tls_material, key, value,
                                                                    needle):
    sdk = fresh_emulator.sdk_client()
    error = refusal(lambda: upload_server(sdk, tls_material["server"], [SERVER_TAG(key=key, value=value)]))
    assert error.code == "InvalidParameter"
    assert "Tag.1." in error.message and needle in error.message
    assert listed_server_tags(sdk) == {}


def test_the_longest_documented_key_and_value_are_accepted(fresh_emulator, tls_material):
    sdk = fresh_emulator.sdk_client()
    uploaded = upload_server(sdk, tls_material["server"], [SERVER_TAG(key="k" * 64, value="v" * 128)])
    assert listed_server_tags(sdk)[uploaded.server_certificate_id]["Tag"] == [
        {"TagKey": "k" * 64, "TagValue": "v" * 128}]


def test_a_key_given_twice_and_an_empty_ca_tag_value_are_refused(fresh_emulator, tls_material):
    sdk = fresh_emulator.sdk_client()
    twice = refusal(lambda: upload_server(sdk, tls_material["server"], [SERVER_TAG(key="k", value="1"),
                                                                        SERVER_TAG(key="k", value="2")]))
    assert twice.code == "InvalidParameter" and "given twice" in twice.message
    empty = refusal(lambda: upload_ca(sdk, tls_material["client_ca"], [CA_TAG(key="k", value="")]))
    assert empty.code == "InvalidParameter" and "Tag.1.Value" in empty.message
    assert listed_server_tags(sdk) == {} and listed_ca_tags(sdk) == {}


def test_describe_with_a_tag_filter_is_refused_rather_than_ignored(fresh_emulator, tls_material):
    sdk = fresh_emulator.sdk_client()
    upload_server(sdk, tls_material["server"])
    request = m.DescribeServerCertificatesRequest(
        region_id=REGION, tag=[m.DescribeServerCertificatesRequestTag(key="k", value="v")])
    error = refusal(lambda: sdk.describe_server_certificates(request))
    assert error.code == "InvalidParameter" and "Tag" in error.message
