"""The API calls each cloud module makes against the emulator, in the order and with the arguments
site.yml uses them: cold (nothing exists), no action is called twice where once would do; warm
(everything in place), each module makes one Describe call and nothing else (issue 6)."""
from __future__ import annotations

from collections import Counter

import pytest

from tests.support.ansible_run import run_module
from clb_helpers import actions
from tests.unit.alicloud.certgen import key_pem

DESCRIBE_LISTENER = "DescribeLoadBalancerHTTPSListenerAttribute"

COLD = {
    "server_certificate": ["DescribeServerCertificates", "UploadServerCertificate"],
    "ca_certificate": ["DescribeCACertificates", "UploadCACertificate"],
    "load_balancer": ["DescribeLoadBalancers", "CreateLoadBalancer"],
    "backend_servers": ["DescribeLoadBalancerAttribute", "AddBackendServers"],
    # The second read is the wait for `running` (the real API starts listeners asynchronously).
    "https_listener": [DESCRIBE_LISTENER, "CreateLoadBalancerHTTPSListener", "StartLoadBalancerListener",
                       DESCRIBE_LISTENER],
}
WARM = {
    "server_certificate": ["DescribeServerCertificates"],
    "ca_certificate": ["DescribeCACertificates"],
    "load_balancer": ["DescribeLoadBalancers"],
    "backend_servers": ["DescribeLoadBalancerAttribute"],
    "https_listener": [DESCRIBE_LISTENER],
}


def run_site_modules(emu, args, pki):
    """The five cloud steps of site.yml, each run once; {module: (result, actions it caused)}."""
    runs = {}

    def step(module, params):
        start = len(emu.calls())
        result = run_module("mtls.clb." + module, {**args, **params})
        assert not result.get("failed"), (module, result.get("msg"))
        runs[module] = (result, actions(emu, start))
        return result

    server = step("server_certificate", {"name": "mtls-server", "certificate": pki.chain_pem,
                                         "private_key": key_pem(pki.server_key), "state": "present"})
    ca = step("ca_certificate", {"name": "mtls-client-ca", "certificate": pki.ca_pem, "state": "present"})
    balancer = step("load_balancer", {"name": "mtls-clb", "address_type": "internet",
                                      "instance_charge_type": "PayByCLCU", "state": "present"})
    step("backend_servers", {"load_balancer_id": balancer["load_balancer_id"],
                             "servers": [{"server_id": server_id} for server_id in emu.ecs_ids], "purge": False})
    step("https_listener", {"load_balancer_id": balancer["load_balancer_id"], "listener_port": 443,
                            "backend_server_port": 80, "bandwidth": -1,
                            "server_certificate_id": server["server_certificate_id"],
                            "ca_certificate_id": ca["ca_certificate_id"], "tls_cipher_policy": "tls_cipher_policy_1_2",
                            "state": "present"})
    return runs


def test_cold_then_warm_calls_per_module(emu, args, pki):
    cold = run_site_modules(emu, args, pki)
    assert dict((module, calls) for module, (_result, calls) in cold.items()) == COLD
    totals = Counter(action for _result, calls in cold.values() for action in calls)
    assert totals["DescribeLoadBalancerAttribute"] == 1 and totals[DESCRIBE_LISTENER] == 2
    assert all(count == 1 for action, count in totals.items() if action != DESCRIBE_LISTENER), totals

    warm = run_site_modules(emu, args, pki)
    assert dict((module, calls) for module, (_result, calls) in warm.items()) == WARM
    assert not any(result["changed"] for result, _calls in warm.values())

    # What the cold run returned without reading again matches what the warm run read.
    for module, key in (("server_certificate", "server_certificate_id"), ("ca_certificate", "ca_certificate_id"),
                        ("load_balancer", "load_balancer_id"), ("load_balancer", "address")):
        assert cold[module][0][key] == warm[module][0][key], (module, key)
    for key in ("fingerprint", "name", "common_name", "expire_time"):
        assert cold["server_certificate"][0][key] == warm["server_certificate"][0][key], key
        assert cold["ca_certificate"][0][key] == warm["ca_certificate"][0][key], key
    assert cold["server_certificate"][0]["subject_alternative_names"] == \
        warm["server_certificate"][0]["subject_alternative_names"]
    cold_members = [(s["server_id"], s["weight"], s["type"]) for s in cold["backend_servers"][0]["backend_servers"]]
    warm_members = [(s["server_id"], s["weight"], s["type"]) for s in warm["backend_servers"][0]["backend_servers"]]
    assert cold_members == warm_members and len(cold_members) == 2
    cold_listener, warm_listener = cold["https_listener"][0]["listener"], warm["https_listener"][0]["listener"]
    assert cold_listener["status"] == "running" and cold_listener == warm_listener


