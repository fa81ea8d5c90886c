"""Documented rules found missing by a fidelity review: at most 30 listeners per instance (ListenerNumberOverLimit),
a backend Port within 1-65535, PayType PayOnDemand only, no BackendServerPort on the Set*ListenerAttribute actions
(ignored, as the SDK drops it), and documented filters that are applied (ResourceGroupId on the certificate lists) or
refused when not emulated (Tags, ServerIntranetAddress on DescribeLoadBalancers) instead of silently listing
everything. In-process, like test_backend_rules."""
from __future__ import annotations

import json

import pytest
from clb_emulator.ecs import EcsInstance
from clb_emulator.errors import ApiError
from clb_emulator.signing import Account

from tests.emulator import throwaway_pki as pki
from tests.emulator.conftest import in_process_backend

ACCOUNT = Account("1234567890123456", "AKtest", "secret")
REGION = "cn-hangzhou"
ECS_ID = "i-running0000000000001"


@pytest.fixture
def backend(tmp_path):
    return in_process_backend(tmp_path, EcsInstance(ECS_ID, "web1", "127.0.0.1", 8080, "Running"))


def call(backend, action, **params):
    return getattr(backend, "action_" + action)({"RegionId": REGION, **params}, ACCOUNT)


def refusal(thunk) -> ApiError:
    with pytest.raises(ApiError) as info:
        thunk()
    return info.value


def new_lb(backend):
    return call(backend, "CreateLoadBalancer", InstanceChargeType="PayByCLCU")["LoadBalancerId"]


def http_listener(backend, lb_id, port):
    call(backend, "CreateLoadBalancerHTTPListener", LoadBalancerId=lb_id, ListenerPort=str(port),
         BackendServerPort="80", HealthCheck="on", StickySession="off")


def test_an_instance_holds_at_most_30_listeners(backend):
    lb_id = new_lb(backend)
    for port in range(8000, 8030):
        http_listener(backend, lb_id, port)
    error = refusal(lambda: http_listener(backend, lb_id, 9000))
    assert (error.code, error.status) == ("ListenerNumberOverLimit", 400)
    assert error.message.startswith("The maximum number of listeners is exceeded.")
    assert call(backend, "DescribeLoadBalancerListeners", **{"LoadBalancerId.1": lb_id})["TotalCount"] == 30


def test_a_set_does_not_change_the_backend_port(backend):
    lb_id = new_lb(backend)
    http_listener(backend, lb_id, 80)
    call(backend, "SetLoadBalancerHTTPListenerAttribute", LoadBalancerId=lb_id, ListenerPort="80",
         BackendServerPort="8080", HealthCheckURI="/health")
    listener = call(backend, "DescribeLoadBalancerHTTPListenerAttribute", LoadBalancerId=lb_id, ListenerPort="80")
    assert (listener["BackendServerPort"], listener["HealthCheckURI"]) == (80, "/health")


@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_a_backend_port_outside_1_to_65535_is_refused(backend, port):
    lb_id = new_lb(backend)
    error = refusal(lambda: call(backend, "AddBackendServers", LoadBalancerId=lb_id,
                                 BackendServers=json.dumps([{"ServerId": ECS_ID, "Port": port}])))
    assert error.code == "InvalidParameter" and "Port must be 1-65535" in error.message
    attribute = call(backend, "DescribeLoadBalancerAttribute", LoadBalancerId=lb_id)
    assert attribute["BackendServers"]["BackendServer"] == []


def test_a_subscription_pay_type_is_refused(backend):
    error = refusal(lambda: call(backend, "CreateLoadBalancer", InstanceChargeType="PayByCLCU", PayType="PrePay"))
    assert error.code == "InvalidParameter" and "PayType" in error.message
    assert call(backend, "DescribeLoadBalancers")["TotalCount"] == 0


@pytest.mark.parametrize("params", [{"Tags": '[{"tagKey":"env","tagValue":"prod"}]'}, {"Tag.1.Key": "env"},
                                    {"ServerIntranetAddress": "127.0.0.1"}])
def test_load_balancer_filters_that_are_not_emulated_are_refused(backend, params):
    new_lb(backend)
    error = refusal(lambda: call(backend, "DescribeLoadBalancers", **params))
    assert error.code == "InvalidParameter" and "does not filter by" in error.message


def test_the_certificate_lists_filter_by_resource_group(backend):
    ca = pki.make_ca("resource-group-root")
    mine = call(backend, "UploadCACertificate", CACertificate=ca.cert_pem, ResourceGroupId="rg-mine")
    call(backend, "UploadCACertificate", CACertificate=ca.cert_pem, ResourceGroupId="rg-other")
    listed = call(backend, "DescribeCACertificates", ResourceGroupId="rg-mine")["CACertificates"]["CACertificate"]
    assert [c["CACertificateId"] for c in listed] == [mine["CACertificateId"]]
    assert len(call(backend, "DescribeCACertificates")["CACertificates"]["CACertificate"]) == 2


def test_an_ecs_instance_of_another_region_does_not_exist_for_the_load_balancer(tmp_path):
    """Backends are regional: an instance of cn-hangzhou cannot join a cn-shanghai load balancer (ObtainIpFail, "do
    not exist or are not running"), and nothing is attached; the same instance joins one of its own region."""
    backend = in_process_backend(tmp_path, EcsInstance(ECS_ID, "web1", "127.0.0.1", 8080, "Running", region=REGION))
    servers = json.dumps([{"ServerId": ECS_ID}])
    shanghai = backend.action_CreateLoadBalancer({"RegionId": "cn-shanghai", "InstanceChargeType": "PayByCLCU"},
                                                 ACCOUNT)["LoadBalancerId"]
    error = refusal(lambda: backend.action_AddBackendServers(
        {"RegionId": "cn-shanghai", "LoadBalancerId": shanghai, "BackendServers": servers}, ACCOUNT))
    assert error.code == "ObtainIpFail" and "an instance of region cn-hangzhou" in error.message
    attribute = backend.action_DescribeLoadBalancerAttribute({"RegionId": "cn-shanghai", "LoadBalancerId": shanghai},
                                                             ACCOUNT)
    assert attribute["BackendServers"]["BackendServer"] == []
    hangzhou = new_lb(backend)
    call(backend, "AddBackendServers", LoadBalancerId=hangzhou, BackendServers=servers)


def test_the_command_line_puts_its_instances_in_the_default_region(tmp_path):
    from tests.support.emulator import start_emulator

    with start_emulator(tmp_path / "state", demo_backends=1, extra_args=("--default-region", "cn-shanghai",
                                                                         "--ecs", "i-bpextra0000000000001=127.0.0.1:9")) \
            as emulator:
        assert {instance["region"] for instance in emulator.ecs_instances} == {"cn-shanghai"}
