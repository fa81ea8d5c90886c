"""The error-code table knows the HTTP status of every code the emulator answers: the codes its own
rules raise, the newer codes of the API metadata that tests inject as faults, and a fallback that
keeps a missing resource at 404 for a code in no table."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from alibabacloud_slb20140515 import models as m
from alibabacloud_tea_openapi import exceptions as openapi_exceptions
from clb_emulator import backend as backend_module
from clb_emulator.error_codes import ERROR_CODES, METADATA_ERROR_CODES
from clb_emulator.errors import ApiError

from tests.emulator.conftest import REGION

SOURCE = Path(backend_module.__file__).parent


def codes_raised_in_the_source() -> set[str]:
    codes = set()
    for path in SOURCE.glob("*.py"):
        text = path.read_text()
        codes.update(re.findall(r'ApiError\(\s*"([A-Za-z0-9_.]+)"', text))
        if 'ApiError(f"{id_field}.NotFound"' in text:
            codes.update(("ServerCertificateId.NotFound", "CACertificateId.NotFound"))
    return codes


def test_every_code_the_rules_raise_has_a_row():
    raised = codes_raised_in_the_source()
    assert {"CertificateNotExist", "IllegalParam.InstanceChargeType", "ShareSlbHaltSales",
            "InvalidParameter.AliCloudCertificateId", "ListenerNotFound"} <= raised
    assert sorted(raised - set(ERROR_CODES)) == []


@pytest.mark.parametrize("code,status", [
    ("ResourceNotFound.Listener", 404), ("ResourceNotFound.Certificate", 404), ("CertificateNotExist", 400),
    ("Operation.Deny", 400), ("ListenerProcessing", 400), ("IllegalParam.InstanceChargeType", 400),
    ("ShareSlbHaltSales", 400), ("TooManyListeners", 400), ("OperationFailed.TokenIsProcessing", 400),
    ("BackendServerProcessing", 400), ("LocationServiceTimeout", 400),
])
def test_documented_codes_of_the_api_metadata_have_their_status(code, status):
    assert METADATA_ERROR_CODES[code][0] == status and ERROR_CODES[code][0] == status
    assert ApiError(code).status == status and ApiError(code).message == METADATA_ERROR_CODES[code][1]


@pytest.mark.parametrize("code,status", [("ResourceNotFound.Rule", 404), ("InvalidVServerGroupId.NotFound", 404),
                                         ("Some.NewCode", 400)])
def test_a_code_in_no_table_is_404_when_it_names_a_missing_resource(code, status):
    assert code not in ERROR_CODES
    assert ApiError(code).status == status


@pytest.mark.parametrize("code,status,exception", [
    ("ResourceNotFound.Listener", 404, openapi_exceptions.ClientException),
    ("Operation.Deny", 400, openapi_exceptions.ClientException),
    ("ListenerProcessing", 400, openapi_exceptions.ClientException),
])
def test_injected_faults_of_the_newer_codes_reach_the_sdk_with_their_status(fresh_emulator, code, status, exception):
    fresh_emulator.set_faults([{"action": "StartLoadBalancerListener", "error": code, "count": 1}])
    with pytest.raises(exception) as info:
        fresh_emulator.sdk_client().start_load_balancer_listener(m.StartLoadBalancerListenerRequest(
            region_id=REGION, load_balancer_id="lb-any", listener_port=443))
    assert (info.value.code, info.value.status_code) == (code, status)
    assert [(c["status"], c["code"]) for c in fresh_emulator.calls()] == [(status, code)]
