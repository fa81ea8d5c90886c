# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one place where SLB API failures are classified: retryable, not found, or final.

Every SDK exception is turned into an `AlicloudApiError` that carries only what is safe to
show (action, code, HTTP status, the service's message, request id, endpoint host, region).
The SDK's own exception objects keep the signed request (query string with PEM keys and the
signature) and must never be rendered. The service's message is not trusted either: the gateway
answers signature errors with its "string to sign", which quotes every parameter of the request
(PrivateKey of an upload included), so `AlicloudApiError` scrubs whatever message it is given.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re
import socket
import ssl

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.regions import closest_regions, is_known_region

try:
    from alibabacloud_credentials.exceptions import CredentialException
except ImportError:  # the class name is matched as well, so the check works without it
    CredentialException = None

# Transient service answers. The first six are the list; ServiceIsStopping (409),
# ProcessingSameRequest (400), InternalInvokeError (500) and VServerGroupProcessing (400) are
# "please try again later" codes of the CLB error table (2021) that Terraform's SlbIsBusy list
# and the SLB API notes (retry list) also retry. ListenerProcessing ("A previous configuration of
# the listener is pending"), BackendServerProcessing ("Backend Server is adding") and
# LocationServiceTimeout ("Location service connection timeout") are "try again later" codes of
# the per-action error lists in Alibaba's API metadata. Throttling codes are matched by THROTTLING_MARK below.
RETRYABLE_CODES = frozenset((
    "ServiceUnavailable",
    "SystemBusy",
    "OperationBusy",
    "ServiceIsConfiguring",
    "BackendServer.configuring",
    "InternalError",
    "ServiceIsStopping",
    "ProcessingSameRequest",
    "InternalInvokeError",
    "VServerGroupProcessing",
    "ListenerProcessing",
    "BackendServerProcessing",
    "LocationServiceTimeout",
))

# Any code containing this word is flow control (Throttling, Throttling.User, Throttling.Api, and the gateway's
# Rejected.Throttling), retried on every action: a throttled request was refused, not applied. Terraform's
# NeedRetry matches the same way (strings.Contains(code, "Throttling")); a prefix match missed
# Rejected.Throttling, which then failed the run at once.
THROTTLING_MARK = "Throttling"


def is_throttling_code(code):
    return THROTTLING_MARK in (code or "")


# Codes that are transient for some actions only. Operation.Deny is StartLoadBalancerListener's
# "The specified listener is configuring, please try again later."; elsewhere it is a generic
# refusal that waiting does not fix. OperationFailed.ListenerStatusNotSupport on a Set or a Delete
# means the listener is between statuses (Delete works only on stopped or running listeners);
# on Start/Stop it may instead mean "already there", which HttpsListenerApi decides by reading the
# status. OperationFailed.TokenIsProcessing: a CreateLoadBalancer with the same ClientToken is
# still being processed, so asking again returns that instance (Terraform retries it the same way).
LISTENER_STATUS_CODE = "OperationFailed.ListenerStatusNotSupport"
RETRYABLE_CODES_BY_ACTION = {
    "Operation.Deny": frozenset(("StartLoadBalancerListener", "StopLoadBalancerListener",
                                 "SetLoadBalancerHTTPSListenerAttribute", "DeleteLoadBalancerListener")),
    LISTENER_STATUS_CODE: frozenset(("SetLoadBalancerHTTPSListenerAttribute", "DeleteLoadBalancerListener")),
    "OperationFailed.TokenIsProcessing": frozenset(("CreateLoadBalancer",)),
    # Terraform's slb_backend_server delete retries these (with ServiceIsStopping) for five minutes; a removal
    # cannot add anything, so asking again is safe.
    "RspoolVipExist": frozenset(("RemoveBackendServers",)),
    "ObtainIpFail": frozenset(("RemoveBackendServers",)),
}

# Read-only actions may be retried on any HTTP 5xx: a repeated read cannot apply anything twice.
# A mutating call is retried only on the codes above (its caller protects against duplicates).
READ_ONLY_ACTION_PREFIX = "Describe"

# Codes that mean "the thing you named does not exist" for the calls we make. The API metadata
# documents ResourceNotFound.Listener (404) for a missing listener and ResourceNotFound.Certificate
# (404) / CertificateNotExist (400) for a missing certificate; the 2021 error table has
# ListenerNotFound and the *CertificateId.NotFound forms. Both generations may answer.
LISTENER_NOT_FOUND_CODES = frozenset(("ListenerNotFound", "ResourceNotFound.Listener"))
CERTIFICATE_NOT_FOUND_CODES = frozenset((
    "ServerCertificateId.NotFound",
    "CACertificateId.NotFound",
    "InvalidServerCertificateId.NotFound",
    "InvalidCACertificateId.NotFound",
    "ResourceNotFound.Certificate",
    "CertificateNotExist",
))
NOT_FOUND_CODES = frozenset(("InvalidLoadBalancerId.NotFound",)) | LISTENER_NOT_FOUND_CODES | \
    CERTIFICATE_NOT_FOUND_CODES
