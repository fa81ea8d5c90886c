"""The shared client layer: error translation from real SDK exceptions, retry policy, endpoint
parsing, and SlbApi (RegionId always sent, wire names in and out)."""
from __future__ import annotations

import pytest
import requests
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from Tea.exceptions import UnretryableException

from ansible_collections.mtls.clb.plugins.module_utils.alicloud import client as client_mod
from ansible_collections.mtls.clb.plugins.module_utils.alicloud import connection
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError, from_sdk_exception
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy
from tests.unit.alicloud.scripted import FakeClock


def sdk_error(cls, status, code, message, request_id="REQ-1", **extra):
    """Built exactly the way alibabacloud_tea_openapi.client raises them."""
    body = {"Code": code, "Message": message, "RequestId": request_id}
    return cls(status_code=status, code=code, message=f"code: {status}, {message} request id: {request_id}",
               data=body, request_id=request_id, **extra)


@pytest.mark.parametrize("cls,status,code,retryable", [
    (ClientException, 400, "Throttling.User", True),
    (ClientException, 429, "Throttling.Api", True),
    (ClientException, 400, "Rejected.Throttling", True),
    (ClientException, 400, "ServiceIsConfiguring", True),
    (ClientException, 409, "BackendServer.configuring", True),
    (ServerException, 503, "ServiceUnavailable", True),
    (ServerException, 500, "InternalError", True),
    (ClientException, 449, "SystemBusy", True),
    (ClientException, 400, "OperationBusy", True),
    (ClientException, 400, "InvalidParameter", False),
    (ClientException, 400, "CertificateAndPrivateKeyIsRefered", False),
    (ClientException, 404, "InvalidAccessKeyId.NotFound", False),
])
def test_retryable_is_decided_by_code(cls, status, code, retryable):
    error = from_sdk_exception("AnyAction", sdk_error(cls, status, code, "text"))
    assert error.retryable is retryable
    assert error.code == code and error.status_code == status


def test_throttling_with_retry_after_header_keeps_the_wait():
    exc = sdk_error(ThrottlingException, 400, "Throttling", "Request was denied", retry_after=1500)
    error = from_sdk_exception("DescribeLoadBalancers", exc)
    assert error.retryable and error.retry_after_ms == 1500


def test_error_text_has_action_code_message_request_id_and_a_hint():
    exc = sdk_error(ClientException, 400, "SignatureDoesNotMatch", "Specified signature is not matched", "RID-9")
    error = from_sdk_exception("DescribeServerCertificates", exc)
    text = error.describe()
    assert text.startswith("DescribeServerCertificates failed: SignatureDoesNotMatch: Specified signature")
    assert "RID-9" in text and "access_key_secret" in text
    assert "code: 400" not in text


def test_not_found_is_decided_in_one_place():
    by_code = from_sdk_exception("X", sdk_error(ClientException, 404, "ListenerNotFound", "nope"))
    by_message = from_sdk_exception("X", sdk_error(ClientException, 400, "InvalidParameter",
                                                   "The specified resource does not exist."))
    other = from_sdk_exception("X", sdk_error(ClientException, 400, "InvalidParameter", "bad port"))
    assert by_code.not_found and by_message.not_found and not other.not_found


def test_connection_error_never_carries_the_signed_url():
    secret_url = "http://127.0.0.1:1/?PrivateKey=-----BEGIN%20RSA%20PRIVATE%20KEY-----&Signature=abc"
    inner = requests.exceptions.ConnectionError(f"Max retries exceeded with url: {secret_url}")
    wrapped = UnretryableException(request=None, ex=inner)
    error = from_sdk_exception("UploadServerCertificate", wrapped)
    assert error.retryable and error.connection_error
    assert "PRIVATE" not in error.describe() and "Signature" not in error.describe()
    assert "ConnectionError" in error.describe()


def transient(code="Throttling", retry_after_ms=None):
    return AlicloudApiError("A", code, "busy", status_code=400, retry_after_ms=retry_after_ms)


def scripted(*outcomes):
    """An operation that raises or returns the next of `outcomes` on each call."""
    queue = list(outcomes)

    def operation():
        outcome = queue.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    return operation


def test_retry_policy_retries_transient_errors_until_success_with_growing_jittered_waits():
    fake = FakeClock()
    operation = scripted(transient(), transient("ServiceUnavailable"), transient(), "ok")

    policy = RetryPolicy(max_attempts=5, base_delay=1.0, sleep=fake.sleep, clock=fake.clock)
    assert policy.run(operation) == "ok"
    assert len(fake.sleeps) == 3
    assert 0.5 <= fake.sleeps[0] <= 1.0 and 1.0 <= fake.sleeps[1] <= 2.0 and 2.0 <= fake.sleeps[2] <= 4.0


