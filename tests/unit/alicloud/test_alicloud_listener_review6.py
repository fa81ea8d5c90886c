"""https_listener after review 6: a listener found by a refused creation is converged (not taken for
the one the run meant to create), a read reply without ListenerPort is read again instead of meaning
"no listener", an unset bandwidth is not managed, and the documented ranges fail before any call."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listener_module import HttpsListenerRunner
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listeners import (
    CREATE_DEFAULTS,
    HttpsListenerApi,
    IncompleteListenerRead,
    create_params,
    desired_settings,
    differing_fields,
)
from tests.unit.alicloud.scripted import SequencedSlb

DESCRIBE = "DescribeLoadBalancerHTTPSListenerAttribute"
CREATE = "CreateLoadBalancerHTTPSListener"
START = "StartLoadBalancerListener"
SET = "SetLoadBalancerHTTPSListenerAttribute"
# Read when a certificate changes, for the other listeners still using the old one (none here).
LISTENERS = "DescribeLoadBalancerListeners"
LB_READ = "DescribeLoadBalancerAttribute"

OLD = {"LoadBalancerId": "lb-1", "ListenerPort": 443, "BackendServerPort": 80, "Bandwidth": -1, "Status": "running",
       "ServerCertificateId": "sc-old", "CACertificateId": "ca-old", "Scheduler": "wrr", "StickySession": "off",
       "HealthCheck": "on", "RequestId": "req-old"}
WANTED = {"backend_server_port": 80, "server_certificate_id": "sc-new", "ca_certificate_id": "ca-new"}
PORT_UNKNOWN = AlicloudApiError(DESCRIBE, "InvalidParameter", "The specified resource does not exist.", status_code=400)
TAKEN = AlicloudApiError(CREATE, "ListenerAlreadyExists", "A listener with the specified port already exists",
                         status_code=400)
LOST_REPLY = AlicloudApiError(CREATE, "ServiceUnavailable", "The request has failed due to a temporary failure",
                              status_code=503)
# A 200 reply that carries no listener fields at all (the case Terraform's DescribeSlbListener retries).
NO_LISTENER_PORT = {"RequestId": "req-empty"}


class Failed(Exception):
    pass


class Module:
    """What HttpsListenerRunner.run uses of AnsibleModule; any API call made is in slb.calls."""

    def __init__(self, slb, check_mode=False, **params):
        self.slb = slb
        self.check_mode = check_mode
        self.params = {"load_balancer_id": "lb-1", "listener_port": 443, "state": "present", "wait": True,
                       "wait_timeout": 30, "bandwidth": None}
        self.params.update(params)
        self.warnings = []
        self.failure = None
        self.result = None

    def warn(self, message):
        self.warnings.append(message)

    def fail_json(self, msg, **kwargs):
        self.failure = msg
        raise Failed(msg)

    def exit_json(self, **kwargs):
        self.result = kwargs


def converge(slb, desired, check_mode=False, state="present"):
    runner = HttpsListenerRunner(Module(slb, check_mode=check_mode, state=state))
    runner.api = HttpsListenerApi(slb, "lb-1", 443, sleep=lambda seconds: None)
    return runner.converge(desired)


# --- B1: ListenerAlreadyExists after a read that missed the listener -------------------------------

def test_a_listener_found_by_the_refused_create_gets_the_new_certificates_and_says_update():
    slb = SequencedSlb({DESCRIBE: [PORT_UNKNOWN, OLD], CREATE: TAKEN, SET: {}})

    result = converge(slb, dict(WANTED))

    assert slb.calls == [DESCRIBE, CREATE, DESCRIBE, LISTENERS, SET]
    assert result["changed"] is True and result["actions"] == ["update"]
    assert result["changes"] == {"server_certificate_id": {"before": "sc-old", "after": "sc-new"},
                                 "ca_certificate_id": {"before": "ca-old", "after": "ca-new"}}
    assert result["listener"]["ca_certificate_id"] == "ca-new"
    assert result["listener"]["server_certificate_id"] == "sc-new"
    assert result["diff"]["before"]["ca_certificate_id"] == "ca-old"


def test_a_found_stopped_listener_is_updated_then_started():
    slb = SequencedSlb({DESCRIBE: [PORT_UNKNOWN, dict(OLD, Status="stopped"), dict(OLD, Status="running")],
                        CREATE: TAKEN, SET: {}, START: {}})

    result = converge(slb, dict(WANTED))

    assert slb.calls == [DESCRIBE, CREATE, DESCRIBE, LISTENERS, SET, START, DESCRIBE]
    assert result["actions"] == ["update", "start"]


def test_a_found_listener_that_already_is_as_wanted_reports_nothing_done():
    as_wanted = dict(OLD, ServerCertificateId="sc-new", CACertificateId="ca-new")
    slb = SequencedSlb({DESCRIBE: [PORT_UNKNOWN, as_wanted], CREATE: TAKEN})

    result = converge(slb, dict(WANTED))

    assert slb.calls == [DESCRIBE, CREATE, DESCRIBE]
    assert result["changed"] is False and result["actions"] == []


def test_a_found_listener_whose_backend_port_differs_fails_naming_the_option():
    slb = SequencedSlb({DESCRIBE: [PORT_UNKNOWN, dict(OLD, BackendServerPort=8080)], CREATE: TAKEN})

    with pytest.raises(Failed) as failure:
        converge(slb, dict(WANTED))

    assert "backend_server_port" in str(failure.value)
    assert SET not in slb.calls


def test_a_create_whose_lost_reply_made_the_listener_is_reported_as_the_creation():
    made_by_the_lost_attempt = dict(OLD, ServerCertificateId="sc-new", CACertificateId="ca-new", Status="stopped")
    slb = SequencedSlb({DESCRIBE: [PORT_UNKNOWN, made_by_the_lost_attempt, dict(made_by_the_lost_attempt,
                                                                                Status="running")],
                        CREATE: [LOST_REPLY, TAKEN], START: {}})

    result = converge(slb, dict(WANTED))

    assert slb.calls == [DESCRIBE, CREATE, CREATE, DESCRIBE, START, DESCRIBE]
    assert result["actions"] == ["create", "start"]
    assert result["changes"]["ca_certificate_id"] == {"before": None, "after": "ca-new"}
    assert result["changes"]["bandwidth"] == {"before": None, "after": -1}
    assert result["diff"]["before"] == {}


def test_after_a_lost_reply_a_listener_unlike_the_one_sent_is_someone_elses_and_is_updated():
    slb = SequencedSlb({DESCRIBE: [PORT_UNKNOWN, OLD], CREATE: [LOST_REPLY, TAKEN], SET: {}})

    result = converge(slb, dict(WANTED))

    assert slb.calls == [DESCRIBE, CREATE, CREATE, DESCRIBE, LISTENERS, SET]
    assert result["actions"] == ["update"]
    assert result["changes"]["ca_certificate_id"] == {"before": "ca-old", "after": "ca-new"}


def test_create_returns_the_found_listener_and_whether_an_earlier_attempt_was_lost():
    first = HttpsListenerApi(SequencedSlb({CREATE: TAKEN, DESCRIBE: OLD}), "lb-1", 443).create({})
    retried = HttpsListenerApi(SequencedSlb({CREATE: [LOST_REPLY, TAKEN], DESCRIBE: OLD}), "lb-1", 443).create({})
    created = HttpsListenerApi(SequencedSlb({CREATE: {}}), "lb-1", 443).create({})

    assert first.listener["CACertificateId"] == "ca-old" and first.after_lost_reply is False
    assert retried.after_lost_reply is True
    assert created is None


# --- B1: a 200 reply without ListenerPort is a transient read --------------------------------------

def test_a_reply_without_listener_port_is_read_again_not_taken_for_no_listener():
    slb = SequencedSlb({DESCRIBE: [NO_LISTENER_PORT, OLD]})

    assert HttpsListenerApi(slb, "lb-1", 443).describe() == OLD
    assert slb.calls == [DESCRIBE, DESCRIBE]


def test_converge_after_a_reply_without_listener_port_updates_the_listener_instead_of_creating():
    slb = SequencedSlb({DESCRIBE: [NO_LISTENER_PORT, OLD], SET: {}})

    result = converge(slb, dict(WANTED))

    assert slb.calls == [DESCRIBE, DESCRIBE, LISTENERS, SET]
    assert result["actions"] == ["update"] and result["listener"]["ca_certificate_id"] == "ca-new"


def test_replies_without_listener_port_until_the_retries_run_out_fail_without_any_mutating_call():
    slb = SequencedSlb({DESCRIBE: NO_LISTENER_PORT}, max_attempts=3)

    with pytest.raises(IncompleteListenerRead) as failure:
        converge(slb, dict(WANTED))

    assert slb.calls == [DESCRIBE] * 3
    error = failure.value
    assert isinstance(error, AlicloudApiError) and error.action == DESCRIBE and error.request_id == "req-empty"
    assert "ListenerPort" in error.describe() and "retry_max_attempts" in error.describe()


def test_the_retried_reads_are_reported_as_warnings():
    slb = SequencedSlb({DESCRIBE: [NO_LISTENER_PORT, OLD]})
    warnings = []

    HttpsListenerApi(slb, "lb-1", 443, warn=warnings.append).describe()

    assert len(warnings) == 1 and warnings[0].startswith(DESCRIBE + ": IncompleteReply (attempt 1), retrying in")


def test_a_not_found_reply_still_means_no_listener_without_a_second_read():
    slb = SequencedSlb({DESCRIBE: PORT_UNKNOWN})

    assert HttpsListenerApi(slb, "lb-1", 443).describe() is None
    assert slb.calls == [DESCRIBE]


# --- bandwidth: -1 only for a new listener ---------------------------------------------------------

def test_an_unset_bandwidth_is_not_managed_on_an_existing_capped_listener():
    capped = dict(OLD, Bandwidth=10)
    desired = desired_settings({"bandwidth": None, "ca_certificate_id": ""})

    assert "bandwidth" not in desired
    assert differing_fields(desired, capped) == {"ca_certificate_id": ("ca-old", "")}


def test_an_unset_bandwidth_creates_an_unlimited_listener():
    assert CREATE_DEFAULTS["bandwidth"] == -1
    assert create_params(desired_settings(dict(WANTED, bandwidth=None)))["Bandwidth"] == -1
    assert create_params(desired_settings(dict(WANTED, bandwidth=20)))["Bandwidth"] == 20


def test_a_capped_listener_keeps_its_bandwidth_when_a_task_leaves_bandwidth_unset():
    capped = dict(OLD, Bandwidth=10, ServerCertificateId="sc-new", CACertificateId="ca-new")
    slb = SequencedSlb({DESCRIBE: capped})

    result = converge(slb, desired_settings(dict(WANTED, bandwidth=None)))

    assert result["changed"] is False and slb.calls == [DESCRIBE]


# --- documented ranges fail before any call --------------------------------------------------------

OUT_OF_RANGE = [
    ("cookie_timeout", 86401, "1-86400", {"sticky_session": True, "sticky_session_type": "insert"}),
    ("cookie_timeout", 0, "1-86400", {"sticky_session": True, "sticky_session_type": "insert"}),
    ("health_check_interval", 51, "1-50", {}),
    ("health_check_interval", 0, "1-50", {}),
    ("health_check_timeout", 301, "1-300", {}),
    ("healthy_threshold", 1, "2-10", {}),
    ("healthy_threshold", 11, "2-10", {}),
    ("unhealthy_threshold", 1, "2-10", {}),
    ("unhealthy_threshold", 11, "2-10", {}),
    ("idle_timeout", 61, "1-60", {}),
    ("idle_timeout", 0, "1-60", {}),
    ("request_timeout", 181, "1-180", {}),
    ("health_check_connect_port", 65536, "1-65535", {}),
    ("health_check_connect_port", 0, "1-65535", {}),
    ("backend_server_port", 0, "1-65535", {}),
    ("backend_server_port", 70000, "1-65535", {}),
    ("listener_port", 0, "1-65535", {}),
    ("description", "d" * 257, "at most 256 characters", {}),
    ("cookie", "c" * 201, "at most 200 characters", {"sticky_session": True, "sticky_session_type": "server"}),
    ("health_check_uri", "/" + "u" * 80, "at most 80 characters", {}),
    ("health_check_domain", "h" * 81, "at most 80 characters", {}),
    ("wait_timeout", 0, "at least 1", {}),
    ("wait_timeout", -1, "at least 1", {}),
]


@pytest.mark.parametrize("check_mode", [False, True], ids=["apply", "check"])
@pytest.mark.parametrize("option,value,allowed,companions", OUT_OF_RANGE,
                         ids=["{0}={1}".format(case[0], str(case[1])[:8]) for case in OUT_OF_RANGE])
def test_a_value_outside_its_documented_range_fails_naming_it_before_any_api_call(option, value, allowed, companions,
                                                                                  check_mode):
    # Every other value valid, so that only the option under test can be the problem.
    slb = SequencedSlb({})
    params = dict(WANTED, **companions)
    params.setdefault("cookie_timeout", 100 if companions.get("sticky_session_type") == "insert" else None)
    params.setdefault("cookie", "session" if companions.get("sticky_session_type") == "server" else None)
    params[option] = value
    module = Module(slb, check_mode=check_mode, **params)

    with pytest.raises(Failed):
        HttpsListenerRunner(module).run()

    assert module.failure.startswith(option + " must be") and allowed in module.failure
    assert slb.calls == []


@pytest.mark.parametrize("option,value", [("cookie_timeout", 86400), ("health_check_interval", 50),
                                          ("health_check_timeout", 300), ("healthy_threshold", 2),
                                          ("unhealthy_threshold", 10), ("idle_timeout", 60), ("request_timeout", 180),
                                          ("description", "d" * 256), ("description", ""),
                                          ("health_check_uri", "/" + "u" * 79)])
def test_the_range_limits_themselves_are_accepted(option, value):
    live = dict(OLD, ServerCertificateId="sc-new", CACertificateId="ca-new", StickySession="on",
                StickySessionType="insert", CookieTimeout=100)
    slb = SequencedSlb({DESCRIBE: live, SET: {}})
    params = dict(WANTED, **{option: value})
    module = Module(slb, check_mode=True, **params)

    HttpsListenerRunner(module).run()

    assert module.failure is None and module.result is not None and slb.calls == [DESCRIBE]


# --- Day 2: a certificate this listener leaves that other listeners still use ----------------------------

def listing(*listeners):
    return {"Listeners": [{"LoadBalancerId": lb, "ListenerPort": port, "ListenerProtocol": "https",
                           "HTTPSListenerConfig": {"ServerCertificateId": server, "CACertificateId": ca}}
                          for lb, port, server, ca in listeners]}


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_switching_certificates_names_the_other_listeners_still_using_the_old_ones(check_mode):
    """A CA rotation run for one listener leaves another trusting the old CA: said, not left to be found."""
    slb = SequencedSlb({DESCRIBE: OLD, SET: {}, LISTENERS: listing(
        ("lb-1", 443, "sc-old", "ca-old"),        # this listener itself
        ("lb-1", 8443, "sc-other", "ca-old"),     # the old CA, on another port
        ("lb-2", 443, "sc-old", "ca-other"))})    # the old server certificate, on another load balancer
    module = Module(slb, check_mode=check_mode)
    runner = HttpsListenerRunner(module)
    runner.api = HttpsListenerApi(slb, "lb-1", 443, sleep=lambda seconds: None)

    runner.converge(dict(WANTED))

    assert module.warnings == [
        "ca_certificate_id ca-old, which listener lb-1:443 leaves for ca-new, is still set on lb-1:8443: they keep "
        "accepting client certificates of the old CA and refusing those of the new one. Switch them too, with "
        "ca_certificate_id ca-new in the task or playbook that manages them.",
        "server_certificate_id sc-old, which listener lb-1:443 leaves for sc-new, is still set on lb-2:443: they "
        "keep serving the old certificate. Switch them too, with server_certificate_id sc-new in the task or "
        "playbook that manages them."]
    assert slb.calls.count(LISTENERS) == 1
    assert (SET in slb.calls) is not check_mode


def test_no_listing_when_no_certificate_changes_or_mutual_authentication_is_turned_off():
    for desired in ({"backend_server_port": 80, "scheduler": "rr"}, {"ca_certificate_id": ""}):
        slb = SequencedSlb({DESCRIBE: [OLD, dict(OLD, CACertificateId="")], SET: {}})
        module = Module(slb)
        runner = HttpsListenerRunner(module)
        runner.api = HttpsListenerApi(slb, "lb-1", 443, sleep=lambda seconds: None)
        runner.converge(desired)
        assert LISTENERS not in slb.calls and module.warnings == []


def test_the_listener_itself_is_not_named_when_the_listing_answers_its_port_as_a_string():
    slb = SequencedSlb({DESCRIBE: OLD, SET: {}, LISTENERS: {"Listeners": [
        {"LoadBalancerId": "lb-1", "ListenerPort": "443", "HTTPSListenerConfig": {"CACertificateId": "ca-old"}}]}})
    module = Module(slb)
    runner = HttpsListenerRunner(module)
    runner.api = HttpsListenerApi(slb, "lb-1", 443, sleep=lambda seconds: None)

    runner.converge(dict(WANTED))

    assert module.warnings == []


def test_check_mode_names_a_pending_upload_as_such():
    """In check mode the roles pass a placeholder for a CA the real run would upload first."""
    slb = SequencedSlb({DESCRIBE: OLD, LISTENERS: listing(("lb-1", 8443, "sc-other", "ca-old"))})
    module = Module(slb, check_mode=True)
    runner = HttpsListenerRunner(module)
    runner.api = HttpsListenerApi(slb, "lb-1", 443, sleep=lambda seconds: None)

    runner.converge({"ca_certificate_id": "(new upload; its ID is known after a real run)"})

    assert module.warnings == [
        "ca_certificate_id ca-old, which listener lb-1:443 leaves for the new upload, is still set on lb-1:8443: they "
        "keep accepting client certificates of the old CA and refusing those of the new one. Switch them too, with "
        "the ID of that upload (known after a real run) in the task or playbook that manages them."]
