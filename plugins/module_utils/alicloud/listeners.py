# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTPS listeners: option <-> wire field mapping, comparison, and the create/update/start/stop steps.

Mutual authentication has no switch of its own in the API: a listener with a non-empty
`CACertificateId` requires client certificates signed by that CA (on); an empty one means
one-way TLS (off). `ca_certificate_id: ""` therefore turns it off.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import LISTENER_STATUS_CODE, AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.load_balancers import (
    LoadBalancerNotFound,
    describe_load_balancer,
    listener_protocols_by_port,
    names_missing_load_balancer,
)


def _on_off(value):
    return None if value is None else ("on" if value else "off")


# HealthCheckDomain: "If you do not set the HealthCheckDomain parameter or set the parameter to $_ip, the CLB
# instance uses the private IP address of each backend server" (SDK 3.3.31 models). Whether a listener set to
# $_ip reads back as "$_ip" or empty is not documented, so the two compare equal (Field.comparable).
BACKEND_IP_HEALTH_CHECK_DOMAIN = "$_ip"
# Kinds whose unset value reads back as an empty string rather than None.
TEXT_KINDS = ("str", "enum", "domain")


class Field:
    """One listener setting: module option name, wire name and how values are normalized.

    `comparable` is the one place where a wanted value and a live one are brought to the same form before
    they are compared (`same`): what the service answers may differ in form from what was sent without
    differing in meaning, and treating such a difference as a change would make every run update the
    listener. The SDK does not convert types (an int field answered as a string stays a string), so:
    numbers compare as numbers; on/off switches, documented enum values and status-code classes compare
    case-insensitively (the reference documents lower case; a sibling Alibaba load balancer API answers
    capitalised values, so another case is plausible and costs nothing to accept); status-code lists
    compare as sets; empty and absent are the same; a health check domain of $_ip is the same as none."""

    def __init__(self, option, wire, kind="str", group=None, sticky_type=None):
        self.option = option
        self.wire = wire
        # str | enum (documented values, compared case-insensitively) | domain (HealthCheckDomain) | int |
        # switch (bool <-> on/off) | codes (list <-> comma string)
        self.kind = kind
        self.group = group  # "sticky" / "health": compared only while that feature is on
        # CookieTimeout applies only to insert sticky sessions and Cookie only to server ones
        # (CreateLoadBalancerHTTPSListener / Set*: "required if ... StickySessionType is insert/server"):
        # each is sent and compared only for its type, as Terraform sends them; the service need not keep the other.
        self.sticky_type = sticky_type

    def to_wire(self, value):
        if value is None:
            return None
        if self.kind == "switch":
            return _on_off(value)
        if self.kind == "int":
            return int(value)
        if self.kind == "codes":
            return ",".join(sorted(set(value)))
        if self.kind == "domain" and value == "":
            # No domain: the API refuses an empty HealthCheckDomain (an empty listener parameter is a value, not
            # an omission) and documents $_ip as the same setting, so that is what clears one.
            return BACKEND_IP_HEALTH_CHECK_DOMAIN
        return value

    def normalize_wire(self, value):
        """A live value in the same shape to_wire produces, so the two compare with ==."""
        if value is None or value == "":
            return "" if self.kind in TEXT_KINDS else None
        if self.kind == "int":
            try:
                return int(value)
            except (TypeError, ValueError):
                return None
        if self.kind in ("switch", "enum"):
            return str(value).strip().lower()
        if self.kind == "codes":
            return ",".join(sorted(set(part.strip().lower() for part in str(value).split(",") if part.strip())))
        return value

    def comparable(self, wire_value):
        """A wire value (sent or answered) in the form in which two of them are compared."""
        value = self.normalize_wire(wire_value)
        if self.kind == "domain" and str(value).lower() == BACKEND_IP_HEALTH_CHECK_DOMAIN:
            return ""
        return value

    def same(self, wanted, live_wire_value):
        """True when the wanted option value and the live wire value mean the same setting."""
        return self.comparable(self.to_wire(wanted)) == self.comparable(live_wire_value)

    def from_wire(self, value):
        """A live value as the module option would express it (for diffs and returns)."""
        value = self.normalize_wire(value)
        if value is None:
            return None
        if self.kind == "switch":
            return value == "on"
        if self.kind == "codes":
            return value.split(",") if value else []
        return value