NOT_FOUND_MESSAGE = "The specified resource does not exist"

# The gateway's answers about an STS token (Alibaba Cloud's common error codes: the three
# InvalidSecurityToken.* and MissingSecurityToken, "SecurityToken is mandatory for this action.").
SECURITY_TOKEN_CODES = frozenset((
    "InvalidSecurityToken.Expired",
    "InvalidSecurityToken.Malformed",
    "InvalidSecurityToken.MismatchWithAccessKey",
    "MissingSecurityToken",
))
CREDENTIAL_CODES = frozenset((
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidCredentials",
    "Forbidden.AccessKeyDisabled",
)) | SECURITY_TOKEN_CODES
# The key is valid but its RAM user or role may not call the action (slb-api.md section 3 spells the
# sub-user code "Forbbiden.SubUser"; "Forbidden.RAM" and "NoPermission" are Alibaba-wide RAM denials).
PERMISSION_CODES = frozenset(("Forbidden", "Forbidden.RAM", "NoPermission", "Forbbiden.SubUser"))
NO_CREDENTIALS_CODE = "NoCredentials"
CREDENTIAL_PROVIDER_CODE = "CredentialProviderError"
REGION_CODES = frozenset(("InvalidRegionId.NotFound", "InvalidRegionId", "RegionNotSupport"))
BACKEND_SERVER_CODES = frozenset(("ObtainIpFail", "InvalidServerId.NotFound", "InvalidBackendServers.Inconsistent"))

# CreateLoadBalancer refusals that mean "pay-by-specification is not sold": the documented code for
# a refused charge type, the one seen for a create without LoadBalancerSpec while PayBySpec was the
# default (terraform-provider-alicloud#3517), and the documented "PayBySpec needs a spec".
PAY_BY_SPEC_REFUSED_CODES = frozenset(("IllegalParam.InstanceChargeType", "ShareSlbHaltSales",
                                       "MissingParam.LoadBalancerSpec"))
# The parameter name in UploadServerCertificate's refusal of an import that sent AliCloudCertificateRegionId, as
# reported (aliyun/alibabacloud-go-sdk#75: "AliCouldCertificateId missing"; leaving the region out fixed it).
MISSPELT_ALI_CLOUD_CERTIFICATE_ID = "AliCouldCertificateId"
# A listener option an instance of shared performance (no LoadBalancerSpec; no longer sold) does not take, as seen
# live for TLSCipherPolicy (terraform-provider-alicloud#533: "The loadBalancer of shared spec doesn't support the
# parameter: TlsCipherPolicy."). CLB's docs say TLS policies (and HTTP/2) need a high-performance instance.
SHARED_SPEC_CODE = "InvalidParameter.SpecNotSupport"
# A certificate ID of another kind (an SSL Certificates Service ID) given to a listener, as seen live
# (terraform-provider-alicloud#2111: "The specified parameter ServerCertificateId is not Support.").
NOT_SUPPORT_MESSAGE = "is not Support"
# The backend calls that bring servers into the group (and can be refused for a server the instance cannot take).
BACKEND_JOIN_ACTIONS = frozenset(("AddBackendServers", "SetBackendServers"))
LISTENER_WRITE_ACTIONS = frozenset(("CreateLoadBalancerHTTPSListener", "SetLoadBalancerHTTPSListenerAttribute"))
CERTIFICATE_UPLOAD_ACTIONS = frozenset(("UploadServerCertificate", "UploadCACertificate"))
# Upload refusals about the PEM material, old (2021 table) and new (API metadata) codes alike.
_PEM_SHAPE = "PEM, the leaf first and then its intermediates, no blank lines between blocks"
_UPLOAD_HINTS = {
    "IllegalParam.ServerCertificate": "certificate_format",
    "CertificateFormatInvalid": "certificate_format",
    "KeyFormatError": "certificate_format",
    "CertificateNotMatchPrivateKey": "key_mismatch",
    "OperationDenied.IllegalKeyLength": "key_length",
    "EccCertificateNotSupport": "ecc",
}

# The environment variables the modules read for the key pair (client.alicloud_argument_spec).
ACCESS_KEY_ENV_TEXT = ("ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET, "
                       "ALICLOUD_ACCESS_KEY / ALICLOUD_SECRET_KEY or ALICLOUD_ACCESS_KEY_ID / "
                       "ALICLOUD_SECRET_ACCESS_KEY")
REGION_ENV_TEXT = "ALIBABA_CLOUD_REGION_ID / ALICLOUD_REGION / ALICLOUD_REGION_ID / ALIBABA_CLOUD_REGION"
SECURITY_TOKEN_ENV_TEXT = "ALIBABA_CLOUD_SECURITY_TOKEN / ALICLOUD_SECURITY_TOKEN"
_STS_TRIPLE = ("access_key_id, access_key_secret and security_token (or ALIBABA_CLOUD_ACCESS_KEY_ID, "
               "ALIBABA_CLOUD_ACCESS_KEY_SECRET and " + SECURITY_TOKEN_ENV_TEXT + ")")
