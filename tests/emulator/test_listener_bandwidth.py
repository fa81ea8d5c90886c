"""A listener's Bandwidth against its load balancer, as CreateLoadBalancer documents it: on a
pay-by-bandwidth instance the listeners' peak bandwidths add up to at most the instance's, and -1
(unlimited) is for pay-by-traffic instances (refused on pay-by-bandwidth ones: the stricter reading,
emulator/README.md). Create and Set alike, HTTPS and HTTP listeners alike; a refusal changes nothing.
In-process, like test_backend_rules."""
from __future__ import annotations

import pytest
from clb_emulator.errors import ApiError
from clb_emulator.signing import Account

from tests.emulator import throwaway_pki as pki
from tests.emulator.conftest import in_process_backend

ACCOUNT = Account("1234567890123456", "AKtest", "secret")
REGION = "cn-hangzhou"


@pytest.fixture
def backend(tmp_path):
    return in_process_backend(tmp_path, allow_pay_by_spec=True)


@pytest.fixture(scope="module")
def server():
    return pki.issue(pki.make_ca("bandwidth-root"), "www.example.test", server=True, dns_names=["www.example.test"])


@pytest.fixture
def certificate_id(backend, server):
    return backend.action_UploadServerCertificate({"RegionId": REGION, "ServerCertificate": server.cert_pem,
                                                   "PrivateKey": server.key_pem}, ACCOUNT)["ServerCertificateId"]


def by_bandwidth(backend, mbps=10):
    return backend.action_CreateLoadBalancer({
        "RegionId": REGION, "InstanceChargeType": "PayBySpec", "LoadBalancerSpec": "slb.s1.small",
        "InternetChargeType": "paybybandwidth", "Bandwidth": str(mbps)}, ACCOUNT)["LoadBalancerId"]


def by_traffic(backend):
    return backend.action_CreateLoadBalancer({"RegionId": REGION, "InstanceChargeType": "PayByCLCU"},
                                             ACCOUNT)["LoadBalancerId"]


def https_listener(backend, lb_id, certificate_id, port, bandwidth):
    backend.action_CreateLoadBalancerHTTPSListener({
        "RegionId": REGION, "LoadBalancerId": lb_id, "ListenerPort": str(port), "BackendServerPort": "80",
        "Bandwidth": str(bandwidth), "HealthCheck": "on", "StickySession": "off",
        "ServerCertificateId": certificate_id}, ACCOUNT)


def http_listener(backend, lb_id, port, **extra):
    backend.action_CreateLoadBalancerHTTPListener({
        "RegionId": REGION, "LoadBalancerId": lb_id, "ListenerPort": str(port), "BackendServerPort": "80",
        "HealthCheck": "on", "StickySession": "off", **extra}, ACCOUNT)


def ports_and_bandwidths(backend, lb_id):
    listeners = backend.action_DescribeLoadBalancerListeners({"RegionId": REGION, "LoadBalancerId.1": lb_id},
                                                             ACCOUNT).get("Listeners") or []
    return sorted((item["ListenerPort"], item["Bandwidth"]) for item in listeners)


def refusal(call) -> ApiError:
    with pytest.raises(ApiError) as info:
        call()
    assert (info.value.code, info.value.status) == ("InvalidParameter", 400)
    return info.value


def test_unlimited_is_refused_on_a_pay_by_bandwidth_instance(backend, certificate_id):
    lb_id = by_bandwidth(backend)
    error = refusal(lambda: https_listener(backend, lb_id, certificate_id, 443, -1))
    assert error.message.startswith("The specified Bandwidth is invalid.")
    assert "pay-by-traffic" in error.message and "1-10 Mbit/s" in error.message
    # An HTTP listener without Bandwidth is unlimited, so it is refused there too.
    refusal(lambda: http_listener(backend, lb_id, 80))
    assert ports_and_bandwidths(backend, lb_id) == []


def test_the_listeners_share_the_instance_bandwidth_on_create_and_set(backend, certificate_id):
    lb_id = by_bandwidth(backend, 10)
    https_listener(backend, lb_id, certificate_id, 443, 6)
    error = refusal(lambda: https_listener(backend, lb_id, certificate_id, 8443, 5))
    assert error.message.startswith("The specified Bandwidth is invalid. It exceeds the maximum bandwidth "
                                    "available to the instance.")
    assert "other listeners have 6 Mbit/s" in error.message
    http_listener(backend, lb_id, 80, Bandwidth="4")
    assert ports_and_bandwidths(backend, lb_id) == [(80, 4), (443, 6)]

    # Raising one listener past what the others leave is refused; its own old value does not count.
    refusal(lambda: backend.action_SetLoadBalancerHTTPSListenerAttribute(
        {"RegionId": REGION, "LoadBalancerId": lb_id, "ListenerPort": "443", "Bandwidth": "7"}, ACCOUNT))
    backend.action_SetLoadBalancerHTTPSListenerAttribute(
        {"RegionId": REGION, "LoadBalancerId": lb_id, "ListenerPort": "443", "Bandwidth": "6"}, ACCOUNT)
    refusal(lambda: backend.action_SetLoadBalancerHTTPListenerAttribute(
        {"RegionId": REGION, "LoadBalancerId": lb_id, "ListenerPort": "80", "Bandwidth": "-1"}, ACCOUNT))
    assert ports_and_bandwidths(backend, lb_id) == [(80, 4), (443, 6)]


def test_a_pay_by_traffic_instance_takes_unlimited_and_any_cap(backend, certificate_id):
    lb_id = by_traffic(backend)
    https_listener(backend, lb_id, certificate_id, 443, -1)
    https_listener(backend, lb_id, certificate_id, 8443, 5120)
    http_listener(backend, lb_id, 80, Bandwidth="5120")
    assert ports_and_bandwidths(backend, lb_id) == [(80, 5120), (443, -1), (8443, 5120)]
