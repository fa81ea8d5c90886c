"""Uploads of the size real purchased certificates have, and the request-line limit.

The official SDK (slb20140515 3.3.31 on tea-openapi 0.4.6) sends UploadServerCertificate's
`ServerCertificate` and `PrivateKey` and UploadCACertificate's `CACertificate` in the URL query of a
POST with an empty body, with either signature scheme; so an RSA 4096 leaf with two intermediates and
its RSA 4096 key make a request line of about 10 KB. No size limit of these parameters is documented,
so the emulator enforces none; a gateway refuses an over-long request line with 414 and an HTML page
(README, "Request size"), which the emulator does past `--max-request-line` (default 65536).
"""
from __future__ import annotations

import datetime
import http.client
import urllib.parse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from alibabacloud_slb20140515 import models
from alibabacloud_tea_openapi import utils_models
from alibabacloud_tea_openapi.utils import Utils
from darabonba.runtime import RuntimeOptions

from tests.emulator import throwaway_pki as pki
from tests.emulator.conftest import REGION, SIGNATURE_SCHEMES
from tests.support.emulator import start_emulator

UTC = datetime.timezone.utc
# nginx's and Tengine's default (large_client_header_buffers 4 8k): the strictest gateway a client may meet.
NGINX_DEFAULT_REQUEST_LINE = 8192


def _intermediate(issuer: pki.Issued, cn: str) -> pki.Issued:
    key = pki.new_rsa_key(4096)
    now = datetime.datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(pki._name(cn)).issuer_name(issuer.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=300))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(issuer.key, hashes.SHA256()))
    return pki.Issued(key, cert)


@pytest.fixture(scope="module")
def rsa4096_chain():
    """Root, two intermediates and a leaf, all RSA 4096, as a purchased certificate comes."""
    root = pki.make_ca("large-test-root", key=pki.new_rsa_key(4096))
    policy_ca = _intermediate(root, "large-test-policy-ca")
    issuing_ca = _intermediate(policy_ca, "large-test-issuing-ca")
    names = ["www.example.test"] + [f"host{n:02d}.example.test" for n in range(20)]
    leaf = pki.issue(issuing_ca, "www.example.test", server=True, dns_names=names, key=pki.new_rsa_key(4096))
    return {"root": root, "policy_ca": policy_ca, "issuing_ca": issuing_ca, "leaf": leaf,
            "chain_pem": leaf.cert_pem + issuing_ca.cert_pem + policy_ca.cert_pem,
            "ca_chain_pem": issuing_ca.cert_pem + policy_ca.cert_pem + root.cert_pem}


def _upload_server(client, chain):
    request = models.UploadServerCertificateRequest(region_id=REGION, server_certificate=chain["chain_pem"],
                                                    private_key=chain["leaf"].key_pem,
                                                    server_certificate_name="large-chain")
    return client.upload_server_certificate_with_options(request, RuntimeOptions()).body


def test_an_rsa4096_chain_and_key_make_a_request_line_over_8_kib(rsa4096_chain):
    # What the tests below stand on: the upload is longer than an nginx default would take.
    query = urllib.parse.urlencode({"ServerCertificate": rsa4096_chain["chain_pem"],
                                    "PrivateKey": rsa4096_chain["leaf"].key_pem})
    assert len(rsa4096_chain["chain_pem"]) + len(rsa4096_chain["leaf"].key_pem) > 8500
    assert NGINX_DEFAULT_REQUEST_LINE < len(query) < 65536 // 4


def test_a_large_chain_and_key_upload_with_either_signature(sdk, rsa4096_chain, fresh_emulator):
    body = _upload_server(sdk, rsa4096_chain)
    assert body.fingerprint == pki.sha1_colon_fingerprint(rsa4096_chain["leaf"].cert)
    assert body.common_name == "www.example.test"
    assert len(body.subject_alternative_names.subject_alternative_name) == 21
    listed = sdk.describe_server_certificates_with_options(
        models.DescribeServerCertificatesRequest(region_id=REGION), RuntimeOptions()).body
    assert [c.server_certificate_id for c in listed.server_certificates.server_certificate] == \
        [body.server_certificate_id]
    assert [c["status"] for c in fresh_emulator.calls()] == [200, 200]


def test_a_ca_chain_of_three_rsa4096_certificates_uploads(sdk, rsa4096_chain):
    body = sdk.upload_cacertificate_with_options(models.UploadCACertificateRequest(
        region_id=REGION, cacertificate=rsa4096_chain["ca_chain_pem"], cacertificate_name="large-ca"),
        RuntimeOptions()).body
    assert body.fingerprint == pki.sha1_colon_fingerprint(rsa4096_chain["issuing_ca"].cert)
    assert body.common_name == "large-test-issuing-ca"


def _raw_post(emulator, path: str) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=30)
    try:
        connection.request("POST", path, headers={"x-acs-action": "UploadCACertificate"})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