LISTENER_FIELDS = (
    Field("backend_server_port", "BackendServerPort", "int"),
    Field("bandwidth", "Bandwidth", "int"),
    Field("server_certificate_id", "ServerCertificateId"),
    Field("ca_certificate_id", "CACertificateId"),
    Field("tls_cipher_policy", "TLSCipherPolicy", "enum"),
    Field("enable_http2", "EnableHttp2", "switch"),
    Field("scheduler", "Scheduler", "enum"),
    Field("sticky_session", "StickySession", "switch"),
    Field("sticky_session_type", "StickySessionType", "enum", group="sticky"),
    Field("cookie_timeout", "CookieTimeout", "int", group="sticky", sticky_type="insert"),
    Field("cookie", "Cookie", group="sticky", sticky_type="server"),
    Field("health_check", "HealthCheck", "switch"),
    Field("health_check_uri", "HealthCheckURI", group="health"),
    Field("health_check_domain", "HealthCheckDomain", "domain", group="health"),
    Field("health_check_http_code", "HealthCheckHttpCode", "codes", group="health"),
    Field("health_check_connect_port", "HealthCheckConnectPort", "int", group="health"),
    Field("health_check_interval", "HealthCheckInterval", "int", group="health"),
    Field("health_check_timeout", "HealthCheckTimeout", "int", group="health"),
    Field("health_check_method", "HealthCheckMethod", "enum", group="health"),
    Field("healthy_threshold", "HealthyThreshold", "int", group="health"),
    Field("unhealthy_threshold", "UnhealthyThreshold", "int", group="health"),
    Field("gzip", "Gzip", "switch"),
    Field("idle_timeout", "IdleTimeout", "int"),
    Field("request_timeout", "RequestTimeout", "int"),
    Field("x_forwarded_for", "XForwardedFor", "switch"),
    Field("x_forwarded_for_slb_ip", "XForwardedFor_SLBIP", "switch"),
    Field("x_forwarded_for_slb_id", "XForwardedFor_SLBID", "switch"),
    Field("x_forwarded_for_proto", "XForwardedFor_proto", "switch"),
    Field("x_forwarded_for_slb_port", "XForwardedFor_SLBPORT", "switch"),
    Field("x_forwarded_for_client_src_port", "XForwardedFor_ClientSrcPort", "switch"),
    Field("description", "Description"),
)
FIELDS_BY_OPTION = dict((field.option, field) for field in LISTENER_FIELDS)
GROUP_SWITCH = {"sticky": "sticky_session", "health": "health_check"}

# What CreateLoadBalancerHTTPSListener gets for required settings the user left unset. Only a new
# listener gets them: on an existing one an unset option is left as it is (a bandwidth cap set in the
# console survives a task that does not mention bandwidth).
CREATE_DEFAULTS = {"bandwidth": -1, "health_check": True, "sticky_session": False}

# The ranges the API reference documents for CreateLoadBalancerHTTPSListener and
# SetLoadBalancerHTTPSListenerAttribute (slb-api.md 1.3). Checked before any call so that a value the
# service would refuse fails in check mode too, before anything is changed, naming the option.
INTEGER_RANGES = (
    ("listener_port", 1, 65535),
    ("backend_server_port", 1, 65535),
    ("health_check_connect_port", 1, 65535),
    ("health_check_interval", 1, 50),
    ("health_check_timeout", 1, 300),
    ("healthy_threshold", 2, 10),
    ("unhealthy_threshold", 2, 10),
    ("cookie_timeout", 1, 86400),
    ("idle_timeout", 1, 60),
    ("request_timeout", 1, 180),
)
# (option, longest allowed). The empty string is let through: for description it clears the name.
LENGTH_LIMITS = (
    ("description", 256),
    ("cookie", 200),
    ("health_check_uri", 80),
    ("health_check_domain", 80),
)

DESCRIBE_ACTION = "DescribeLoadBalancerHTTPSListenerAttribute"
CREATE_ACTION = "CreateLoadBalancerHTTPSListener"


class ListenerConflict(Exception):
    pass


