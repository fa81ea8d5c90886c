"""UploadServerCertificate importing from the emulated SSL Certificates Service (AliCloudCertificateId),
the registration hook and CLI option, and SetLoadBalancerName, through the official SDK."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from alibabacloud_slb20140515 import models as m
from Tea.exceptions import TeaException

from tests.emulator import throwaway_pki as pki
from tests.emulator.conftest import REGION
from tests.emulator.test_control_plane import create_lb, create_listener, error_code, listener_attr
from tests.support.emulator import start_emulator


@pytest.fixture
def client(fresh_emulator):
    return fresh_emulator.sdk_client()


def import_cas(sdk, cas_id, cas_name, cas_region=None, name=None, region=REGION, **extra):
    return sdk.upload_server_certificate(m.UploadServerCertificateRequest(
        region_id=region, ali_cloud_certificate_id=cas_id, ali_cloud_certificate_name=cas_name,
        ali_cloud_certificate_region_id=cas_region, server_certificate_name=name, **extra)).body


def test_import_by_ali_cloud_certificate_id(client, fresh_emulator, tls_material):
    server = tls_material["server"]
    registered = fresh_emulator.register_cas_certificate("12345678", server.cert_pem, server.key_pem,
                                                         name="www-cas", region_id=REGION)
    assert registered["Fingerprint"] == pki.sha1_colon_fingerprint(server.cert)
    assert "private_key" not in json.dumps(registered) and "PRIVATE KEY" not in json.dumps(registered)

    imported = import_cas(client, "12345678", "www-cas", REGION, name="from-cas")
    assert imported.is_ali_cloud_certificate == 1
    assert (imported.ali_cloud_certificate_id, imported.ali_cloud_certificate_name) == ("12345678", "www-cas")
    assert imported.fingerprint == pki.sha1_colon_fingerprint(server.cert)
    assert imported.common_name == "www.example.test" and imported.server_certificate_name == "from-cas"
    (listed,) = client.describe_server_certificates(m.DescribeServerCertificatesRequest(
        region_id=REGION)).body.server_certificates.server_certificate
    assert (listed.server_certificate_id, listed.is_ali_cloud_certificate, listed.ali_cloud_certificate_id) == (
        imported.server_certificate_id, 1, "12345678")

    # An imported certificate serves a listener like an uploaded one.
    lb_id = create_lb(client).load_balancer_id
    create_listener(client, lb_id, imported.server_certificate_id)
    assert listener_attr(client, lb_id).server_certificate_id == imported.server_certificate_id

    # Registrations are not SLB resources: a reset keeps them, the imported SLB certificate goes.
    fresh_emulator.reset()
    assert import_cas(client, "12345678", "www-cas").is_ali_cloud_certificate == 1  # region defaults to RegionId


def test_import_errors_name_the_parameter_and_change_nothing(client, fresh_emulator, tls_material):
    server = tls_material["server"]
    fresh_emulator.register_cas_certificate("777", server.cert_pem, server.key_pem, name="cas-777")
    # An ID the SSL Certificates Service does not hold (there) has the documented code of its own.
    cases = {
        "unknown ID": (dict(cas_id="778", cas_name="cas-777"), "InvalidParameter.AliCloudCertificateId"),
        "other region": (dict(cas_id="777", cas_name="cas-777", cas_region="cn-shanghai"),
                         "InvalidParameter.AliCloudCertificateId"),
        "wrong name": (dict(cas_id="777", cas_name="another-name"), "InvalidParameter"),
        "PEM as well": (dict(cas_id="777", cas_name="cas-777", server_certificate=server.cert_pem,
                             private_key=server.key_pem), "InvalidParameter"),
    }
    for case, (kwargs, code) in cases.items():
        with pytest.raises(TeaException) as info:
            import_cas(client, **kwargs)
        assert info.value.code == code, case
        assert "AliCloudCertificate" in info.value.message, (case, info.value.message)
        assert "PRIVATE KEY" not in info.value.message
    assert error_code(lambda: import_cas(client, "777", None)) == "MissingParameter"
    assert client.describe_server_certificates(m.DescribeServerCertificatesRequest(
        region_id=REGION)).body.server_certificates.server_certificate == []


def _post_hook(emulator, payload):
    request = urllib.request.Request(emulator.api_url + "/_emulator/cas-certificates", method="POST",
                                     data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_registration_hook_refuses_bad_material(fresh_emulator, tls_material):
    server, other = tls_material["server"], tls_material["server2"]
    status, body = _post_hook(fresh_emulator, {"certificate_id": "1", "certificate": server.cert_pem,
                                               "private_key": other.key_pem})
    assert status == 400 and "CertificateNotMatchPrivateKey" in body["error"]
    assert "PRIVATE KEY" not in body["error"]
    status, body = _post_hook(fresh_emulator, {"certificate_id": "", "certificate": server.cert_pem,
                                               "private_key": server.key_pem})
    assert status == 400 and "certificate ID" in body["error"]
    status, body = _post_hook(fresh_emulator, {"certificate_id": "2", "certificate": server.cert_pem,
                                               "private_key": server.key_pem, "region_id": "mars-1"})
    assert status == 400 and "mars-1" in body["error"]
    assert "1" not in [entry["AliCloudCertificateId"] for entry in fresh_emulator.cas_certificates()]


def test_cas_certificate_command_line_option(tmp_path, tls_material):
    server = tls_material["server"]
    cert_path, key_path = server.write(tmp_path, "cas")
    with start_emulator(tmp_path / "state", demo_backends=0,
                        extra_args=["--cas-certificate", f"424242={cert_path}:{key_path}"]) as emulator:
        imported = import_cas(emulator.sdk_client(), "424242", "424242")  # named after its ID
        assert imported.is_ali_cloud_certificate == 1
        assert imported.fingerprint == pki.sha1_colon_fingerprint(server.cert)


def test_set_load_balancer_name(client):
    lb_id = create_lb(client, name="before").load_balancer_id
    client.set_load_balancer_name(m.SetLoadBalancerNameRequest(region_id=REGION, load_balancer_id=lb_id,
                                                               load_balancer_name="after"))
    attributes = client.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(
        region_id=REGION, load_balancer_id=lb_id)).body
    assert attributes.load_balancer_name == "after"
    found = client.describe_load_balancers(m.DescribeLoadBalancersRequest(
        region_id=REGION, load_balancer_name="after")).body.load_balancers.load_balancer
    assert [lb.load_balancer_id for lb in found] == [lb_id]

    assert error_code(lambda: client.set_load_balancer_name(m.SetLoadBalancerNameRequest(
        region_id=REGION, load_balancer_id=lb_id))) == "MissingParameter"
    assert error_code(lambda: client.set_load_balancer_name(m.SetLoadBalancerNameRequest(
        region_id=REGION, load_balancer_id=lb_id, load_balancer_name="x" * 81))) == "InvalidParameter"
    assert error_code(lambda: client.set_load_balancer_name(m.SetLoadBalancerNameRequest(
        region_id="cn-shanghai", load_balancer_id=lb_id, load_balancer_name="other"))) \
        == "InvalidLoadBalancerId.NotFound"
    assert client.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(
        region_id=REGION, load_balancer_id=lb_id)).body.load_balancer_name == "after"
