"""The CLB backend: state and the service's rules, free of any HTTP (moto style).

Every public `action_<Name>` method takes the request parameters (wire names, string values as
they arrive in the query) and the caller's account, and returns the response body without
`RequestId`. Rule violations raise `ApiError` with the real code. Listener changes are reported to
an observer (the data plane), which reads the runtime view through `listener_runtime()`.
"""
from __future__ import annotations

import ast
import ipaddress
import json
import random
import re
import secrets
import socket
import string
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from . import pki
from .ecs import EcsRegistry
from .errors import ApiError, invalid, missing
from .persistence import load_state, save_state, write_private_file
from .regions import DEFAULT_ECDSA_REGIONS, REGIONS

ACTIONS = (
    "UploadServerCertificate", "UploadCACertificate", "DescribeServerCertificates", "DescribeCACertificates",
    "DeleteServerCertificate", "DeleteCACertificate", "SetServerCertificateName", "SetCACertificateName",
    "CreateLoadBalancer", "DeleteLoadBalancer", "DescribeLoadBalancers", "DescribeLoadBalancerAttribute",
    "SetLoadBalancerName", "CreateLoadBalancerHTTPSListener", "DescribeLoadBalancerHTTPSListenerAttribute",
    "SetLoadBalancerHTTPSListenerAttribute", "CreateLoadBalancerHTTPListener",
    "DescribeLoadBalancerHTTPListenerAttribute", "SetLoadBalancerHTTPListenerAttribute",
    "StartLoadBalancerListener", "StopLoadBalancerListener", "DeleteLoadBalancerListener",
    "DescribeLoadBalancerListeners", "AddBackendServers", "RemoveBackendServers",
    "SetBackendServers", "DescribeHealthStatus",
)
MUTATING_ACTIONS = frozenset(a for a in ACTIONS if not a.startswith("Describe"))

# What DescribeLoadBalancers lists as InternetChargeType: a number code, the text being InternetChargeTypeAlias. "4"
# for paybytraffic is the documented example's ("InternetChargeType":"4", "InternetChargeTypeAlias":"paybytraffic")
# and was seen live; the code for paybybandwidth is unknown, "3" is ours (any number makes a client read the alias).
INTERNET_CHARGE_TYPE_CODES = {"paybytraffic": "4", "paybybandwidth": "3"}
TLS_CIPHER_POLICIES = ("tls_cipher_policy_1_0", "tls_cipher_policy_1_1", "tls_cipher_policy_1_2",
                       "tls_cipher_policy_1_2_strict", "tls_cipher_policy_1_2_strict_with_1_3")
# What DescribeLoadBalancers/-Attribute report as the spec of a pay-by-LCU instance (SDK 3.3.31 models:
# "Pay-as-you-go CLB instances are not subject to specifications. By default, slb.lcu.elastic is returned").
CLCU_SPEC = "slb.lcu.elastic"
LOAD_BALANCER_SPECS = ("slb.s1.small", "slb.s2.small", "slb.s2.medium", "slb.s3.small", "slb.s3.medium",
                       "slb.s3.large")
HTTP_CODE_CLASSES = ("http_2xx", "http_3xx", "http_4xx", "http_5xx")
# Characters besides letters and digits that the SDK models allow in a listener's or a backend server's
# Description, and in HealthCheckURI.
DESCRIPTION_EXTRA = "-/._"
HEALTH_CHECK_URI_EXTRA = "-/.%?#&"
ON_OFF = ("on", "off")
MAX_BACKEND_SERVERS_PER_CALL = 20
LOOPBACK_POOL = ipaddress.ip_network("127.16.0.0/12")

# Listener fields in wire names: (default, validator kind, extra). Only fields the HTTPS listener
# actions accept; validation is in `_listener_field`.
LISTENER_FIELDS: dict[str, tuple] = {
    "Bandwidth": (None, "bandwidth", None),
    "BackendServerPort": (None, "int", (1, 65535)),
    "ServerCertificateId": (None, "str", None),
    "CACertificateId": ("", "str", None),
    "TLSCipherPolicy": ("tls_cipher_policy_1_0", "enum", TLS_CIPHER_POLICIES),
    "EnableHttp2": ("on", "enum", ON_OFF),
    "Gzip": ("on", "enum", ON_OFF),
    "Scheduler": ("wrr", "enum", ("wrr", "rr")),
    "StickySession": ("off", "enum", ON_OFF),
    "StickySessionType": ("", "enum", ("insert", "server")),
    "CookieTimeout": (None, "int", (1, 86400)),
    "Cookie": ("", "cookie", (1, 200)),
    "HealthCheck": (None, "enum", ON_OFF),
    "HealthCheckURI": ("/", "uri", None),
    "HealthCheckDomain": ("", "domain", None),
    "HealthCheckHttpCode": ("http_2xx", "codes", None),
    "HealthCheckConnectPort": (None, "int", (1, 65535)),
    "HealthCheckInterval": (2, "int", (1, 50)),
    "HealthCheckTimeout": (5, "int", (1, 300)),
    "HealthCheckMethod": ("head", "enum", ("head", "get")),
    "HealthyThreshold": (3, "int", (2, 10)),
    "UnhealthyThreshold": (3, "int", (2, 10)),
    "IdleTimeout": (15, "int", (1, 60)),
    "RequestTimeout": (60, "int", (1, 180)),
    "XForwardedFor": ("on", "enum", ON_OFF),
    "XForwardedFor_SLBIP": ("off", "enum", ON_OFF),
    "XForwardedFor_SLBID": ("off", "enum", ON_OFF),
    "XForwardedFor_proto": ("off", "enum", ON_OFF),
    "XForwardedFor_SLBPORT": ("off", "enum", ON_OFF),
    "XForwardedFor_ClientSrcPort": ("off", "enum", ON_OFF),
    "AclStatus": ("off", "enum", ON_OFF),
    "AclType": ("", "enum", ("white", "black")),
    "AclId": ("", "str", None),
    "Description": ("", "description", (1, 256)),
}
# What HTTP listeners have instead of the certificate and TLS settings. ListenerForward/ForwardPort
# (redirect to an HTTPS listener) exist only on CreateLoadBalancerHTTPListener, not on the Set action.
HTTPS_ONLY_FIELDS = ("ServerCertificateId", "CACertificateId", "TLSCipherPolicy", "EnableHttp2")
HTTP_FORWARD_FIELDS: dict[str, tuple] = {
    "ListenerForward": ("off", "enum", ON_OFF),
    "ForwardPort": (None, "int", (1, 65535)),
}
HTTP_CREATE_FIELDS = {k: v for k, v in LISTENER_FIELDS.items() if k not in HTTPS_ONLY_FIELDS} | HTTP_FORWARD_FIELDS
# The Set*ListenerAttribute actions have no BackendServerPort (the SDK models and the API reference): a listener's
# backend port is fixed at creation, so a BackendServerPort sent with a Set is ignored, as the SDK drops it.
HTTPS_SET_FIELDS = {k: v for k, v in LISTENER_FIELDS.items() if k != "BackendServerPort"}
HTTP_SET_FIELDS = {k: v for k, v in HTTP_CREATE_FIELDS.items() if k not in HTTP_FORWARD_FIELDS
                   and k != "BackendServerPort"}
# Documented (the common error table): "no more than 30" listeners per instance.
MAX_LISTENERS_PER_LOAD_BALANCER = 30
ALL_LISTENER_FIELDS = LISTENER_FIELDS | HTTP_FORWARD_FIELDS
# Fields a DescribeLoadBalancerListeners item nests under HTTPSListenerConfig.
HTTPS_CONFIG_FIELDS = (
    "CACertificateId", "ServerCertificateId", "TLSCipherPolicy", "EnableHttp2", "Gzip", "Cookie", "CookieTimeout",
    "StickySession", "StickySessionType", "HealthCheck", "HealthCheckConnectPort", "HealthCheckDomain",
    "HealthCheckHttpCode", "HealthCheckInterval", "HealthCheckMethod", "HealthCheckTimeout", "HealthCheckURI",
    "HealthyThreshold", "UnhealthyThreshold", "IdleTimeout", "RequestTimeout", "XForwardedFor",
    "XForwardedFor_SLBIP", "XForwardedFor_SLBID", "XForwardedFor_proto", "XForwardedFor_SLBPORT",
    "XForwardedFor_ClientSrcPort",
)
# Fields a DescribeLoadBalancerListeners item nests under HTTPListenerConfig (the SDK model's list).
HTTP_CONFIG_FIELDS = (
    "Cookie", "CookieTimeout", "Gzip", "HealthCheck", "HealthCheckConnectPort", "HealthCheckDomain",
    "HealthCheckHttpCode", "HealthCheckInterval", "HealthCheckMethod", "HealthCheckTimeout", "HealthCheckURI",
    "HealthyThreshold", "IdleTimeout", "ListenerForward", "RequestTimeout", "StickySession", "StickySessionType",
    "UnhealthyThreshold", "XForwardedFor", "XForwardedFor_ClientSrcPort", "XForwardedFor_SLBID",
    "XForwardedFor_SLBIP", "XForwardedFor_SLBPORT", "XForwardedFor_proto",
)
LISTENER_PROTOCOLS = ("tcp", "udp", "http", "https")
EMPTY_ALLOWED_LISTENER_FIELDS = ("CACertificateId", "Description", "AclId", "ServerCertificateId")
_LOWER_ALNUM = string.ascii_lowercase + string.digits


