"""https_listener against an emulator whose listeners take time to start (--listener-transition-ms):
while a listener is "starting", Start answers Operation.Deny and Set/Delete answer
OperationFailed.ListenerStatusNotSupport, as the real service documents or Terraform retries. The
module converges (it waits for a settled status before deciding), and the collection's listener API
rides out the refusals with its retries."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import SlbApi
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listeners import HttpsListenerApi
from tests.support.ansible_run import run_module
from tests.support.emulator import start_emulator
from clb_helpers import create_load_balancer, mutating, upload_server_certificate

LISTENER = "mtls.clb.https_listener"
TRANSITION_MS = 1500
SET = "SetLoadBalancerHTTPSListenerAttribute"
START = "StartLoadBalancerListener"
DELETE = "DeleteLoadBalancerListener"
STATUS_CODE = "OperationFailed.ListenerStatusNotSupport"


@pytest.fixture(scope="module")
def slow_emulator(tmp_path_factory):
    running = start_emulator(tmp_path_factory.mktemp("slow-start") / "state", demo_backends=0,
                             extra_args=["--listener-transition-ms", str(TRANSITION_MS)])
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def slow(slow_emulator, pki):
    slow_emulator.reset()
    slb = SlbApi(slow_emulator.sdk_client(), slow_emulator.region)
    return slow_emulator, slb, create_load_balancer(slb), upload_server_certificate(slb, pki)


def outcomes(emu, action, since=0):
    return [(call["status"], call["code"]) for call in emu.calls()[since:] if call["action"] == action]


def test_create_start_and_a_set_converge_while_the_start_takes_time(slow):
    emu, _slb, load_balancer_id, server_certificate_id = slow
    params = {**emu.module_args(), "load_balancer_id": load_balancer_id, "listener_port": 443,
              "backend_server_port": 80, "server_certificate_id": server_certificate_id}

    created = run_module(LISTENER, {**params, "wait": False})
    assert created["actions"] == ["create", "start"] and created["listener"]["status"] == "starting"
    # The next run finds the listener still starting: it waits for a settled status, then sets.
    updated = run_module(LISTENER, {**params, "description": "set-while-starting"})

    assert updated.get("failed") is not True, updated.get("msg")
    assert updated["actions"] == ["update"] and updated["listener"]["status"] == "running"
    assert updated["listener"]["description"] == "set-while-starting"
    assert mutating(emu) == ["CreateLoadBalancer", "UploadServerCertificate", "CreateLoadBalancerHTTPSListener",
                             START, SET]
    assert run_module(LISTENER, {**params, "description": "set-while-starting"})["changed"] is False


def test_set_start_and_delete_in_the_starting_window_are_retried_until_they_go_through(slow):
    emu, slb, load_balancer_id, server_certificate_id = slow
    api = HttpsListenerApi(slb, load_balancer_id, 443)
    api.create({"BackendServerPort": 80, "Bandwidth": -1, "HealthCheck": "off", "StickySession": "off",
                "ServerCertificateId": server_certificate_id})
    api.start()
    start = len(emu.calls())

    api.start()  # Operation.Deny; the status read says "starting": nothing left to do
    api.update({"Description": "during-the-start"})
    api.stop()
    api.start()
    api.delete()

    assert outcomes(emu, START, start)[0] == (400, "Operation.Deny")
    set_outcomes = outcomes(emu, SET, start)
    assert set_outcomes[-1] == (200, None) and set(set_outcomes[:-1]) == {(400, STATUS_CODE)} and len(set_outcomes) > 1
    delete_outcomes = outcomes(emu, DELETE, start)
    assert delete_outcomes[-1] == (200, None) and set(delete_outcomes[:-1]) == {(400, STATUS_CODE)}
    assert len(delete_outcomes) > 1
    assert api.describe() is None