class ListenerStillSettling(AlicloudApiError):
    """Start/Stop/Set refused while the listener is between statuses (for example still being set
    up right after CreateLoadBalancerHTTPSListener): worth retrying with backoff, unlike a
    Start/Stop refused for a listener that is already where we want it."""

    retryable = True

    @classmethod
    def from_error(cls, error):
        settling = cls(error.action, error.code, error.message, request_id=error.request_id,
                       status_code=error.status_code, retry_after_ms=error.retry_after_ms)
        settling.region = error.region
        return settling


class ListenerWaitTimeout(Exception):
    pass


class IncompleteListenerRead(AlicloudApiError):
    """A successful DescribeLoadBalancerHTTPSListenerAttribute reply without ListenerPort. It says
    nothing about the listener, so it is read again with backoff; Terraform's DescribeSlbListener
    retries exactly this reply. Taking it for "no listener" would send a create for a port that
    may be taken."""

    retryable = True

    def __init__(self, reply):
        super(IncompleteListenerRead, self).__init__(
            DESCRIBE_ACTION, "IncompleteReply",
            "the service answered without ListenerPort, so whether the listener exists is unknown",
            request_id=reply.get("RequestId"), status_code=200)


class ExistingListener:
    """What a refused creation (ListenerAlreadyExists) found on the port.

    `listener` is the live listener (wire dict). `after_lost_reply` is true when the refusal answered
    a repeated attempt: an earlier attempt of this same creation may have gone through with its
    reply lost, so a listener equal to what was sent is most likely the one it made."""

    def __init__(self, listener, after_lost_reply):
        self.listener = listener
        self.after_lost_reply = after_lost_reply


def normalized_listener(listener):
    """A DescribeLoadBalancerHTTPSListenerAttribute reply with `Status` in lower case, the form every status
    comparison (running, stopped, starting) uses. The reference documents running|stopped; a sibling Alibaba
    load balancer API (ENS) documents Running|Stopped for the action of the same name, and a warm run that took
    "Running" for "not running yet" would wait until wait_timeout and fail, so the case is not relied on."""
    status = listener.get("Status")
    if isinstance(status, str):
        listener = dict(listener, Status=status.strip().lower())
    return listener


def desired_settings(params):
    """{option: value} for every listener option the user set (None means "leave as it is")."""
    return dict((field.option, params.get(field.option)) for field in LISTENER_FIELDS
                if params.get(field.option) is not None)


def live_settings(listener):
    """A live listener (wire dict) expressed as module options."""
    return dict((field.option, field.from_wire(listener.get(field.wire))) for field in LISTENER_FIELDS)


def _group_active(group, desired, live):
    switch = GROUP_SWITCH[group]
    if switch in desired:
        return bool(desired[switch])
    return bool(live.get(switch))


def _applies(field, settings, live):
    """Whether the field is in effect given the wanted `settings` (over the `live` ones): a field of a
    feature that is off, or a cookie setting of the other sticky-session type, is neither sent nor compared."""
    if field.group and not _group_active(field.group, settings, live):
        return False
    if field.sticky_type:
        return (settings.get("sticky_session_type") or live.get("sticky_session_type")) == field.sticky_type
    return True


def unapplied_options(desired, listener=None):
    """{option: why, and the fix} for the options the user set that are not in effect, so neither sent nor compared: a
    health check setting with the health check off, a sticky-session setting with sticky sessions off or of the
    other sticky-session type. `listener` is the live one (wire dict); None for a listener to be created."""
    if listener is None:
        settings, live = dict(CREATE_DEFAULTS, **desired), {}
    else:
        settings, live = desired, live_settings(listener)
    unapplied = {}
    for option in desired:
        field = FIELDS_BY_OPTION[option]
        if _applies(field, settings, live):
            continue
        if field.group and not _group_active(field.group, settings, live):
            unapplied[option] = "{0} is off; set {0}: true in the same task to use it, or leave {1} out".format(
                GROUP_SWITCH[field.group], option)
        else:
            unapplied[option] = ("it applies to sticky_session_type={0} only; set sticky_session_type: {0} in the "
                                 "same task to use it, or leave {1} out".format(field.sticky_type, option))
    return unapplied


