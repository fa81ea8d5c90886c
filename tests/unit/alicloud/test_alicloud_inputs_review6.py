"""Input checks found missing by review 6 (returns6 findings 3 and 5): backend server descriptions
longer than the API takes, and a certificate_info fingerprint filter that is not a SHA-1 value."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.backend_servers import servers_problem
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificates import (
    CA_CERTIFICATE,
    CertificateStore,
    fingerprint_filter_problem,
)
from tests.unit.alicloud.scripted import SequencedSlb

SHA1 = "bc:ee:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23"


def server(server_id="i-1", weight=100, description=None, kind="ecs", server_ip=None):
    return {"server_id": server_id, "weight": weight, "type": kind, "description": description, "server_ip": server_ip}


@pytest.mark.parametrize("servers,expected", [
    ([server(description="b" * 81)], "servers[].description of i-1 must be at most 80 characters (got 81)"),
    ([server(), server("i-2", description="x" * 200)], "servers[].description of i-2 must be at most 80 characters"),
    ([server(weight=101)], "servers: weight of i-1 must be 0-100 (got 101)"),
    ([server(weight=-1)], "servers: weight of i-1 must be 0-100 (got -1)"),
    ([server(), server()], "servers: i-1 is listed twice"),
    ([server(description="web one")], "servers[].description of i-1 may contain only letters, digits"),
    # Both went to AddBackendServers; the padded one came back "already attached; use SetBackendServers".
    ([server(), server("")], "servers[1].server_id: '' is not an instance ID; give the ID as the console shows it"),
    ([server("i-bp1a2b3c4d5e6f7g8h9i ")], "servers[0].server_id: 'i-bp1a2b3c4d5e6f7g8h9i ' is not an instance ID"),
    # A name passed check mode as a planned add, then AddBackendServers answered ObtainIpFail.
    ([server(), server("ECS01")],
     "servers[1].server_id: 'ECS01' is not the ID of an ECS backend, which starts with i- (an instance name such as "
     "ECS01 is not its ID)"),
    ([server("i-1", kind="eni", server_ip="10.0.0.5")],
     "servers[0].server_id: 'i-1' is not the ID of an ENI backend, which starts with eni-"),
])
def test_servers_that_break_a_documented_rule_are_named(servers, expected):
    assert servers_problem(servers).startswith(expected)


@pytest.mark.parametrize("servers", [
    [],
    [server(description="b" * 80), server("i-2", weight=0, description=""), server("i-3", weight=100)],
    [server(description="web-1_a/b.c")],
    [server("eni-bp1x", kind="eni", server_ip="10.0.0.5"), server("eci-bp1y", kind="eci", server_ip="10.0.0.6")],
    # The AddBackendServers reference names ServerIp for ECS, ENI and ECI backends alike.
    [server("i-1", server_ip="10.0.0.5")],
])
def test_servers_within_the_rules_pass(servers):
    assert servers_problem(servers) is None


def test_state_absent_takes_any_backend_id_prefix_and_refuses_a_name():
    """Removal sends no type (the live member goes as it is), so an eni- ID without type: eni is fine there."""
    assert servers_problem([server("eni-bp1x"), server("eci-bp1y"), server("i-1")], "absent") is None
    assert servers_problem([server("ECS01")], "absent").startswith(
        "servers[0].server_id: 'ECS01' is not a backend server ID, which starts with i-, eni- or eci-")
    assert servers_problem([server("eni-bp1x")]).startswith(
        "servers[0].server_id: 'eni-bp1x' is not the ID of an ECS backend")


@pytest.mark.parametrize("value", ["zz", "-", "None", "", "   ", "ab:cd", SHA1 + ":00", SHA1[:-1],
                                   SHA1.replace("bc", "zz"), "sha1:" + SHA1])
def test_a_fingerprint_filter_that_is_not_40_hex_digits_is_refused_naming_the_option(value):
    message = fingerprint_filter_problem(value)
    assert message.startswith("fingerprint {0!r} is not a SHA-1 fingerprint".format(value))
    assert "40 hex digits" in message


@pytest.mark.parametrize("value", [SHA1, SHA1.upper(), SHA1.replace(":", ""), " " + SHA1 + " "])
def test_a_sha1_fingerprint_in_any_case_with_or_without_colons_is_accepted(value):
    assert fingerprint_filter_problem(value) is None


def test_an_accepted_filter_lists_only_the_matching_certificate():
    listed = {"CACertificates": {"CACertificate": [
        {"CACertificateId": "ca-match", "Fingerprint": SHA1},
        {"CACertificateId": "ca-other", "Fingerprint": SHA1.replace("bc", "00")}]}}
    slb = SequencedSlb({"DescribeCACertificates": listed})

    found = CertificateStore(slb, CA_CERTIFICATE).find(fingerprint=SHA1.replace(":", "").upper())

    assert [item["CACertificateId"] for item in found] == ["ca-match"]
