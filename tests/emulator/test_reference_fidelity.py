"""Points where the emulator was more lenient than, or shaped differently from, the documented API
(/work/shared/reference: slb_models_full.md, slb-api.md, slb_common_error_codes_2021_docs.md). In-process,
moto style, like test_backend_rules.py."""
from __future__ import annotations

import json

import pytest
from clb_emulator.backend import SlbBackend
from clb_emulator.ecs import EcsInstance, EcsRegistry
from clb_emulator.errors import ApiError
from clb_emulator.signing import Account

from tests.emulator import throwaway_pki as pki

ACCOUNT = Account("1234567890123456", "AKtest", "secret")
REGION = "cn-hangzhou"
ECS_ID = "i-running0000000000001"


@pytest.fixture(scope="module")
def server_material():
    ca = pki.make_ca("fidelity-root")
    leaf = pki.issue(ca, "www.example.test", server=True, dns_names=["www.example.test"])
    return leaf.cert_pem, leaf.key_pem


@pytest.fixture
def backend(tmp_path):
    ecs = EcsRegistry()
    ecs.register(EcsInstance(ECS_ID, "web1", "127.0.0.1", 8080, "Running"))
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    return SlbBackend(state_dir, ecs)


def _lb(backend, **extra):
    return backend.action_CreateLoadBalancer(dict({"RegionId": REGION, "InstanceChargeType": "PayByCLCU"}, **extra),
                                             ACCOUNT)["LoadBalancerId"]


def _server_cert(backend, material):
    cert, key = material
    return backend.action_UploadServerCertificate({"RegionId": REGION, "ServerCertificate": cert,
                                                   "PrivateKey": key}, ACCOUNT)["ServerCertificateId"]


def _listener_params(lb_id, cert_id, port=443, **extra):
    params = {"RegionId": REGION, "LoadBalancerId": lb_id, "ListenerPort": str(port), "BackendServerPort": "80",
              "Bandwidth": "-1", "HealthCheck": "on", "StickySession": "off", "ServerCertificateId": cert_id}
    params.update(extra)
    return params


def _code(call, *args):
    with pytest.raises(ApiError) as info:
        call(*args)
    return info.value.code


# -- DescribeLoadBalancerListeners ------------------------------------------------------------------

def test_listeners_is_not_returned_when_there_is_none(backend, server_material):
    """slb_models_full.md, DescribeLoadBalancerListenersResponseBody.Listeners: "This parameter is not
    returned if the CLB instance does not have a listener." (slb-api.md 1.3: "The listener is omitted if
    the LB has none.")"""
    lb_id = _lb(backend)
    body = backend.action_DescribeLoadBalancerListeners({"RegionId": REGION, "LoadBalancerId.1": lb_id}, ACCOUNT)
    assert "Listeners" not in body
    assert body["TotalCount"] == 0 and body["NextToken"] == ""
    backend.action_CreateLoadBalancerHTTPSListener(_listener_params(lb_id, _server_cert(backend, server_material)),
                                                   ACCOUNT)
    body = backend.action_DescribeLoadBalancerListeners({"RegionId": REGION, "LoadBalancerId.1": lb_id}, ACCOUNT)
    assert [item["ListenerPort"] for item in body["Listeners"]] == [443]


# -- CreateLoadBalancer ClientToken --------------------------------------------------------------------

def test_client_token_replays_the_same_request_only(backend):
    """slb_models_full.md, CreateLoadBalancerRequest.ClientToken: "you must make sure that the token is
    unique among different requests"; slb_common_error_codes_2021_docs.md: 400 LX_REQUEST_TOKEN_CONFLICT
    "The ClientToken is conflict." A reused token must not hand back an instance made for other parameters."""
    first = _lb(backend, LoadBalancerName="first", ClientToken="tok-1")
    assert _lb(backend, LoadBalancerName="first", ClientToken="tok-1") == first
    with pytest.raises(ApiError) as info:
        _lb(backend, LoadBalancerName="second", ClientToken="tok-1")
    assert (info.value.code, info.value.status) == ("LX_REQUEST_TOKEN_CONFLICT", 400)
    listed = backend.action_DescribeLoadBalancers({"RegionId": REGION}, ACCOUNT)["LoadBalancers"]["LoadBalancer"]
    assert [lb["LoadBalancerName"] for lb in listed] == ["first"]