def test_retry_policy_never_retries_a_client_error():
    fake = FakeClock()
    calls = []

    def operation():
        calls.append(1)
        raise AlicloudApiError("A", "InvalidParameter", "bad", status_code=400)

    with pytest.raises(AlicloudApiError):
        RetryPolicy(sleep=fake.sleep, clock=fake.clock).run(operation)
    assert len(calls) == 1 and fake.sleeps == []


def test_retry_policy_is_bounded_in_attempts_and_in_time():
    fake = FakeClock()
    calls = []

    def always_busy():
        calls.append(1)
        raise transient()

    with pytest.raises(AlicloudApiError):
        RetryPolicy(max_attempts=4, sleep=fake.sleep, clock=fake.clock).run(always_busy)
    assert len(calls) == 4

    fake, calls[:] = FakeClock(), []
    with pytest.raises(AlicloudApiError):
        RetryPolicy(max_attempts=100, max_seconds=10, base_delay=1, max_delay=4,
                    sleep=fake.sleep, clock=fake.clock).run(always_busy)
    assert fake.now <= 10 and 3 <= len(calls) < 100


def test_retry_policy_honours_retry_after():
    fake = FakeClock()
    operation = scripted(transient(retry_after_ms=3000), "ok")

    RetryPolicy(base_delay=0.1, sleep=fake.sleep, clock=fake.clock).run(operation)
    assert 3.0 <= fake.sleeps[0] <= 3.3


def test_retry_after_longer_than_the_longest_backoff_is_waited_out_not_cut_short():
    """x-acs-retry-after asks for 30 s, more than max_delay (20 s): asking again sooner would be throttled again."""
    fake = FakeClock()
    operation = scripted(transient(retry_after_ms=30000), "ok")

    assert RetryPolicy(max_delay=20, sleep=fake.sleep, clock=fake.clock).run(operation) == "ok"
    assert 30.0 <= fake.sleeps[0] <= 33.0


def test_retry_after_beyond_the_time_budget_fails_at_once_with_the_throttling_error():
    fake = FakeClock()
    calls = []

    def operation():
        calls.append(1)
        raise transient(retry_after_ms=200000)

    with pytest.raises(AlicloudApiError) as raised:
        RetryPolicy(max_seconds=120, sleep=fake.sleep, clock=fake.clock).run(operation)
    assert len(calls) == 1 and fake.sleeps == [] and raised.value.retry_after_ms == 200000
    assert "retry_max_seconds" in raised.value.describe() and "wait 200 s" in raised.value.describe()


@pytest.mark.parametrize("endpoint,expected", [
    ("127.0.0.1:8080", ("127.0.0.1:8080", "https")),
    ("http://127.0.0.1:8080", ("127.0.0.1:8080", "http")),
    ("http://localhost:9000/", ("localhost:9000", "http")),
    ("http://[::1]:9000", ("[::1]:9000", "http")),
    ("https://slb.eu-central-1.aliyuncs.com", ("slb.eu-central-1.aliyuncs.com", "https")),
    ("slb.aliyuncs.com", ("slb.aliyuncs.com", "https")),
])
def test_endpoint_forms(endpoint, expected):
    assert client_mod.parse_endpoint(endpoint) == expected


@pytest.mark.parametrize("endpoint,needle", [
    ("http://slb.aliyuncs.com", "plain http is only allowed"),
    ("http://10.0.0.5:8080", "plain http is only allowed"),
    ("ftp://127.0.0.1", "scheme must be http or https"),
    ("https://slb.aliyuncs.com/path", "without a path"),
    ("127.0.0.1:99999", "port must be"),
])
def test_bad_endpoints_are_refused_with_a_reason(endpoint, needle):
    with pytest.raises(connection.EndpointError) as err:
        connection.parse_endpoint(endpoint)
    assert needle in str(err.value)


