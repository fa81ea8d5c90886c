# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What https_listener does: normalize -> compare -> decide -> (check mode: stop) -> apply -> return."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificates import (
    CA_CERTIFICATE,
    SERVER_CERTIFICATE,
    https_listener_configs,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import (
    CERTIFICATE_NOT_FOUND_CODES,
    AlicloudApiError,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listeners import (
    FIELDS_BY_OPTION,
    CREATE_DEFAULTS,
    HttpsListenerApi,
    ListenerConflict,
    ListenerWaitTimeout,
    create_params,
    desired_settings,
    differing_fields,
    unapplied_options,
    live_settings,
    update_params,
    validate_desired,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.load_balancers import (
    LoadBalancerNotFound,
    load_balancer_id_problem,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.naming import snake_dict

TARGET_STATUS = {"present": "running", "stopped": "stopped"}
SETTLED_STATUSES = ("running", "stopped")
# SetLoadBalancerHTTPSListenerAttribute has no BackendServerPort parameter.
IMMUTABLE_OPTIONS = ("backend_server_port",)
# How long the listener is read again after CACertificateId="" before concluding the CA stayed:
# Alibaba's load balancers apply some changes asynchronously (Start goes through "starting"), so one
# immediate read could still show the old CA. 0.2 s doubling: five reads in about 5 s.
MUTUAL_AUTHENTICATION_OFF_SECONDS = 5.0
# Codes with which SetLoadBalancerHTTPSListenerAttribute may refuse the empty CA certificate ID
# (its documented certificate errors; InvalidParameter only when its message is about a certificate).
EMPTY_CA_REFUSAL_CODES = CERTIFICATE_NOT_FOUND_CODES | frozenset(("CertificateTypeMismatched",))


class EmptyCaCertificateIdRefused(Exception):
    """The update that sent CACertificateId="" (mutual authentication off) was refused with a
    certificate error: the service may not accept the empty value at all."""

    def __init__(self, api_error, sent):
        self.api_error = api_error
        self.sent = sent
        super(EmptyCaCertificateIdRefused, self).__init__(api_error.message)


def refuses_empty_ca(error):
    if error.code in EMPTY_CA_REFUSAL_CODES:
        return True
    return error.code.startswith("InvalidParameter") and "certificate" in (error.code + error.message).lower()


def listener_result(listener):
    """The listener as returned to the user: snake_case keys plus `mutual_authentication`."""
    if not listener:
        return {}
    result = snake_dict(dict((k, v) for k, v in listener.items() if k != "RequestId"))
    for option, value in live_settings(listener).items():
        result[option] = value
    result["status"] = listener.get("Status")
    result["mutual_authentication"] = bool(listener.get("CACertificateId"))
    return result


def _diff_view(listener_settings, status):
    if listener_settings is None:
        return {}
    view = dict((k, v) for k, v in listener_settings.items() if v is not None)
    view["status"] = status
    view["mutual_authentication"] = bool(listener_settings.get("ca_certificate_id"))
    return view


# How each applied step reads in the note of a failure that came after it.
DONE_WORDS = {"create": "created", "update": "updated", "start": "started", "stop": "stopped", "delete": "deleted"}


class HttpsListenerRunner:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.api = None
        # The changes the service has accepted in this run, in order: a failure after one of them is
        # reported as changed, with the steps that went through (a re-run does only what is left).
        self.applied = []

    def run(self):
        params = self.params
        desired = desired_settings(params)
        problem = load_balancer_id_problem(params["load_balancer_id"]) or validate_desired(
            dict(desired, listener_port=params["listener_port"]))
        if problem is None and params["wait_timeout"] < 1:
            problem = "wait_timeout must be at least 1 second (got {0})".format(params["wait_timeout"])
        if problem:
            self.module.fail_json(msg=problem)
        self.api = HttpsListenerApi(self.module.slb, params["load_balancer_id"], params["listener_port"],
                                    warn=self.module.warn)
        try:
            result = self.converge(desired)
        except (LoadBalancerNotFound, ListenerConflict, ListenerWaitTimeout) as error:
            self.module.fail_json(msg=str(error) + self._applied_note(), **self._applied_result())
        except EmptyCaCertificateIdRefused as refusal:
            self.module.fail_json(msg=self._empty_ca_refused_message(refusal) + self._applied_note(),
                                  **dict(refusal.api_error.as_result(), **self._applied_result()))
        except AlicloudApiError as error:
            self.module.fail_api_error(error, note=self._applied_note().strip(), **self._applied_result())
        self.module.exit_json(**result)

    def _applied_note(self):
        """What a failure leaves behind when it came after a change the service accepted, and what to do."""
        if not self.applied:
            return ""
        done = " and ".join(DONE_WORDS[step] for step in self.applied)
        return (" Before this failure, listener {0}:{1} was {2}, and that stays. Once the cause is fixed, a new run "
                "compares the listener as it is and does only what is left (nothing is created twice).".format(
                    self.params["load_balancer_id"], self.params["listener_port"], done))

    def _applied_result(self):
        """changed and the steps that went through (actions), for a failure after an accepted change."""
        return {"changed": True, "actions": list(self.applied)} if self.applied else {}

    def converge(self, desired):
        """One DescribeLoadBalancerHTTPSListenerAttribute decides; after a change, the last status
        wait's read (or the live listener with the values set) is the result, never a fresh read."""
        state = self.params["state"]
        live = self.api.describe()
        if state != "absent":
            self._warn_unapplied(desired, live)
        if live is None:
            return self._converge_missing(desired, state)
        return self._converge_existing(live, desired, state)

    def _warn_certificates_left_on_other_listeners(self, changes):
        """A certificate this listener switches away from may still be set on other listeners, which a run for this
        one does not touch: after a CA rotation they would keep accepting the old CA's clients (and refuse the new
        CA's), after a renewal keep serving the old server certificate. One listing of the region's HTTPS listeners
        (only when a certificate changes), said as a warning; best effort, as for a certificate's deletion."""
        switched = dict((option, changes[option]) for option in ("ca_certificate_id", "server_certificate_id")
                        if option in changes and changes[option][0] and changes[option][1])
        if not switched:
            return
        here = (self.params["load_balancer_id"], self.params["listener_port"])
        listeners = https_listener_configs(self.module.slb)
        for option, (old, new) in sorted(switched.items()):
            kind = CA_CERTIFICATE if option == "ca_certificate_id" else SERVER_CERTIFICATE
            others = [(lb, port) for lb, port, config in listeners
                      if config.get(kind.listener_field) == old and (lb, port) != here]
            if not others:
                continue
            effect = ("they keep accepting client certificates of the old CA and refusing those of the new one"
                      if kind is CA_CERTIFICATE else "they keep serving the old certificate")
            # In check mode the roles pass a placeholder for a certificate the real run would upload first.
            pending = new.startswith("(")
            new_shown = "the new upload" if pending else new
            switch_to = "the ID of that upload (known after a real run)" if pending else "{0} {1}".format(option, new)
            self.module.warn("{0} {1}, which listener {2}:{3} leaves for {4}, is still set on {5}: {6}. Switch them "
                             "too, with {7} in the task or playbook that manages them.".format(
                                 option, old, here[0], here[1], new_shown,
                                 ", ".join("{0}:{1}".format(lb, port) for lb, port in others), effect, switch_to))

    def _warn_unapplied(self, desired, live):
        """Options set but not in effect are neither sent nor compared (the service would keep them unused):
        said, so that a health_check_uri given with health_check: false is not taken as managed."""
        for option, why in sorted(unapplied_options(desired, live).items()):
            self.module.warn("{0} is not applied to listener {1}:{2}, which does not use it: {3}.".format(
                option, self.params["load_balancer_id"], self.params["listener_port"], why))

    def _converge_existing(self, live, desired, state):
        """An HTTPS listener holds the port: compare -> (check mode: stop) -> set -> start/stop, or delete."""
        if live.get("Status") not in SETTLED_STATUSES:
            # Start/Stop are refused while a listener is starting or stopping; decide on where it lands.
            live = self.api.wait_for_status(SETTLED_STATUSES, self.params["wait_timeout"])
        before = _diff_view(live_settings(live), live.get("Status"))
        actions = []

        if state == "absent":
            actions.append("delete")
            if not self.module.check_mode:
                self.api.delete()
                self.applied.append("delete")
            return self._result(True, None, actions, {}, before, {})

        target = TARGET_STATUS[state]
        changes = differing_fields(desired, live)
        live_view = live_settings(live)
        frozen = sorted(set(changes) & set(IMMUTABLE_OPTIONS))
        if frozen:
            self.module.fail_json(msg="{0} of listener {1}:{2} cannot be changed in place (live {3}, wanted {4}); "
                                      "delete the listener with state=absent and create it again".format(
                                          ", ".join(frozen), self.params["load_balancer_id"],
                                          self.params["listener_port"], changes[frozen[0]][0], changes[frozen[0]][1]))
        if changes:
            actions.append("update")
        status = live.get("Status")
        if status != target:
            actions.append("start" if target == "running" else "stop")
        if not actions:
            return self._result(False, live, actions, changes, before, before)
        after_settings = dict(live_view)
        after_settings.update(dict((option, after) for option, (_unused, after) in changes.items()))
        after = _diff_view(after_settings, target)
        self._warn_certificates_left_on_other_listeners(changes)
        if self.module.check_mode:
            return self._result(True, None, actions, changes, before, after, planned=after)
        listener = live
        if changes:
            sent = update_params(changes, desired, live_view)
            try:
                self.api.update(sent)
            except AlicloudApiError as error:
                if sent.get("CACertificateId") == "" and refuses_empty_ca(error):
                    raise EmptyCaCertificateIdRefused(error, sent)
                raise
            self.applied.append("update")
            # SetLoadBalancerHTTPSListenerAttribute answers with a RequestId only; what it stored is
            # what was sent, so the live listener plus those values is the result.
            listener = dict(live, **sent)
            if sent.get("CACertificateId") == "":
                listener = self._read_back_mutual_authentication_off()
        if status != target:
            if target == "running":
                listener = self._start_and_wait()
            else:
                self.api.stop()
                self.applied.append("stop")
                listener = self.api.wait_for_status("stopped", self.params["wait_timeout"])
        return self._result(True, listener, actions, changes, before, None)

    def _converge_missing(self, desired, state):
        """No HTTPS listener on the port: nothing to do for absent, else create (and start)."""
        if state == "absent":
            # Another protocol may hold the port; no HTTPS listener is all that state=absent asks for.
            return self._result(False, None, [], {}, {}, {})
        missing = [o for o in ("backend_server_port", "server_certificate_id") if o not in desired]
        if missing:
            self.module.fail_json(msg="creating HTTPS listener {0}:{1} needs {2}".format(
                self.params["load_balancer_id"], self.params["listener_port"], " and ".join(missing)))
        target = TARGET_STATUS[state]
        actions = ["create", "start"] if target == "running" else ["create"]
        planned = dict(CREATE_DEFAULTS)
        planned.update(desired)
        changes = dict((option, (None, FIELDS_BY_OPTION[option].from_wire(FIELDS_BY_OPTION[option].to_wire(value))))
                       for option, value in planned.items())
        after = _diff_view(planned, target)
        if self.module.check_mode:
            # Nothing is created here, so the service cannot refuse a port another protocol holds;
            # reading the load balancer tells (and also whether it exists) without a mutating call.
            self.api.check_port()
            return self._result(True, None, actions, changes, {}, after, planned=after)
        found = self.api.create(create_params(desired))
        if found is not None:
            return self._converge_found(found, desired, state, changes)
        self.applied.append("create")
        if target == "running":
            listener = self._start_and_wait()
        else:
            # Created listeners start out stopped; this read is the result.
            listener = self.api.wait_for_status("stopped", self.params["wait_timeout"])
        return self._result(True, listener, actions, changes, {}, None)

    def _converge_found(self, found, desired, state, creation_changes):
        """The creation was refused because an HTTPS listener holds the port after all (the first read
        missed it, or it appeared in between): converge that listener like any existing one, so the
        wanted certificates and settings are set on it.

        A listener equal to everything the creation sent, found by a repeated attempt whose earlier
        reply was lost, is the one this run created: reported as the creation it was (nothing before)."""
        result = self._converge_existing(found.listener, desired, state)
        sent = dict(CREATE_DEFAULTS)
        sent.update(desired)
        if found.after_lost_reply and not differing_fields(sent, found.listener):
            result["actions"] = ["create"] + result["actions"]
            result["changed"] = True
            result["changes"] = dict((option, {"before": before, "after": after})
                                     for option, (before, after) in creation_changes.items())
            result["diff"]["before"] = {}
        return result

    def _read_back_mutual_authentication_off(self):
        """The listener read again after an update that sent CACertificateId empty.

        That an empty CACertificateId turns mutual authentication off is unverified against the live
        service (slb-api.md 1.3; Terraform sends it that way). Only this path reads again: a few reads
        over a few seconds, since the change may apply asynchronously, and a service that kept the CA
        fails the run instead of reporting one-way TLS."""
        message = ("ca_certificate_id: the update sent an empty CA certificate ID to turn mutual authentication "
                   "off, but listener {0}:{1} still reports CACertificateId {2} after {3:g}s, so mutual "
                   "authentication is still on. The service did not accept the empty value; delete the listener "
                   "(state=absent) and create it again without ca_certificate_id.")

        def ca_kept(listener):
            return ListenerWaitTimeout(message.format(
                self.params["load_balancer_id"], self.params["listener_port"], (listener or {}).get("CACertificateId"),
                MUTUAL_AUTHENTICATION_OFF_SECONDS))

        return self.api.wait_until(lambda listener: not (listener or {}).get("CACertificateId"),
                                   MUTUAL_AUTHENTICATION_OFF_SECONDS, ca_kept) or {}

    def _empty_ca_refused_message(self, refusal):
        refused = refusal.api_error.summary()
        server = refusal.sent.get("ServerCertificateId")
        check_server = (" If server_certificate_id ({0}, sent in the same update) is right,".format(server)
                        if server else "")
        return ("ca_certificate_id: the update of listener {0}:{1} sent an empty CA certificate ID "
                "(CACertificateId=\"\") to turn mutual authentication off, and the service refused it: {2}.{3} "
                "the service does not accept the empty value here; delete the listener (state=absent) and create it "
                "again without ca_certificate_id.".format(self.params["load_balancer_id"], self.params["listener_port"],
                                                          refused, check_server or " So"))

    def _start_and_wait(self):
        """Start; the listener as the wait for `running` last read it (or one read without waiting)."""
        self.api.start()
        self.applied.append("start")
        if self.params["wait"]:
            return self.api.wait_for_status("running", self.params["wait_timeout"])
        return self.api.describe()

    def _result(self, changed, listener, actions, changes, before, after, planned=None):
        listener_facts = listener_result(listener) if listener else (planned or {})
        if after is None:
            after = _diff_view(live_settings(listener), listener.get("Status")) if listener else {}
        return {
            "changed": changed,
            "actions": actions,
            "changes": dict((option, {"before": b, "after": a}) for option, (b, a) in changes.items()),
            "listener": listener_facts,
            "diff": {"before": before, "after": after},
        }