_SECURITY_TOKEN_HINTS = {
    "InvalidSecurityToken.Expired": (
        "The STS token has expired: get a new STS key and token (they expire together) and set " + _STS_TRIPLE +
        " from that one answer, or use a permanent access key without security_token."),
    "InvalidSecurityToken.MismatchWithAccessKey": (
        "security_token (or " + SECURITY_TOKEN_ENV_TEXT + ") does not belong to access_key_id: set " +
        _STS_TRIPLE + " from the same STS answer; a permanent access key takes no security_token, so unset "
        "it (and " + SECURITY_TOKEN_ENV_TEXT + ") when you use one."),
    "InvalidSecurityToken.Malformed": (
        "security_token (or " + SECURITY_TOKEN_ENV_TEXT + ") is not a valid STS token: copy it whole (it is long; "
        "a cut or quoted copy fails) and set " + _STS_TRIPLE + " from the same STS answer."),
    "MissingSecurityToken": (
        "access_key_id is an STS key (it starts with STS.) and needs the security token that came with it: set "
        "security_token (or " + SECURITY_TOKEN_ENV_TEXT + "), or use a permanent access key."),
}

# What each provider of the SDK's default credential chain looked at, in the chain's order.
CREDENTIAL_PROVIDERS = (
    ("EnvironmentVariableCredentialsProvider",
     "the environment (ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET)"),
    ("OIDCRoleArnCredentialsProvider",
     "an OIDC role (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE)"),
    ("CLIProfileCredentialsProvider", "the aliyun CLI profile ~/.aliyun/config.json"),
    ("ProfileCredentialsProvider",
     "the profile file ~/.alibabacloud/credentials.ini (or ALIBABA_CLOUD_CREDENTIALS_FILE)"),
    ("EcsRamRoleCredentialsProvider", "the ECS RAM role (instance metadata service)"),
    ("URLCredentialsProvider", "ALIBABA_CLOUD_CREDENTIALS_URI"),
)
_ECS_PROVIDER = "EcsRamRoleCredentialsProvider"
_CHAIN_EXHAUSTED = "unable to load credentials from any of the providers"
_PROVIDER_NAME = re.compile(r"\b([A-Za-z]+CredentialsProvider)\b")

# How a request failed without an answer from the service (AlicloudApiError.transport).
DNS_FAILURE = "dns"
DNS_TEMPORARY_FAILURE = "dns-temporary"
PROXY_DNS_FAILURE = "proxy-dns"
PROXY_FAILURE = "proxy"
TLS_VERIFY_FAILURE = "tls-verify"
CONNECTION_REFUSED = "refused"
TIMED_OUT = "timeout"
NOT_AN_API_ANSWER = "not-api"
REQUEST_TOO_LARGE = "too-large"
OTHER_TRANSPORT = "other"
# Retrying cannot fix these within a run: a name that does not resolve, a certificate that does
# not verify, a request the gateway finds too large (the same request gets the same answer).
# Refused connections, timeouts and garbled answers may be a restart or a blip.
NOT_RETRIED_TRANSPORT = frozenset((DNS_FAILURE, DNS_TEMPORARY_FAILURE, PROXY_DNS_FAILURE, TLS_VERIFY_FAILURE,
                                   REQUEST_TOO_LARGE))
# A gateway refuses a request that is too large before the API sees it, with an HTML page (Tengine's
# "414 Request-URI Too Large" for the Alibaba Cloud OpenAPI gateway: aliyun/openapi-core-nodejs-sdk#55). The
# SDK fails to read the page as JSON and keeps its text but not the status, so the reason phrase names
# the status. The URL is what grows: the SDK sends every parameter there, an upload's PEM included.
_TOO_LARGE_PAGES = (
    (414, "URI Too Long", re.compile(r"Request-URI Too (?:Large|Long)|\bURI Too Long", re.I)),
    (413, "Content Too Large", re.compile(r"Request Entity Too Large|Payload Too Large|Content Too Large", re.I)),
    (431, "Request Header Fields Too Large", re.compile(r"Request Header Fields Too Large", re.I)),
)
_NO_SUCH_NAME_ERRNOS = frozenset(getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA")
                                 if hasattr(socket, name))

# The SDK (Tea.core, darabonba) reads each of these, upper case first, and ignores NO_PROXY.
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


def proxy_variables_text():
    """The proxy variables set in this process ("https_proxy"), which are the ones a proxy failure came through,
    or, when none is (the failure came otherwise), every name the SDK reads."""
    names = [name for name in PROXY_VARIABLES if os.environ.get(name)]
    return " / ".join(names or ("HTTPS_PROXY / HTTP_PROXY (or https_proxy / http_proxy)",))