def differing_fields(desired, listener):
    """Options whose desired value differs from the live listener: {option: (before, after)}."""
    live = live_settings(listener)
    changes = {}
    for option, value in desired.items():
        field = FIELDS_BY_OPTION[option]
        if not _applies(field, desired, live):
            continue
        if not field.same(value, listener.get(field.wire)):
            changes[option] = (live.get(option), field.from_wire(field.to_wire(value)))
    return changes


def update_params(changes, desired, live):
    """The wire parameters for SetLoadBalancerHTTPSListenerAttribute: only what differs, plus the
    companion fields the API needs to accept a sticky-session change, plus ServerCertificateId on every
    update: the API reference listed it as required for this action (AlibabaCloudDocs/slb), and Terraform's
    alicloud_slb_listener sends it with every HTTPS update for that reason, so an update of another
    field alone (for example turning mutual authentication on) is not refused for its absence."""
    params = {}
    for option in changes:
        field = FIELDS_BY_OPTION[option]
        params[field.wire] = field.to_wire(desired[option])
    server_certificate_id = desired.get("server_certificate_id") or live.get("server_certificate_id")
    if params and server_certificate_id:
        params.setdefault("ServerCertificateId", server_certificate_id)
    sticky_touched = any(FIELDS_BY_OPTION[o].group == "sticky" or o == "sticky_session" for o in changes)
    if sticky_touched and _group_active("sticky", desired, live):
        merged = dict(live)
        merged.update(desired)
        params["StickySession"] = "on"
        for option in ("sticky_session_type", "cookie_timeout", "cookie"):
            if merged.get(option) not in (None, ""):
                if option == "cookie_timeout" and merged.get("sticky_session_type") != "insert":
                    continue
                if option == "cookie" and merged.get("sticky_session_type") != "server":
                    continue
                params[FIELDS_BY_OPTION[option].wire] = FIELDS_BY_OPTION[option].to_wire(merged[option])
    return params


def create_params(desired):
    settings = dict(CREATE_DEFAULTS)
    settings.update(desired)
    params = {}
    for option, value in settings.items():
        field = FIELDS_BY_OPTION[option]
        if not _applies(field, settings, {}):
            continue
        if value == "":
            continue
        params[field.wire] = field.to_wire(value)
    return params


def validate_desired(desired):
    """Local consistency checks; returns a message naming the options, or None."""
    if desired.get("sticky_session"):
        kind = desired.get("sticky_session_type")
        if kind is None:
            return "sticky_session=true needs sticky_session_type (insert or server)"
        if kind == "insert" and desired.get("cookie_timeout") is None:
            return "sticky_session_type=insert needs cookie_timeout (1-86400 seconds)"
        if kind == "server" and not desired.get("cookie"):
            return "sticky_session_type=server needs cookie (the name of the backend's cookie)"
    if desired.get("server_certificate_id") is not None and not desired["server_certificate_id"].strip():
        return ("server_certificate_id is empty; give the ID of the uploaded server certificate (the "
                "server_certificate module returns it), or leave the option out to keep the listener's")
    uri = desired.get("health_check_uri")
    if uri is not None and not uri.startswith("/"):
        return "health_check_uri must start with '/' (got {0!r})".format(uri)
    codes = desired.get("health_check_http_code")
    if codes is not None and not codes:
        return ("health_check_http_code is empty; list at least one of http_2xx, http_3xx, http_4xx and http_5xx, "
                "or leave the option out")
    bandwidth = desired.get("bandwidth")
    if bandwidth is not None and bandwidth != -1 and not 1 <= bandwidth <= 5120:
        return "bandwidth must be -1 (unlimited) or 1-5120 Mbit/s (got {0})".format(bandwidth)
    for option, lowest, highest in INTEGER_RANGES:
        value = desired.get(option)
        if value is not None and not lowest <= value <= highest:
            return "{0} must be {1}-{2} (got {3}); the service refuses other values".format(
                option, lowest, highest, value)
    for option, longest in LENGTH_LIMITS:
        value = desired.get(option)
        if value is not None and len(value) > longest:
            return "{0} must be at most {1} characters (got {2}); shorten it".format(option, longest, len(value))
    for option, pattern, allowed in CHARACTER_RULES:
        value = desired.get(option)
        if value is not None and not pattern.match(value):
            return "{0} may contain only {1} (got {2!r}); the service refuses other characters".format(
                option, allowed, value)
    return None


