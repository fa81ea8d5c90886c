"""Every SLB action the emulator serves, through the official SDK, with both signature schemes.

Error paths assert the code the SDK exception carries, which is what our modules branch on.
"""
from __future__ import annotations

import json

import pytest
from alibabacloud_slb20140515 import models as m
from Tea.exceptions import TeaException

from tests.emulator import throwaway_pki as pki
from tests.emulator.conftest import REGION, backend_servers_json


def error_code(call) -> str:
    return refusal(call).code


def refusal(call) -> TeaException:
    with pytest.raises(TeaException) as info:
        call()
    return info.value


def upload_server(sdk, issued, name=None, region=REGION):
    return sdk.upload_server_certificate(m.UploadServerCertificateRequest(
        region_id=region, server_certificate=issued.cert_pem, private_key=issued.key_pem,
        server_certificate_name=name)).body


def upload_ca(sdk, issued, name=None, region=REGION):
    return sdk.upload_cacertificate(m.UploadCACertificateRequest(
        region_id=region, cacertificate=issued.cert_pem, cacertificate_name=name)).body


def create_lb(sdk, name="mtls-lb", region=REGION, **extra):
    extra.setdefault("instance_charge_type", "PayByCLCU")
    return sdk.create_load_balancer(m.CreateLoadBalancerRequest(region_id=region, load_balancer_name=name,
                                                                **extra)).body


def create_listener(sdk, lb_id, server_cert_id, ca_id=None, port=443, **extra):
    args = dict(region_id=REGION, load_balancer_id=lb_id, listener_port=port, backend_server_port=80,
                bandwidth=-1, health_check="on", health_check_uri="/health", sticky_session="off",
                server_certificate_id=server_cert_id, cacertificate_id=ca_id,
                tlscipher_policy="tls_cipher_policy_1_2")
    args.update(extra)
    return sdk.create_load_balancer_httpslistener(m.CreateLoadBalancerHTTPSListenerRequest(**args))


def listener_attr(sdk, lb_id, port=443):
    return sdk.describe_load_balancer_httpslistener_attribute(
        m.DescribeLoadBalancerHTTPSListenerAttributeRequest(region_id=REGION, load_balancer_id=lb_id,
                                                            listener_port=port)).body


# -- certificates ---------------------------------------------------------------------------------
def test_server_certificate_lifecycle(sdk, tls_material):
    server = tls_material["server"]
    uploaded = upload_server(sdk, server, name="www-example")
    assert uploaded.fingerprint == pki.sha1_colon_fingerprint(server.cert)
    assert uploaded.common_name == "www.example.test"
    assert uploaded.subject_alternative_names.subject_alternative_name == ["www.example.test"]
    assert uploaded.region_id == REGION
    assert uploaded.expire_time_stamp == int(server.cert.not_valid_after_utc.timestamp() * 1000)

    listed = sdk.describe_server_certificates(m.DescribeServerCertificatesRequest(region_id=REGION)).body
    (only,) = listed.server_certificates.server_certificate
    assert (only.server_certificate_id, only.server_certificate_name) == (uploaded.server_certificate_id,
                                                                          "www-example")
    sdk.set_server_certificate_name(m.SetServerCertificateNameRequest(
        region_id=REGION, server_certificate_id=uploaded.server_certificate_id, server_certificate_name="renamed"))
    filtered = sdk.describe_server_certificates(m.DescribeServerCertificatesRequest(
        region_id=REGION, server_certificate_id=uploaded.server_certificate_id)).body
    assert filtered.server_certificates.server_certificate[0].server_certificate_name == "renamed"

    sdk.delete_server_certificate(m.DeleteServerCertificateRequest(
        region_id=REGION, server_certificate_id=uploaded.server_certificate_id))
    listed = sdk.describe_server_certificates(m.DescribeServerCertificatesRequest(region_id=REGION)).body
    assert listed.server_certificates.server_certificate == []
    assert error_code(lambda: sdk.delete_server_certificate(m.DeleteServerCertificateRequest(
        region_id=REGION, server_certificate_id=uploaded.server_certificate_id))) == "ServerCertificateId.NotFound"


