# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one place where SLB API failures are classified: retryable, not found, or final.

Every SDK exception is turned into an `AlicloudApiError` that carries only what is safe to
show (action, code, HTTP status, the service's message, request id). The SDK's own exception
objects keep the signed request (query string with PEM keys and the signature) and must never
be rendered.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Codes the issue names as transient; `Throttling*` is matched by prefix below.
RETRYABLE_CODES = frozenset((
    "ServiceUnavailable",
    "SystemBusy",
    "OperationBusy",
    "ServiceIsConfiguring",
    "BackendServer.configuring",
    "InternalError",
))

# Codes that mean "the thing you named does not exist" for the read calls we make.
NOT_FOUND_CODES = frozenset((
    "InvalidLoadBalancerId.NotFound",
    "ListenerNotFound",
    "ServerCertificateId.NotFound",
    "CACertificateId.NotFound",
    "InvalidServerCertificateId.NotFound",
    "InvalidCACertificateId.NotFound",
))
NOT_FOUND_MESSAGE = "The specified resource does not exist"

CREDENTIAL_CODES = frozenset((
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidSecurityToken.Expired",
    "InvalidSecurityToken.Malformed",
    "InvalidSecurityToken.MismatchWithAccessKey",
    "InvalidCredentials",
    "Forbidden.AccessKeyDisabled",
))
REGION_CODES = frozenset(("InvalidRegionId.NotFound", "InvalidRegionId", "RegionNotSupport"))
BACKEND_SERVER_CODES = frozenset(("ObtainIpFail", "InvalidServerId.NotFound", "InvalidBackendServers.Inconsistent"))

# The SDK formats messages as "code: <status>, <service message> request id: <id>".
_SDK_MESSAGE = re.compile(r"^code: \d+, (?P<message>.*?)(?: request id: [^ ]*)?$", re.S)


class AlicloudApiError(Exception):
    """A failed SLB call, reduced to the fields that are safe to report."""

    def __init__(self, action, code, message, request_id=None, status_code=None, retry_after_ms=None,
                 connection_error=False):
        self.action = action
        self.code = code or "Unknown"
        self.message = message or ""
        self.request_id = request_id or None
        self.status_code = status_code
        self.retry_after_ms = retry_after_ms
        self.connection_error = connection_error
        self.region = None
        super(AlicloudApiError, self).__init__(self.describe())

    @property
    def retryable(self):
        if self.connection_error:
            return True
        if self.code.startswith("Throttling"):
            return True
        return self.code in RETRYABLE_CODES

    @property
    def not_found(self):
        return self.code in NOT_FOUND_CODES or NOT_FOUND_MESSAGE in self.message

    def hint(self):
        """A sentence telling the user what to do about the error, when we know one."""
        if self.code in CREDENTIAL_CODES:
            return ("Check access_key_id / access_key_secret / security_token (or the "
                    "ALIBABA_CLOUD_* / ALICLOUD_* environment variables) for this account.")
        if self.code in REGION_CODES or "RegionId" in self.message:
            region = " ({0})".format(self.region) if self.region else ""
            return "Check the region option{0} (or ALIBABA_CLOUD_REGION_ID / ALICLOUD_REGION).".format(region)
        if self.code in BACKEND_SERVER_CODES:
            return ("Check servers[].server_id: each must be a running ECS instance (or ENI/ECI) in the load "
                    "balancer's region, and all must be in the same VPC (or all classic).")
        if self.connection_error:
            return ("Check the endpoint option, network access and proxy variables (the SDK uses "
                    "HTTP(S)_PROXY for every host and ignores NO_PROXY).")
        if self.code.startswith("Throttling") or self.retryable:
            return ("The service stayed busy after every retry; raise retry_max_attempts / "
                    "retry_max_seconds or try again later.")
        return None

    def describe(self):
        text = "{0} failed: {1}".format(self.action, self.code)
        if self.message:
            text += ": " + self.message
        if self.request_id:
            text += " (request id {0})".format(self.request_id)
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


def _service_message(sdk_message):
    if not sdk_message:
        return ""
    match = _SDK_MESSAGE.match(sdk_message)
    return match.group("message") if match else sdk_message


def _clean_request_id(request_id):
    if request_id in (None, "", "None"):
        return None
    return request_id


def from_sdk_exception(action, exc):
    """Translate whatever the SDK raised into an AlicloudApiError (never keeps `exc` itself)."""
    data = getattr(exc, "data", None)
    code = getattr(exc, "code", None)
    status_code = getattr(exc, "status_code", None)
    if isinstance(data, dict):
        status_code = status_code or data.get("statusCode")
    if code is not None and status_code is not None:
        message = None
        if isinstance(data, dict):
            message = data.get("Message") or data.get("message")
        message = message or _service_message(getattr(exc, "message", ""))
        return AlicloudApiError(action, str(code), message,
                                request_id=_clean_request_id(getattr(exc, "request_id", None)),
                                status_code=status_code,
                                retry_after_ms=getattr(exc, "retry_after", None))
    if code == "InvalidCredentials":
        return AlicloudApiError(action, "InvalidCredentials",
                                "no credentials: set access_key_id and access_key_secret, the "
                                "ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET "
                                "environment variables, or a credentials profile / RAM role")
    # Transport failures come wrapped (Tea UnretryableException around a requests error). Their
    # text holds the full signed URL, PEM keys included, so only the exception class is kept.
    inner = getattr(exc, "inner_exception", None) or exc
    return AlicloudApiError(action, "ConnectionError",
                            "could not reach the SLB endpoint ({0})".format(type(inner).__name__),
                            connection_error=True)
