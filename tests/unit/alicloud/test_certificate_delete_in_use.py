# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deleting a certificate the service says is in use: named listeners fail at once; a reference no listener
accounts for (an additional domain's certificate, or one that lingers after a switch - Terraform's delete
retries that refusal for three minutes) is asked again under the retry policy, then fails saying so."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificates import (
    IN_USE_CODE,
    SERVER_CERTIFICATE,
    CertificateInUseError,
    CertificateStore,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from tests.unit.alicloud.scripted import SequencedSlb

DELETE = "DeleteServerCertificate"
LIST = "DescribeLoadBalancerListeners"


def in_use():
    return AlicloudApiError(DELETE, IN_USE_CODE, "The specified certificate is being used.", status_code=400)


def listed(certificate_id):
    return {"Listeners": [{"LoadBalancerId": "lb-1", "ListenerPort": 443, "ListenerProtocol": "https",
                           "HTTPSListenerConfig": {"ServerCertificateId": certificate_id}}]}


def test_a_listener_that_uses_the_certificate_fails_at_once_naming_it():
    slb = SequencedSlb({DELETE: in_use(), LIST: listed("sc-1")})
    with pytest.raises(CertificateInUseError) as refused:
        CertificateStore(slb, SERVER_CERTIFICATE).delete("sc-1")
    assert "in use by lb-1:443" in str(refused.value)
    assert slb.calls == [DELETE, LIST]


def test_a_reference_no_listener_accounts_for_is_asked_again_until_it_goes():
    slb = SequencedSlb({DELETE: [in_use(), in_use(), {"RequestId": "R"}], LIST: listed("sc-other")})
    CertificateStore(slb, SERVER_CERTIFICATE).delete("sc-1")
    assert slb.calls == [DELETE, LIST, DELETE, LIST, DELETE]


def test_a_reference_that_stays_fails_after_the_retries_saying_what_it_may_be():
    slb = SequencedSlb({DELETE: in_use(), LIST: {"Listeners": []}}, max_attempts=3)
    with pytest.raises(CertificateInUseError) as refused:
        CertificateStore(slb, SERVER_CERTIFICATE).delete("sc-1")
    message = str(refused.value)
    assert "still referenced" in message and "additional domain" in message and "DescribeDomainExtensions" in message
    assert "in use by" not in message
    assert slb.calls.count(DELETE) == 3


def test_a_transient_error_and_then_not_found_means_deleted():
    busy = AlicloudApiError(DELETE, "ServiceUnavailable", "busy", status_code=503)
    gone = AlicloudApiError(DELETE, "ServerCertificateId.NotFound", "gone", status_code=404)
    slb = SequencedSlb({DELETE: [busy, gone]})
    CertificateStore(slb, SERVER_CERTIFICATE).delete("sc-1")
    assert slb.calls == [DELETE, DELETE]