# -- DescribeLoadBalancers pagination ------------------------------------------------------------------

def test_page_size_needs_page_number(backend):
    """slb_models_full.md, DescribeLoadBalancersRequest.PageSize: "If you specify the PageSize parameter,
    you must also specify the PageNumber parameter." """
    for _ in range(3):
        _lb(backend)
    assert _code(backend.action_DescribeLoadBalancers, {"RegionId": REGION, "PageSize": "2"}, ACCOUNT) \
        == "MissingParameter"
    page = backend.action_DescribeLoadBalancers({"RegionId": REGION, "PageSize": "2", "PageNumber": "2"}, ACCOUNT)
    assert (len(page["LoadBalancers"]["LoadBalancer"]), page["TotalCount"], page["PageNumber"]) == (1, 3, 2)


# -- documented character sets -------------------------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    # "The name must be 1 to 256 characters in length and can contain letters, digits, hyphens (-), forward
    # slashes (/), periods (.), and underscores (_)." (Create/SetLoadBalancerHTTPSListenerAttribute)
    ("Description", "mtls listener"),
    ("Description", "a,b"),
    # "The URI must be 1 to 80 characters in length, and can contain letters, digits, and the following
    # special characters: -/.%?#&."
    ("HealthCheckURI", "/health check"),
    ("HealthCheckURI", "/health=1"),
    ("HealthCheckURI", "/h\u00e9alth"),
])
def test_listener_text_fields_follow_the_documented_characters(backend, server_material, field, value):
    lb_id = _lb(backend)
    cert_id = _server_cert(backend, server_material)
    assert _code(backend.action_CreateLoadBalancerHTTPSListener,
                 _listener_params(lb_id, cert_id, **{field: value}), ACCOUNT) == "InvalidParameter"
    backend.action_CreateLoadBalancerHTTPSListener(_listener_params(lb_id, cert_id), ACCOUNT)
    set_params = {"RegionId": REGION, "LoadBalancerId": lb_id, "ListenerPort": "443", field: value}
    assert _code(backend.action_SetLoadBalancerHTTPSListenerAttribute, set_params, ACCOUNT) == "InvalidParameter"
    good = {"Description": "mtls-listener_1/a.b", "HealthCheckURI": "/health.html?a&b%20#x"}[field]
    backend.action_SetLoadBalancerHTTPSListenerAttribute(dict(set_params, **{field: good}), ACCOUNT)


@pytest.mark.parametrize("cookie", ["sess id", "a;b", "$cookie", "c\u00f6okie"])
def test_server_cookie_is_ascii_letters_and_digits(backend, server_material, cookie):
    """Cookie: "1 to 200 characters in length, and can contain only ASCII letters and digits. It cannot
    contain commas (,), semicolons (;), spaces, or start with a dollar sign ($)." """
    lb_id = _lb(backend)
    sticky = {"StickySession": "on", "StickySessionType": "server"}
    params = _listener_params(lb_id, _server_cert(backend, server_material), Cookie=cookie, **sticky)
    assert _code(backend.action_CreateLoadBalancerHTTPSListener, params, ACCOUNT) == "InvalidParameter"
    backend.action_CreateLoadBalancerHTTPSListener(dict(params, Cookie="SESSIONid2"), ACCOUNT)


def test_backend_server_description_follows_the_documented_characters(backend):
    """BackendServers Description: "1 to 80 characters in length, and can contain letters, digits, hyphens
    (-), forward slashes (/), periods (.), and underscores (_)." (Add/SetBackendServers)"""
    lb_id = _lb(backend)
    params = {"RegionId": REGION, "LoadBalancerId": lb_id}
    bad = json.dumps([{"ServerId": ECS_ID, "Weight": "100", "Description": "web one"}])
    assert _code(backend.action_AddBackendServers, dict(params, BackendServers=bad), ACCOUNT) == "InvalidParameter"
    good = json.dumps([{"ServerId": ECS_ID, "Weight": "100", "Description": "web-1_a/b.c"}])
    backend.action_AddBackendServers(dict(params, BackendServers=good), ACCOUNT)
    assert _code(backend.action_SetBackendServers, dict(params, BackendServers=bad), ACCOUNT) == "InvalidParameter"


