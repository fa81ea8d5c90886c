"""HTTP listeners through the official SDK: the three HTTP actions, one port namespace shared with
HTTPS listeners, protocol-aware Start/Stop/Delete/Describe*, and the plain-HTTP data plane."""
from __future__ import annotations

import http.client
import json

import pytest
from alibabacloud_slb20140515 import models as m

from tests.emulator.conftest import REGION, backend_servers_json
from tests.emulator.test_control_plane import create_lb, create_listener, error_code, listener_attr, upload_server
from tests.support.emulator import start_emulator


@pytest.fixture
def client(fresh_emulator):
    # Both signature schemes are covered for every action by test_control_plane; one is enough here.
    return fresh_emulator.sdk_client()


def create_http_listener(sdk, lb_id, port=80, **extra):
    args = dict(region_id=REGION, load_balancer_id=lb_id, listener_port=port, backend_server_port=80,
                health_check="off", sticky_session="off")
    args.update(extra)
    return sdk.create_load_balancer_httplistener(m.CreateLoadBalancerHTTPListenerRequest(**args))


def http_attr(sdk, lb_id, port=80):
    return sdk.describe_load_balancer_httplistener_attribute(m.DescribeLoadBalancerHTTPListenerAttributeRequest(
        region_id=REGION, load_balancer_id=lb_id, listener_port=port)).body


def test_http_listener_lifecycle(client):
    lb_id = create_lb(client).load_balancer_id
    create_http_listener(client, lb_id, description="plain-http", xforwarded_for_proto="on")
    created = http_attr(client, lb_id)
    assert (created.listener_port, created.status, created.backend_server_port) == (80, "stopped", 80)
    assert (created.bandwidth, created.scheduler, created.listener_forward) == (-1, "wrr", "off")
    assert created.description == "plain-http" and created.xforwarded_for_proto == "on"
    assert created.forward_port is None  # documented: only returned with ListenerForward=on
    raw = created.to_map()
    assert "ServerCertificateId" not in raw and "TLSCipherPolicy" not in raw

    client.set_load_balancer_httplistener_attribute(m.SetLoadBalancerHTTPListenerAttributeRequest(
        region_id=REGION, load_balancer_id=lb_id, listener_port=80, scheduler="rr", idle_timeout=30,
        health_check="on", health_check_uri="/health"))
    updated = http_attr(client, lb_id)
    assert (updated.scheduler, updated.idle_timeout, updated.health_check, updated.health_check_uri) == (
        "rr", 30, "on", "/health")

    client.start_load_balancer_listener(m.StartLoadBalancerListenerRequest(
        region_id=REGION, load_balancer_id=lb_id, listener_port=80, listener_protocol="http"))
    assert http_attr(client, lb_id).status == "running"
    client.stop_load_balancer_listener(m.StopLoadBalancerListenerRequest(
        region_id=REGION, load_balancer_id=lb_id, listener_port=80, listener_protocol="http"))
    client.delete_load_balancer_listener(m.DeleteLoadBalancerListenerRequest(
        region_id=REGION, load_balancer_id=lb_id, listener_port=80, listener_protocol="http"))
    assert error_code(lambda: http_attr(client, lb_id)) == "InvalidParameter"


