"""The SLB codes documented in Alibaba's API metadata (not only the 2021 error table): which are
retried (some only for the actions where they mean "try again later"), which mean "not found",
and which hint names the option to fix. Errors are built the way the SDK raises them."""
from __future__ import annotations

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError, from_sdk_exception
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listeners import HttpsListenerApi
from tests.unit.alicloud.scripted import SequencedSlb

START = "StartLoadBalancerListener"
STOP = "StopLoadBalancerListener"
SET = "SetLoadBalancerHTTPSListenerAttribute"
DELETE = "DeleteLoadBalancerListener"
DESCRIBE = "DescribeLoadBalancerHTTPSListenerAttribute"
LISTENER_STATUS = "OperationFailed.ListenerStatusNotSupport"


def api_error(action, code, status=400, message="text", region="cn-hangzhou"):
    body = {"Code": code, "Message": message, "RequestId": "REQ-2"}
    exc = ClientException(status_code=status, code=code, message="code: {0}, {1} request id: REQ-2".format(
        status, message), data=body, request_id="REQ-2")
    return from_sdk_exception(action, exc, region=region)


@pytest.mark.parametrize("code", ["ListenerProcessing", "BackendServerProcessing", "LocationServiceTimeout"])
@pytest.mark.parametrize("action", ["CreateLoadBalancerHTTPSListener", "AddBackendServers", "DescribeLoadBalancers"])
def test_try_again_later_codes_of_the_api_metadata_are_retried_on_every_action(code, action):
    error = api_error(action, code)
    assert error.retryable is True
    assert "retry_max_attempts" in error.describe()


@pytest.mark.parametrize("action", [START, STOP, SET, DELETE])
def test_operation_deny_is_retried_on_the_listener_actions_where_it_means_configuring(action):
    assert api_error(action, "Operation.Deny",
                     message="The specified listener is configuring, please try again later.").retryable is True


@pytest.mark.parametrize("action", ["CreateLoadBalancer", "UploadServerCertificate", "AddBackendServers",
                                    "DeleteLoadBalancer", "CreateLoadBalancerHTTPSListener"])
def test_operation_deny_elsewhere_is_final(action):
    error = api_error(action, "Operation.Deny")
    assert error.retryable is False
    assert "retry_max_attempts" not in error.describe()


@pytest.mark.parametrize("action,retryable", [(SET, True), (DELETE, True), (START, False), (STOP, False),
                                              ("CreateLoadBalancerHTTPSListener", False)])
def test_listener_status_code_is_retried_where_asking_again_is_safe(action, retryable):
    """Start/Stop get it also for a listener that is already there; HttpsListenerApi reads the
    status before asking again, so the code alone must not retry them."""
    assert api_error(action, LISTENER_STATUS).retryable is retryable


@pytest.mark.parametrize("action,retryable", [("CreateLoadBalancer", True), ("CreateLoadBalancerHTTPSListener", False),
                                              ("UploadServerCertificate", False)])
def test_client_token_in_progress_is_retried_only_for_the_create_that_sends_one(action, retryable):
    assert api_error(action, "OperationFailed.TokenIsProcessing").retryable is retryable


@pytest.mark.parametrize("code,status", [("ResourceNotFound.Listener", 404), ("ListenerNotFound", 404),
                                         ("ResourceNotFound.Certificate", 404), ("CertificateNotExist", 400)])
def test_documented_not_found_codes_are_not_found(code, status):
    error = api_error(DELETE, code, status=status, message="The specified resource is not found.")
    assert error.not_found is True and error.retryable is False and error.status_code == status


@pytest.mark.parametrize("code", ["IllegalParam.InstanceChargeType", "ShareSlbHaltSales",
                                  "MissingParam.LoadBalancerSpec"])
def test_refused_pay_by_specification_create_names_instance_charge_type(code):
    text = api_error("CreateLoadBalancer", code).describe()
    assert text.startswith("CreateLoadBalancer failed: " + code)
    assert "instance_charge_type=PayByCLCU" in text and "load_balancer_spec" in text and "no longer sold" in text


def test_the_pay_by_specification_hint_is_only_for_create_load_balancer():
    assert "instance_charge_type" not in api_error("DescribeLoadBalancers", "IllegalParam.InstanceChargeType").describe()


@pytest.mark.parametrize("code,status", [("CertificateNotExist", 400), ("ResourceNotFound.Certificate", 404),
                                         ("ServerCertificateId.NotFound", 404), ("CACertificateId.NotFound", 404)])