def proxy_hint():
    return ("Check {0}: the SDK sends every request through the proxy variables when they are set, upper or lower "
            "case, and ignores NO_PROXY; unset them if this host reaches the endpoint directly.".format(
                proxy_variables_text()))


# The SDK formats messages as "code: <status>, <service message> request id: <id>".
_SDK_MESSAGE = re.compile(r"^code: \d+, (?P<message>.*?)(?: request id: [^ ]*)?$", re.S)

# What the service may quote back from the request. The gateway answers V1 (HMAC-SHA1) signature
# errors with "... server string to sign is:POST&%2F&AccessKeyId%3D...%26PrivateKey%3D-----BEGIN%2520RSA..."
# (AxiosLeo/aliyun-sdk#2, NewFuture/DDNS#57); SigV4-style gateways quote a "canonical request" or
# "Canonical String" (with x-*-security-token) before their "String-to-Sign". Separators
# may be spaces, '+', '_', '-' or percent-encoded spaces (once or twice), or missing (StringToSign).
_SEPARATOR = r"(?:[\s_+\-]|%(?:25)*20)*"
_REQUEST_ECHO = re.compile(r"(?:server" + _SEPARATOR + r")?(?:string" + _SEPARATOR + r"to" + _SEPARATOR + r"sign|canonical" +
                           _SEPARATOR + r"(?:request|string))", re.I)
REQUEST_ECHO_NOTE = ("[the rest of the service's message is left out: it quotes the signed request, which can hold "
                     "the uploaded private key]")
# PEM private key armour, plain or percent-encoded once or twice ('%20'/'%2520'/'+' for spaces,
# '%2D' for a dash); a block without its END line is removed to the end of the text.
_ENCODED_SPACE = r"(?:\s|\+|%(?:25)*20)+"
_DASHES = r"(?:-|%(?:25)*2[dD]){5}"
_KEY_LABEL = r"(?:[A-Z0-9]+" + _ENCODED_SPACE + r")*PRIVATE" + _ENCODED_SPACE + r"KEY"
_PEM_END = _DASHES + r"END" + _ENCODED_SPACE + _KEY_LABEL + _DASHES
_PEM_PRIVATE_KEY = re.compile(_DASHES + r"BEGIN" + _ENCODED_SPACE + _KEY_LABEL + _DASHES + r".*?(?:" + _PEM_END + r"|\Z)",
                              re.S | re.I)
_PEM_END_ONLY = re.compile(_PEM_END, re.I)
# A secret parameter quoted as name=value ('=' possibly encoded); the value ends at '&' or its encodings.
_SECRET_PARAMETER = re.compile(r"\b(PrivateKey|SecurityToken|AccessKeySecret)((?:=|%(?:25)*3[dD])+)"
                               r"(?:(?!%(?:25)*26)[^&\s\"'<>,;])+", re.I)
REMOVED_KEY = "[private key removed]"
REMOVED_VALUE = "[removed]"


def scrub_service_text(text):
    """`text` from the service without any echo of the request and without private key material.

    Used for every message an AlicloudApiError carries, so no path can show the gateway's echo.
    """
    if not text:
        return text
    echo = _REQUEST_ECHO.search(text)
    if echo:
        kept = text[:echo.start()].rstrip(" \t\r\n:,;<([")
        text = (kept + " " if kept else "") + REQUEST_ECHO_NOTE
    text = _PEM_PRIVATE_KEY.sub(REMOVED_KEY, text)
    end_only = _PEM_END_ONLY.search(text)
    if end_only:  # the BEGIN line was cut off: everything before the END line may be key
        text = REMOVED_KEY + text[end_only.end():]
    return _SECRET_PARAMETER.sub(lambda match: match.group(1) + match.group(2) + REMOVED_VALUE, text)