def test_a_request_line_over_the_default_limit_is_answered_414_html_and_logged(fresh_emulator):
    secret_looking = "-----BEGIN RSA PRIVATE KEY-----" + "A" * 70000
    path = "/?" + urllib.parse.urlencode({"Action": "UploadCACertificate", "CACertificate": secret_looking})
    status, content_type, body = _raw_post(fresh_emulator, path)
    assert status == 414
    assert content_type.startswith("text/html") and b"414" in body
    assert b"PRIVATE KEY" not in body and b"AAAA" not in body
    # Past http.server's 64 KiB nothing else of the request was read, so the action is unknown.
    assert [(c["action"], c["status"], c["code"]) for c in fresh_emulator.calls()] == [("", 414, None)]
    # The API still answers afterwards (the refused connection was closed, not the server).
    assert _raw_post(fresh_emulator, "/?Action=DescribeCACertificates")[0] == 400


def test_an_unsigned_request_within_the_limit_reaches_the_api(fresh_emulator):
    path = "/?" + urllib.parse.urlencode({"Action": "UploadCACertificate", "CACertificate": "A" * 60000})
    status, content_type, body = _raw_post(fresh_emulator, path)
    assert (status, content_type.split(";")[0]) == (400, "application/json")
    assert fresh_emulator.calls()[-1]["code"] == "IncompleteSignature"


@pytest.fixture(scope="module")
def strict_gateway(tmp_path_factory):
    """An emulator that takes request lines only up to nginx's default 8 KiB."""
    running = start_emulator(tmp_path_factory.mktemp("strict-gateway") / "state", demo_backends=0,
                             extra_args=("--max-request-line", str(NGINX_DEFAULT_REQUEST_LINE)))
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("scheme", sorted(SIGNATURE_SCHEMES))
def test_a_strict_gateway_refuses_the_large_upload_with_414_before_the_api(strict_gateway, rsa4096_chain, scheme):
    strict_gateway.reset()
    client = strict_gateway.sdk_client(SIGNATURE_SCHEMES[scheme])
    with pytest.raises(Exception) as refused:
        _upload_server(client, rsa4096_chain)
    # The SDK cannot read the HTML as JSON and loses the status: only the page's text says 414.
    assert "414" in str(refused.value) and "json" in str(refused.value)
    assert [(c["action"], c["status"]) for c in strict_gateway.calls()] == [("UploadServerCertificate", 414)]
    assert client.describe_server_certificates_with_options(
        models.DescribeServerCertificatesRequest(region_id=REGION), RuntimeOptions()
    ).body.server_certificates.server_certificate == []


def test_a_strict_gateway_still_takes_an_rsa2048_chain(strict_gateway, tls_material):
    strict_gateway.reset()
    client = strict_gateway.sdk_client()
    body = client.upload_server_certificate_with_options(models.UploadServerCertificateRequest(
        region_id=REGION, server_certificate=tls_material["server"].cert_pem + tls_material["server_ca"].cert_pem,
        private_key=tls_material["server"].key_pem), RuntimeOptions()).body
    assert body.server_certificate_id
    assert [c["status"] for c in strict_gateway.calls()] == [200]


@pytest.mark.parametrize("scheme", sorted(SIGNATURE_SCHEMES))
def test_the_same_upload_with_its_pem_in_a_form_body_passes_the_strict_gateway(strict_gateway, rsa4096_chain,
                                                                                scheme):
    # What a client could do instead of the generated method: the SDK's generic call_api with a form body.
    # ACS3 signs the URL's query and the body's hash; V1 signs body and query parameters alike.
    strict_gateway.reset()
    client = strict_gateway.sdk_client(SIGNATURE_SCHEMES[scheme])
    params = utils_models.Params(action="UploadServerCertificate", version="2014-05-15", protocol="HTTP",
                                 pathname="/", method="POST", auth_type="AK", style="RPC", req_body_type="formData",
                                 body_type="json")
    request = utils_models.OpenApiRequest(query=Utils.query({"RegionId": REGION}), body={
        "ServerCertificate": rsa4096_chain["chain_pem"], "PrivateKey": rsa4096_chain["leaf"].key_pem,
        "ServerCertificateName": "large-chain"})
    answer = client.call_api(params, request, RuntimeOptions())
    assert answer["statusCode"] == 200
    assert answer["body"]["Fingerprint"] == pki.sha1_colon_fingerprint(rsa4096_chain["leaf"].cert)
    assert [c["status"] for c in strict_gateway.calls()] == [200]


@pytest.mark.parametrize("value", ["1023", "65537"])
def test_max_request_line_outside_its_range_stops_the_start(tmp_path, value):
    from tests.support.emulator import EmulatorError

    with pytest.raises(EmulatorError, match="--max-request-line must be between 1024 and 65536"):
        start_emulator(tmp_path / "state", demo_backends=0, extra_args=("--max-request-line", value))