@pytest.mark.parametrize("action", ["CreateLoadBalancerHTTPSListener", SET])
def test_missing_certificate_on_a_listener_names_both_certificate_options_and_the_region(code, status, action):
    text = api_error(action, code, status=status, region="eu-central-1").describe()
    assert "server_certificate_id" in text and "ca_certificate_id" in text
    assert "(eu-central-1)" in text and "regional" in text


@pytest.mark.parametrize("code,needles", [
    ("IllegalParam.ServerCertificate", ("certificate / certificate_path", "private_key / private_key_path")),
    ("CertificateFormatInvalid", ("certificate / certificate_path", "no blank lines")),
    ("KeyFormatError", ("private_key / private_key_path", "PKCS#8")),
    ("CertificateNotMatchPrivateKey", ("private_key (or private_key_path)", "certificate (or certificate_path)")),
    ("OperationDenied.IllegalKeyLength", ("certificate / certificate_path", "private_key / private_key_path", "2048",
                                          "P-256", "only in a region that takes ECDSA")),
    ("EccCertificateNotSupport", ("certificate / certificate_path", "private_key / private_key_path", "RSA key",
                                  "ali_cloud_certificate_id", "region option")),
])
def test_server_certificate_upload_refusals_name_the_material_options(code, needles):
    text = api_error("UploadServerCertificate", code).describe()
    for needle in needles:
        assert needle in text, (code, needle, text)


def test_an_ecdsa_refusal_names_the_region_that_refused_it_and_both_ways_out():
    text = api_error("UploadServerCertificate", "EccCertificateNotSupport", region="cn-shanghai").describe()
    assert "Region cn-shanghai does not take ECDSA" in text
    assert "with an RSA key" in text and "a region that takes ECDSA (the region option)" in text


def test_ca_certificate_upload_refusal_names_only_the_ca_options():
    text = api_error("UploadCACertificate", "CertificateFormatInvalid").describe()
    assert "certificate / certificate_path" in text and "private_key" not in text


def test_unknown_ssl_certificates_service_id_names_the_import_options():
    text = api_error("UploadServerCertificate", "InvalidParameter.AliCloudCertificateId",
                     message="The specified AliCloudCertificateId is invalid.").describe()
    assert "ali_cloud_certificate_id" in text and "ali_cloud_certificate_region_id" in text


def test_the_misspelt_certificate_id_refusal_says_to_leave_the_region_out():
    """The refusal seen from the real service while AliCloudCertificateRegionId was sent (aliyun/alibabacloud-go-sdk
    issue 75): its message names a parameter that does not exist; the fix is the option to drop."""
    text = api_error("UploadServerCertificate", "MissingParameter",
                     message="The input parameter AliCouldCertificateId that is mandatory for processing this "
                             "request is not supplied.").describe()
    assert "run again without ali_cloud_certificate_region_id" in text
    assert "misspelling of AliCloudCertificateId" in text


def test_the_same_words_from_another_action_get_no_such_hint():
    text = api_error("UploadCACertificate", "MissingParameter", message="AliCouldCertificateId").describe()
    assert "ali_cloud_certificate_region_id" not in text


def refused(action, code, status=400):
    return AlicloudApiError(action, code, "text", status_code=status)


LISTENER = {"LoadBalancerId": "lb-1", "ListenerPort": 443, "Status": "stopped"}


def test_start_answered_operation_deny_while_configuring_is_asked_again_after_a_status_read():
    slb = SequencedSlb({START: [refused(START, "Operation.Deny"), {}], DESCRIBE: [dict(LISTENER, Status="stopped")]},
                       max_attempts=5)
    HttpsListenerApi(slb, "lb-1", 443).start()
    assert slb.calls == [START, DESCRIBE, START]


def test_start_answered_operation_deny_by_a_listener_already_starting_is_done():
    slb = SequencedSlb({START: [refused(START, "Operation.Deny")], DESCRIBE: [dict(LISTENER, Status="starting")]},
                       max_attempts=5)
    HttpsListenerApi(slb, "lb-1", 443).start()
    assert slb.calls == [START, DESCRIBE]