class AlicloudApiError(Exception):
    """A failed SLB call, reduced to the fields that are safe to report."""

    def __init__(self, action, code, message, request_id=None, status_code=None, retry_after_ms=None,
                 connection_error=False, transport=None, region=None, endpoint_host=None,
                 endpoint_from_option=False, details=None):
        self.action = action
        self.code = code or "Unknown"
        self.message = scrub_service_text(_as_text(message))
        self.request_id = request_id or None
        self.status_code = status_code
        self.retry_after_ms = retry_after_ms
        self.connection_error = connection_error or transport is not None
        self.transport = transport if transport is not None else (OTHER_TRANSPORT if connection_error else None)
        self.region = region
        self.endpoint_host = endpoint_host
        self.endpoint_from_option = endpoint_from_option
        # Extra safe facts a hint can use (for example the credential providers that were tried).
        self.details = details or {}
        super(AlicloudApiError, self).__init__(self.message)

    def __str__(self):
        # Region and endpoint may be filled in after construction; render them at display time.
        return self.describe()

    @property
    def retryable(self):
        if self.connection_error:
            return self.transport not in NOT_RETRIED_TRANSPORT
        if is_throttling_code(self.code):
            return True
        if self.code in RETRYABLE_CODES:
            return True
        if self.action in RETRYABLE_CODES_BY_ACTION.get(self.code, ()):
            return True
        return self.server_side_failure and self.action.startswith(READ_ONLY_ACTION_PREFIX)

    @property
    def server_side_failure(self):
        return isinstance(self.status_code, int) and 500 <= self.status_code <= 599

    @property
    def not_found(self):
        return self.code in NOT_FOUND_CODES or NOT_FOUND_MESSAGE in self.message

    def hint(self):
        """A sentence telling the user what to do about the error, when we know one."""
        if self.code == NO_CREDENTIALS_CODE:
            return _no_credentials_hint(self.details.get("providers", ()))
        if self.code == CREDENTIAL_PROVIDER_CODE:
            return ("Check the credential source named above, or set access_key_id / access_key_secret "
                    "(or " + ACCESS_KEY_ENV_TEXT + ") to skip the SDK's default credential chain.")
        if self.code in _SECURITY_TOKEN_HINTS:
            return _SECURITY_TOKEN_HINTS[self.code]
        if self.code in CREDENTIAL_CODES:
            return ("Check access_key_id / access_key_secret / security_token (or the "
                    "ALIBABA_CLOUD_* / ALICLOUD_* environment variables) for this account.")
        if self.code in PERMISSION_CODES:
            return ("The access key's RAM user or role may not call slb:{0}: grant it (the section \"RAM policy\" "
                    "of docs/cloud-modules.md in the mtls.clb collection lists every action each module calls, "
                    "with a ready-made policy), or attach AliyunSLBFullAccess in a lab account. If it has that "
                    "already, look for an explicit Deny, a grant limited to one resource group, or a condition on "
                    "tags (uploads carry mtls-clb-* tags).".format(self.action))
        if self.code in REGION_CODES or "RegionId" in self.message:
            region = " ({0})".format(self.region) if self.region else ""
            return "Check the region option{0} (or {1}).".format(region, REGION_ENV_TEXT)
        if self.code in PAY_BY_SPEC_REFUSED_CODES and self.action == "CreateLoadBalancer":
            return ("Pay-by-specification (PayBySpec) CLB instances are no longer sold (since 2025-06-01 on the "
                    "international site, 2026-01-01 on the China site): set instance_charge_type=PayByCLCU (the "
                    "default when it is unset) and leave load_balancer_spec out.")
        if self.code in CERTIFICATE_NOT_FOUND_CODES and self.action in LISTENER_WRITE_ACTIONS:
            region = " ({0})".format(self.region) if self.region else ""
            return ("Check server_certificate_id and ca_certificate_id: each must be a certificate of this account "
                    "in the load balancer's region{0}; certificates are regional, and server_certificate / "
                    "ca_certificate return the IDs to use.".format(region))
        if self.code == SHARED_SPEC_CODE and self.action in LISTENER_WRITE_ACTIONS:
            return ("This load balancer is of shared performance (it has no load_balancer_spec), which does not take "
                    "tls_cipher_policy or enable_http2: leave them out, or use a pay-by-LCU or high-performance "
                    "instance.")
        if (self.code == "InvalidParameter" and self.action in LISTENER_WRITE_ACTIONS
                and NOT_SUPPORT_MESSAGE in self.message and "CertificateId" in self.message):
            return ("server_certificate_id and ca_certificate_id take IDs of SLB certificates, which "
                    "mtls.clb.server_certificate and mtls.clb.ca_certificate return, not IDs of the SSL Certificates "
                    "Service: register such a certificate first with server_certificate's ali_cloud_certificate_id.")
        if self.code.startswith("InvalidLoadBalancerId") and self.action in BACKEND_JOIN_ACTIONS:
            return ("The load balancer was read just before this call, so load_balancer_id and region are right; this "
                    "code has also been answered for servers the instance cannot take (alibaba/terraform-provider#218): "
                    "check that servers[].server_id are in its region and network (its own VPC for a VPC "
                    "instance).")
        if (self.code == "InvalidParameter" and self.action in LISTENER_WRITE_ACTIONS
                and "Bandwidth" in self.message):
            return ("Check bandwidth: -1 (unlimited) is for pay-by-traffic instances; on a pay-by-bandwidth "
                    "instance give each listener 1 to the instance's bandwidth in Mbit/s (load_balancer returns "
                    "it), the listeners together at most that.")
        if self.action == "UploadServerCertificate" and MISSPELT_ALI_CLOUD_CERTIFICATE_ID in self.message:
            return ("The service names {0}, a misspelling of AliCloudCertificateId. A reported cause is "
                    "AliCloudCertificateRegionId (aliyun/alibabacloud-go-sdk issue 75): run again without "
                    "ali_cloud_certificate_region_id.".format(MISSPELT_ALI_CLOUD_CERTIFICATE_ID))
        if self.code == "InvalidParameter.AliCloudCertificateId":
            return ("Check ali_cloud_certificate_id (with ali_cloud_certificate_name and, if set, "
                    "ali_cloud_certificate_region_id): it must be a certificate of the SSL Certificates Service "
                    "of this account, in that region.")
        if self.code in _UPLOAD_HINTS and self.action in CERTIFICATE_UPLOAD_ACTIONS:
            return _upload_hint(_UPLOAD_HINTS[self.code], self.action, self.region)
        if self.action in CERTIFICATE_UPLOAD_ACTIONS and _names_a_quota(self.code):
            return ("A region holds 100 server and 100 CA certificates by default (CLB quotas slb_quota_certs_num "
                    "and slb_quota_ca_certs_num), and every renewal uploads a new one: delete those no listener uses "
                    "(mtls.clb.certificate_info lists them; server_certificate / ca_certificate with state=absent) "
                    "or ask for a higher quota.")
        if self.code in BACKEND_SERVER_CODES and self.action in BACKEND_JOIN_ACTIONS:
            return ("Check servers[].server_id: each must be a running ECS instance (or ENI/ECI) in the load "
                    "balancer's region, and all must be in the same VPC (or all classic).")
        if self.connection_error:
            return self._transport_hint()
        if is_throttling_code(self.code) or self.retryable:
            text = ("The service stayed busy after every retry; raise retry_max_attempts / retry_max_seconds or try "
                    "again later.")
            if self.retry_after_ms:
                text += " Its last answer asked to wait {0:g} s (x-acs-retry-after).".format(
                    self.retry_after_ms / 1000.0)
            return text
        return None

    def _transport_hint(self):
        region = self.region or "not set"
        if self.transport == DNS_FAILURE:
            if self.endpoint_from_option:
                return "Check the endpoint option ({0}) for region {1}.".format(self.endpoint_host, region)
            if self.region and not is_known_region(self.region):
                guesses = closest_regions(self.region)
                guess = "; did you mean {0}?".format(" or ".join(guesses)) if guesses else ""
                return ("Check the region ({0} is not a region this collection knows{1}) or set endpoint to "
                        "your region's SLB endpoint.".format(self.region, guess))
            return ("Check the region ({0}) and this host's DNS, or set endpoint (slb-vpc.<region>.aliyuncs.com "
                    "inside a VPC without public DNS).".format(region))
        if self.transport == DNS_TEMPORARY_FAILURE:
            return ("Check this host's DNS and network access (region {0}); a host without public DNS can set "
                    "endpoint to slb-vpc.<region>.aliyuncs.com.".format(region))
        if self.transport in (PROXY_DNS_FAILURE, PROXY_FAILURE):
            return proxy_hint()
        if self.transport == REQUEST_TOO_LARGE:
            return _too_large_hint(self.action, self.status_code)
        if self.transport == TLS_VERIFY_FAILURE:
            return ("Check the endpoint option and any TLS-inspecting proxy between this host and Alibaba "
                    "Cloud; the modules never switch the certificate check off.")
        return ("Check the endpoint option (or the region, which picks the endpoint), network access and proxy "
                "variables (the SDK uses HTTP(S)_PROXY for every host and ignores NO_PROXY).")

    def summary(self):
        """What failed and what the service said, without the hint."""
        text = "{0} failed: {1}".format(self.action, self.code)
        if self.message:
            text += ": " + self.message
        if self.request_id:
            text += " (request id {0})".format(self.request_id)
        return text

    def describe(self):
        text = self.summary()
        hint = self.hint()
        if hint:
            text += ". " + hint
        return text

    def as_result(self):
        return {
            "api_action": self.action,
            "code": self.code,
            "error_message": self.message,
            "request_id": self.request_id,
            "status_code": self.status_code,
        }