def test_http_listener_required_parameters_and_values(client):
    lb_id = create_lb(client).load_balancer_id
    missing_health_check = m.CreateLoadBalancerHTTPListenerRequest(
        region_id=REGION, load_balancer_id=lb_id, listener_port=80, backend_server_port=80)
    assert error_code(lambda: client.create_load_balancer_httplistener(missing_health_check)) == "MissingParameter"
    missing_backend_port = m.CreateLoadBalancerHTTPListenerRequest(
        region_id=REGION, load_balancer_id=lb_id, listener_port=80, health_check="off")
    assert error_code(lambda: client.create_load_balancer_httplistener(missing_backend_port)) == "MissingParameter"
    assert error_code(lambda: create_http_listener(client, lb_id, scheduler="sch")) == "InvalidParameter"
    assert error_code(lambda: create_http_listener(client, lb_id, listener_forward="on")) == "MissingParameter"
    assert error_code(lambda: create_http_listener(client, lb_id, listener_forward="on", forward_port=443)) \
        == "InvalidParameter"  # no HTTPS listener on 443 to redirect to
    assert error_code(lambda: create_http_listener(client, "lb-doesnotexist0000000000")) \
        == "InvalidLoadBalancerId.NotFound"
    listed = client.describe_load_balancer_listeners(m.DescribeLoadBalancerListenersRequest(region_id=REGION)).body
    assert listed.listeners == []


def test_one_port_one_listener_whatever_the_protocol(client, tls_material):
    lb_id = create_lb(client).load_balancer_id
    server_id = upload_server(client, tls_material["server"]).server_certificate_id
    create_http_listener(client, lb_id, port=8443)
    assert error_code(lambda: create_listener(client, lb_id, server_id, port=8443)) == "ListenerAlreadyExists"
    create_listener(client, lb_id, server_id, port=443)
    assert error_code(lambda: create_http_listener(client, lb_id, port=443)) == "ListenerAlreadyExists"

    # The protocol-specific actions do not see a listener of the other protocol: the real not-found.
    assert error_code(lambda: listener_attr(client, lb_id, port=8443)) == "InvalidParameter"
    assert error_code(lambda: http_attr(client, lb_id, port=443)) == "InvalidParameter"
    assert error_code(lambda: client.set_load_balancer_httpslistener_attribute(
        m.SetLoadBalancerHTTPSListenerAttributeRequest(region_id=REGION, load_balancer_id=lb_id,
                                                       listener_port=8443, scheduler="rr"))) == "InvalidParameter"
    for action, request in ((client.start_load_balancer_listener, m.StartLoadBalancerListenerRequest),
                            (client.delete_load_balancer_listener, m.DeleteLoadBalancerListenerRequest)):
        assert error_code(lambda: action(request(region_id=REGION, load_balancer_id=lb_id, listener_port=8443,
                                                 listener_protocol="https"))) == "ListenerNotFound"
    assert http_attr(client, lb_id, port=8443).status == "stopped"  # untouched by the refused calls

    attributes = client.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(
        region_id=REGION, load_balancer_id=lb_id)).body
    assert [(p.listener_port, p.listener_protocol) for p in
            attributes.listener_ports_and_protocol.listener_port_and_protocol] == [(443, "https"), (8443, "http")]
    assert [(p.listener_port, p.listener_protocal) for p in
            attributes.listener_ports_and_protocal.listener_port_and_protocal] == [(443, "https"), (8443, "http")]
    assert attributes.listener_ports.listener_port == [443, 8443]

    every = client.describe_load_balancer_listeners(m.DescribeLoadBalancerListenersRequest(region_id=REGION)).body
    assert [(item.listener_port, item.listener_protocol) for item in every.listeners] == [(443, "https"),
                                                                                          (8443, "http")]
    http_item = every.listeners[1]
    assert http_item.httplistener_config.listener_forward == "off" and http_item.httpslistener_config is None
    assert every.listeners[0].httplistener_config is None
    only_http = client.describe_load_balancer_listeners(m.DescribeLoadBalancerListenersRequest(
        region_id=REGION, listener_protocol="http")).body
    assert [item.listener_port for item in only_http.listeners] == [8443]
    only_https = client.describe_load_balancer_listeners(m.DescribeLoadBalancerListenersRequest(
        region_id=REGION, listener_protocol="https")).body
    assert [item.listener_port for item in only_https.listeners] == [443]