def test_ca_certificate_lifecycle(sdk, tls_material):
    ca = tls_material["client_ca"]
    uploaded = upload_ca(sdk, ca, name="client-root")
    assert uploaded.fingerprint == pki.sha1_colon_fingerprint(ca.cert)
    assert uploaded.common_name == "mtls-test-client-root"
    sdk.set_cacertificate_name(m.SetCACertificateNameRequest(
        region_id=REGION, cacertificate_id=uploaded.cacertificate_id, cacertificate_name="client-root-2"))
    listed = sdk.describe_cacertificates(m.DescribeCACertificatesRequest(region_id=REGION)).body
    (only,) = listed.cacertificates.cacertificate
    assert (only.cacertificate_id, only.cacertificate_name) == (uploaded.cacertificate_id, "client-root-2")
    sdk.delete_cacertificate(m.DeleteCACertificateRequest(region_id=REGION,
                                                          cacertificate_id=uploaded.cacertificate_id))
    assert sdk.describe_cacertificates(m.DescribeCACertificatesRequest(
        region_id=REGION)).body.cacertificates.cacertificate == []


def test_certificates_are_regional(sdk, tls_material):
    uploaded = upload_server(sdk, tls_material["server"], region="cn-shanghai")
    ca = upload_ca(sdk, tls_material["client_ca"], region="cn-shanghai")
    in_hangzhou = sdk.describe_server_certificates(m.DescribeServerCertificatesRequest(region_id=REGION)).body
    assert in_hangzhou.server_certificates.server_certificate == []
    lb = create_lb(sdk)
    # A listener naming a certificate it cannot see gets the listener actions' documented code.
    refused = refusal(lambda: create_listener(sdk, lb.load_balancer_id, uploaded.server_certificate_id))
    assert (refused.code, refused.statusCode) == ("CertificateNotExist", 400)
    assert "ServerCertificateId " + uploaded.server_certificate_id in refused.message
    server_here = upload_server(sdk, tls_material["server"])
    refused = refusal(lambda: create_listener(sdk, lb.load_balancer_id, server_here.server_certificate_id,
                                              ca.cacertificate_id))
    assert (refused.code, refused.statusCode) == ("CertificateNotExist", 400)
    assert "CACertificateId " + ca.cacertificate_id in refused.message
    create_listener(sdk, lb.load_balancer_id, server_here.server_certificate_id)
    refused = refusal(lambda: sdk.set_load_balancer_httpslistener_attribute(
        m.SetLoadBalancerHTTPSListenerAttributeRequest(region_id=REGION, load_balancer_id=lb.load_balancer_id,
                                                       listener_port=443, cacertificate_id=ca.cacertificate_id)))
    assert (refused.code, refused.statusCode) == ("CertificateNotExist", 400)
    assert listener_attr(sdk, lb.load_balancer_id).cacertificate_id == ""
    # The certificate actions keep the codes Terraform matches for them.
    assert error_code(lambda: sdk.delete_cacertificate(m.DeleteCACertificateRequest(
        region_id=REGION, cacertificate_id=ca.cacertificate_id))) == "CACertificateId.NotFound"


@pytest.mark.parametrize("case", ["mismatch", "pkcs8", "encrypted_pkcs8", "encrypted_pkcs1", "empty_key",
                                  "garbage_cert", "rsa_3072"])
def test_server_certificate_pem_checks(sdk, tls_material, case):
    server = tls_material["server"]
    cert_pem, key_pem = server.cert_pem, server.key_pem
    from cryptography.hazmat.primitives import serialization
    if case == "mismatch":
        key_pem = tls_material["server2"].key_pem
        expected = "CertificateNotMatchPrivateKey"
    elif case == "pkcs8":
        key_pem = pki.pkcs8_pem(server.key)
        expected = "InvalidParameter"
    elif case == "encrypted_pkcs8":
        key_pem = pki.pkcs8_pem(server.key, b"secret-pass")
        expected = "PrivateKeyEncryption"
    elif case == "encrypted_pkcs1":
        key_pem = server.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.BestAvailableEncryption(b"secret-pass")).decode()
        expected = "PrivateKeyEncryption"
    elif case == "empty_key":
        key_pem = ""
        expected = "InvalidParameter"
    elif case == "garbage_cert":
        cert_pem = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
        expected = "InvalidParameter"
    else:
        big = pki.issue(tls_material["server_ca"], "www.example.test", server=True, key=pki.new_rsa_key(3072))
        cert_pem, key_pem = big.cert_pem, big.key_pem
        expected = "InvalidParameter"
    with pytest.raises(TeaException) as info:
        sdk.upload_server_certificate(m.UploadServerCertificateRequest(
            region_id=REGION, server_certificate=cert_pem, private_key=key_pem))
    assert info.value.code == expected
    assert "PRIVATE KEY" not in str(info.value.data)
    listed = sdk.describe_server_certificates(m.DescribeServerCertificatesRequest(region_id=REGION)).body
    assert listed.server_certificates.server_certificate == []