def _now_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _parse_int(params: dict, name: str, low: int | None = None, high: int | None = None,
               required: bool = False) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise missing(name)
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise invalid(f"The specified parameter {name} is not valid: {raw!r} is not an integer.") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise invalid(f"The specified parameter {name} is not valid: {value} is outside [{low}, {high}].")
    return value


def _parse_enum(params: dict, name: str, choices, required: bool = False) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise missing(name)
        return None
    if raw not in choices:
        raise invalid(f"The specified parameter {name} is not valid: {raw!r} is not one of {', '.join(choices)}.")
    return raw


def _require(params: dict, name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise missing(name)
    return value


def _check_name(value: str, parameter: str, allowed_extra: str = "") -> str:
    # Documented: 1-80 characters, starting with a letter (or CJK), then letters, digits, . _ -
    ok = 1 <= len(value) <= 80 and (value[0].isalpha())
    ok = ok and all(ch.isalnum() or ch in "._-" + allowed_extra for ch in value)
    if not ok:
        raise invalid(f"The specified parameter {parameter} is not valid: it must be 1-80 characters, start "
                      f"with a letter and contain only letters, digits, '.', '_' or '-'"
                      f"{' or ' + ' '.join(allowed_extra) if allowed_extra else ''}.")
    return value


MAX_TAGS = 20
# The two upload docs differ (UploadServerCertificate: key up to 64 characters; UploadCACertificate: 128);
# the stricter 64 applies to both.
MAX_TAG_KEY_LENGTH = 64
MAX_TAG_VALUE_LENGTH = 128
TAG_FORBIDDEN_PREFIXES = ("aliyun", "acs:")
TAG_FORBIDDEN_PARTS = ("http://", "https://")
_TAG_PARAMETER = re.compile(r"^Tag\.([^.]+)\.(Key|Value)$")


def _check_tag_text(text: str, parameter: str) -> None:
    lowered = text.lower()
    if lowered.startswith(TAG_FORBIDDEN_PREFIXES):
        raise invalid(f"The specified parameter {parameter} is not valid: it cannot start with "
                      f"{' or '.join(TAG_FORBIDDEN_PREFIXES)}.")
    if any(part in lowered for part in TAG_FORBIDDEN_PARTS):
        raise invalid(f"The specified parameter {parameter} is not valid: it cannot contain "
                      f"{' or '.join(TAG_FORBIDDEN_PARTS)}.")


def parse_upload_tags(params: dict, empty_value_allowed: bool) -> list[dict]:
    """`Tag.N.Key` / `Tag.N.Value` of an upload as Describe* lists them ([{TagKey, TagValue}], by N)."""
    found: dict[int, dict] = {}
    for parameter, raw in params.items():
        match = _TAG_PARAMETER.match(parameter)
        if match is None:
            if parameter == "Tag" or parameter.startswith("Tag."):
                raise invalid(f"The specified parameter {parameter} is not valid: use Tag.N.Key and Tag.N.Value.")
            continue
        number_text, part = match.groups()
        if not number_text.isdigit() or int(number_text) < 1:
            raise invalid(f"The specified parameter {parameter} is not valid: N must be 1 to {MAX_TAGS}.")
        if int(number_text) > MAX_TAGS:
            raise ApiError("TagCountLimit", f"Tags count limit exceeded. ({parameter}: at most {MAX_TAGS} tags.)")
        found.setdefault(int(number_text), {})[part] = raw
    tags = []
    for number in sorted(found):
        key, value = found[number].get("Key"), found[number].get("Value", "")
        if not key:
            raise invalid(f"The specified parameter Tag.{number}.Key is not valid: the tag key cannot be empty.")
        if len(key) > MAX_TAG_KEY_LENGTH:
            raise invalid(f"The specified parameter Tag.{number}.Key is not valid: at most {MAX_TAG_KEY_LENGTH} "
                          "characters.")
        _check_tag_text(key, f"Tag.{number}.Key")
        if not value and not empty_value_allowed:
            raise invalid(f"The specified parameter Tag.{number}.Value is not valid: it must be 1 to "
                          f"{MAX_TAG_VALUE_LENGTH} characters.")
        if len(value) > MAX_TAG_VALUE_LENGTH:
            raise invalid(f"The specified parameter Tag.{number}.Value is not valid: at most "
                          f"{MAX_TAG_VALUE_LENGTH} characters.")
        if value:
            _check_tag_text(value, f"Tag.{number}.Value")
        if any(tag["TagKey"] == key for tag in tags):
            raise invalid(f"The specified parameter Tag.{number}.Key is not valid: the key {key!r} is given twice.")
        tags.append({"TagKey": key, "TagValue": value})
    return tags


def _refuse_tag_filters(params: dict) -> None:
    if any(parameter == "Tag" or parameter.startswith("Tag.") for parameter in params):
        raise invalid("The specified parameter Tag is not valid: the emulator does not filter by tags; "
                      "filter the listed Tags yourself.")


def parse_backend_servers(raw: str | None) -> list[dict]:
    """The BackendServers JSON array; single-quoted pseudo-JSON (as Terraform sends) is accepted too."""
    if raw is None or raw.strip() == "":
        raise missing("BackendServers")
    try:
        servers = json.loads(raw)
    except ValueError:
        try:
            servers = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            raise ApiError("BackendServersMalformed") from None
    if not isinstance(servers, list) or not all(isinstance(s, dict) for s in servers):
        raise ApiError("BackendServersMalformed")
    if len(servers) > MAX_BACKEND_SERVERS_PER_CALL:
        raise ApiError("TooManyBackendServers")
    result, seen = [], set()
    for entry in servers:
        server_id = str(entry.get("ServerId") or "").strip()
        if not server_id:
            raise invalid("The specified BackendServers is invalid: every entry needs a ServerId.")
        if server_id in seen:
            continue  # documented: of duplicate entries only the first is used
        seen.add(server_id)
        server_type = str(entry.get("Type") or "ecs")
        if server_type != "ecs":
            raise invalid(f"The specified BackendServers is invalid: Type {server_type!r} is not supported "
                          "here (only ecs; eni/eci need a high-performance instance).")
        weight = entry.get("Weight", 100)
        try:
            weight = int(str(weight).strip())
        except ValueError:
            raise ApiError("InvalidWeight.Malformed") from None
        if not 0 <= weight <= 100:
            raise ApiError("InvalidWeight.Malformed")
        port = entry.get("Port")
        if port not in (None, ""):
            # The common error table: the backend port must be 1-65535.
            try:
                port_number = int(str(port).strip())
            except ValueError:
                port_number = 0
            if not 1 <= port_number <= 65535:
                raise invalid("The specified BackendServers is invalid: Port must be 1-65535.")
        description = str(entry.get("Description") or "")
        # Documented: 1-80 characters; letters, digits, - / . _ (an absent or empty one is no description).
        if len(description) > 80 or not all(c.isalnum() or c in DESCRIPTION_EXTRA for c in description):
            raise invalid("The specified BackendServers is invalid: Description must be at most 80 characters, "
                          "only letters, digits, '-', '/', '.' and '_'.")
        result.append({"ServerId": server_id, "Weight": weight, "Type": "ecs", "Description": description})
    return result


def _status_not_supported(listener: dict) -> ApiError:
    return ApiError("OperationFailed.ListenerStatusNotSupport",
                    "The status of the listener does not support this operation. Please try again later. "
                    f"(listener {listener['ListenerPort']} is {listener['Status']})")


class SlbBackend:
    def __init__(self, state_dir: Path, ecs: EcsRegistry, default_region: str = "cn-hangzhou",
                 allow_pay_by_spec: bool = False, listener_transition_ms: int = 0,
                 ecdsa_regions=DEFAULT_ECDSA_REGIONS):
        self.state_dir = Path(state_dir)
        # Regions whose UploadServerCertificate takes an ECDSA certificate (regions.py says why none by default).
        self.ecdsa_regions = frozenset(ecdsa_regions)
        # New pay-by-specification instances are no longer sold (2025-06-01 international site, 2026-01-01
        # China site); True emulates an account from before the cutoff, for tests of such instances.
        self.allow_pay_by_spec = allow_pay_by_spec
        # >0: StartLoadBalancerListener leaves the listener "starting" for this long before it is
        # "running" (documented: a successful Start switches the listener to Starting); 0: at once.
        self.listener_transition_ms = listener_transition_ms
        self.tls_dir = self.state_dir / "tls"
        self.tls_dir.mkdir(exist_ok=True, mode=0o700)
        self.ecs = ecs
        self.default_region = default_region
        self.lock = threading.RLock()
        self.observers: list = []
        self.health_source = None  # callable(lb_id, port) -> {server_id: status}; set by the data plane
        # Certificates held in Alibaba Cloud's SSL Certificates Service (CAS), which
        # UploadServerCertificate can import by AliCloudCertificateId. Outside SLB, so in memory
        # only and kept by reset (like the ECS instances); every account of the emulator sees them.
        self.cas_certificates: dict[str, dict] = {}
        # How uploads are fingerprinted (a testing hook; reset restores the documented SHA-1).
        self.fingerprint_algorithm = pki.DEFAULT_FINGERPRINT_ALGORITHM
        # Testing hook: after a Set*ListenerAttribute, this many Describe*ListenerAttribute reads of that
        # listener still answer what it was before (a change that applies asynchronously); 0 = off.
        self.stale_listener_reads = 0
        self._stale_listener_views: dict[tuple[str, int], list] = {}  # (lb, port) -> [view, reads left]
        # Testing hook: after a CreateLoadBalancer, this many DescribeLoadBalancerAttribute reads of the new
        # instance answer InvalidLoadBalancerId.NotFound (a read that lags the create); 0 = off.
        self.unlisted_new_load_balancer_reads = 0
        self._unlisted_load_balancers: dict[str, int] = {}  # lb -> reads left
        self.state = self._empty_state()
        loaded = load_state(self.state_dir)
        for key in self.state:
            if key in loaded:
                self.state[key] = loaded[key]
        for lb in self.state["load_balancers"].values():
            # State written before pay-by-LCU instances reported their spec.
            if lb.get("InstanceChargeType") == "PayByCLCU" and not lb.get("LoadBalancerSpec"):
                lb["LoadBalancerSpec"] = CLCU_SPEC
            for listener in lb["listeners"].values():
                # A start whose transition a stop of the process cut short has completed by now.
                if listener["Status"] == "starting":
                    listener["Status"] = "running"

    # -- state ------------------------------------------------------------------------------
    @staticmethod
    def _empty_state() -> dict:
        return {"server_certificates": {}, "ca_certificates": {}, "load_balancers": {}, "client_tokens": {},
                "client_token_requests": {}, "demo_ecs_ids": {}}

    def save(self) -> None:
        with self.lock:
            save_state(self.state_dir, self.state)

    def reset(self) -> None:
        """Forget certificates, load balancers and listeners; keep the ECS instances."""
        with self.lock:
            listeners = [(lb_id, port) for lb_id, lb in self.state["load_balancers"].items()
                         for port in lb["listeners"]]
            demo_ids = self.state["demo_ecs_ids"]
            self.state = self._empty_state()
            self.state["demo_ecs_ids"] = demo_ids
            self.fingerprint_algorithm = pki.DEFAULT_FINGERPRINT_ALGORITHM
            self.stale_listener_reads = 0
            self._stale_listener_views.clear()
            self.unlisted_new_load_balancer_reads = 0
            self._unlisted_load_balancers.clear()
            for path in self.tls_dir.glob("*.pem"):
                path.unlink()
            self.save()
        for lb_id, port in listeners:
            self._notify(lb_id, int(port))

    def _notify(self, lb_id: str, port: int) -> None:
        for observer in self.observers:
            observer(lb_id, port)

    def running_listeners(self) -> list[tuple[str, int]]:
        with self.lock:
            return [(lb_id, int(port)) for lb_id, lb in self.state["load_balancers"].items()
                    for port, listener in lb["listeners"].items() if listener["Status"] == "running"]

    # -- helpers ----------------------------------------------------------------------------
    def _region(self, params: dict, required: bool = True) -> str:
        region = params.get("RegionId")
        if not region:
            if required:
                raise missing("RegionId")
            region = self.default_region
        if region not in REGIONS:
            raise ApiError("InvalidRegionId.NotFound")
        return region

    def _owned(self, collection: str, resource_id: str, account, region: str) -> dict | None:
        item = self.state[collection].get(resource_id)
        if item is None or item["owner"] != account.account_id or item["RegionId"] != region:
            return None
        return item

    def _load_balancer(self, params: dict, account) -> dict:
        lb_id = _require(params, "LoadBalancerId")
        region = self._region(params, required=False)
        lb = self._owned("load_balancers", lb_id, account, region)
        if lb is None:
            raise ApiError("InvalidLoadBalancerId.NotFound",
                           f"The specified LoadBalancerId does not exist: {lb_id} (region {region}).")
        return lb

    def _listener(self, lb: dict, params: dict, not_found: str = "ListenerNotFound",
                  protocol: str | None = None) -> dict:
        """The listener on ListenerPort. `protocol` is the one the action is for (Describe/Set of
        HTTP or HTTPS); otherwise an optional ListenerProtocol parameter narrows the match."""
        port = _parse_int(params, "ListenerPort", 1, 65535, required=True)
        if protocol is None and params.get("ListenerProtocol"):
            protocol = params["ListenerProtocol"].lower()
            if protocol not in LISTENER_PROTOCOLS:
                raise invalid(f"The specified parameter ListenerProtocol is not valid: {params['ListenerProtocol']!r}"
                              f" is not one of {', '.join(LISTENER_PROTOCOLS)}.")
        listener = lb["listeners"].get(str(port))
        if listener is not None and protocol and listener.get("ListenerProtocol", "https") != protocol:
            listener = None
        if listener is None:
            if not_found == "InvalidParameter":
                raise invalid("The specified resource does not exist.")
            raise ApiError("ListenerNotFound")
        return listener

    def _certificate_in_use(self, field: str, cert_id: str) -> list[str]:
        return [f"{lb_id}:{port}" for lb_id, lb in self.state["load_balancers"].items()
                for port, listener in lb["listeners"].items() if listener.get(field) == cert_id]

    def _allocate_address(self) -> str:
        used = {lb["Address"] for lb in self.state["load_balancers"].values()}
        rng = random.SystemRandom()
        for _ in range(1000):
            candidate = str(LOOPBACK_POOL[rng.randrange(1, LOOPBACK_POOL.num_addresses - 1)])
            if candidate in used or candidate.endswith(".0") or candidate.endswith(".255"):
                continue
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                    probe.bind((candidate, 0))
            except OSError:
                continue
            return candidate
        raise ApiError("InternalError", "No free loopback address for a new load balancer.")

    def _ecs_running(self, server_id: str, region: str):
        """A running ECS instance of `region`. One of another region does not exist there, as the service sees it
        (ObtainIpFail, "do not exist or are not running"); which code the real service answers for it is
        unverified (InvalidBackendServers.Inconsistent is documented for mixed networks)."""
        instance = self.ecs.get(server_id)
        if instance is None or instance.status != "Running":
            raise ApiError("ObtainIpFail", "The specified BackendServers is invalid; some of the specified "
                           f"backend servers do not exist or are not running: {server_id}.")
        if instance.region and instance.region != region:
            raise ApiError("ObtainIpFail", "The specified BackendServers is invalid; some of the specified "
                           f"backend servers do not exist or are not running: {server_id} (an instance of region "
                           f"{instance.region}; a load balancer of {region} uses instances of its own region).")
        return instance

    def _server_view(self, server: dict, weight_as_str: bool = False) -> dict:
        instance = self.ecs.get(server["ServerId"])
        return {"ServerId": server["ServerId"], "Type": server["Type"],
                "Weight": str(server["Weight"]) if weight_as_str else server["Weight"],
                "Description": server.get("Description", ""),
                "ServerIp": instance.host if instance else ""}

    # -- certificates -----------------------------------------------------------------------
    def register_cas_certificate(self, cert_id: str, cert_pem: str, key_pem: str, name: str | None = None,
                                 region: str | None = None) -> dict:
        """Put a certificate into the emulated SSL Certificates Service (a testing hook, not SLB).
        Raises ValueError with a message fit for the caller; never echoes PEM text."""
        if not cert_id or not all(ch.isalnum() or ch in "._-" for ch in cert_id):
            raise ValueError(f"certificate ID {cert_id!r} must be non-empty letters, digits, '.', '_' or '-'")
        region = region or self.default_region
        if region not in REGIONS:
            raise ValueError(f"region {region!r} is not a region ID")
        try:
            facts = pki.check_server_certificate(cert_pem, key_pem)
        except ApiError as error:
            raise ValueError(f"certificate {cert_id}: {error.code}: {error.message}") from None
        entry = {"AliCloudCertificateId": cert_id, "AliCloudCertificateName": name or cert_id,
                 "AliCloudCertificateRegionId": region, "Fingerprint": facts.fingerprint,
                 "CommonName": facts.common_name}
        with self.lock:
            self.cas_certificates[cert_id] = entry | {"cert_pem": cert_pem, "key_pem": key_pem, "facts": facts}
        return entry

    def set_fingerprint_algorithm(self, algorithm: str) -> str:
        """How later uploads are fingerprinted (a testing hook, not SLB); stored records keep theirs."""
        if algorithm not in pki.FINGERPRINT_ALGORITHMS:
            raise ValueError(f"algorithm {algorithm!r} is not one of {', '.join(pki.FINGERPRINT_ALGORITHMS)}")
        with self.lock:
            self.fingerprint_algorithm = algorithm
        return algorithm

    @staticmethod
    def _hook_reads(reads) -> int:
        """The count of a testing hook that makes later reads lag: an integer from 0 (off) to 1000."""
        if isinstance(reads, bool) or not isinstance(reads, int) or not 0 <= reads <= 1000:
            raise ValueError("reads must be an integer from 0 to 1000")
        return reads

    def set_stale_listener_reads(self, reads) -> int:
        """How many listener reads after each Set still show the listener as it was (a testing hook)."""
        reads = self._hook_reads(reads)
        with self.lock:
            self.stale_listener_reads = reads
            self._stale_listener_views.clear()
        return reads

    def set_unlisted_new_load_balancer_reads(self, reads) -> int:
        """How many attribute reads of each later new instance answer NotFound (a testing hook)."""
        reads = self._hook_reads(reads)
        with self.lock:
            self.unlisted_new_load_balancer_reads = reads
            self._unlisted_load_balancers.clear()
        return reads

    def list_cas_certificates(self) -> list[dict]:
        with self.lock:
            return [{k: v for k, v in entry.items() if k not in ("cert_pem", "key_pem", "facts")}
                    for entry in self.cas_certificates.values()]

    def _cas_material(self, params: dict, region: str) -> tuple[str, str, object, str, str]:
        """(certificate PEM, key PEM, facts, CAS ID, CAS name) for an import by AliCloudCertificateId."""
        cas_id = params["AliCloudCertificateId"]
        if params.get("ServerCertificate") or params.get("PrivateKey"):
            raise invalid("The specified parameters are not valid: give either AliCloudCertificateId or "
                          "ServerCertificate and PrivateKey, not both.")
        cas_name = _require(params, "AliCloudCertificateName")
        cas_region = params.get("AliCloudCertificateRegionId") or region
        if cas_region not in REGIONS:
            raise invalid(f"The specified parameter AliCloudCertificateRegionId is not valid: {cas_region!r}.")
        with self.lock:
            entry = self.cas_certificates.get(cas_id)
        if entry is None or entry["AliCloudCertificateRegionId"] != cas_region:
            raise ApiError("InvalidParameter.AliCloudCertificateId",
                           f"The specified AliCloudCertificateId is invalid. ({cas_id} is not a certificate of the "
                           f"SSL Certificates Service in region {cas_region}.)")
        if entry["AliCloudCertificateName"] != cas_name:
            raise invalid(f"The specified AliCloudCertificateName is not valid: certificate {cas_id} of the SSL "
                          f"Certificates Service is named {entry['AliCloudCertificateName']!r}, not {cas_name!r}.")
        return entry["cert_pem"], entry["key_pem"], entry["facts"], cas_id, cas_name

    def action_UploadServerCertificate(self, params: dict, account) -> dict:
        region = self._region(params)
        name = params.get("ServerCertificateName")
        if name is not None:  # sent empty, it is a name of 0 characters (documented: 1-80)
            _check_name(name, "ServerCertificateName")
        if params.get("AliCloudCertificateId"):
            cert_pem, key_pem, facts, cas_id, cas_name = self._cas_material(params, region)
        else:
            cert_pem, key_pem = params.get("ServerCertificate", ""), params.get("PrivateKey", "")
            cas_id = cas_name = ""
            facts = pki.check_server_certificate(cert_pem, key_pem)
        if facts.is_ecdsa and region not in self.ecdsa_regions:
            raise ApiError("EccCertificateNotSupport",
                           f"The ECC certificate is not supported. (The certificate has an ECDSA key; region "
                           f"{region} takes RSA server certificates only.)")
        tags = parse_upload_tags(params, empty_value_allowed=True)
        now = time.time()
        cert_id = f"{account.account_id}_{secrets.token_hex(6)[:11]}_{int(now)}_{_random(string.digits, 9)}"
        record = {
            "owner": account.account_id, "RegionId": region,
            "ServerCertificateId": cert_id, "ServerCertificateName": name or "",
            "Fingerprint": facts.fingerprint_by(self.fingerprint_algorithm), "CommonName": facts.common_name,
            "SubjectAlternativeNames": {"SubjectAlternativeName": facts.subject_alternative_names},
            "CreateTime": _now_iso(now), "CreateTimeStamp": int(now * 1000),
            "ExpireTime": facts.not_after_iso, "ExpireTimeStamp": facts.not_after_ms,
            "ResourceGroupId": params.get("ResourceGroupId") or "rg-default",
            "IsAliCloudCertificate": 1 if cas_id else 0, "AliCloudCertificateId": cas_id,
            "AliCloudCertificateName": cas_name, "Tags": tags,
        }
        with self.lock:
            write_private_file(self.tls_dir / f"server-{cert_id}.pem", cert_pem.strip() + "\n" + key_pem.strip() + "\n")
            self.state["server_certificates"][cert_id] = record
            self.save()
        return self._public_cert(record)

    def action_UploadCACertificate(self, params: dict, account) -> dict:
        region = self._region(params)
        pem = params.get("CACertificate")
        if not pem:
            raise missing("CACertificate")
        name = params.get("CACertificateName")
        if name is not None:
            _check_name(name, "CACertificateName")
        facts = pki.check_ca_certificate(pem)
        # UploadCACertificate's doc says both "can be an empty string" and "must be 1 to 128 characters".
        tags = parse_upload_tags(params, empty_value_allowed=False)
        now = time.time()
        cert_id = f"{secrets.token_hex(6)[:11]}-{region}"
        record = {
            "owner": account.account_id, "RegionId": region,
            "CACertificateId": cert_id, "CACertificateName": name or "",
            "Fingerprint": facts.fingerprint_by(self.fingerprint_algorithm), "CommonName": facts.common_name,
            "CreateTime": _now_iso(now), "CreateTimeStamp": int(now * 1000),
            "ExpireTime": facts.not_after_iso, "ExpireTimeStamp": facts.not_after_ms,
            "ResourceGroupId": params.get("ResourceGroupId") or "rg-default", "Tags": tags,
        }
        with self.lock:
            write_private_file(self.tls_dir / f"ca-{cert_id}.pem", pem.strip() + "\n")
            self.state["ca_certificates"][cert_id] = record
            self.save()
        # The documented UploadCACertificate reply has no RegionId (DescribeCACertificates lists it).
        return {k: v for k, v in self._public_cert(record).items() if k != "RegionId"}

    @staticmethod
    def _public_cert(record: dict) -> dict:
        """The record as an upload reply shows it: the documented Upload* replies carry no tags."""
        return {k: v for k, v in record.items() if k not in ("owner", "Tags")}

    def _describe_certs(self, params, account, collection, id_field, outer, inner, region_required):
        region = self._region(params, required=region_required)
        _refuse_tag_filters(params)
        wanted = params.get(id_field)
        group = params.get("ResourceGroupId")
        with self.lock:
            # Records stored before tags were kept have no "Tags": they list as untagged.
            items = [self._public_cert(c) | {"Tags": {"Tag": list(c.get("Tags") or [])}}
                     for c in self.state[collection].values()
                     if c["owner"] == account.account_id and c["RegionId"] == region
                     and (not wanted or c[id_field] == wanted) and (not group or c["ResourceGroupId"] == group)]
        items.sort(key=lambda c: c["CreateTimeStamp"])
        return {outer: {inner: items}}

    def action_DescribeServerCertificates(self, params: dict, account) -> dict:
        return self._describe_certs(params, account, "server_certificates", "ServerCertificateId",
                                    "ServerCertificates", "ServerCertificate", region_required=False)

    def action_DescribeCACertificates(self, params: dict, account) -> dict:
        return self._describe_certs(params, account, "ca_certificates", "CACertificateId",
                                    "CACertificates", "CACertificate", region_required=True)

    def _delete_cert(self, params, account, collection, id_field, file_prefix, region_required):
        cert_id = _require(params, id_field)
        region = self._region(params, required=region_required)
        with self.lock:
            if self._owned(collection, cert_id, account, region) is None:
                raise ApiError(f"{id_field}.NotFound",
                               f"The specified {id_field} does not exist: {cert_id} (region {region}).")
            users = self._certificate_in_use(id_field, cert_id)
            if users:
                raise ApiError("CertificateAndPrivateKeyIsRefered",
                               "The specified certificate is bound to listeners. You cannot delete it. "
                               f"(listeners: {', '.join(users)})")
            del self.state[collection][cert_id]
            (self.tls_dir / f"{file_prefix}-{cert_id}.pem").unlink(missing_ok=True)
            self.save()
        return {}

    def action_DeleteServerCertificate(self, params: dict, account) -> dict:
        return self._delete_cert(params, account, "server_certificates", "ServerCertificateId", "server", False)

    def action_DeleteCACertificate(self, params: dict, account) -> dict:
        return self._delete_cert(params, account, "ca_certificates", "CACertificateId", "ca", True)

    def _rename_cert(self, params, account, collection, id_field, name_field, extra_chars):
        region = self._region(params)
        cert_id = _require(params, id_field)
        name = _check_name(_require(params, name_field), name_field, extra_chars)
        with self.lock:
            record = self._owned(collection, cert_id, account, region)
            if record is None:
                raise ApiError(f"{id_field}.NotFound",
                               f"The specified {id_field} does not exist: {cert_id} (region {region}).")
            record[name_field] = name
            self.save()
        return {}

    def action_SetServerCertificateName(self, params: dict, account) -> dict:
        return self._rename_cert(params, account, "server_certificates", "ServerCertificateId",
                                 "ServerCertificateName", "/*")

    def action_SetCACertificateName(self, params: dict, account) -> dict:
        return self._rename_cert(params, account, "ca_certificates", "CACertificateId", "CACertificateName", "")

    # -- load balancers ---------------------------------------------------------------------
    def action_CreateLoadBalancer(self, params: dict, account) -> dict:
        region = self._region(params)
        name = _check_name(params.get("LoadBalancerName") or "auto_named_slb", "LoadBalancerName")
        address_type = _parse_enum(params, "AddressType", ("internet", "intranet"))
        ip_version = _parse_enum(params, "AddressIPVersion", ("ipv4",)) or "ipv4"
        internet_charge = _parse_enum(params, "InternetChargeType", ("paybytraffic", "paybybandwidth")) \
            or "paybytraffic"
        bandwidth = _parse_int(params, "Bandwidth", 1, 5120)
        if internet_charge == "paybybandwidth" and bandwidth is None:
            raise missing("Bandwidth")
        spec = _parse_enum(params, "LoadBalancerSpec", LOAD_BALANCER_SPECS)
        # The documented default is PayBySpec, so a request without InstanceChargeType asks for the
        # discontinued kind too.
        charge = _parse_enum(params, "InstanceChargeType", ("PayBySpec", "PayByCLCU")) or "PayBySpec"
        # Documented: PayType takes PayOnDemand only (subscriptions are bought in the console).
        _parse_enum(params, "PayType", ("PayOnDemand",))
        if charge == "PayBySpec" and not self.allow_pay_by_spec:
            # The documented code for a refused charge type; what the real service answers since the
            # end of sale is unverified (emulator/README.md).
            raise ApiError("IllegalParam.InstanceChargeType",
                           "The parameter InstanceChargeType is illegal. (Pay-by-specification instances, PayBySpec, "
                           "the documented default, can no longer be created; send InstanceChargeType=PayByCLCU.)")
        if charge == "PayBySpec" and not spec:
            # What a create without LoadBalancerSpec got while PayBySpec was the default
            # (terraform-provider-alicloud#3517): shared-performance instances are no longer sold.
            raise ApiError("ShareSlbHaltSales")
        # PayByCLCU with a LoadBalancerSpec: documented as "does not take effect" (不生效), so the spec
        # is ignored and the instance reports slb.lcu.elastic like any pay-by-LCU instance.
        if charge == "PayByCLCU" and internet_charge == "paybybandwidth":
            raise invalid("The specified parameter InternetChargeType is not valid: PayByCLCU instances support "
                          "paybytraffic only.")
        delete_protection = _parse_enum(params, "DeleteProtection", ON_OFF) or "off"
        modification = _parse_enum(params, "ModificationProtectionStatus",
                                   ("NonProtection", "ConsoleProtection")) or "NonProtection"
        vswitch, vpc = params.get("VSwitchId") or "", params.get("VpcId") or ""
        network = "vpc" if vswitch else "classic"
        address_type = address_type or ("intranet" if vswitch else "internet")
        token = params.get("ClientToken")
        # What the token stands for: the request without the token itself. A token is "unique among
        # different requests" (documented), so the same token with other parameters is a conflict
        # (LX_REQUEST_TOKEN_CONFLICT, "The ClientToken is conflict.", the common error table), never the
        # instance of the first request.
        request_digest = json.dumps(sorted((k, v) for k, v in params.items() if k != "ClientToken"))
        with self.lock:
            token_key = f"{account.account_id}:{region}:{token}" if token else None
            if token_key and token_key in self.state["client_tokens"]:
                first_request = self.state["client_token_requests"].get(token_key)
                if first_request is not None and first_request != request_digest:
                    raise ApiError("LX_REQUEST_TOKEN_CONFLICT",
                                   "The ClientToken is conflict. (It was used before by a CreateLoadBalancer with "
                                   "other parameters; send a new token for a different request.)")
                existing = self.state["load_balancers"].get(self.state["client_tokens"][token_key])
                if existing is not None:
                    return self._create_lb_response(existing)
            address = params.get("Address")
            if address:
                try:
                    in_loopback = ipaddress.ip_address(address) in ipaddress.ip_network("127.0.0.0/8")
                except ValueError:
                    in_loopback = False
                if not in_loopback:
                    raise invalid(f"The specified parameter Address is not valid: {address!r} (the emulator "
                                  "serves load balancers on loopback addresses, 127.0.0.0/8).")
                if any(lb["Address"] == address for lb in self.state["load_balancers"].values()):
                    raise ApiError("InvalidAddress.AlreadyUsed")
            else:
                address = self._allocate_address()
            now = time.time()
            lb_id = "lb-" + _random(_LOWER_ALNUM, 23)
            lb = {
                "owner": account.account_id, "RegionId": region, "RegionIdAlias": region,
                "LoadBalancerId": lb_id, "LoadBalancerName": name, "LoadBalancerStatus": "active",
                "Address": address, "AddressType": address_type, "AddressIPVersion": ip_version,
                "NetworkType": network, "VpcId": vpc, "VSwitchId": vswitch,
                "InternetChargeType": internet_charge, "InternetChargeTypeAlias": internet_charge,
                "Bandwidth": bandwidth if bandwidth is not None else 5120,
                "InstanceChargeType": charge, "LoadBalancerSpec": spec if charge == "PayBySpec" else CLCU_SPEC,
                "MasterZoneId": params.get("MasterZoneId") or f"{region}-b",
                "SlaveZoneId": params.get("SlaveZoneId") or f"{region}-d",
                "DeleteProtection": delete_protection, "ModificationProtectionStatus": modification,
                "ModificationProtectionReason": params.get("ModificationProtectionReason") or "",
                "PayType": "PayOnDemand", "ResourceGroupId": params.get("ResourceGroupId") or "rg-default",
                "CreateTime": _now_iso(now), "CreateTimeStamp": int(now * 1000),
                "listeners": {}, "backend_servers": [],
            }
            self.state["load_balancers"][lb_id] = lb
            if self.unlisted_new_load_balancer_reads:
                self._unlisted_load_balancers[lb_id] = self.unlisted_new_load_balancer_reads
            if token_key:
                self.state["client_tokens"][token_key] = lb_id
                self.state["client_token_requests"][token_key] = request_digest
            self.save()
        return self._create_lb_response(lb)

    @staticmethod
    def _create_lb_response(lb: dict) -> dict:
        return {k: lb[k] for k in ("LoadBalancerId", "LoadBalancerName", "Address", "AddressIPVersion",
                                   "NetworkType", "ResourceGroupId", "VSwitchId", "VpcId")} | {"OrderId": 0}

    def action_DeleteLoadBalancer(self, params: dict, account) -> dict:
        with self.lock:
            lb = self._load_balancer(params, account)
            if lb["DeleteProtection"] == "on":
                raise ApiError("DeleteProtectionIsOn")
            ports = [int(p) for p in lb["listeners"]]
            del self.state["load_balancers"][lb["LoadBalancerId"]]
            self._unlisted_load_balancers.pop(lb["LoadBalancerId"], None)
            for port in ports:
                self._stale_listener_views.pop((lb["LoadBalancerId"], port), None)
            self.save()
        for port in ports:
            self._notify(lb["LoadBalancerId"], port)
        return {}

    def action_SetLoadBalancerName(self, params: dict, account) -> dict:
        _require(params, "LoadBalancerId")
        name = _check_name(_require(params, "LoadBalancerName"), "LoadBalancerName")
        with self.lock:
            lb = self._load_balancer(params, account)
            lb["LoadBalancerName"] = name
            self.save()
        return {}

    _LB_SUMMARY_FIELDS = (
        "LoadBalancerId", "LoadBalancerName", "LoadBalancerStatus", "Address", "AddressIPVersion", "AddressType",
        "Bandwidth", "CreateTime", "CreateTimeStamp", "DeleteProtection", "InstanceChargeType",
        "InternetChargeType", "InternetChargeTypeAlias", "LoadBalancerSpec", "MasterZoneId", "SlaveZoneId",
        "ModificationProtectionReason", "ModificationProtectionStatus", "NetworkType", "PayType", "RegionId",
        "RegionIdAlias", "ResourceGroupId", "VSwitchId", "VpcId")

    def action_DescribeLoadBalancers(self, params: dict, account) -> dict:
        region = self._region(params)
        # Documented filters the emulator does not apply are refused rather than ignored, so a client cannot come to
        # depend on a filter that lists everything.
        _refuse_tag_filters(params)
        for name in ("Tags", "ServerIntranetAddress"):
            if params.get(name):
                raise invalid(f"The specified parameter {name} is not valid: the emulator does not filter by it.")
        page_number = _parse_int(params, "PageNumber", 1) or 1
        page_size = _parse_int(params, "PageSize", 1, 100) or 10
        if params.get("PageSize") and not params.get("PageNumber"):
            # Documented: "If you specify the PageSize parameter, you must also specify the PageNumber parameter."
            raise missing("PageNumber")

        def as_set(name):
            raw = params.get(name)
            if not raw:
                return None
            values = {v.strip() for v in raw.split(",") if v.strip()}
            if len(values) > 10:
                raise invalid(f"The specified parameter {name} is not valid: at most 10 values.")
            return values

        ids, names = as_set("LoadBalancerId"), as_set("LoadBalancerName")
        exact = {k: params[k] for k in ("Address", "AddressType", "AddressIPVersion", "InternetChargeType",
                                        "LoadBalancerStatus", "NetworkType", "VpcId", "VSwitchId",
                                        "MasterZoneId", "SlaveZoneId", "PayType", "ResourceGroupId")
                 if params.get(k)}
        server_id = params.get("ServerId")
        with self.lock:
            matches = []
            for lb in self.state["load_balancers"].values():
                if lb["owner"] != account.account_id or lb["RegionId"] != region:
                    continue
                if ids is not None and lb["LoadBalancerId"] not in ids:
                    continue
                if names is not None and lb["LoadBalancerName"] not in names:
                    continue
                if any(lb.get(k) != v for k, v in exact.items()):
                    continue
                if server_id and not any(s["ServerId"] == server_id for s in lb["backend_servers"]):
                    continue
                listed = {k: lb[k] for k in self._LB_SUMMARY_FIELDS} | {"Tags": {"Tag": []}}
                # DescribeLoadBalancers answers InternetChargeType as a number code and the text in the alias (the
                # documented example and live output); DescribeLoadBalancerAttribute answers the text.
                listed["InternetChargeType"] = INTERNET_CHARGE_TYPE_CODES[lb["InternetChargeType"]]
                matches.append(listed)
        matches.sort(key=lambda lb: lb["CreateTimeStamp"])
        start = (page_number - 1) * page_size
        return {"LoadBalancers": {"LoadBalancer": matches[start:start + page_size]}, "PageNumber": page_number,
                "PageSize": page_size, "TotalCount": len(matches)}

    def action_DescribeLoadBalancerAttribute(self, params: dict, account) -> dict:
        with self.lock:
            lb = self._load_balancer(params, account)
            unlisted = self._unlisted_load_balancers.get(lb["LoadBalancerId"], 0)
            if unlisted:
                # The testing hook's lagging read of a new instance: the same answer as an unknown ID.
                if unlisted == 1:
                    del self._unlisted_load_balancers[lb["LoadBalancerId"]]
                else:
                    self._unlisted_load_balancers[lb["LoadBalancerId"]] = unlisted - 1
                raise ApiError("InvalidLoadBalancerId.NotFound",
                               f"The specified LoadBalancerId does not exist: {lb['LoadBalancerId']} "
                               f"(region {lb['RegionId']}).")
            ports = sorted(int(p) for p in lb["listeners"])
            body = {k: lb[k] for k in self._LB_SUMMARY_FIELDS}
            body.update({
                "BackendServers": {"BackendServer": [self._server_view(s) for s in lb["backend_servers"]]},
                "ListenerPorts": {"ListenerPort": ports},
                "ListenerPortsAndProtocol": {"ListenerPortAndProtocol": [
                    self._port_and_protocol(lb["listeners"][str(p)]) for p in ports]},
                "ListenerPortsAndProtocal": {"ListenerPortAndProtocal": [
                    {"ListenerPort": p, "ListenerProtocal": lb["listeners"][str(p)].get("ListenerProtocol", "https")}
                    for p in ports]},
                "Tags": {"Tag": []}, "EndTime": "2999-09-08T16:00:00Z", "EndTimeStamp": 32493801600000,
                "AutoReleaseTime": 0, "RenewalStatus": "", "RenewalDuration": 0, "RenewalCycUnit": "",
            })
        return body

    @staticmethod
    def _port_and_protocol(listener: dict) -> dict:
        """A ListenerPortAndProtocol item (SDK model: Description, ForwardPort, ListenerForward, ListenerPort,
        ListenerProtocol); ForwardPort only while an HTTP listener redirects, as its Describe reports it."""
        protocol = listener.get("ListenerProtocol", "https")
        item = {"ListenerPort": listener["ListenerPort"], "ListenerProtocol": protocol,
                "Description": listener.get("Description", ""),
                "ListenerForward": listener.get("ListenerForward", "off") if protocol == "http" else "off"}
        if item["ListenerForward"] == "on":
            item["ForwardPort"] = listener["ForwardPort"]
        return item

    # -- listeners --------------------------------------------------------------------------
    @staticmethod
    def _listener_field(name: str, raw: str):
        _default, kind, extra = ALL_LISTENER_FIELDS[name]
        params = {name: raw}
        if kind == "int":
            return _parse_int(params, name, *extra)
        if kind == "bandwidth":
            value = _parse_int(params, name)
            if value != -1 and not 1 <= value <= 5120:
                raise invalid("The specified Bandwidth is invalid: use -1 (unlimited) or 1-5120.")
            return value
        if kind == "enum":
            return _parse_enum(params, name, extra)
        if kind == "len":
            if not extra[0] <= len(raw) <= extra[1]:
                raise invalid(f"The specified parameter {name} is not valid: {extra[0]}-{extra[1]} characters.")
            return raw
        if kind == "description":
            # Documented (Create/Set*ListenerAttribute): 1-256 characters; letters, digits, - / . _
            if not (extra[0] <= len(raw) <= extra[1] and all(c.isalnum() or c in DESCRIPTION_EXTRA for c in raw)):
                raise invalid(f"The specified parameter {name} is not valid: {extra[0]}-{extra[1]} characters, "
                              "only letters, digits, '-', '/', '.' and '_'.")
            return raw
        if kind == "cookie":
            # Documented: 1-200 characters, "only ASCII letters and digits" (no , ; space, no leading $).
            if not (extra[0] <= len(raw) <= extra[1] and raw.isascii() and raw.isalnum()):
                raise invalid(f"The specified parameter {name} is not valid: {extra[0]}-{extra[1]} ASCII letters "
                              "and digits.")
            return raw
        if kind == "uri":
            # Documented: 1-80 characters starting with '/'; letters, digits and - / . % ? # &
            if not (1 <= len(raw) <= 80 and raw.startswith("/")) or not all(
                    (c.isascii() and c.isalnum()) or c in HEALTH_CHECK_URI_EXTRA for c in raw):
                raise invalid("The specified parameter HealthCheckURI is not valid: 1-80 characters starting "
                              "with '/', only letters, digits and '-', '/', '.', '%', '?', '#', '&'.")
            return raw
        if kind == "domain":
            if raw != "$_ip" and not (1 <= len(raw) <= 80 and all(c.isalnum() or c in ".-" for c in raw)):
                raise invalid("The specified parameter HealthCheckDomain is not valid: $_ip or a domain of "
                              "1-80 characters.")
            return raw
        if kind == "codes":
            codes = raw.split(",")
            if not codes or any(c not in HTTP_CODE_CLASSES for c in codes):
                raise invalid("The specified parameter HealthCheckHttpCode is not valid: a comma-separated list "
                              f"of {', '.join(HTTP_CODE_CLASSES)}.")
            return raw
        return raw

    def _apply_listener_params(self, listener: dict, params: dict, account, region: str,
                               fields: dict = LISTENER_FIELDS) -> dict:
        changes = {}
        for name in fields:
            if name not in params:
                continue
            raw = params[name]
            if raw == "":
                # The SDK omits unset (None) fields and sends an empty string only when the caller set one,
                # so "" is a value: it clears CACertificateId (mutual authentication off), Description and
                # AclId; an empty ServerCertificateId is refused below; any other field has no empty value.
                if name not in EMPTY_ALLOWED_LISTENER_FIELDS:
                    raise invalid(f"The specified parameter {name} is not valid: the value is empty.")
                changes[name] = ""
                continue
            changes[name] = self._listener_field(name, raw)
        merged = dict(listener) | changes
        # A missing certificate on a listener is CertificateNotExist (400) in the listener actions'
        # documented errors; ResourceNotFound.Certificate (404) is documented there too.
        if "ServerCertificateId" in changes:
            if not changes["ServerCertificateId"]:
                raise invalid("The specified parameter ServerCertificateId is empty.")
            if self._owned("server_certificates", changes["ServerCertificateId"], account, region) is None:
                raise ApiError("CertificateNotExist",
                               "The specified CertificateId does not exist. (ServerCertificateId "
                               f"{changes['ServerCertificateId']}, region {region}; certificates are regional.)")
        if changes.get("CACertificateId"):
            if self._owned("ca_certificates", changes["CACertificateId"], account, region) is None:
                raise ApiError("CertificateNotExist",
                               "The specified CertificateId does not exist. (CACertificateId "
                               f"{changes['CACertificateId']}, region {region}; certificates are regional.)")
        if merged.get("StickySession") == "on":
            if merged.get("StickySessionType") not in ("insert", "server"):
                raise missing("StickySessionType")
            if merged["StickySessionType"] == "insert" and not merged.get("CookieTimeout"):
                raise missing("CookieTimeout")
            if merged["StickySessionType"] == "server" and not merged.get("Cookie"):
                raise missing("Cookie")
        if merged.get("AclStatus") == "on":
            raise invalid("The specified parameter AclStatus is not valid: access control lists are not "
                          "emulated (use AclStatus=off).")
        return changes

    def _create_listener(self, params: dict, account, protocol: str) -> dict:
        """One port holds one listener whatever its protocol (HTTP and HTTPS are both TCP)."""
        fields = LISTENER_FIELDS if protocol == "https" else HTTP_CREATE_FIELDS
        with self.lock:
            lb = self._load_balancer(params, account)
            region = lb["RegionId"]
            port = _parse_int(params, "ListenerPort", 1, 65535, required=True)
            if protocol == "https":
                _require(params, "Bandwidth")
            _require(params, "HealthCheck")
            if params.get("VServerGroupId"):
                raise invalid("The specified parameter VServerGroupId is not supported by the emulator: "
                              "use the default server group (BackendServerPort).")
            _require(params, "BackendServerPort")
            if protocol == "https" and not params.get("ServerCertificateId"):
                raise invalid("The specified parameter ServerCertificateId is empty.")
            if protocol == "https":
                # Required in the 2021 API reference (as ServerCertificateId); not in the 2026 metadata.
                _require(params, "StickySession")
            if str(port) in lb["listeners"]:
                raise ApiError("ListenerAlreadyExists")
            if len(lb["listeners"]) >= MAX_LISTENERS_PER_LOAD_BALANCER:
                raise ApiError("ListenerNumberOverLimit",
                               f"The maximum number of listeners is exceeded. ({lb['LoadBalancerId']} has "
                               f"{len(lb['listeners'])}; an instance holds at most {MAX_LISTENERS_PER_LOAD_BALANCER}.)")
            listener = {name: default for name, (default, _k, _e) in fields.items() if default is not None}
            if protocol == "http":
                listener["Bandwidth"] = -1  # optional for HTTP listeners; unlimited when omitted
            listener.update(self._apply_listener_params(listener, params, account, region, fields))
            if protocol == "http":
                self._check_forward(lb, listener)
            self._check_bandwidth(lb, port, listener["Bandwidth"])
            listener.update({"ListenerPort": port, "ListenerProtocol": protocol, "Status": "stopped",
                             "LoadBalancerId": lb["LoadBalancerId"], "CreateTimeStamp": int(time.time() * 1000)})
            lb["listeners"][str(port)] = listener
            self.save()
        return {}

    @staticmethod
    def _check_bandwidth(lb: dict, port: int, bandwidth: int) -> None:
        """Documented: a listener's -1 (unlimited) is for pay-by-traffic instances; on a pay-by-bandwidth
        instance "the sum of the maximum bandwidth of all listeners cannot exceed the maximum bandwidth of
        the CLB instance" (CreateLoadBalancer), refused with the common table's InvalidParameter texts. That
        -1 is refused there (rather than read as "the instance's bandwidth") is the stricter reading."""
        if lb["InternetChargeType"] != "paybybandwidth":
            return
        limit = lb["Bandwidth"]
        advice = (f"{lb['LoadBalancerId']} is a pay-by-bandwidth instance of {limit} Mbit/s: give each listener "
                  f"1-{limit} Mbit/s, together at most {limit}.")
        if bandwidth == -1:
            raise invalid(f"The specified Bandwidth is invalid. (-1, unlimited, is for pay-by-traffic instances; "
                          f"{advice})")
        others = sum(max(other.get("Bandwidth", 0), 0) for other_port, other in lb["listeners"].items()
                     if other_port != str(port))
        if others + bandwidth > limit:
            raise invalid(f"The specified Bandwidth is invalid. It exceeds the maximum bandwidth available to the "
                          f"instance. (The other listeners have {others} Mbit/s; {advice})")

    @staticmethod
    def _check_forward(lb: dict, listener: dict) -> None:
        if listener.get("ListenerForward") != "on":
            listener.pop("ForwardPort", None)
            return
        forward_port = listener.get("ForwardPort")
        if not forward_port:
            raise missing("ForwardPort")
        target = lb["listeners"].get(str(forward_port))
        if target is None or target.get("ListenerProtocol") != "https":
            raise invalid(f"The specified parameter ForwardPort is not valid: {forward_port} is not the port of an "
                          "HTTPS listener of this load balancer (create the HTTPS listener first).")

    def action_CreateLoadBalancerHTTPSListener(self, params: dict, account) -> dict:
        return self._create_listener(params, account, "https")

    def action_CreateLoadBalancerHTTPListener(self, params: dict, account) -> dict:
        return self._create_listener(params, account, "http")

    def _listener_view(self, lb: dict, listener: dict) -> dict:
        protocol = listener.get("ListenerProtocol", "https")
        fields = LISTENER_FIELDS if protocol == "https" else HTTP_CREATE_FIELDS
        view = {name: listener.get(name, "" if default is None else default)
                for name, (default, _k, _e) in fields.items()}
        for numeric in ("CookieTimeout", "HealthCheckConnectPort"):
            if view[numeric] == "":
                view[numeric] = 0
        view.update({
            "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": listener["ListenerPort"],
            "Status": listener["Status"], "VServerGroupId": "", "SecurityStatus": "off",
            "AclIds": {"AclId": []}, "Rules": {"Rule": []}, "Tags": {"Tag": []},
        })
        if protocol == "https":
            view.update({
                "DomainExtensions": {"DomainExtension": []},
                "XForwardedFor_ClientCertSubjectDN": "off", "XForwardedFor_ClientCertIssuerDN": "off",
                "XForwardedFor_ClientCertFingerprint": "off", "XForwardedFor_ClientCertClientVerify": "off",
            })
        elif view["ListenerForward"] != "on":
            del view["ForwardPort"]  # documented: not returned unless ListenerForward is on
        return view

    def action_DescribeLoadBalancerHTTPSListenerAttribute(self, params: dict, account) -> dict:
        return self._describe_listener(params, account, "https")

    def action_DescribeLoadBalancerHTTPListenerAttribute(self, params: dict, account) -> dict:
        return self._describe_listener(params, account, "http")

    def _describe_listener(self, params: dict, account, protocol: str) -> dict:
        with self.lock:
            lb = self._load_balancer(params, account)
            listener = self._listener(lb, params, not_found="InvalidParameter", protocol=protocol)
            stale = self._stale_listener_views.get((lb["LoadBalancerId"], listener["ListenerPort"]))
            if stale and stale[1] > 0:
                stale[1] -= 1
                return dict(stale[0])
            return self._listener_view(lb, listener)

    def action_SetLoadBalancerHTTPSListenerAttribute(self, params: dict, account) -> dict:
        return self._set_listener(params, account, "https")

    def action_SetLoadBalancerHTTPListenerAttribute(self, params: dict, account) -> dict:
        return self._set_listener(params, account, "http")

    def _set_listener(self, params: dict, account, protocol: str) -> dict:
        dry_run = params.get("DryRun") in ("True", "true")
        fields = HTTPS_SET_FIELDS if protocol == "https" else HTTP_SET_FIELDS
        with self.lock:
            lb = self._load_balancer(params, account)
            listener = self._listener(lb, params, not_found="InvalidParameter", protocol=protocol)
            self._refuse_while_starting(listener, None)
            if params.get("VServerGroupId") or params.get("VServerGroup") == "on":
                raise invalid("The specified parameter VServerGroupId is not supported by the emulator: "
                              "use the default server group.")
            changes = self._apply_listener_params(listener, params, account, lb["RegionId"], fields)
            if "Bandwidth" in changes:
                self._check_bandwidth(lb, listener["ListenerPort"], changes["Bandwidth"])
            if dry_run:
                raise ApiError("DryRunOperation", "Request validation has been passed with DryRun flag set.",
                               status=400)
            if self.stale_listener_reads:
                self._stale_listener_views[(lb["LoadBalancerId"], listener["ListenerPort"])] = [
                    self._listener_view(lb, listener), self.stale_listener_reads]
            listener.update(changes)
            self.save()
        self._notify(lb["LoadBalancerId"], listener["ListenerPort"])
        return {}

    def action_StartLoadBalancerListener(self, params: dict, account) -> dict:
        if self.listener_transition_ms > 0:
            return self._start_with_transition(params, account)
        return self._set_listener_status(params, account, "stopped", "running")

    def action_StopLoadBalancerListener(self, params: dict, account) -> dict:
        return self._set_listener_status(params, account, "running", "stopped")

    def _set_listener_status(self, params, account, from_status, to_status):
        with self.lock:
            lb = self._load_balancer(params, account)
            listener = self._listener(lb, params)
            self._require_status(listener, from_status, "Operation.Deny" if to_status == "running" else None)
            listener["Status"] = to_status
            self.save()
        try:
            self._notify(lb["LoadBalancerId"], listener["ListenerPort"])
        except ApiError:
            with self.lock:
                listener["Status"] = from_status
                self.save()
            raise
        return {}

    @staticmethod
    def _refuse_while_starting(listener: dict, code: str | None) -> None:
        """Calls during the start transition: Start is StartLoadBalancerListener's documented
        Operation.Deny ("the specified listener is configuring"); the others get
        OperationFailed.ListenerStatusNotSupport, which Terraform retries on Set/Start."""
        if listener["Status"] != "starting":
            return
        if code == "Operation.Deny":
            raise ApiError("Operation.Deny", "The specified listener is configuring, please try again later. "
                           f"(listener {listener['ListenerPort']} is starting)")
        raise _status_not_supported(listener)

    @classmethod
    def _require_status(cls, listener: dict, from_status: str, starting_code: str | None) -> None:
        """Start/Stop: refuse a listener that is not in `from_status` (one that is starting as above)."""
        cls._refuse_while_starting(listener, starting_code)
        if listener["Status"] != from_status:
            raise _status_not_supported(listener)

    def _start_with_transition(self, params: dict, account) -> dict:
        """Start into "starting"; a timer makes it "running" (and serves it) after the transition."""
        with self.lock:
            lb = self._load_balancer(params, account)
            listener = self._listener(lb, params)
            self._require_status(listener, "stopped", "Operation.Deny")
            listener["Status"] = "starting"
            self.save()
        timer = threading.Timer(self.listener_transition_ms / 1000.0, self._finish_start,
                                args=(lb["LoadBalancerId"], listener))
        timer.daemon = True
        timer.start()
        return {}

    def _finish_start(self, lb_id: str, listener: dict) -> None:
        with self.lock:
            lb = self.state["load_balancers"].get(lb_id)
            current = lb["listeners"].get(str(listener["ListenerPort"])) if lb else None
            # Deleted, reset or restarted meanwhile: nothing of this start is left to finish.
            if current is not listener or listener["Status"] != "starting":
                return
            listener["Status"] = "running"
            self.save()
        try:
            self._notify(lb_id, listener["ListenerPort"])
        except ApiError as error:
            # The start already answered success, so a port that cannot be bound shows as stopped.
            with self.lock:
                listener["Status"] = "stopped"
                self.save()
            print(f"clb-emulator: listener {lb_id}:{listener['ListenerPort']} could not start: {error.message}",
                  file=sys.stderr, flush=True)

    def action_DeleteLoadBalancerListener(self, params: dict, account) -> dict:
        with self.lock:
            lb = self._load_balancer(params, account)
            listener = self._listener(lb, params)
            # Documented: only a stopped or running listener can be deleted.
            self._refuse_while_starting(listener, None)
            del lb["listeners"][str(listener["ListenerPort"])]
            self._stale_listener_views.pop((lb["LoadBalancerId"], listener["ListenerPort"]), None)
            self.save()
        self._notify(lb["LoadBalancerId"], listener["ListenerPort"])
        return {}

    def action_DescribeLoadBalancerListeners(self, params: dict, account) -> dict:
        region = self._region(params, required=False)
        lb_ids = [v for k, v in sorted(params.items()) if k.startswith("LoadBalancerId.") and v]
        if params.get("LoadBalancerId"):
            lb_ids.append(params["LoadBalancerId"])
        if len(lb_ids) > 10:
            raise invalid("The specified parameter LoadBalancerId is not valid: at most 10 values.")
        protocol = _parse_enum(params, "ListenerProtocol", LISTENER_PROTOCOLS)
        port = _parse_int(params, "ListenerPort", 1, 65535)
        max_results = _parse_int(params, "MaxResults", 1, 100) or 20
        try:
            start = int(params.get("NextToken") or 0)
        except ValueError:
            raise invalid("The specified parameter NextToken is not valid.") from None
        description = params.get("Description")
        with self.lock:
            items = []
            for lb in sorted(self.state["load_balancers"].values(), key=lambda x: x["CreateTimeStamp"]):
                if lb["owner"] != account.account_id or lb["RegionId"] != region:
                    continue
                if lb_ids and lb["LoadBalancerId"] not in lb_ids:
                    continue
                for listener in sorted(lb["listeners"].values(), key=lambda x: x["ListenerPort"]):
                    listener_protocol = listener.get("ListenerProtocol", "https")
                    if protocol and protocol != listener_protocol:
                        continue
                    if port and listener["ListenerPort"] != port:
                        continue
                    if description and listener.get("Description") != description:
                        continue
                    view = self._listener_view(lb, listener)
                    item = {
                        "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": listener["ListenerPort"],
                        "ListenerProtocol": listener_protocol, "BackendServerPort": view["BackendServerPort"],
                        "Bandwidth": view["Bandwidth"], "Status": view["Status"], "Scheduler": view["Scheduler"],
                        "VServerGroupId": "", "Description": view["Description"], "AclId": view["AclId"],
                        "AclIds": [], "AclStatus": view["AclStatus"], "AclType": view["AclType"], "Tags": [],
                    }
                    if listener_protocol == "https":
                        item["HTTPSListenerConfig"] = {k: view[k] for k in HTTPS_CONFIG_FIELDS} | {
                            "HealthCheckHttpVersion": "http1.1", "HealthCheckType": "http",
                            "XForwardedFor_ClientCertSubjectDN": "off", "XForwardedFor_ClientCertIssuerDN": "off",
                            "XForwardedFor_ClientCertFingerprint": "off",
                            "XForwardedFor_ClientCertClientVerify": "off"}
                    else:
                        item["HTTPListenerConfig"] = {k: view[k] for k in HTTP_CONFIG_FIELDS} | {
                            "HealthCheckHttpVersion": "http1.1", "HealthCheckType": "http"}
                        if "ForwardPort" in view:
                            item["HTTPListenerConfig"]["ForwardPort"] = view["ForwardPort"]
                    items.append(item)
        page = items[start:start + max_results]
        body = {"MaxResults": max_results, "TotalCount": len(items)}
        if page:
            # Documented (SDK 3.3.31 model): "This parameter is not returned if the CLB instance does not
            # have a listener." A client must not count on an empty list.
            body["Listeners"] = page
        if start + max_results < len(items):
            body["NextToken"] = str(start + max_results)
        else:
            body["NextToken"] = ""
        return body

    # -- backend servers --------------------------------------------------------------------
    def action_AddBackendServers(self, params: dict, account) -> dict:
        with self.lock:
            lb = self._load_balancer(params, account)
            servers = parse_backend_servers(params.get("BackendServers"))
            attached = {s["ServerId"] for s in lb["backend_servers"]}
            for server in servers:
                self._ecs_running(server["ServerId"], lb["RegionId"])
                if server["ServerId"] in attached:
                    raise invalid(f"The specified backend server {server['ServerId']} is already attached to "
                                  "the load balancer; use SetBackendServers to change its weight.")
            lb["backend_servers"].extend(servers)
            self.save()
            body = self._servers_response(lb, weight_as_str=True)
        self._notify_all_listeners(lb)
        return body

    def action_RemoveBackendServers(self, params: dict, account) -> dict:
        with self.lock:
            lb = self._load_balancer(params, account)
            servers = parse_backend_servers(params.get("BackendServers"))
            removed = {s["ServerId"] for s in servers}
            lb["backend_servers"] = [s for s in lb["backend_servers"] if s["ServerId"] not in removed]
            self.save()
            body = self._servers_response(lb, weight_as_str=False)
        self._notify_all_listeners(lb)
        return body

    def action_SetBackendServers(self, params: dict, account) -> dict:
        with self.lock:
            lb = self._load_balancer(params, account)
            servers = parse_backend_servers(params.get("BackendServers"))
            by_id = {s["ServerId"]: s for s in lb["backend_servers"]}
            for server in servers:
                if server["ServerId"] not in by_id:
                    raise ApiError("InvalidServerId.NotFound", "The specified server is not found: "
                                   f"{server['ServerId']} is not attached to the load balancer (SetBackendServers "
                                   "only changes weights; use AddBackendServers to attach).", status=400)
            for server in servers:
                by_id[server["ServerId"]]["Weight"] = server["Weight"]
                if server["Description"]:
                    by_id[server["ServerId"]]["Description"] = server["Description"]
            self.save()
            body = self._servers_response(lb, weight_as_str=True)
        self._notify_all_listeners(lb)
        return body

    def _servers_response(self, lb: dict, weight_as_str: bool) -> dict:
        return {"LoadBalancerId": lb["LoadBalancerId"], "BackendServers": {"BackendServer": [
            {k: v for k, v in self._server_view(s, weight_as_str).items() if k != "ServerIp"}
            for s in lb["backend_servers"]]}}

    def _notify_all_listeners(self, lb: dict) -> None:
        for port in list(lb["listeners"]):
            self._notify(lb["LoadBalancerId"], int(port))

    def action_DescribeHealthStatus(self, params: dict, account) -> dict:
        with self.lock:
            lb = self._load_balancer(params, account)
            port = _parse_int(params, "ListenerPort", 1, 65535)
            protocol = _parse_enum(params, "ListenerProtocol", LISTENER_PROTOCOLS)
            listeners = [lst for lst in lb["listeners"].values()
                         if (port is None or lst["ListenerPort"] == port)
                         and protocol in (None, lst.get("ListenerProtocol", "https"))]
            if port is not None and not listeners:
                raise ApiError("ListenerNotFound")
            entries = []
            for listener in sorted(listeners, key=lambda x: x["ListenerPort"]):
                statuses = {}
                if listener["Status"] == "running" and listener.get("HealthCheck") == "on" and self.health_source:
                    statuses = self.health_source(lb["LoadBalancerId"], listener["ListenerPort"])
                for server in lb["backend_servers"]:
                    instance = self.ecs.get(server["ServerId"])
                    entries.append({
                        "ListenerPort": listener["ListenerPort"], "Port": listener["BackendServerPort"],
                        "Protocol": listener.get("ListenerProtocol", "https"), "ServerId": server["ServerId"],
                        "ServerIp": instance.host if instance else "",
                        "ServerHealthStatus": statuses.get(server["ServerId"], "unavailable"),
                    })
        return {"BackendServers": {"BackendServer": entries}}

    # -- the data plane's view ----------------------------------------------------------------
    def listener_runtime(self, lb_id: str, port: int) -> dict | None:
        """Everything the data plane needs to serve a listener, or None if it must not run."""
        with self.lock:
            lb = self.state["load_balancers"].get(lb_id)
            listener = lb["listeners"].get(str(port)) if lb else None
            if listener is None or listener["Status"] != "running":
                return None
            servers = []
            for server in lb["backend_servers"]:
                instance = self.ecs.get(server["ServerId"])
                if instance is not None:
                    servers.append({"ServerId": server["ServerId"], "Weight": server["Weight"],
                                    "host": instance.host, "port": instance.port,
                                    "running": instance.status == "Running"})
            ca_id = listener.get("CACertificateId") or ""
            protocol = listener.get("ListenerProtocol", "https")
            return {
                "LoadBalancerId": lb_id, "Address": lb["Address"], "listener": dict(listener), "protocol": protocol,
                "server_pem_path": str(self.tls_dir / f"server-{listener['ServerCertificateId']}.pem")
                if protocol == "https" else "",
                "ca_pem_path": str(self.tls_dir / f"ca-{ca_id}.pem") if ca_id else "",
                "servers": servers,
            }
