"""Authentication (both signature schemes), the error shape, and the /_emulator/* testing hooks."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from alibabacloud_slb20140515 import models as m
from alibabacloud_tea_openapi import exceptions as openapi_exceptions
from alibabacloud_tea_openapi.utils import Utils
from darabonba.exceptions import UnretryableException
from Tea.exceptions import TeaException

from tests.emulator.conftest import REGION, SIGNATURE_SCHEMES
from tests.support.emulator import RunningEmulator, start_emulator


def describe_lbs(client):
    return client.describe_load_balancers(m.DescribeLoadBalancersRequest(region_id=REGION))


def client_with(emulator, scheme, **overrides):
    original = (emulator.access_key_id, emulator.access_key_secret)
    emulator.access_key_id = overrides.get("access_key_id", emulator.access_key_id)
    emulator.access_key_secret = overrides.get("access_key_secret", emulator.access_key_secret)
    try:
        return emulator.sdk_client(SIGNATURE_SCHEMES[scheme])
    finally:
        emulator.access_key_id, emulator.access_key_secret = original


schemes = pytest.mark.parametrize("scheme", sorted(SIGNATURE_SCHEMES))


@schemes
def test_wrong_secret_is_refused(fresh_emulator, scheme):
    client = client_with(fresh_emulator, scheme, access_key_secret="not-the-secret")
    with pytest.raises(TeaException) as info:
        describe_lbs(client)
    assert info.value.code == "SignatureDoesNotMatch"
    assert info.value.data["statusCode"] == 400
    assert set(info.value.data) >= {"RequestId", "HostId", "Code", "Message", "Recommend"}
    # The error never echoes a secret.
    assert "not-the-secret" not in json.dumps(info.value.data)
    assert "testSecret" not in json.dumps(info.value.data)


@schemes
def test_unknown_access_key_is_refused(fresh_emulator, scheme):
    client = client_with(fresh_emulator, scheme, access_key_id="AKnobody")
    with pytest.raises(TeaException) as info:
        describe_lbs(client)
    assert info.value.code == "InvalidAccessKeyId.NotFound"


@schemes
def test_stale_timestamp_is_refused(fresh_emulator, scheme, monkeypatch):
    stale = (datetime.now(timezone.utc) - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: stale))
    with pytest.raises(TeaException) as info:
        describe_lbs(fresh_emulator.sdk_client(SIGNATURE_SCHEMES[scheme]))
    assert info.value.code == "InvalidTimeStamp.Expired"


@schemes
def test_reused_nonce_is_refused(fresh_emulator, scheme, monkeypatch):
    nonce = f"fixed-nonce-{scheme}-{time.time_ns()}"
    monkeypatch.setattr(Utils, "get_nonce", staticmethod(lambda: nonce))
    client = fresh_emulator.sdk_client(SIGNATURE_SCHEMES[scheme])
    describe_lbs(client)
    with pytest.raises(TeaException) as info:
        describe_lbs(client)
    assert info.value.code == "SignatureNonceUsed"


@schemes
def test_unknown_action(fresh_emulator, scheme):
    from alibabacloud_tea_openapi import utils_models as open_api_models
    from darabonba.runtime import RuntimeOptions

    client = fresh_emulator.sdk_client(SIGNATURE_SCHEMES[scheme])
    params = open_api_models.Params(action="DescribeUnicorns", version="2014-05-15", protocol="HTTP",
                                    pathname="/", method="POST", auth_type="AK", style="RPC",
                                    req_body_type="formData", body_type="json")
    request = open_api_models.OpenApiRequest(query={"RegionId": REGION})
    with pytest.raises(TeaException) as info:
        client.call_api(params, request, RuntimeOptions())
    assert info.value.code == "InvalidAction.NotFound"
    assert info.value.data["statusCode"] == 404


def test_call_log_records_every_call_without_secrets(fresh_emulator, tls_material):
    client = fresh_emulator.sdk_client()
    client.upload_server_certificate(m.UploadServerCertificateRequest(
        region_id=REGION, server_certificate=tls_material["server"].cert_pem,
        private_key=tls_material["server"].key_pem))
    with pytest.raises(TeaException):
        client.delete_server_certificate(m.DeleteServerCertificateRequest(region_id=REGION,
                                                                          server_certificate_id="nope"))
    describe_lbs(fresh_emulator.sdk_client("v2"))
    calls = fresh_emulator.calls()
    assert [(c["action"], c["status"], c["code"]) for c in calls] == [
        ("UploadServerCertificate", 200, None),
        ("DeleteServerCertificate", 404, "ServerCertificateId.NotFound"),
        ("DescribeLoadBalancers", 200, None),
    ]
    assert [c["signature_method"] for c in calls] == ["ACS3-HMAC-SHA256", "ACS3-HMAC-SHA256", "HMAC-SHA1"]
    assert all(set(c) >= {"time", "action", "status", "code"} for c in calls)
    raw = json.dumps(calls)
    assert "BEGIN" not in raw and fresh_emulator.access_key_secret not in raw


def test_throttling_fault_carries_retry_after(fresh_emulator):
    fresh_emulator.set_faults([{"action": "DescribeLoadBalancers", "error": "Throttling", "count": 1,
                                "retry_after_ms": 1500}])
    client = fresh_emulator.sdk_client()
    with pytest.raises(openapi_exceptions.ThrottlingException) as info:
        describe_lbs(client)
    assert info.value.code == "Throttling"
    assert info.value.retry_after == 1500
    describe_lbs(client)  # count=1: the next call goes through
    assert [c["code"] for c in fresh_emulator.calls()] == ["Throttling", None]


@pytest.mark.parametrize("code, status, exception", [
    ("ServiceUnavailable", 503, openapi_exceptions.ServerException),
    ("ServiceIsConfiguring", 400, openapi_exceptions.ClientException),
    ("SystemBusy", 449, openapi_exceptions.ClientException),
    ("InternalError", 500, openapi_exceptions.ServerException),
])
def test_error_faults_have_their_real_status(fresh_emulator, code, status, exception):
    fresh_emulator.set_faults([{"action": "*", "error": code}])
    with pytest.raises(exception) as info:
        describe_lbs(fresh_emulator.sdk_client())
    assert (info.value.code, info.value.status_code) == (code, status)


def test_faulted_mutations_change_nothing(fresh_emulator):
    fresh_emulator.set_faults([{"action": "CreateLoadBalancer", "error": "ServiceIsConfiguring"}])
    client = fresh_emulator.sdk_client()
    with pytest.raises(TeaException):
        client.create_load_balancer(m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU"))
    fresh_emulator.clear_faults()
    assert describe_lbs(client).body.total_count == 0


def test_probabilistic_faults_are_reproducible_with_a_seed(fresh_emulator):
    def pattern():
        fresh_emulator.reset()
        fresh_emulator.set_faults([{"action": "DescribeLoadBalancers", "error": "Throttling",
                                    "probability": 0.5, "seed": 42}])
        client = fresh_emulator.sdk_client()
        outcome = []
        for _attempt in range(16):
            try:
                describe_lbs(client)
                outcome.append("ok")
            except TeaException as error:
                outcome.append(error.code)
        return outcome

    first = pattern()
    assert first == pattern()
    assert 0 < first.count("Throttling") < 16


def test_dropped_connection_and_latency(fresh_emulator):
    fresh_emulator.set_faults([{"action": "DescribeLoadBalancers", "error": "drop", "count": 1}])
    client = fresh_emulator.sdk_client()
    with pytest.raises(UnretryableException):
        describe_lbs(client)
    fresh_emulator.set_faults([{"action": "*", "latency_ms": 300}])
    started = time.monotonic()
    describe_lbs(client)
    assert time.monotonic() - started >= 0.3
    assert fresh_emulator.clear_faults() == {"faults": []}
    assert fresh_emulator._hook("GET", "/_emulator/faults") == {"faults": []}


def test_bad_fault_specification_is_refused(fresh_emulator):
    with pytest.raises(urllib.error.HTTPError) as info:
        fresh_emulator.set_faults([{"action": "*", "error": "Throttling", "probability": 2}])
    assert info.value.code == 400


def test_reset_keeps_ecs_instances(fresh_emulator):
    client = fresh_emulator.sdk_client()
    client.create_load_balancer(m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU"))
    fresh_emulator.set_faults([{"action": "CreateLoadBalancer", "error": "Throttling"}])
    fresh_emulator.reset()
    assert describe_lbs(client).body.total_count == 0
    assert [c["action"] for c in fresh_emulator.calls()] == ["DescribeLoadBalancers"]
    assert [i["instance_id"] for i in fresh_emulator.ecs()] == fresh_emulator.ecs_ids
    client.create_load_balancer(m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU"))  # the fault went too


def test_ready_line_and_ecs_listing(fresh_emulator):
    ready = fresh_emulator.ready
    assert ready["event"] == "ready"
    assert ready["api_url"] == f"http://{ready['endpoint']}"
    assert ready["access_key_ids"] == [fresh_emulator.access_key_id]
    assert fresh_emulator.access_key_secret not in json.dumps(ready)
    names = [i["instance_name"] for i in fresh_emulator.ecs_instances]
    assert names == ["ECS01", "ECS02"]
    assert all(i["instance_id"].startswith("i-") and i["status"] == "Running" for i in fresh_emulator.ecs())
    for instance in fresh_emulator.ecs_instances:
        url = f"http://{instance['host']}:{instance['port']}/"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        assert instance["instance_name"] in opener.open(url, timeout=5).read().decode()
        assert opener.open(url + "health", timeout=5).status == 200


def test_accounts_from_a_credentials_file_are_isolated(tmp_path):
    credentials = tmp_path / "accounts.json"
    credentials.write_text(json.dumps({"accounts": [
        {"access_key_id": "AKalice", "access_key_secret": "alice-secret", "account_id": "1111111111111111"},
        {"access_key_id": "AKbob", "access_key_secret": "bob-secret", "account_id": "2222222222222222"},
    ]}))
    emulator = RunningEmulator(tmp_path / "state", demo_backends=0, access_key_id="AKalice",
                               access_key_secret="alice-secret",
                               extra_args=("--credentials-file", str(credentials)))
    # The harness always passes --access-key-id; here it names an account of the file, which wins.
    with emulator.start():
        alice = emulator.sdk_client()
        alice.create_load_balancer(m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU"))
        emulator.access_key_id, emulator.access_key_secret = "AKbob", "bob-secret"
        bob = emulator.sdk_client()
        assert describe_lbs(bob).body.total_count == 0
        assert describe_lbs(alice).body.total_count == 1


def test_emulator_that_cannot_start_reports_stderr(tmp_path):
    from tests.support.emulator import EmulatorError

    with pytest.raises(EmulatorError) as info:
        start_emulator(tmp_path / "state", demo_backends=0, extra_args=("--ecs", "not-an-ecs-spec"))
    assert "ID=HOST:PORT" in str(info.value)
