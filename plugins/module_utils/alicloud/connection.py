# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection options every cloud module shares, and the checks they pass before any API call.

Pure Python (no SDK import), so that the controller can ask the same question before step 1 that the
modules ask at step 5 (filter mtls.clb.connection_problems, used by site.yml): whether the region is
set and in ID form, whether the key pair is whole, whether the endpoint can be used.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.regions import is_region_id

# First set wins. ALIBABA_CLOUD_* is what the aliyun CLI and the SDKs read; ALICLOUD_ACCESS_KEY /
# ALICLOUD_SECRET_KEY / ALICLOUD_REGION what Terraform and alibaba.alicloud read; then the further
# aliases alibaba.alicloud accepts (ALICLOUD_ACCESS_KEY_ID, ALICLOUD_SECRET_ACCESS_KEY,
# ALICLOUD_REGION_ID) and Terraform's ALIBABA_CLOUD_REGION (SLB API notes, existing tooling).
ACCESS_KEY_ID_ENV = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY", "ALICLOUD_ACCESS_KEY_ID")
ACCESS_KEY_SECRET_ENV = ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECRET_ACCESS_KEY")
SECURITY_TOKEN_ENV = ("ALIBABA_CLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN")
REGION_ENV = ("ALIBABA_CLOUD_REGION_ID", "ALICLOUD_REGION", "ALICLOUD_REGION_ID", "ALIBABA_CLOUD_REGION")

# The options that fall back to the environment, and the variables they read (AnsibleModule's env_fallback).
ENVIRONMENT_FALLBACK = (
    ("access_key_id", ACCESS_KEY_ID_ENV),
    ("access_key_secret", ACCESS_KEY_SECRET_ENV),
    ("security_token", SECURITY_TOKEN_ENV),
    ("region", REGION_ENV),
)

LOCAL_HOST_SUFFIXES = (".localhost", ".local")


class EndpointError(ValueError):
    pass


def _is_local_host(host):
    if host == "localhost" or host.endswith(LOCAL_HOST_SUFFIXES):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _shown(endpoint):
    """The endpoint as an error may quote it: user information before an @ (a key pair someone put into a
    URL) is replaced by ***."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)?[^/?#]*@", r"\1***@", endpoint)


def parse_endpoint(endpoint):
    """Split the `endpoint` option into (host[:port], protocol) as the SDK wants them.

    The SDK signs the Host header with `Config.endpoint` verbatim, so a scheme must never reach
    it; plain HTTP is accepted only where no credential can leave the machine.
    """
    text = endpoint.strip()
    protocol = "https"
    if "://" in text:
        scheme, text = text.split("://", 1)
        protocol = scheme.lower()
        if protocol not in ("http", "https"):
            raise EndpointError("endpoint {0!r}: the scheme must be http or https".format(_shown(endpoint)))
    hostport = text.rstrip("/")
    if not hostport or "/" in hostport or "?" in hostport or "@" in hostport:
        raise EndpointError("endpoint {0!r}: give host, host:port or a URL without a path, e.g. "
                            "slb.eu-central-1.aliyuncs.com or http://127.0.0.1:8080".format(_shown(endpoint)))
    host = hostport
    port_match = re.match(r"^(\[[^\]]+\]|[^:]+)(?::(\d+))?$", hostport)
    if not port_match:
        raise EndpointError("endpoint {0!r}: cannot read host and port".format(_shown(endpoint)))
    host = port_match.group(1)
    port = port_match.group(2)
    if port is not None and not 0 < int(port) < 65536:
        raise EndpointError("endpoint {0!r}: port must be 1-65535".format(_shown(endpoint)))
    if protocol == "http" and not _is_local_host(host):
        raise EndpointError("endpoint {0!r}: plain http is only allowed for loopback/local hosts "
                            "(localhost, 127.0.0.0/8, ::1, *.local); use https:// or host:port "
                            "for {1}".format(_shown(endpoint), host))
    return hostport, protocol


def with_environment(options, environ):
    """`options` as a module receives them: an option not given (None or empty, as the roles omit it) takes
    the value of the first of its environment variables that is set, as AnsibleModule's env_fallback does.

    Returns (options, sources): sources names, for each option taken from the environment, its variable."""
    resolved = dict(options)
    sources = {}
    for option, names in ENVIRONMENT_FALLBACK:
        if resolved.get(option) not in (None, ""):
            continue
        resolved[option] = None
        for name in names:
            if name in environ:
                resolved[option] = environ[name]
                sources[option] = "the environment variable " + name
                break
    return resolved, sources


def connection_problem(params, settings=None):
    """The first problem with the connection options, as one message naming the option and the fix; or None.

    `settings` may say, per option, how the user sets it ("the region option" unless given), so that a
    playbook's check can name its own variables."""
    settings = settings or {}

    def how(option):
        return settings.get(option, "the {0} option".format(option))

    region = params.get("region")
    if not region:
        return ("region is required: set {0} or one of the environment variables {1} (the region of the "
                "load balancer, e.g. cn-hangzhou)".format(how("region"), " / ".join(REGION_ENV)))
    if not is_region_id(region):
        return ("region {0!r} is not a region id; use the id form, e.g. cn-hangzhou or eu-central-1"
                "{1}".format(region, " (set by {0})".format(settings["region"]) if "region" in settings else ""))
    if bool(params.get("access_key_id")) != bool(params.get("access_key_secret")):
        missing = "access_key_secret" if params.get("access_key_id") else "access_key_id"
        names = ACCESS_KEY_SECRET_ENV if missing == "access_key_secret" else ACCESS_KEY_ID_ENV
        return ("{0} is missing: access_key_id and access_key_secret go together; set {1} or one of {2} "
                "(or set neither to use the default credential chain)".format(missing, how(missing), " / ".join(names)))
    if params.get("security_token") and not params.get("access_key_id"):
        return ("security_token needs the STS access_key_id and access_key_secret that came with it{0}".format(
            " (security_token is set by {0})".format(settings["security_token"]) if "security_token" in settings else ""))
    for name in ("connect_timeout", "read_timeout", "retry_max_seconds"):
        if params.get(name) is not None and params[name] <= 0:
            return "{0} must be greater than 0".format(name)
    if params.get("retry_max_attempts") is not None and params["retry_max_attempts"] < 1:
        return "retry_max_attempts must be at least 1"
    if params.get("endpoint"):
        try:
            parse_endpoint(params["endpoint"])
        except EndpointError as exc:
            return str(exc) + ("" if "endpoint" not in settings else " (set by {0})".format(settings["endpoint"]))
    return None