def test_invalid_certificate_name_is_refused(sdk, tls_material):
    assert error_code(lambda: upload_server(sdk, tls_material["server"], name="9-starts-with-digit")) \
        == "InvalidParameter"


def test_deleting_a_certificate_in_use_is_refused(sdk, tls_material):
    server = upload_server(sdk, tls_material["server"])
    ca = upload_ca(sdk, tls_material["client_ca"])
    lb = create_lb(sdk)
    create_listener(sdk, lb.load_balancer_id, server.server_certificate_id, ca.cacertificate_id)
    assert error_code(lambda: sdk.delete_server_certificate(m.DeleteServerCertificateRequest(
        region_id=REGION, server_certificate_id=server.server_certificate_id))) == "CertificateAndPrivateKeyIsRefered"
    assert error_code(lambda: sdk.delete_cacertificate(m.DeleteCACertificateRequest(
        region_id=REGION, cacertificate_id=ca.cacertificate_id))) == "CertificateAndPrivateKeyIsRefered"


# -- load balancers -------------------------------------------------------------------------------
def test_load_balancer_lifecycle(sdk, fresh_emulator):
    lb = create_lb(sdk, name="web")
    assert lb.load_balancer_id.startswith("lb-")
    assert lb.address.startswith("127.") and lb.address != "127.0.0.1"
    other = create_lb(sdk, name="other")
    assert other.address != lb.address
    found = sdk.describe_load_balancers(m.DescribeLoadBalancersRequest(region_id=REGION,
                                                                       load_balancer_name="web")).body
    assert [x.load_balancer_id for x in found.load_balancers.load_balancer] == [lb.load_balancer_id]
    assert found.total_count == 1
    by_ids = sdk.describe_load_balancers(m.DescribeLoadBalancersRequest(
        region_id=REGION, load_balancer_id=f"{lb.load_balancer_id},{other.load_balancer_id}")).body
    assert by_ids.total_count == 2
    attr = sdk.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id)).body
    assert (attr.load_balancer_name, attr.address, attr.load_balancer_status) == ("web", lb.address, "active")
    assert attr.listener_ports.listener_port == []
    elsewhere = sdk.describe_load_balancers(m.DescribeLoadBalancersRequest(region_id="cn-beijing")).body
    assert elsewhere.total_count == 0
    sdk.delete_load_balancer(m.DeleteLoadBalancerRequest(region_id=REGION, load_balancer_id=lb.load_balancer_id))
    assert error_code(lambda: sdk.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id))) == "InvalidLoadBalancerId.NotFound"


def test_client_token_makes_create_idempotent(sdk):
    first = create_lb(sdk, client_token="token-1")
    again = create_lb(sdk, client_token="token-1")
    assert first.load_balancer_id == again.load_balancer_id


def test_unknown_region_and_missing_region(sdk):
    assert error_code(lambda: create_lb(sdk, region="mars-north-1")) == "InvalidRegionId.NotFound"
    assert error_code(lambda: sdk.create_load_balancer(m.CreateLoadBalancerRequest())) == "MissingParameter"


def test_bad_values_are_refused(sdk):
    assert error_code(lambda: create_lb(sdk, load_balancer_spec="slb.s9.huge")) == "InvalidParameter"
    assert error_code(lambda: create_lb(sdk, instance_charge_type="PayBySpec")) == "IllegalParam.InstanceChargeType"
    assert sdk.describe_load_balancers(m.DescribeLoadBalancersRequest(region_id=REGION)).body.total_count == 0


