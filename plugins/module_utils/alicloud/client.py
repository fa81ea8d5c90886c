# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one SLB client factory and module base shared by every mtls.clb cloud module.

`AlicloudModule` adds the shared options (doc fragment `mtls.clb.alicloud`), builds the SDK
client in exactly one place (`build_sdk_client`), runs every API call through one retry policy
(`SlbApi.call`), and reports failures through one error path (`fail_api_error`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import logging
import os
import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import (
    AlicloudApiError,
    from_sdk_exception,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.connection import (
    ACCESS_KEY_ID_ENV,
    ACCESS_KEY_SECRET_ENV,
    REGION_ENV,
    SECURITY_TOKEN_ENV,
    connection_problem,
    parse_endpoint,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.sdk_requirements import (
    SDK_REQUIREMENTS,
    missing_sdk_message,
)
from ansible_collections.mtls.clb.plugins.module_utils.private_key_text import mask_private_keys

try:
    from alibabacloud_slb20140515 import models as slb_models
    from alibabacloud_slb20140515.client import Client as SlbSdkClient
    from darabonba.runtime import RuntimeOptions
    from alibabacloud_tea_openapi.utils_models import Config as OpenApiConfig
    from alibabacloud_credentials.client import Client as CredentialClient
    HAS_SLB_SDK = True
    SLB_SDK_IMPORT_ERROR = None
    SLB_SDK_MISSING = None
except ImportError as import_error:
    HAS_SLB_SDK = False
    SLB_SDK_IMPORT_ERROR = traceback.format_exc()
    SLB_SDK_MISSING = (getattr(import_error, "name", None) or "", str(import_error))


# AlicloudApiError code of a request parameter the installed SDK's request model does not have (SlbApi.call).
SDK_PARAMETER_UNKNOWN_CODE = "SdkParameterUnknown"


def alicloud_argument_spec():
    """The options every cloud module accepts (documented in doc fragment mtls.clb.alicloud)."""
    return dict(
        access_key_id=dict(type="str", no_log=False, fallback=(env_fallback, list(ACCESS_KEY_ID_ENV))),
        access_key_secret=dict(type="str", no_log=True, fallback=(env_fallback, list(ACCESS_KEY_SECRET_ENV))),
        security_token=dict(type="str", no_log=True, fallback=(env_fallback, list(SECURITY_TOKEN_ENV))),
        region=dict(type="str", fallback=(env_fallback, list(REGION_ENV))),
        endpoint=dict(type="str"),
        connect_timeout=dict(type="float", default=5.0),
        read_timeout=dict(type="float", default=30.0),
        retry_max_attempts=dict(type="int", default=8),
        retry_max_seconds=dict(type="float", default=120.0),
    )


# With DEBUG=sdk in the environment (Alibaba Cloud's documented switch for debugging its Python SDKs),
# darabonba-core and Tea log every request line and header to stderr: UploadServerCertificate's URL query holds
# PrivateKey, the headers hold Authorization and, with STS keys, x-acs-security-token. Ansible keeps a module's
# stderr (an async task returns it as `stderr` and writes it to the job file; a module that dies shows it), so the
# modules never let the SDK write it.
SDK_HTTP_DEBUG_LOGGERS = ("darabonba-core", "alibabacloud-tea")
SDK_HTTP_DEBUG_SWITCH = "DEBUG"


def silence_sdk_http_debug(environ=None):
    """Switch off the SDK's request logging in this (module) process, whatever DEBUG says."""
    environ = os.environ if environ is None else environ
    if str(environ.get(SDK_HTTP_DEBUG_SWITCH, "")).lower() == "sdk":
        del environ[SDK_HTTP_DEBUG_SWITCH]
    for name in SDK_HTTP_DEBUG_LOGGERS:
        logging.getLogger(name).disabled = True


def build_sdk_client(params):
    """Build the SLB SDK client from validated module params. The only place a Client is made."""
    silence_sdk_http_debug()
    region = params.get("region")
    config = OpenApiConfig(
        region_id=region,
        connect_timeout=int(params.get("connect_timeout", 5.0) * 1000),
        read_timeout=int(params.get("read_timeout", 30.0) * 1000),
    )
    if params.get("access_key_id"):
        config.access_key_id = params["access_key_id"]
        config.access_key_secret = params["access_key_secret"]
        if params.get("security_token"):
            config.security_token = params["security_token"]
    else:
        # No keys given anywhere: the SDK's default chain (env, OIDC, profile files, ECS RAM role).
        # It is resolved at the first call; finding nothing there is a NoCredentials error.
        config.credential = CredentialClient()
    if params.get("endpoint"):
        config.endpoint, config.protocol = parse_endpoint(params["endpoint"])
    return SlbSdkClient(config)


def _sdk_method_index(sdk_client):
    index = {}
    for name in dir(sdk_client):
        if name.endswith("_with_options") and not name.endswith("_async"):
            index[name[:-len("_with_options")].replace("_", "")] = name
    return index


class SlbApi:
    """Calls SLB actions by their wire names with wire-named parameters, with retries.

    Every call gets `RegionId` (the SDK never adds it) and returns the response body as a dict
    keyed by wire names. Failures raise AlicloudApiError.
    """

    def __init__(self, sdk_client, region, retry_policy=None, on_retry=None, endpoint_from_option=False):
        self._client = sdk_client
        self.region = region
        # host[:port] as the SDK resolved it (from the region or the endpoint option): errors name
        # it, never the request URL, whose query holds the signature and uploaded keys.
        self.endpoint_host = getattr(sdk_client, "_endpoint", None)
        self.endpoint_from_option = endpoint_from_option
        self._retry_policy = retry_policy or RetryPolicy()
        self._methods = _sdk_method_index(sdk_client)
        self._on_retry = on_retry
        self.actions_called = []

    @property
    def retry_policy(self):
        return self._retry_policy

    def call(self, action, params=None, retry=True):
        """Run `action`; with retry=False a transient error propagates at once (for callers that
        must check whether a non-idempotent call took effect before trying it again)."""
        request_params = {"RegionId": self.region}
        request_params.update({k: v for k, v in (params or {}).items() if v is not None})
        method_name = self._methods.get(action.lower())
        if method_name is None:
            raise AlicloudApiError(action, "UnknownAction", "the installed SDK has no action " + action)
        request = getattr(slb_models, action + "Request")().from_map(request_params)
        # from_map keeps only the parameters its model knows and drops the others without a word: a parameter
        # an older SDK lacks (or a misspelt name) would not be sent, and the module would report a change it
        # did not make, on every run. Refused instead, before the call.
        dropped = sorted(set(request_params) - set(request.to_map()))
        if dropped:
            raise AlicloudApiError(
                action, SDK_PARAMETER_UNKNOWN_CODE,
                "the installed SDK's {0}Request has no parameter {1}, so it would not be sent; nothing was called. "
                "Install the SDK versions the collection's requirements.txt names ({2})".format(
                    action, ", ".join(dropped), SDK_REQUIREMENTS), region=self.region)
        method = getattr(self._client, method_name)

        def attempt():
            self.actions_called.append(action)
            try:
                response = method(request, RuntimeOptions())
            except Exception as exc:  # noqa: BLE001 - every SDK failure is translated
                try:
                    translated = from_sdk_exception(action, exc, region=self.region, endpoint_host=self.endpoint_host,
                                                    endpoint_from_option=self.endpoint_from_option)
                except Exception:  # noqa: BLE001 - a failed translation must not show exc in its traceback either
                    translated = AlicloudApiError(
                        action, "Unknown", "the SDK raised {0}, which could not be read; its text is not shown "
                        "(it can quote the signed request)".format(type(exc).__name__), region=self.region,
                        endpoint_host=self.endpoint_host, endpoint_from_option=self.endpoint_from_option)
                # The SDK exception holds the signed request (PEM keys in the query); never chain it.
                translated.__suppress_context__ = True
                raise translated
            return response.body.to_map() if response.body is not None else {}

        def report_retry(attempt_number, delay, error):
            if self._on_retry is not None:
                self._on_retry("{0}: {1} (attempt {2}), retrying in {3:.1f}s".format(
                    action, error.code, attempt_number, delay))

        if not retry:
            return attempt()
        return self._retry_policy.run(attempt, on_retry=report_retry)


class AlicloudModule:
    """AnsibleModule plus the shared cloud options, the SLB client and one error path."""

    def __init__(self, argument_spec, **kwargs):
        full_spec = alicloud_argument_spec()
        full_spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=full_spec, **kwargs)
        self.params = self.module.params
        # A certificate option may hold a key as well (a combined PEM file): keep that key out of every result.
        mask_private_keys(self.module, self.params.get("certificate"))
        self.check_mode = self.module.check_mode
        self._slb = None
        if not HAS_SLB_SDK:
            self.module.fail_json(msg=missing_sdk_message(SLB_SDK_MISSING), exception=SLB_SDK_IMPORT_ERROR)

    def validate_connection_options(self):
        """Fail (before any API call) on a missing region, half a key pair or a bad endpoint."""
        problem = connection_problem(self.params)
        if problem:
            self.fail_json(msg=problem)

    @property
    def slb(self):
        if self._slb is None:
            self.validate_connection_options()
            try:
                sdk_client = build_sdk_client(self.params)
            except Exception as exc:  # noqa: BLE001 - credential chain / config errors
                self.fail_json(msg="could not set up the SLB client: {0}: {1}".format(
                    type(exc).__name__, exc))
            policy = RetryPolicy(max_attempts=self.params["retry_max_attempts"],
                                 max_seconds=self.params["retry_max_seconds"])
            self._slb = SlbApi(sdk_client, self.params["region"], policy, on_retry=self.module.warn
                               if self.module._verbosity >= 3 else None,
                               endpoint_from_option=bool(self.params.get("endpoint")))
        return self._slb

    def fail_api_error(self, error, msg=None, note=None, **result):
        """The single failure path for API errors: action, code, message, request id; no secrets. `note` follows
        the error's text (what an earlier step of the task already changed, say)."""
        text = error.describe()
        if msg:
            text = "{0}: {1}".format(msg, text)
        if note:
            text = "{0} {1}".format(text, note)
        result = dict(error.as_result(), **result)
        self.module.fail_json(msg=text, **result)

    def fail_json(self, **kwargs):
        self.module.fail_json(**kwargs)

    def exit_json(self, **kwargs):
        self.module.exit_json(**kwargs)

    def warn(self, message):
        self.module.warn(message)