# (option, allowed characters, how to say it): the character sets the API reference documents for
# CreateLoadBalancerHTTPSListener / SetLoadBalancerHTTPSListenerAttribute (SDK 3.3.31 models). The empty
# string is let through as above.
CHARACTER_RULES = (
    ("description", re.compile(r"^[\w\-/.]*$", re.UNICODE), "letters, digits, '-', '/', '.' and '_'"),
    ("cookie", re.compile(r"^[A-Za-z0-9]*$"), "ASCII letters and digits"),
    ("health_check_uri", re.compile(r"^[A-Za-z0-9\-/.%?#&]*$"),
     "letters, digits and '-', '/', '.', '%', '?', '#', '&'"),
    ("health_check_domain", re.compile(r"^(\$_ip|[A-Za-z0-9.\-]*)$"),
     "ASCII letters, digits, '.' and '-' (a domain name), or be $_ip"),
)


class HttpsListenerApi:
    """The API steps for one HTTPS listener (load balancer + port)."""

    def __init__(self, slb, load_balancer_id, port, sleep=time.sleep, clock=time.monotonic, warn=None):
        self.slb = slb
        self.load_balancer_id = load_balancer_id
        self.port = port
        self.sleep = sleep
        self.clock = clock
        # The calls below that run their own attempts under the retry policy say what they retry,
        # as SlbApi.call does for the others.
        self.warn = warn

    def _report_retry(self, action):
        def report(attempt_number, delay, error):
            if self.warn is not None:
                self.warn("{0}: {1} (attempt {2}), retrying in {3:.1f}s".format(
                    action, error.code, attempt_number, delay))
        return report

    def _ids(self):
        return {"LoadBalancerId": self.load_balancer_id, "ListenerPort": self.port}

    def check_port(self):
        """True if an HTTPS listener holds the port; ListenerConflict if another TCP-based protocol does.

        A UDP listener does not conflict: the API documents ports shared by listeners of different
        protocols (ListenerProtocol "required when the same port is used by listeners of different
        protocols"), which can only be UDP beside a TCP-based one."""
        attributes = describe_load_balancer(self.slb, self.load_balancer_id)
        protocols = listener_protocols_by_port(attributes).get(self.port, [])
        others = [p for p in protocols if p not in ("https", "udp")]
        if others and "https" not in protocols:
            raise ListenerConflict(
                "port {0} of load balancer {1} is already held by the {2} listener there; choose another "
                "listener_port or delete that listener first".format(
                    self.port, self.load_balancer_id, "/".join(p.upper() for p in others)))
        return "https" in protocols

    def describe(self):
        """The live HTTPS listener (wire dict), None when the port has none, or LoadBalancerNotFound.

        The API names an unknown load balancer (InvalidLoadBalancerId.NotFound) apart from an
        unknown port on a known one (InvalidParameter "The specified resource does not exist",
        ListenerNotFound or ResourceNotFound.Listener); a port held by another protocol reads as an
        unknown port here.

        A successful reply without ListenerPort is read again under the retry policy (one policy
        for it and for transient errors, so their attempts do not multiply); only a not-found
        answer means "no listener".
        """
        def read():
            try:
                body = self.slb.call(DESCRIBE_ACTION, self._ids(), retry=False)
            except AlicloudApiError as error:
                if names_missing_load_balancer(error):
                    raise LoadBalancerNotFound(self.load_balancer_id, self.slb.region)
                if error.not_found:
                    return None
                raise
            if not body.get("ListenerPort"):
                raise IncompleteListenerRead(body)
            return normalized_listener(body)

        return self.slb.retry_policy.run(read, on_retry=self._report_retry(DESCRIBE_ACTION))

    def create(self, params):
        """Create the listener; None when this call created it, an ExistingListener when the
        service refused because an HTTPS listener already holds the port.

        Nothing is asked first: that would cost a load balancer read on every creation, while the
        service refuses a taken port anyway (ListenerAlreadyExists). The listener found then may
        be anybody's (a read that missed it, another run, the console) with any settings, so the
        caller compares it with what is wanted like any existing listener instead of assuming
        that an earlier attempt of this call made it. When no HTTPS listener is found, the load
        balancer is read to name the protocol that holds the port."""
        request = self._ids()
        request.update(params)
        attempts = []

        def attempt():
            attempts.append(True)
            self.slb.call(CREATE_ACTION, request, retry=False)

        try:
            self.slb.retry_policy.run(attempt, on_retry=self._report_retry(CREATE_ACTION))
        except AlicloudApiError as error:
            if names_missing_load_balancer(error):
                raise LoadBalancerNotFound(self.load_balancer_id, self.slb.region)
            if error.code != "ListenerAlreadyExists":
                raise
            listener = self.describe()
            if listener is not None:
                return ExistingListener(listener, after_lost_reply=len(attempts) > 1)
            self.check_port()
            raise
        return None

    def update(self, params):
        """Setting attributes is idempotent, so a listener that is still settling (just created or
        started: ListenerStatusNotSupport, Operation.Deny) is simply asked again with backoff, as
        Terraform does; errors.RETRYABLE_CODES_BY_ACTION makes those codes retryable for this action."""
        request = self._ids()
        request.update(params)
        self.slb.call("SetLoadBalancerHTTPSListenerAttribute", request)

    def start(self):
        self._switch("StartLoadBalancerListener", ("running", "starting"))

    def stop(self):
        self._switch("StopLoadBalancerListener", ("stopped", "stopping"))

    def _switch(self, action, done_statuses):
        """Start/Stop work only from the opposite status, so a blind retry after a reply that was
        lost (but applied) would fail; after a transient error the status decides whether to retry.

        A listener that is still being set up (right after its creation, which nothing waits for)
        answers ServiceIsConfiguring, Operation.Deny ("the specified listener is configuring") or
        ListenerStatusNotSupport; each is retried with backoff until it has settled, as long as it
        is not already where the call would take it."""
        request = self._ids()
        request["ListenerProtocol"] = "https"

        def attempt():
            try:
                self.slb.call(action, request, retry=False)
            except AlicloudApiError as error:
                if not (error.retryable or error.code == LISTENER_STATUS_CODE):
                    raise
                if (self.describe() or {}).get("Status") in done_statuses:
                    return
                if error.code == LISTENER_STATUS_CODE:
                    raise ListenerStillSettling.from_error(error)
                raise

        self.slb.retry_policy.run(attempt)

    def delete(self):
        """Delete works only on a stopped or running listener; one that is starting or being
        configured answers a listener-status code, which the call retries (RETRYABLE_CODES_BY_ACTION).
        A listener that is gone (deleted meanwhile, or by an attempt whose reply was lost) is done."""
        request = self._ids()
        request["ListenerProtocol"] = "https"
        try:
            self.slb.call("DeleteLoadBalancerListener", request)
        except AlicloudApiError as error:
            if not error.not_found:
                raise

    def wait_for_status(self, wanted, timeout):
        """Poll until the listener reports `wanted` (a status or a tuple of them); returns it."""
        accepted = (wanted,) if isinstance(wanted, str) else tuple(wanted)

        def timed_out(listener):
            return ListenerWaitTimeout(
                "listener {0}:{1} is still {2!r} after {3}s, not {4!r}; raise wait_timeout or check "
                "the load balancer in the console".format(self.load_balancer_id, self.port,
                                                          (listener or {}).get("Status"), timeout,
                                                          " or ".join(accepted)))

        return self.wait_until(lambda listener: (listener or {}).get("Status") in accepted, timeout, timed_out)

    def wait_until(self, condition, timeout, timed_out):
        """Read the listener (0.2 s, doubling to 2 s between reads) until `condition(listener)` holds;
        returns that read, or raises `timed_out(last read)` once `timeout` seconds are spent."""
        deadline = self.clock() + timeout
        delay = 0.2
        while True:
            listener = self.describe()
            if condition(listener):
                return listener
            if self.clock() + delay > deadline:
                raise timed_out(listener)
            self.sleep(delay)
            delay = min(2.0, delay * 2)