def _names_a_quota(code):
    """Whether an error code reads as a quota or count limit (the code of a full certificate quota is not
    documented); TagCountLimit is about the tags of one upload, not the region's certificates."""
    return code != "TagCountLimit" and any(word in code for word in ("Quota", "Exceed", "Limit"))


def _upload_hint(kind, action, region=None):
    if action == "UploadCACertificate":
        return "Check certificate / certificate_path: the CA certificate must be {0}.".format(_PEM_SHAPE)
    if kind == "key_mismatch":
        return ("private_key (or private_key_path) is not the key of certificate (or certificate_path): give the "
                "key the certificate was issued for.")
    if kind == "key_length":
        return ("SLB refused the key size: issue certificate / certificate_path with an RSA 1024, 2048 or 4096-bit "
                "key and give that key as private_key / private_key_path (an ECDSA P-256, P-384 or P-521 key only in "
                "a region that takes ECDSA server certificates).")
    if kind == "ecc":
        # Which regions take ECDSA is not published as a list (and may grow), so the modules send the upload and
        # explain the refusal instead of refusing ECDSA by region themselves.
        return ("Region {0} does not take ECDSA (EC) server certificates; CLB takes them only in some regions (its "
                "2019-2021 docs named UK (London), eu-west-1, alone; its current docs say RSA only). Issue "
                "certificate / certificate_path with an RSA key (2048 or 4096 bits) and give that key as "
                "private_key / private_key_path (or register an RSA certificate by ali_cloud_certificate_id), or put "
                "the certificate and the load balancer in a region that takes ECDSA (the region option)."
                .format(region or "(the region option)"))
    return ("Check certificate / certificate_path ({0}) and private_key / private_key_path (an RSA or EC key; "
            "the module converts PKCS#8 and decrypts with private_key_passphrase).".format(_PEM_SHAPE))


