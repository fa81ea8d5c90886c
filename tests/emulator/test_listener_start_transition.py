"""--listener-transition-ms: StartLoadBalancerListener leaves the listener "starting" for a while
(documented: a successful Start switches it to Starting), during which Start answers Operation.Deny
and Set/Stop/Delete OperationFailed.ListenerStatusNotSupport; off (0, the default) it is running at
once. In-process, like test_backend_rules."""
from __future__ import annotations

import time

import pytest
from clb_emulator.backend import SlbBackend
from clb_emulator.cli import build_parser
from clb_emulator.ecs import EcsRegistry
from clb_emulator.errors import ApiError
from clb_emulator.signing import Account

from tests.emulator import throwaway_pki as pki

ACCOUNT = Account("1234567890123456", "AKtest", "secret")
REGION = "cn-hangzhou"
TRANSITION_MS = 400


@pytest.fixture(scope="module")
def server_material():
    ca = pki.make_ca("transition-root")
    return pki.issue(ca, "www.example.test", server=True, dns_names=["www.example.test"])


def make_backend(tmp_path, **options):
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700, exist_ok=True)
    return SlbBackend(state_dir, EcsRegistry(), **options)


def stopped_listener(backend, server_material):
    certificate = backend.action_UploadServerCertificate({"RegionId": REGION, "ServerCertificate": server_material.cert_pem,
                                                          "PrivateKey": server_material.key_pem}, ACCOUNT)
    lb = backend.action_CreateLoadBalancer({"RegionId": REGION, "InstanceChargeType": "PayByCLCU"}, ACCOUNT)
    ids = {"RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": "443"}
    backend.action_CreateLoadBalancerHTTPSListener({**ids, "Bandwidth": "-1", "HealthCheck": "off",
                                                    "StickySession": "off", "BackendServerPort": "80",
                                                    "ServerCertificateId": certificate["ServerCertificateId"]},
                                                   ACCOUNT)
    return ids


def status(backend, ids):
    return backend.action_DescribeLoadBalancerHTTPSListenerAttribute(ids, ACCOUNT)["Status"]


def refused_code(call):
    with pytest.raises(ApiError) as info:
        call()
    return info.value.code, info.value.status


def test_start_goes_through_starting_and_refuses_calls_until_running(tmp_path, server_material):
    backend = make_backend(tmp_path, listener_transition_ms=TRANSITION_MS)
    ids = stopped_listener(backend, server_material)

    backend.action_StartLoadBalancerListener(ids, ACCOUNT)

    assert status(backend, ids) == "starting"
    assert refused_code(lambda: backend.action_StartLoadBalancerListener(ids, ACCOUNT)) == ("Operation.Deny", 400)
    for action in (backend.action_SetLoadBalancerHTTPSListenerAttribute, backend.action_DeleteLoadBalancerListener,
                   backend.action_StopLoadBalancerListener):
        assert refused_code(lambda: action({**ids, "Description": "x"}, ACCOUNT)) == \
            ("OperationFailed.ListenerStatusNotSupport", 400), action.__name__
    deadline = time.monotonic() + 5
    while status(backend, ids) == "starting" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status(backend, ids) == "running"
    assert backend.running_listeners() == [(ids["LoadBalancerId"], 443)]
    backend.action_SetLoadBalancerHTTPSListenerAttribute({**ids, "Description": "after"}, ACCOUNT)
    backend.action_DeleteLoadBalancerListener(ids, ACCOUNT)


def test_without_the_option_start_is_running_at_once(tmp_path, server_material):
    backend = make_backend(tmp_path)
    ids = stopped_listener(backend, server_material)
    backend.action_StartLoadBalancerListener(ids, ACCOUNT)
    assert status(backend, ids) == "running"


def test_a_start_cut_short_by_a_restart_is_running_afterwards(tmp_path, server_material):
    backend = make_backend(tmp_path, listener_transition_ms=60000)
    ids = stopped_listener(backend, server_material)
    backend.action_StartLoadBalancerListener(ids, ACCOUNT)
    assert status(backend, ids) == "starting"
    assert status(make_backend(tmp_path), ids) == "running"


def test_a_listener_deleted_and_created_again_is_not_started_by_the_old_timer(tmp_path, server_material):
    backend = make_backend(tmp_path, listener_transition_ms=TRANSITION_MS)
    ids = stopped_listener(backend, server_material)
    backend.action_StartLoadBalancerListener(ids, ACCOUNT)
    backend.reset()
    ids = stopped_listener(backend, server_material)
    time.sleep(TRANSITION_MS / 1000.0 + 0.3)
    assert status(backend, ids) == "stopped"


def test_the_command_line_option():
    assert build_parser().parse_args(["--state-dir", "x", "--listener-transition-ms", "1500"]).listener_transition_ms \
        == 1500
    assert build_parser().parse_args(["--state-dir", "x"]).listener_transition_ms == 0