def test_delete_refused_while_the_listener_is_starting_is_retried_until_it_goes():
    slb = SequencedSlb({DELETE: [refused(DELETE, LISTENER_STATUS), refused(DELETE, "Operation.Deny"), {}]},
                       max_attempts=5)
    HttpsListenerApi(slb, "lb-1", 443).delete()
    assert slb.calls == [DELETE, DELETE, DELETE]


def test_delete_of_a_listener_that_vanished_meanwhile_is_done():
    slb = SequencedSlb({DELETE: [refused(DELETE, "ResourceNotFound.Listener", 404)]}, max_attempts=5)
    HttpsListenerApi(slb, "lb-1", 443).delete()
    assert slb.calls == [DELETE]


def test_describe_of_a_missing_listener_in_the_newer_code_is_no_listener():
    slb = SequencedSlb({DESCRIBE: [refused(DESCRIBE, "ResourceNotFound.Listener", 404)]}, max_attempts=5)
    assert HttpsListenerApi(slb, "lb-1", 443).describe() is None


def test_delete_refused_for_a_final_reason_is_not_retried():
    slb = SequencedSlb({DELETE: [refused(DELETE, "Forbidden", 403)]}, max_attempts=5)
    with pytest.raises(AlicloudApiError) as err:
        HttpsListenerApi(slb, "lb-1", 443).delete()
    assert err.value.code == "Forbidden" and slb.calls == [DELETE]


# --- refusals reported from the live service (public issues), each with the hint that names the fix ---------------

def test_a_tls_policy_on_a_shared_performance_instance_names_the_options_to_leave_out():
    """terraform-provider-alicloud#533: "The loadBalancer of shared spec doesn't support the parameter:
    TlsCipherPolicy." (InvalidParameter.SpecNotSupport)."""
    text = api_error("CreateLoadBalancerHTTPSListener", "InvalidParameter.SpecNotSupport",
                     message="The loadBalancer of shared spec doesn't support the parameter: TlsCipherPolicy.").describe()
    assert "tls_cipher_policy or enable_http2: leave them out" in text


def test_an_ssl_certificates_service_id_given_to_a_listener_names_the_registration():
    """terraform-provider-alicloud#2111: "The specified parameter ServerCertificateId is not Support."."""
    text = api_error("CreateLoadBalancerHTTPSListener", "InvalidParameter",
                     message="The specified parameter ServerCertificateId is not Support.").describe()
    assert "not IDs of the SSL Certificates Service" in text and "ali_cloud_certificate_id" in text


@pytest.mark.parametrize("action", ["AddBackendServers", "SetBackendServers"])
def test_load_balancer_not_found_from_a_backend_call_points_at_the_servers(action):
    """alibaba/terraform-provider#218: InvalidLoadBalancerId.NotFound answered for servers of another network."""
    text = api_error(action, "InvalidLoadBalancerId.NotFound", status=404,
                     message="The specified LoadBalancerId does not exist.").describe()
    assert "check that servers[].server_id are in its region and network" in text


def test_load_balancer_not_found_from_a_removal_gets_no_servers_hint():
    text = api_error("RemoveBackendServers", "InvalidLoadBalancerId.NotFound", status=404).describe()
    assert "servers the instance cannot take" not in text


@pytest.mark.parametrize("code", ["RspoolVipExist", "ObtainIpFail"])
def test_removal_refusals_terraform_retries_are_retried_for_removal_only(code):
    assert api_error("RemoveBackendServers", code).retryable is True
    assert api_error("AddBackendServers", code).retryable is False
    # A removal is not told to check that the servers are running.
    assert "must be a running ECS instance" not in api_error("RemoveBackendServers", code).describe()


@pytest.mark.parametrize("code", ["QuotaExceeded", "CertificateQuotaExceed", "CertificateNumberLimit"])
def test_a_full_certificate_quota_names_the_quota_and_the_way_out(code):
    text = api_error("UploadServerCertificate", code).describe()
    assert "100 server and 100 CA certificates" in text and "state=absent" in text


def test_a_tag_count_limit_is_not_read_as_the_certificate_quota():
    assert "100 server" not in api_error("UploadServerCertificate", "TagCountLimit").describe()


def test_forbidden_with_the_action_granted_names_the_other_causes():
    """certimate#1329: 403 Forbidden on UploadServerCertificate for a sub-user that had slb:*."""
    text = api_error("UploadServerCertificate", "Forbidden", status=403,
                     message="User not authorized to operate on the specified resource.").describe()
    assert "explicit Deny" in text and "resource group" in text and "tags" in text