def test_env_fallback_order_is_alibaba_cloud_then_alicloud_then_the_aliases():
    spec = client_mod.alicloud_argument_spec()
    assert spec["access_key_id"]["fallback"][1] == [
        "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY", "ALICLOUD_ACCESS_KEY_ID"]
    assert spec["access_key_secret"]["fallback"][1] == [
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECRET_ACCESS_KEY"]
    assert spec["security_token"]["fallback"][1] == ["ALIBABA_CLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN"]
    assert spec["region"]["fallback"][1] == [
        "ALIBABA_CLOUD_REGION_ID", "ALICLOUD_REGION", "ALICLOUD_REGION_ID", "ALIBABA_CLOUD_REGION"]
    assert spec["access_key_secret"]["no_log"] and spec["security_token"]["no_log"]


def test_sdk_client_uses_the_regional_endpoint_unless_overridden():
    params = {"region": "eu-central-1", "access_key_id": "AK", "access_key_secret": "SK",
              "connect_timeout": 5.0, "read_timeout": 30.0}
    assert client_mod.build_sdk_client(params)._endpoint == "slb.eu-central-1.aliyuncs.com"
    assert client_mod.build_sdk_client(dict(params, region="cn-hangzhou"))._endpoint == "slb.aliyuncs.com"
    local = client_mod.build_sdk_client(dict(params, endpoint="http://127.0.0.1:1234"))
    assert local._endpoint == "127.0.0.1:1234" and local._protocol == "http"


def test_no_keys_means_the_default_credential_chain():
    from alibabacloud_credentials.client import Client as CredentialClient
    # Only the wiring is checked: resolving the chain here could query the ECS metadata address.
    sdk = client_mod.build_sdk_client({"region": "cn-hangzhou", "connect_timeout": 5.0, "read_timeout": 30.0})
    assert isinstance(sdk._credential, CredentialClient)


class RecordingSdkClient:
    """Stands in for the SLB SDK client: records the request models and answers from a script."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []

    def describe_server_certificates_with_options(self, request, runtime):
        self.requests.append(request.to_map())
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        from alibabacloud_slb20140515 import models
        return models.DescribeServerCertificatesResponse(
            headers={}, status_code=200, body=models.DescribeServerCertificatesResponseBody().from_map(answer))

    def upload_server_certificate_with_options(self, request, runtime):
        self.requests.append(request.to_map())
        from alibabacloud_slb20140515 import models
        return models.UploadServerCertificateResponse(
            headers={}, status_code=200,
            body=models.UploadServerCertificateResponseBody().from_map(self.answers.pop(0)))


def test_slb_api_leaves_out_a_parameter_whose_value_is_none():
    """server_certificate passes ali_cloud_certificate_region_id through as None when it is unset: the request
    must not carry AliCloudCertificateRegionId at all (the real service was seen refusing it)."""
    sdk = RecordingSdkClient([{"RequestId": "R", "ServerCertificateId": "sc-1"}])
    api = client_mod.SlbApi(sdk, "cn-hangzhou", RetryPolicy())
    api.call("UploadServerCertificate", {"AliCloudCertificateId": "12345", "AliCloudCertificateName": "www",
                                         "AliCloudCertificateRegionId": None})
    [request] = sdk.requests
    assert "AliCloudCertificateRegionId" not in request
    assert request["AliCloudCertificateId"] == "12345" and request["AliCloudCertificateName"] == "www"


def test_slb_api_sends_region_id_and_returns_wire_names_retrying_throttling():
    fake = FakeClock()
    sdk = RecordingSdkClient([
        sdk_error(ClientException, 400, "Throttling.User", "slow down"),
        {"RequestId": "R", "ServerCertificates": {"ServerCertificate": [{"ServerCertificateId": "sc-1"}]}},
    ])
    api = client_mod.SlbApi(sdk, "cn-hangzhou", RetryPolicy(sleep=fake.sleep, clock=fake.clock))
    body = api.call("DescribeServerCertificates")
    assert body["ServerCertificates"]["ServerCertificate"][0]["ServerCertificateId"] == "sc-1"
    assert [r["RegionId"] for r in sdk.requests] == ["cn-hangzhou", "cn-hangzhou"]
    assert api.actions_called == ["DescribeServerCertificates"] * 2
    assert len(fake.sleeps) == 1


def test_slb_api_errors_do_not_chain_the_sdk_exception_that_holds_the_signed_request():
    leaky = UnretryableException(request=None, ex=requests.exceptions.ConnectionError(
        "Max retries exceeded with url: /?PrivateKey=-----BEGIN%20RSA%20PRIVATE%20KEY-----"))

    class LeakySdk(RecordingSdkClient):
        pass

    fake = FakeClock()
    api = client_mod.SlbApi(LeakySdk([leaky, leaky]), "eu-central-1",
                            RetryPolicy(max_attempts=2, sleep=fake.sleep, clock=fake.clock))
    with pytest.raises(AlicloudApiError) as err:
        api.call("DescribeServerCertificates")
    assert err.value.__suppress_context__ is True and err.value.__cause__ is None
    assert err.value.region == "eu-central-1"
    assert "PRIVATE" not in str(err.value)
    assert len(fake.sleeps) == 1


def test_backend_server_errors_point_at_servers_server_id():
    error = from_sdk_exception("AddBackendServers", sdk_error(
        ClientException, 400, "ObtainIpFail", "The specified BackendServers is invalid; some of the specified "
        "backend servers do not exist or are not running."))
    assert "servers[].server_id" in error.describe() and "running ECS instance" in error.describe()