def _too_large_hint(action, status_code):
    if status_code == 414 and action == "UploadServerCertificate":
        return ("The SDK sends the certificate and its key in the URL, and the gateway refused a URL that long; "
                "trying again would not help. Upload only the server certificate and the intermediates clients "
                "need (no root, no cross-signed duplicates), or import the certificate into the SSL Certificates "
                "Service and give ali_cloud_certificate_id instead.")
    if status_code == 414 and action == "UploadCACertificate":
        return ("The SDK sends the CA certificate in the URL, and the gateway refused a URL that long; trying again "
                "would not help. Give only the CA certificate that signs the client certificates "
                "(certificate / certificate_path).")
    return "The request is larger than the gateway takes; trying the same request again would not help."


def _no_credentials_hint(providers):
    text = ("Set access_key_id and access_key_secret (plus security_token for STS keys), or export " +
            ACCESS_KEY_ENV_TEXT + ", or write a profile to ~/.alibabacloud/credentials.ini "
            "or ~/.aliyun/config.json (aliyun configure), or attach a RAM role to the ECS instance this runs on.")
    if _ECS_PROVIDER in providers:
        text += (" Outside ECS, set ALIBABA_CLOUD_ECS_METADATA_DISABLED=true so that the chain does not "
                 "wait for the metadata service.")
    return text


def _as_text(value):
    """The service's Message as text: a gateway may answer it as a JSON object, list or number, which must be
    scrubbed like a string (and must not crash the translation, whose traceback would quote the SDK exception)."""
    if value is None or value == "":
        return ""
    return value if isinstance(value, str) else str(value)


def _service_message(sdk_message):
    sdk_message = _as_text(sdk_message)
    if not sdk_message:
        return ""
    match = _SDK_MESSAGE.match(sdk_message)
    return match.group("message") if match else sdk_message


def _clean_request_id(request_id):
    if request_id in (None, "", "None"):
        return None
    return request_id


def _exception_chain(exc, limit=16):
    """`exc` and every exception it wraps: Tea's inner_exception, urllib3's reason, requests'
    args[0], and Python's __cause__ / __context__ (breadth first, each object once)."""
    found = []
    pending = [exc]
    while pending and len(found) < limit:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or any(current is seen for seen in found):
            continue
        found.append(current)
        for attribute in ("inner_exception", "reason", "_reason", "__cause__", "__context__"):
            pending.append(getattr(current, attribute, None))
        pending.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    return found


def _class_names(chain):
    return [type(item).__name__ for item in chain]


def _credential_exception(chain):
    for item in chain:
        if CredentialException is not None and isinstance(item, CredentialException):
            return item
        if type(item).__name__ == "CredentialException":
            return item
    return None


def _credential_error(action, error, region):
    """The default chain found nothing (NoCredentials), or a provider failed after it was chosen."""
    text = str(getattr(error, "message", None) or error)
    providers = []
    for name in _PROVIDER_NAME.findall(text):
        if name not in providers:
            providers.append(name)
    labels = [label for name, label in CREDENTIAL_PROVIDERS if name in providers]
    if _CHAIN_EXHAUSTED in text:
        tried = "; ".join(labels) if labels else "the SDK's default credential chain"
        # The providers' own texts are left out: they may quote files or service replies.
        message = ("no credentials found: no access_key_id / access_key_secret option or environment variable "
                   "is set, and the SDK's default credential chain found none in {0}".format(tried))
        return AlicloudApiError(action, NO_CREDENTIALS_CODE, message, region=region,
                                details={"providers": tuple(providers)})
    source = labels[0] if labels else "the SDK's default credential chain"
    code = getattr(error, "code", None)
    message = "the credential provider failed ({0}{1})".format(source, ", code " + str(code) if code else "")
    return AlicloudApiError(action, CREDENTIAL_PROVIDER_CODE, message, region=region,
                            details={"providers": tuple(providers)})


def _name_resolution(chain):
    """(transport kind, errno description) when resolving a host name failed, else None."""
    names = _class_names(chain)
    for item in chain:
        if isinstance(item, socket.gaierror) or type(item).__name__ == "NameResolutionError":
            gai = next((e for e in chain if isinstance(e, socket.gaierror)), None)
            if any("ProxyError" in name for name in names):
                return PROXY_DNS_FAILURE
            if gai is None or gai.errno in _NO_SUCH_NAME_ERRNOS:
                return DNS_FAILURE
            return DNS_TEMPORARY_FAILURE
    return None