# -- listeners ------------------------------------------------------------------------------------
def test_listener_lifecycle(sdk, tls_material):
    server = upload_server(sdk, tls_material["server"])
    ca = upload_ca(sdk, tls_material["client_ca"])
    lb = create_lb(sdk)
    create_listener(sdk, lb.load_balancer_id, server.server_certificate_id, ca.cacertificate_id,
                    description="mtls", xforwarded_for_proto="on")
    attr = listener_attr(sdk, lb.load_balancer_id)
    assert attr.status == "stopped"
    assert (attr.server_certificate_id, attr.cacertificate_id) == (server.server_certificate_id,
                                                                   ca.cacertificate_id)
    assert (attr.listener_port, attr.backend_server_port, attr.bandwidth) == (443, 80, -1)
    assert attr.tlscipher_policy == "tls_cipher_policy_1_2"
    assert (attr.scheduler, attr.xforwarded_for_proto) == ("wrr", "on")
    assert error_code(lambda: create_listener(sdk, lb.load_balancer_id, server.server_certificate_id)) \
        == "ListenerAlreadyExists"

    sdk.set_load_balancer_httpslistener_attribute(m.SetLoadBalancerHTTPSListenerAttributeRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=443, scheduler="rr",
        tlscipher_policy="tls_cipher_policy_1_2_strict", cacertificate_id=""))
    attr = listener_attr(sdk, lb.load_balancer_id)
    assert attr.tlscipher_policy == "tls_cipher_policy_1_2_strict"
    assert (attr.scheduler, attr.cacertificate_id) == ("rr", "")

    listeners = sdk.describe_load_balancer_listeners(m.DescribeLoadBalancerListenersRequest(
        region_id=REGION, load_balancer_id=[lb.load_balancer_id])).body
    (item,) = listeners.listeners
    assert (item.listener_port, item.listener_protocol, item.status) == (443, "https", "stopped")
    assert item.httpslistener_config.server_certificate_id == server.server_certificate_id

    sdk.start_load_balancer_listener(m.StartLoadBalancerListenerRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=443, listener_protocol="https"))
    assert listener_attr(sdk, lb.load_balancer_id).status == "running"
    assert error_code(lambda: sdk.start_load_balancer_listener(m.StartLoadBalancerListenerRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=443))) \
        == "OperationFailed.ListenerStatusNotSupport"
    sdk.stop_load_balancer_listener(m.StopLoadBalancerListenerRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=443))
    assert listener_attr(sdk, lb.load_balancer_id).status == "stopped"
    lb_attr = sdk.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id)).body
    assert lb_attr.listener_ports.listener_port == [443]
    assert lb_attr.listener_ports_and_protocol.listener_port_and_protocol[0].listener_protocol == "https"

    sdk.delete_load_balancer_listener(m.DeleteLoadBalancerListenerRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=443))
    assert error_code(lambda: listener_attr(sdk, lb.load_balancer_id)) == "InvalidParameter"
    assert error_code(lambda: sdk.start_load_balancer_listener(m.StartLoadBalancerListenerRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=443))) == "ListenerNotFound"
    # The certificates are free again once the listener is gone.
    sdk.delete_server_certificate(m.DeleteServerCertificateRequest(
        region_id=REGION, server_certificate_id=server.server_certificate_id))


@pytest.mark.parametrize("override, expected", [
    ({"bandwidth": 0}, "InvalidParameter"),
    ({"listener_port": 70000}, "InvalidParameter"),
    ({"health_check": None}, "MissingParameter"),
    ({"backend_server_port": None}, "MissingParameter"),
    ({"tlscipher_policy": "tls_cipher_policy_9"}, "InvalidParameter"),
    ({"scheduler": "wlc"}, "InvalidParameter"),
    ({"healthy_threshold": 1}, "InvalidParameter"),
    ({"health_check_http_code": "http_6xx"}, "InvalidParameter"),
    ({"sticky_session": "on"}, "MissingParameter"),
    ({"server_certificate_id": None}, "InvalidParameter"),
])
def test_listener_parameter_rules(sdk, tls_material, override, expected):
    server = upload_server(sdk, tls_material["server"])
    lb = create_lb(sdk)
    args = {"server_cert_id": server.server_certificate_id}
    override = dict(override)  # the parametrized dict is shared by both signature schemes
    if "server_certificate_id" in override:
        args["server_cert_id"] = override.pop("server_certificate_id")
    assert error_code(lambda: create_listener(sdk, lb.load_balancer_id, **args, **override)) == expected
    listed = sdk.describe_load_balancer_listeners(m.DescribeLoadBalancerListenersRequest(region_id=REGION)).body
    assert listed.listeners == []


def test_listener_on_unknown_load_balancer(sdk, tls_material):
    server = upload_server(sdk, tls_material["server"])
    assert error_code(lambda: create_listener(sdk, "lb-doesnotexist", server.server_certificate_id)) \
        == "InvalidLoadBalancerId.NotFound"


