"""The real cloud's first-time mistakes fail at once and say what to fix: no credentials anywhere,
a region or endpoint that does not resolve, a proxy that does not resolve, an untrusted endpoint
certificate. Transient service codes and 5xx answers to reads are retried; 5xx answers to
mutating calls are not. The SDK is the real one; only name resolution is replaced where a real
lookup could depend on the network, and attempts are counted, never timed."""
from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests
from alibabacloud_credentials.exceptions import CredentialException
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException
from Tea.exceptions import UnretryableException

from ansible_collections.mtls.clb.plugins.module_utils.alicloud import client as client_mod
from ansible_collections.mtls.clb.plugins.module_utils.alicloud import sdk_requirements
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError, from_sdk_exception
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy

REPO_ROOT = Path(__file__).resolve().parents[3]
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
SECRET = "sk-never-shown-0123456789"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretkeymaterial\n-----END RSA PRIVATE KEY-----\n"


def sdk_error(cls, status, code, message, request_id="REQ-1"):
    """Built the way alibabacloud_tea_openapi.client raises them."""
    body = {"Code": code, "Message": message, "RequestId": request_id}
    return cls(status_code=status, code=code, message=f"code: {status}, {message} request id: {request_id}",
               data=body, request_id=request_id)


class CountingPolicy(RetryPolicy):
    """The module's default budget (8 attempts, 120 s) with the waits recorded instead of slept."""

    def __init__(self, **kwargs):
        self.sleeps = []
        super().__init__(sleep=self.sleeps.append, **kwargs)


def slb_api(region, endpoint=None, **policy):
    params = {"region": region, "access_key_id": "AKIDEXAMPLE", "access_key_secret": SECRET,
              "connect_timeout": 2.0, "read_timeout": 2.0, "endpoint": endpoint}
    retry_policy = CountingPolicy(**policy)
    api = client_mod.SlbApi(client_mod.build_sdk_client(params), region, retry_policy,
                            endpoint_from_option=bool(endpoint))
    return api, retry_policy