def _transport_kind(chain):
    names = _class_names(chain)
    resolution = _name_resolution(chain)
    if resolution:
        return resolution
    if any(isinstance(item, ssl.SSLCertVerificationError) for item in chain):
        return TLS_VERIFY_FAILURE
    if any("ProxyError" in name for name in names):
        return PROXY_FAILURE
    if any(isinstance(item, ConnectionRefusedError) or getattr(item, "errno", None) == errno.ECONNREFUSED
           for item in chain):
        return CONNECTION_REFUSED
    if any(isinstance(item, (socket.timeout, TimeoutError)) or "Timeout" in type(item).__name__
           for item in chain):
        return TIMED_OUT
    if _unreadable_answers(chain):
        return REQUEST_TOO_LARGE if _too_large_page(chain) else NOT_AN_API_ANSWER
    return OTHER_TRANSPORT


def _unreadable_answers(chain):
    """The SDK's 'Failed to parse the value as json format, Value: <the answer>' errors."""
    return [item for item in chain if isinstance(item, RuntimeError) and "json" in str(item)]


def _too_large_page(chain):
    """(status, reason) when the unreadable answer is a gateway's 'request too large' page, else None."""
    for item in _unreadable_answers(chain):
        text = str(item)
        for status, reason, pattern in _TOO_LARGE_PAGES:
            if pattern.search(text):
                return status, reason
    return None


def _transport_message(kind, host, region, chain):
    where = "{0} (region {1})".format(host or "the SLB endpoint", region or "not set")
    # The innermost class names the cause; the texts themselves hold the signed URL.
    cause = type(chain[-1]).__name__ if chain else "Exception"
    for item in chain:
        if type(item).__name__ in ("NameResolutionError", "NewConnectionError", "SSLCertVerificationError",
                                   "ConnectTimeoutError", "ReadTimeoutError", "ProxyError"):
            cause = type(item).__name__
            break
    texts = {
        DNS_FAILURE: "{0} does not resolve ({1})",
        DNS_TEMPORARY_FAILURE: "{0} could not be resolved: temporary failure in name resolution ({1})",
        PROXY_DNS_FAILURE: "the proxy host in " + proxy_variables_text() + " does not resolve, calling {0} ({1})",
        PROXY_FAILURE: "the proxy in " + proxy_variables_text() + " could not be reached, calling {0} ({1})",
        TLS_VERIFY_FAILURE: "the TLS certificate of {0} could not be verified ({1})",
        CONNECTION_REFUSED: "could not reach {0}: connection refused ({1})",
        TIMED_OUT: "could not reach {0}: timed out ({1})",
        NOT_AN_API_ANSWER: "{0} answered with something that is not an SLB API response ({1})",
        OTHER_TRANSPORT: "could not reach {0} ({1})",
    }
    if kind == REQUEST_TOO_LARGE:
        status, reason = _too_large_page(chain)
        return ("the gateway of {0} refused the request as too large before the API saw it: HTTP {1} {2} "
                "(an HTML page, not an SLB API response)".format(where, status, reason))
    return texts[kind].format(where, cause)


def from_sdk_exception(action, exc, region=None, endpoint_host=None, endpoint_from_option=False):
    """Translate whatever the SDK raised into an AlicloudApiError (never keeps `exc` itself).

    `endpoint_host` is the host[:port] the SDK sends to (never the URL: its query holds the
    signature and, for uploads, PEM keys); with `region` it makes connection errors actionable.
    """
    data = getattr(exc, "data", None)
    code = getattr(exc, "code", None)
    status_code = getattr(exc, "status_code", None)
    if isinstance(data, dict):
        status_code = status_code or data.get("statusCode")
    context = dict(region=region, endpoint_host=endpoint_host, endpoint_from_option=endpoint_from_option)
    if code is not None and status_code is not None:
        message = None
        if isinstance(data, dict):
            message = data.get("Message") or data.get("message")
        message = message or _service_message(getattr(exc, "message", ""))
        return AlicloudApiError(action, str(code), _as_text(message),
                                request_id=_clean_request_id(getattr(exc, "request_id", None)),
                                status_code=status_code,
                                retry_after_ms=getattr(exc, "retry_after", None), **context)
    if code == "InvalidCredentials":
        return AlicloudApiError(action, "InvalidCredentials",
                                "no credentials: set access_key_id and access_key_secret, the "
                                "ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET "
                                "environment variables, or a credentials profile / RAM role", **context)
    chain = _exception_chain(exc)
    credential_error = _credential_exception(chain)
    if credential_error is not None:
        return _credential_error(action, credential_error, region)
    # Transport failures come wrapped (Tea UnretryableException around a requests error). Their
    # text holds the full signed URL, PEM keys included, so only class names are kept.
    kind = _transport_kind(chain)
    status_code = _too_large_page(chain)[0] if kind == REQUEST_TOO_LARGE else None
    return AlicloudApiError(action, "ConnectionError", _transport_message(kind, endpoint_host, region, chain),
                            transport=kind, status_code=status_code, **context)