# -- backend servers ------------------------------------------------------------------------------
def test_backend_servers(sdk, fresh_emulator):
    lb = create_lb(sdk)
    ecs01, ecs02 = fresh_emulator.ecs_ids
    added = sdk.add_backend_servers(m.AddBackendServersRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id,
        backend_servers=backend_servers_json([ecs01, ecs02]))).body
    assert [s.server_id for s in added.backend_servers.backend_server] == [ecs01, ecs02]
    # Terraform's single-quoted pseudo-JSON is accepted too; SetBackendServers changes weights only.
    sdk.set_backend_servers(m.SetBackendServersRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id,
        backend_servers=f"[{{'ServerId': '{ecs02}', 'Weight': '0'}}]"))
    attr = sdk.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id)).body
    weights = {s.server_id: int(s.weight) for s in attr.backend_servers.backend_server}
    assert weights == {ecs01: 100, ecs02: 0}
    assert {s.server_ip for s in attr.backend_servers.backend_server} == {"127.0.0.1"}
    found = sdk.describe_load_balancers(m.DescribeLoadBalancersRequest(region_id=REGION, server_id=ecs02)).body
    assert found.total_count == 1

    removed = sdk.remove_backend_servers(m.RemoveBackendServersRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id, backend_servers=backend_servers_json([ecs01]))).body
    assert [s.server_id for s in removed.backend_servers.backend_server] == [ecs02]
    # Removing a server that is not attached is not an error.
    sdk.remove_backend_servers(m.RemoveBackendServersRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id, backend_servers=backend_servers_json([ecs01])))
    assert error_code(lambda: sdk.set_backend_servers(m.SetBackendServersRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id,
        backend_servers=backend_servers_json([ecs01])))) == "InvalidServerId.NotFound"


@pytest.mark.parametrize("servers, expected", [
    ('[{"ServerId": "i-doesnotexist0000000", "Weight": "100"}]', "ObtainIpFail"),
    ("not json at all", "BackendServersMalformed"),
    ('[{"ServerId": "ECS_ID", "Weight": "101"}]', "InvalidWeight.Malformed"),
    (json.dumps([{"ServerId": f"i-x{n}"} for n in range(21)]), "TooManyBackendServers"),
])
def test_backend_server_rules(sdk, fresh_emulator, servers, expected):
    lb = create_lb(sdk)
    servers = servers.replace("ECS_ID", fresh_emulator.ecs_ids[0])
    assert error_code(lambda: sdk.add_backend_servers(m.AddBackendServersRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id, backend_servers=servers))) == expected
    attr = sdk.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id)).body
    assert attr.backend_servers.backend_server == []


def test_stopped_ecs_cannot_be_added(sdk, fresh_emulator):
    lb = create_lb(sdk)
    ecs02 = fresh_emulator.ecs_ids[1]
    fresh_emulator.set_ecs_status(ecs02, "Stopped")
    try:
        assert error_code(lambda: sdk.add_backend_servers(m.AddBackendServersRequest(
            region_id=REGION, load_balancer_id=lb.load_balancer_id,
            backend_servers=backend_servers_json([ecs02])))) == "ObtainIpFail"
    finally:
        fresh_emulator.set_ecs_status(ecs02, "Running")


def test_describe_health_status_without_running_listener(sdk, tls_material, fresh_emulator):
    server = upload_server(sdk, tls_material["server"])
    lb = create_lb(sdk)
    sdk.add_backend_servers(m.AddBackendServersRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id,
        backend_servers=backend_servers_json(fresh_emulator.ecs_ids)))
    create_listener(sdk, lb.load_balancer_id, server.server_certificate_id)
    health = sdk.describe_health_status(m.DescribeHealthStatusRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id)).body
    statuses = {(s.server_id, s.listener_port, s.port): s.server_health_status
                for s in health.backend_servers.backend_server}
    assert statuses == {(i, 443, 80): "unavailable" for i in fresh_emulator.ecs_ids}
    assert error_code(lambda: sdk.describe_health_status(m.DescribeHealthStatusRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=8443))) == "ListenerNotFound"


def test_rejected_listener_change_changes_nothing(sdk, tls_material):
    server = upload_server(sdk, tls_material["server"])
    lb = create_lb(sdk)
    create_listener(sdk, lb.load_balancer_id, server.server_certificate_id)
    before = listener_attr(sdk, lb.load_balancer_id).to_map()
    assert error_code(lambda: sdk.set_load_balancer_httpslistener_attribute(
        m.SetLoadBalancerHTTPSListenerAttributeRequest(region_id=REGION, load_balancer_id=lb.load_balancer_id,
                                                       listener_port=443, scheduler="rr",
                                                       health_check_interval=99))) == "InvalidParameter"
    after = listener_attr(sdk, lb.load_balancer_id).to_map()
    before.pop("RequestId")
    after.pop("RequestId")
    assert after == before