def test_load_balancer_result_has_the_instance_fields_but_no_listeners_or_members(emu, args, pki):
    runs = run_site_modules(emu, args, pki)
    created = runs["load_balancer"][0]["load_balancer"]
    assert created["load_balancer_name"] == "mtls-clb" and created["instance_charge_type"] == "PayByCLCU"
    assert created["address"] and created["region_id"] == emu.region and created["network_type"] == "classic"
    found = run_module("mtls.clb.load_balancer", {**args, "name": "mtls-clb"})["load_balancer"]
    assert found["load_balancer_id"] == created["load_balancer_id"]
    assert found["load_balancer_status"] == "active" and found["address_type"] == "internet"
    assert found["internet_charge_type"] == "paybytraffic" and found["create_time"]
    for key in ("listener_ports", "listener_ports_and_protocol", "backend_servers"):
        assert key not in created and key not in found, key


def test_load_balancer_wait_polls_until_active(emu, args):
    start = len(emu.calls())
    result = run_module("mtls.clb.load_balancer", {**args, "name": "waited",
                                                   "wait": True})
    assert result["changed"] and result["load_balancer"]["load_balancer_status"] == "active"
    assert actions(emu, start) == ["DescribeLoadBalancers", "CreateLoadBalancer", "DescribeLoadBalancerAttribute"]
    # The attribute read's extras are not part of the documented record.
    for key in ("request_id", "listener_ports", "listener_ports_and_protocol", "listener_ports_and_protocal",
                "backend_servers"):
        assert key not in result["load_balancer"], key


def test_load_balancer_rename_by_id_does_not_read_again(emu, args, slb):
    from clb_helpers import create_load_balancer

    load_balancer_id = create_load_balancer(slb, name="before")
    start = len(emu.calls())
    result = run_module("mtls.clb.load_balancer", {**args, "load_balancer_id": load_balancer_id, "name": "after"})
    assert result["changed"] and result["load_balancer"]["load_balancer_name"] == "after"
    assert actions(emu, start) == ["DescribeLoadBalancers", "SetLoadBalancerName"]


@pytest.mark.parametrize("module,certificate", [("server_certificate", "server"), ("ca_certificate", "ca")])
def test_certificate_rename_does_not_list_again(emu, args, pki, module, certificate):
    params = ({"certificate": pki.chain_pem, "private_key": key_pem(pki.server_key)} if certificate == "server"
              else {"certificate": pki.ca_pem})
    first = run_module("mtls.clb." + module, {**args, "name": "first", **params})
    start = len(emu.calls())
    renamed = run_module("mtls.clb." + module, {**args, "name": "second", "rename_existing": True, **params})
    id_key = module + "_id"
    assert renamed["changed"] and renamed["name"] == "second" and renamed[id_key] == first[id_key]
    kind = "Server" if certificate == "server" else "CA"
    assert actions(emu, start) == ["Describe{0}Certificates".format(kind), "Set{0}CertificateName".format(kind)]
    listed = run_module("mtls.clb.certificate_info", args)
    names = [item["name"] for item in listed[certificate + "_certificates"]]
    assert names == ["second"]