# -- CreateLoadBalancerHTTPSListener: StickySession ----------------------------------------------------

def test_https_listener_create_needs_sticky_session(backend, server_material):
    """slb-api.md 1.3: "The 2021 doc also marked ServerCertificateId and StickySession as "Yes"" (required);
    the emulator already takes the 2021 reading for ServerCertificateId, and now for StickySession too."""
    lb_id = _lb(backend)
    params = _listener_params(lb_id, _server_cert(backend, server_material))
    del params["StickySession"]
    with pytest.raises(ApiError) as info:
        backend.action_CreateLoadBalancerHTTPSListener(params, ACCOUNT)
    assert info.value.code == "MissingParameter" and "StickySession" in info.value.message


# -- response shapes ------------------------------------------------------------------------------------

def test_listener_ports_and_protocol_items_carry_listener_forward(backend, server_material):
    """slb_response_skeletons.md, DescribeLoadBalancerAttributeResponseBody.ListenerPortsAndProtocol items:
    Description, ForwardPort, ListenerForward, ListenerPort, ListenerProtocol."""
    lb_id = _lb(backend)
    backend.action_CreateLoadBalancerHTTPSListener(_listener_params(lb_id, _server_cert(backend, server_material)),
                                                   ACCOUNT)
    backend.action_CreateLoadBalancerHTTPListener({"RegionId": REGION, "LoadBalancerId": lb_id, "ListenerPort": "80",
                                                   "BackendServerPort": "80", "HealthCheck": "on",
                                                   "ListenerForward": "on", "ForwardPort": "443"}, ACCOUNT)
    body = backend.action_DescribeLoadBalancerAttribute({"RegionId": REGION, "LoadBalancerId": lb_id}, ACCOUNT)
    items = {i["ListenerPort"]: i for i in body["ListenerPortsAndProtocol"]["ListenerPortAndProtocol"]}
    assert items[80]["ListenerForward"] == "on" and items[80]["ForwardPort"] == 443
    assert items[443]["ListenerForward"] == "off" and "ForwardPort" not in items[443]


def test_ca_upload_reply_has_the_documented_fields_only(backend):
    """slb_response_skeletons.md, UploadCACertificateResponseBody: no RegionId (unlike the server upload)."""
    ca = pki.make_ca("fidelity-client-root")
    reply = backend.action_UploadCACertificate({"RegionId": REGION, "CACertificate": ca.cert_pem}, ACCOUNT)
    assert set(reply) == {"CACertificateId", "CACertificateName", "CommonName", "CreateTime", "CreateTimeStamp",
                          "ExpireTime", "ExpireTimeStamp", "Fingerprint", "ResourceGroupId"}
    listed = backend.action_DescribeCACertificates({"RegionId": REGION}, ACCOUNT)["CACertificates"]["CACertificate"]
    assert listed[0]["RegionId"] == REGION


# -- empty strings are values -----------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["HealthCheckURI", "Bandwidth", "TLSCipherPolicy", "HealthCheckInterval",
                                   "HealthCheckDomain", "Scheduler"])
def test_an_empty_listener_value_is_refused_not_ignored(backend, server_material, field):
    """slb-api.md 1.0: "None fields are omitted, but an empty string is sent" - an empty value reaches the
    service only when the client set it, and none of these fields has an empty value in its documented
    range. The emulator used to drop such a parameter silently."""
    lb_id = _lb(backend)
    backend.action_CreateLoadBalancerHTTPSListener(_listener_params(lb_id, _server_cert(backend, server_material)),
                                                   ACCOUNT)
    set_params = {"RegionId": REGION, "LoadBalancerId": lb_id, "ListenerPort": "443", field: ""}
    assert _code(backend.action_SetLoadBalancerHTTPSListenerAttribute, set_params, ACCOUNT) == "InvalidParameter"
    # CACertificateId and Description keep their empty meaning (mutual authentication off, no name).
    cleared = {"RegionId": REGION, "LoadBalancerId": lb_id, "ListenerPort": "443", "CACertificateId": "",
               "Description": ""}
    backend.action_SetLoadBalancerHTTPSListenerAttribute(cleared, ACCOUNT)
