"""https_listener naming a certificate the load balancer's region does not hold: the service's
documented CertificateNotExist, with a message that names both certificate options and the region,
and no listener left behind."""
from __future__ import annotations

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import SlbApi
from tests.support.ansible_run import run_module
from clb_helpers import upload_server_certificate


def test_a_server_certificate_of_another_region_is_named_with_the_region(emu, args, slb, pki, stack):
    elsewhere = upload_server_certificate(SlbApi(emu.sdk_client(), "cn-shanghai"), pki, name="srv-shanghai")

    result = run_module("mtls.clb.https_listener", {
        **args, "load_balancer_id": stack["load_balancer_id"], "listener_port": 443, "backend_server_port": 80,
        "server_certificate_id": elsewhere})

    assert result["failed"] and result["code"] == "CertificateNotExist" and result["status_code"] == 400
    assert result["msg"].startswith("CreateLoadBalancerHTTPSListener failed: CertificateNotExist")
    assert elsewhere in result["msg"]
    assert "Check server_certificate_id and ca_certificate_id" in result["msg"] and "(cn-hangzhou)" in result["msg"]
    attributes = slb.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": stack["load_balancer_id"]})
    assert attributes["ListenerPorts"]["ListenerPort"] == []