@pytest.fixture
def no_proxy_env(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def unresolvable_names(monkeypatch, no_proxy_env):
    """Every name lookup fails the way a resolver answers NXDOMAIN: no network is needed and none
    is used, and the real SDK, requests and urllib3 build their real exception chain around it."""
    looked_up = []

    def getaddrinfo(host, *args, **kwargs):
        looked_up.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


# --- B3: no credentials --------------------------------------------------------------------------

NO_CREDENTIALS_RUN = textwrap.dedent("""
    import json
    from ansible_collections.mtls.clb.plugins.module_utils.alicloud import client
    from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy

    sleeps = []
    sdk = client.build_sdk_client({"region": "cn-hangzhou", "endpoint": "http://127.0.0.1:9",
                                   "connect_timeout": 1.0, "read_timeout": 1.0})
    api = client.SlbApi(sdk, "cn-hangzhou", RetryPolicy(sleep=sleeps.append), endpoint_from_option=True)
    try:
        api.call("DescribeServerCertificates")
    except Exception as error:
        print(json.dumps({"type": type(error).__name__, "code": error.code, "retryable": error.retryable,
                          "text": str(error), "attempts": len(api.actions_called), "sleeps": sleeps,
                          "cause": repr(error.__cause__), "suppressed": error.__suppress_context__}))
""")


def test_no_credentials_anywhere_fails_at_once_and_lists_what_was_tried(tmp_path):
    """The real default chain, in a fresh interpreter (alibabacloud_credentials reads the environment
    at import time): empty HOME, no key variables, metadata probe disabled so nothing leaves the host."""
    home = tmp_path / "empty-home"
    home.mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "PYTHONPATH": str(REPO_ROOT / "build" / "collections"), "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
    proc = subprocess.run([sys.executable, "-c", NO_CREDENTIALS_RUN], env=env, capture_output=True, text=True,
                          check=False, timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    outcome = json.loads(proc.stdout)
    assert outcome["code"] == "NoCredentials" and outcome["retryable"] is False
    assert outcome["attempts"] == 1 and outcome["sleeps"] == []
    assert outcome["cause"] == "None" and outcome["suppressed"] is True
    text = outcome["text"]
    assert text.startswith("DescribeServerCertificates failed: NoCredentials: no credentials found")
    for tried in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "~/.aliyun/config.json", "~/.alibabacloud/credentials.ini"):
        assert tried in text.split(". Set ")[0], tried
    for fix in ("access_key_id and access_key_secret", "security_token", "ALICLOUD_ACCESS_KEY",
                "ALICLOUD_ACCESS_KEY_ID", "ECS instance"):
        assert fix in text, fix
    # The metadata provider was switched off, so the advice to switch it off is not given.
    assert "ALIBABA_CLOUD_ECS_METADATA_DISABLED" not in text
    assert "endpoint" not in text and "proxy" not in text and str(home) not in text


def chain_exhausted(*providers):
    errors = [f"{name}: could not load it" for name in providers]
    return CredentialException(f"unable to load credentials from any of the providers in the chain: {errors}")


def test_no_credentials_with_the_metadata_provider_in_the_chain_suggests_switching_it_off():
    wrapped = UnretryableException(request=None, ex=chain_exhausted(
        "EnvironmentVariableCredentialsProvider", "CLIProfileCredentialsProvider", "ProfileCredentialsProvider",
        "EcsRamRoleCredentialsProvider"))
    error = from_sdk_exception("DescribeLoadBalancers", wrapped, region="eu-central-1")
    assert error.code == "NoCredentials" and not error.retryable and not error.connection_error
    assert "ECS RAM role" in error.message
    assert "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true" in error.describe()


def test_a_credential_provider_failing_for_another_reason_is_named_without_its_text():
    """Provider texts may quote files or service replies, so only the provider and the code are kept."""
    failure = CredentialException("ProfileCredentialsProvider: AssumeRole said: key AKIDLEAK secret xyz",
                                  code="InvalidParameter")
    error = from_sdk_exception("DescribeLoadBalancers", UnretryableException(request=None, ex=failure))
    assert error.code == "CredentialProviderError" and not error.retryable
    assert "credentials.ini" in error.message and "InvalidParameter" in error.message
    assert "AKIDLEAK" not in error.describe() and "xyz" not in error.describe()


def test_a_credential_exception_is_recognised_by_class_name_too():
    class CredentialException(Exception):  # noqa: N818 - the SDK's name, as another SDK version might define it
        pass

    error = from_sdk_exception("X", UnretryableException(request=None, ex=CredentialException(
        "unable to load credentials from any of the providers in the chain: []")))
    assert error.code == "NoCredentials" and not error.retryable


# --- B4: names that do not resolve ---------------------------------------------------------------

@pytest.mark.parametrize("region,expected_host,advice", [
    ("cn-hangzou", "slb.cn-hangzou.aliyuncs.com", "did you mean cn-hangzhou"),
    ("xx-nowhere-9", "slb.xx-nowhere-9.aliyuncs.com", "xx-nowhere-9 is not a region this collection knows"),
    ("eu-central-1", "slb.eu-central-1.aliyuncs.com", "this host's DNS"),
])
def test_a_region_whose_endpoint_does_not_resolve_fails_on_the_first_attempt(
        unresolvable_names, region, expected_host, advice):
    api, policy = slb_api(region)
    with pytest.raises(AlicloudApiError) as err:
        api.call("DescribeServerCertificates")
    error = err.value
    assert unresolvable_names == [expected_host]
    assert api.actions_called == ["DescribeServerCertificates"] and policy.sleeps == []
    assert error.code == "ConnectionError" and error.transport == "dns" and not error.retryable
    text = error.describe()
    assert f"{expected_host} (region {region}) does not resolve" in text
    assert advice in text and "set endpoint" in text
    assert "?RegionId" not in text and "https://" not in text


def test_a_typo_that_looks_like_no_region_gets_no_guess(unresolvable_names):
    api, unused_policy = slb_api("zz-qqqq-7")
    with pytest.raises(AlicloudApiError) as err:
        api.call("DescribeServerCertificates")
    assert "did you mean" not in err.value.describe()


def test_a_known_region_is_never_refused_before_asking_the_service(no_proxy_env, monkeypatch):
    """The region list words hints only: a region this collection does not know is still called."""
    answered = []

    def getaddrinfo(host, *args, **kwargs):
        answered.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    api, unused_policy = slb_api("ap-southeast-99")
    with pytest.raises(AlicloudApiError):
        api.call("DescribeLoadBalancers")
    assert answered == ["slb.ap-southeast-99.aliyuncs.com"]


def test_an_endpoint_option_that_cannot_resolve_blames_the_endpoint_within_one_attempt(no_proxy_env):
    """A real lookup: RFC 6761 reserves .invalid, so no resolver anywhere answers it."""
    api, policy = slb_api("cn-hangzhou", endpoint="slb.mtls-clb-test.invalid")
    with pytest.raises(AlicloudApiError) as err:
        api.call("DescribeServerCertificates")
    error = err.value
    assert api.actions_called == ["DescribeServerCertificates"] and policy.sleeps == []
    assert error.transport in ("dns", "dns-temporary") and not error.retryable
    text = error.describe()
    assert "slb.mtls-clb-test.invalid (region cn-hangzhou)" in text
    if error.transport == "dns":
        assert "Check the endpoint option (slb.mtls-clb-test.invalid)" in text


def test_an_upload_to_an_unresolvable_endpoint_shows_neither_key_nor_signature(unresolvable_names):
    api, unused_policy = slb_api("cn-hangzou")
    with pytest.raises(AlicloudApiError) as err:
        api.call("UploadServerCertificate", {"ServerCertificate": "-----BEGIN CERTIFICATE-----x",
                                             "PrivateKey": PRIVATE_KEY}, retry=False)
    text = err.value.describe() + repr(err.value.as_result())
    for leak in ("PRIVATE KEY", "secretkeymaterial", "Signature", SECRET, "RegionId="):
        assert leak not in text, leak
    assert err.value.__cause__ is None and err.value.__suppress_context__ is True


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy"])
def test_a_proxy_that_does_not_resolve_is_named_as_the_proxy(unresolvable_names, monkeypatch, variable):
    """Named by the variable that is set: a user with a lower-case https_proxy, told to unset HTTPS_PROXY, was
    stuck (the SDK reads both spellings)."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, "http://proxyuser:proxypass@proxy.mtls-clb-test.invalid:3128")
    api, policy = slb_api("cn-hangzhou")
    with pytest.raises(AlicloudApiError) as err:
        api.call("DescribeLoadBalancers")
    error = err.value
    assert unresolvable_names == ["proxy.mtls-clb-test.invalid"]
    assert error.transport == "proxy-dns" and not error.retryable and policy.sleeps == []
    text = error.describe()
    assert "proxy host in %s does not resolve" % variable in text and "slb.aliyuncs.com" in text
    assert "Check %s: the SDK sends every request through the proxy variables" % variable in text
    assert "unset them" in text and "proxypass" not in text


def test_a_temporary_resolver_failure_is_not_retried_and_points_at_dns(no_proxy_env, monkeypatch):
    def getaddrinfo(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    api, policy = slb_api("eu-central-1")
    with pytest.raises(AlicloudApiError) as err:
        api.call("DescribeLoadBalancers")
    assert err.value.transport == "dns-temporary" and not err.value.retryable and policy.sleeps == []
    assert "slb.eu-central-1.aliyuncs.com (region eu-central-1) could not be resolved" in err.value.describe()
    assert "DNS" in err.value.describe()


def test_a_refused_connection_is_still_retried_and_names_host_and_region(no_proxy_env):
    """A local endpoint that is restarting comes back; refused connections keep their retries."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api, policy = slb_api("cn-hangzhou", endpoint=f"http://127.0.0.1:{port}", max_attempts=3)
    with pytest.raises(AlicloudApiError) as err:
        api.call("DescribeLoadBalancers")
    assert api.actions_called == ["DescribeLoadBalancers"] * 3 and len(policy.sleeps) == 2
    assert err.value.transport == "refused" and err.value.retryable
    assert f"could not reach 127.0.0.1:{port} (region cn-hangzhou): connection refused" in err.value.describe()


def test_an_endpoint_certificate_that_does_not_verify_is_not_retried():
    verify = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    outer = requests.exceptions.SSLError("Max retries exceeded with url: /?Signature=abc&PrivateKey=x")
    outer.__cause__ = verify
    error = from_sdk_exception("DescribeLoadBalancers", UnretryableException(request=None, ex=outer),
                               region="cn-hangzhou", endpoint_host="slb.aliyuncs.com")
    assert error.transport == "tls-verify" and not error.retryable
    text = error.describe()
    assert "the TLS certificate of slb.aliyuncs.com (region cn-hangzhou) could not be verified" in text
    assert "Signature" not in text and "PrivateKey" not in text


def test_str_of_an_error_shows_the_region_filled_in_after_construction():
    error = AlicloudApiError("DescribeLoadBalancers", "InvalidRegionId.NotFound", "The specified RegionId does "
                             "not exist.", status_code=404)
    error.region = "xx-nowhere-9"
    assert "Check the region option (xx-nowhere-9)" in str(error)


# --- B6: transient codes, and 5xx only for reads -------------------------------------------------

@pytest.mark.parametrize("cls,status,code", [
    (ClientException, 409, "ServiceIsStopping"),
    (ClientException, 400, "ProcessingSameRequest"),
    (ServerException, 500, "InternalInvokeError"),
    (ClientException, 400, "VServerGroupProcessing"),
])
@pytest.mark.parametrize("action", ["DescribeLoadBalancers", "DeleteLoadBalancerListener", "CreateLoadBalancer"])
def test_documented_try_again_later_codes_are_retried_for_every_action(cls, status, code, action):
    error = from_sdk_exception(action, sdk_error(cls, status, code, "please try again later"))
    assert error.retryable and "stayed busy" in error.describe()


@pytest.mark.parametrize("status", [500, 502, 504])
def test_any_5xx_is_retried_for_a_read(status):
    error = from_sdk_exception("DescribeLoadBalancerHTTPSListenerAttribute",
                               sdk_error(ServerException, status, "GatewayHiccup", "upstream"))
    assert error.retryable


@pytest.mark.parametrize("action", ["UploadServerCertificate", "AddBackendServers", "CreateLoadBalancer",
                                    "StartLoadBalancerListener", "SetLoadBalancerHTTPSListenerAttribute"])
def test_an_unknown_5xx_code_is_not_retried_blindly_for_a_mutating_call(action):
    error = from_sdk_exception(action, sdk_error(ServerException, 502, "GatewayHiccup", "upstream"))
    assert not error.retryable


def test_a_read_answered_500_then_200_succeeds_through_slb_api():
    from alibabacloud_slb20140515 import models

    class ScriptedSdk:
        _endpoint = "slb.aliyuncs.com"

        def __init__(self, answers):
            self.answers = answers

        def describe_load_balancers_with_options(self, request, runtime):
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return models.DescribeLoadBalancersResponse(
                headers={}, status_code=200, body=models.DescribeLoadBalancersResponseBody().from_map(answer))

    policy = CountingPolicy()
    sdk = ScriptedSdk([sdk_error(ServerException, 500, "UnknownError", "internal"),
                       {"RequestId": "R", "TotalCount": 0}])
    api = client_mod.SlbApi(sdk, "cn-hangzhou", policy)
    assert api.call("DescribeLoadBalancers")["TotalCount"] == 0
    assert api.actions_called == ["DescribeLoadBalancers"] * 2 and len(policy.sleeps) == 1


class RecordingSdk:
    """An SDK client that records the requests it is given and answers every one with an empty body."""
    _endpoint = "slb.aliyuncs.com"

    def __init__(self):
        self.requests = []

    def __getattr__(self, name):
        if not name.endswith("_with_options"):
            raise AttributeError(name)

        def method(request, runtime):
            self.requests.append(request)
            return type("Response", (), {"body": None})()
        return method


def test_a_parameter_the_sdk_model_would_drop_is_refused_before_the_call():
    """from_map drops keys its model lacks: an old SDK (or a typo) would send nothing and report a change."""
    sdk = RecordingSdk()
    api = client_mod.SlbApi(sdk, "cn-hangzhou", RetryPolicy())
    api._methods = {"setloadbalancerhttpslistenerattribute": "set_load_balancer_httpslistener_attribute_with_options"}

    with pytest.raises(AlicloudApiError) as raised:
        api.call("SetLoadBalancerHTTPSListenerAttribute",
                 {"LoadBalancerId": "lb-1", "ListenerPort": 443, "BackendServerPort": 8080, "TLSCipherPolicyy": "x"})

    error = raised.value
    assert error.code == client_mod.SDK_PARAMETER_UNKNOWN_CODE and not error.retryable
    assert "SetLoadBalancerHTTPSListenerAttributeRequest has no parameter BackendServerPort, TLSCipherPolicyy" in str(error)
    assert "alibabacloud-slb20140515 >= 3.3.30" in str(error)
    assert sdk.requests == [] and api.actions_called == []


def test_parameters_the_model_knows_are_sent_with_the_region():
    sdk = RecordingSdk()
    api = client_mod.SlbApi(sdk, "cn-hangzhou", RetryPolicy())
    api._methods = {"describeloadbalancerlisteners": "describe_load_balancer_listeners_with_options"}

    assert api.call("DescribeLoadBalancerListeners", {"LoadBalancerId": ["lb-1"], "MaxResults": 100,
                                                      "NextToken": None}) == {}

    (request,) = sdk.requests
    sent = {name: value for name, value in request.to_map().items() if value != []}  # the model's own empty Tag
    assert sent == {"RegionId": "cn-hangzhou", "LoadBalancerId": ["lb-1"], "MaxResults": 100}


# --- B9: the SDK floor and the missing-library message -------------------------------------------

BLOCKED_IMPORT_RUN = textwrap.dedent("""
    import json, sys
    sys.modules["darabonba"] = None  # as if an older SDK without darabonba-core were installed
    from ansible_collections.mtls.clb.plugins.module_utils.alicloud import client
    print(json.dumps({"has_sdk": client.HAS_SLB_SDK, "missing": client.SLB_SDK_MISSING,
                      "message": client.missing_sdk_message(client.SLB_SDK_MISSING)}))
""")


def test_the_missing_library_message_names_the_import_that_failed_and_the_versions_needed(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "build" / "collections"))
    proc = subprocess.run([sys.executable, "-c", BLOCKED_IMPORT_RUN], env=env, capture_output=True, text=True,
                          check=False, timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    outcome = json.loads(proc.stdout)
    assert outcome["has_sdk"] is False and outcome["missing"][0].startswith("darabonba")
    message = outcome["message"]
    assert "(darabonba-core)" in message and "darabonba" in message.split("The import failed with:")[1]
    assert "alibabacloud-slb20140515 >= 3.3.30" in message and "alibabacloud-tea-openapi >= 0.4.1" in message


def test_sdk_imports_lists_what_the_client_imports_from_the_sdk():
    """site.yml's check before step 1 (filter sdk_problems) asks for SDK_IMPORTS: the client's own imports."""
    import ast

    tree = ast.parse(Path(client_mod.__file__).read_text())
    guarded = next(node for node in ast.walk(tree) if isinstance(node, ast.Try)
                   and any(isinstance(handler.type, ast.Name) and handler.type.id == "ImportError"
                           for handler in node.handlers)
                   and any(isinstance(statement, ast.ImportFrom) and statement.module.startswith("alibabacloud")
                           for statement in node.body))
    imported = []
    for statement in guarded.body:
        if isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                # `from package import models` imports package.models; `from package.client import Client` the module
                is_module = statement.module in sdk_requirements.SDK_PACKAGES
                imported.append(statement.module + "." + alias.name if is_module else statement.module)
    assert tuple(imported) == sdk_requirements.SDK_IMPORTS


def requirement_floors():
    floors = {}
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if ">=" in line:
            name, rest = line.split(">=", 1)
            floors[name.strip()] = rest.split(",")[0].strip()
    return floors


def test_requirements_pin_the_floors_the_client_code_names():
    floors = requirement_floors()
    for package in sdk_requirements.SDK_PACKAGES.values():
        assert package in floors, package
        assert f"{package} >= {floors[package]}" in sdk_requirements.SDK_REQUIREMENTS, package


def test_the_installed_sdk_meets_the_floors():
    from importlib.metadata import version

    def as_tuple(text):
        return tuple(int(part) for part in text.split(".")[:3])

    for package, floor in requirement_floors().items():
        if package in sdk_requirements.SDK_PACKAGES.values():
            assert as_tuple(version(package)) >= as_tuple(floor), package


# --- B11: the environment aliases of alibaba.alicloud and Terraform -----------------------------

def test_env_aliases_are_read_in_order_by_ansible(monkeypatch):
    from ansible.module_utils.basic import env_fallback

    for name in client_mod.REGION_ENV + client_mod.ACCESS_KEY_ID_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_REGION", "eu-west-1")
    assert env_fallback(*client_mod.REGION_ENV) == "eu-west-1"
    monkeypatch.setenv("ALICLOUD_REGION_ID", "eu-central-1")
    assert env_fallback(*client_mod.REGION_ENV) == "eu-central-1"
    monkeypatch.setenv("ALICLOUD_ACCESS_KEY_ID", "AK-alibaba-alicloud")
    assert env_fallback(*client_mod.ACCESS_KEY_ID_ENV) == "AK-alibaba-alicloud"
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "AK-first")
    assert env_fallback(*client_mod.ACCESS_KEY_ID_ENV) == "AK-first"
