"""The backend's rules and the package's command line, in-process (no HTTP), moto style."""
from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from clb_emulator.backend import SlbBackend, parse_backend_servers
from clb_emulator.cli import build_parser
from clb_emulator.ecs import EcsInstance, EcsRegistry
from clb_emulator.errors import ApiError
from clb_emulator.signing import Account

ACCOUNT = Account("1234567890123456", "AKtest", "secret")
OTHER_ACCOUNT = Account("6543210987654321", "AKother", "secret2")


@pytest.fixture
def backend(tmp_path):
    ecs = EcsRegistry()
    ecs.register(EcsInstance("i-running0000000000001", "web1", "127.0.0.1", 8080, "Running"))
    ecs.register(EcsInstance("i-stopped0000000000001", "web2", "127.0.0.1", 8081, "Stopped"))
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    return SlbBackend(state_dir, ecs)


def test_backend_servers_json_is_lenient_and_first_duplicate_wins():
    servers = parse_backend_servers("[{'ServerId': 'i-a', 'Weight': '10'}, {'ServerId': 'i-a', 'Weight': '90'},"
                                    " {'ServerId': 'i-b', 'Weight': 0}]")
    assert [(s["ServerId"], s["Weight"]) for s in servers] == [("i-a", 10), ("i-b", 0)]
    assert parse_backend_servers('[{"ServerId": "i-c"}]')[0]["Weight"] == 100


@pytest.mark.parametrize("raw, code", [
    ("", "MissingParameter"),
    ("{}", "BackendServersMalformed"),
    ('[{"ServerId": "i-a", "Weight": "heavy"}]', "InvalidWeight.Malformed"),
    ('[{"ServerId": "i-a", "Type": "eni"}]', "InvalidParameter"),
    ('[{"Weight": "1"}]', "InvalidParameter"),
])
def test_backend_servers_json_errors(raw, code):
    with pytest.raises(ApiError) as info:
        parse_backend_servers(raw)
    assert info.value.code == code


def test_stopped_ecs_is_obtain_ip_fail_and_nothing_is_attached(backend):
    lb = backend.action_CreateLoadBalancer({"RegionId": "cn-hangzhou", "InstanceChargeType": "PayByCLCU"}, ACCOUNT)
    servers = json.dumps([{"ServerId": "i-running0000000000001"}, {"ServerId": "i-stopped0000000000001"}])
    with pytest.raises(ApiError) as info:
        backend.action_AddBackendServers({"RegionId": "cn-hangzhou", "LoadBalancerId": lb["LoadBalancerId"],
                                          "BackendServers": servers}, ACCOUNT)
    assert info.value.code == "ObtainIpFail"
    attr = backend.action_DescribeLoadBalancerAttribute({"RegionId": "cn-hangzhou",
                                                         "LoadBalancerId": lb["LoadBalancerId"]}, ACCOUNT)
    assert attr["BackendServers"]["BackendServer"] == []


def test_resources_are_private_to_their_account(backend):
    lb = backend.action_CreateLoadBalancer({"RegionId": "cn-hangzhou", "InstanceChargeType": "PayByCLCU"}, ACCOUNT)
    with pytest.raises(ApiError) as info:
        backend.action_DescribeLoadBalancerAttribute({"RegionId": "cn-hangzhou",
                                                      "LoadBalancerId": lb["LoadBalancerId"]}, OTHER_ACCOUNT)
    assert info.value.code == "InvalidLoadBalancerId.NotFound"


def test_state_is_persisted_privately_and_reloaded(backend, tmp_path):
    lb = backend.action_CreateLoadBalancer({"RegionId": "cn-hangzhou", "InstanceChargeType": "PayByCLCU",
                                            "LoadBalancerName": "kept"}, ACCOUNT)
    state_file = backend.state_dir / "state.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert not list(backend.state_dir.glob(".state.json.*"))  # no temp file left behind
    reloaded = SlbBackend(backend.state_dir, backend.ecs)
    found = reloaded.action_DescribeLoadBalancers({"RegionId": "cn-hangzhou"}, ACCOUNT)
    assert [x["LoadBalancerId"] for x in found["LoadBalancers"]["LoadBalancer"]] == [lb["LoadBalancerId"]]


def test_help_documents_every_option():
    result = subprocess.run([str(Path(sys.executable).parent / "clb-emulator"), "--help"], capture_output=True,
                            text=True, check=True)
    for option in ("--host", "--port", "--state-dir", "--access-key-id", "--access-key-secret",
                   "--credentials-file", "--ecs", "--demo-backends", "--listener-port-offset", "--default-region"):
        assert option in result.stdout
    documented = {a.option_strings[0] for a in build_parser()._actions if a.option_strings}
    assert all(a.help for a in build_parser()._actions if a.option_strings)
    assert documented >= {"--host", "--port", "--state-dir", "--ecs", "--demo-backends"}