def test_running_http_listener_proxies_and_redirects(client, fresh_emulator, tls_material):
    lb = create_lb(client)
    client.add_backend_servers(m.AddBackendServersRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id,
        backend_servers=backend_servers_json(fresh_emulator.ecs_ids)))
    create_http_listener(client, lb.load_balancer_id, port=8080, xforwarded_for_proto="on", scheduler="rr")
    server_id = upload_server(client, tls_material["server"]).server_certificate_id
    create_listener(client, lb.load_balancer_id, server_id, port=8443)
    create_http_listener(client, lb.load_balancer_id, port=8081, listener_forward="on", forward_port=8443)
    forward = http_attr(client, lb.load_balancer_id, port=8081)
    assert (forward.listener_forward, forward.forward_port) == ("on", 8443)
    for port in (8080, 8081):
        client.start_load_balancer_listener(m.StartLoadBalancerListenerRequest(
            region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=port))

    names = []
    for _ in range(2):
        connection = http.client.HTTPConnection(lb.address, 8080, timeout=10)
        try:
            connection.request("GET", "/hello")
            response = connection.getresponse()
            body = response.read().decode()
        finally:
            connection.close()
        assert response.status == 200
        name, _, echo = body.partition("\n")
        names.append(name)
        headers = {k.lower(): v for k, v in json.loads(echo)["headers"].items()}
        assert headers["x-forwarded-proto"] == "http"
    assert sorted(names) == ["ECS01", "ECS02"]  # rr over both backends

    connection = http.client.HTTPConnection(lb.address, 8081, timeout=10)
    try:
        connection.request("GET", "/path?q=1", headers={"Host": "www.example.test"})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 301
    assert response.getheader("Location") == "https://www.example.test:8443/path?q=1"

    client.stop_load_balancer_listener(m.StopLoadBalancerListenerRequest(
        region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=8080))
    with pytest.raises(OSError):
        http.client.HTTPConnection(lb.address, 8080, timeout=5).connect()


def test_health_status_reports_the_listener_protocol(client, fresh_emulator):
    lb_id = create_lb(client).load_balancer_id
    client.add_backend_servers(m.AddBackendServersRequest(
        region_id=REGION, load_balancer_id=lb_id, backend_servers=backend_servers_json(fresh_emulator.ecs_ids[:1])))
    create_http_listener(client, lb_id, port=80)
    body = client.describe_health_status(m.DescribeHealthStatusRequest(
        region_id=REGION, load_balancer_id=lb_id, listener_protocol="http")).body
    assert [(s.listener_port, s.protocol) for s in body.backend_servers.backend_server] == [(80, "http")]
    none = client.describe_health_status(m.DescribeHealthStatusRequest(
        region_id=REGION, load_balancer_id=lb_id, listener_protocol="https")).body
    assert none.backend_servers.backend_server == []


def _get(address, port):
    connection = http.client.HTTPConnection(address, port, timeout=10)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        return response.status, response.read().decode().partition("\n")[0]
    finally:
        connection.close()


def test_running_http_listener_comes_back_after_a_restart(tmp_path):
    with start_emulator(tmp_path / "state", demo_backends=1, listener_port_offset=10000) as emulator:
        sdk = emulator.sdk_client()
        lb = create_lb(sdk)
        sdk.add_backend_servers(m.AddBackendServersRequest(
            region_id=REGION, load_balancer_id=lb.load_balancer_id, backend_servers=backend_servers_json(
                emulator.ecs_ids)))
        create_http_listener(sdk, lb.load_balancer_id, port=80)
        sdk.start_load_balancer_listener(m.StartLoadBalancerListenerRequest(
            region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=80))
        assert _get(lb.address, 10080) == (200, "ECS01")
        emulator.restart()
        sdk = emulator.sdk_client()
        listed = sdk.describe_load_balancer_listeners(m.DescribeLoadBalancerListenersRequest(
            region_id=REGION)).body.listeners
        assert [(item.listener_port, item.listener_protocol, item.status) for item in listed] == [
            (80, "http", "running")]
        assert _get(lb.address, 10080) == (200, "ECS01")
