# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Default server group membership: set difference by server_id, applied in batches of <= 20."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.load_balancers import (
    LoadBalancerNotFound,
    describe_load_balancer,
)

MAX_SERVERS_PER_CALL = 20
# slb-api.md 1.5: the weight of a backend server and the length of its description.
WEIGHT_RANGE = (0, 100)
DESCRIPTION_MAX_CHARACTERS = 80
# SDK 3.3.31 models (Add/SetBackendServers): letters, digits, '-', '/', '.' and '_'.
DESCRIPTION_CHARACTERS = re.compile(r"^[\w\-/.]*$", re.UNICODE)
# An ECS instance (i-...), ENI (eni-...) or ECI (eci-...) ID: letters, digits, '-' (and '_' / '.' to be safe); an
# empty ID or one with a blank would go to AddBackendServers and come back refused, naming no option.
SERVER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
# slb-api.md 1.5: ServerId is an ECS ID i-..., an ENI eni-... or an ECI eci-....
SERVER_ID_PREFIXES = {"ecs": "i-", "eni": "eni-", "eci": "eci-"}


def servers_problem(servers, state="present"):
    """A message naming the option when the `servers` items break a documented rule, else None.
    Checked before the group is read, so bad input makes no API call, in check mode too. For state=absent
    the type is not sent (the live member is removed as it is), so any backend ID prefix will do."""
    seen = set()
    for index, server in enumerate(servers):
        server_id = server["server_id"]
        if not SERVER_ID_PATTERN.match(server_id or ""):
            return ("servers[{0}].server_id: {1!r} is not an instance ID; give the ID as the console shows it "
                    "(letters, digits and '-', such as i-bp1a2b3c4d5e6f7g8h9i), without blanks".format(index, server_id))
        kind = server.get("type") or "ecs"
        if state == "absent":
            if not server_id.startswith(tuple(SERVER_ID_PREFIXES.values())):
                return ("servers[{0}].server_id: {1!r} is not a backend server ID, which starts with i-, eni- or eci- "
                        "(an instance name such as ECS01 is not its ID); give the ID as the console shows it".format(
                            index, server_id))
        elif not server_id.startswith(SERVER_ID_PREFIXES.get(kind, "")):
            return ("servers[{0}].server_id: {1!r} is not the ID of an {2} backend, which starts with {3} (an instance "
                    "name such as ECS01 is not its ID); give the ID as the console shows it, or set servers[{0}].type "
                    "to the kind of backend it is".format(index, server_id, kind.upper(), SERVER_ID_PREFIXES[kind]))
        if server_id in seen:
            return "servers: {0} is listed twice; list each server_id once".format(server_id)
        seen.add(server_id)
        if not WEIGHT_RANGE[0] <= server["weight"] <= WEIGHT_RANGE[1]:
            return "servers: weight of {0} must be {1}-{2} (got {3})".format(
                server_id, WEIGHT_RANGE[0], WEIGHT_RANGE[1], server["weight"])
        description = server.get("description")
        if description is not None and len(description) > DESCRIPTION_MAX_CHARACTERS:
            return ("servers[].description of {0} must be at most {1} characters (got {2}); the service refuses "
                    "longer ones, shorten it".format(server_id, DESCRIPTION_MAX_CHARACTERS, len(description)))
        if description is not None and not DESCRIPTION_CHARACTERS.match(description):
            return ("servers[].description of {0} may contain only letters, digits, '-', '/', '.' and '_' (got "
                    "{1!r}); the service refuses other characters".format(server_id, description))
    return None


def batches(items, size=MAX_SERVERS_PER_CALL):
    for start in range(0, len(items), size):
        yield items[start:start + size]


class RepeatedMember(Exception):
    """The group lists a server more than once: an ENI or ECI with several IP addresses is one entry per address
    (the API reference's example for Add/SetBackendServers), which a group keyed by server_id cannot compare."""

    def __init__(self, load_balancer_id, server_ids):
        super(RepeatedMember, self).__init__(
            "the default server group of {0} lists {1} more than once (an ENI or ECI with several IP addresses has "
            "one entry per address); backend_servers keeps one entry per server_id and would compare, re-weight "
            "or remove the wrong address, so it changes nothing here: manage these servers another way (the "
            "console, or the API with ServerIp), or give each address its own ENI".format(
                load_balancer_id, ", ".join(sorted(server_ids))))
        self.server_ids = server_ids


def repeated_server_ids(body):
    """Server IDs the BackendServers list of a DescribeLoadBalancerAttribute reply names more than once."""
    seen, repeated = set(), set()
    for server in (body.get("BackendServers") or {}).get("BackendServer") or []:
        server_id = server.get("ServerId")
        (repeated if server_id in seen else seen).add(server_id)
    return repeated


def live_members(body):
    """{server_id: {server_id, weight, type, description, server_ip}} from the BackendServers list of
    DescribeLoadBalancerAttribute or of an Add/Set/RemoveBackendServers reply."""
    members = {}
    for server in (body.get("BackendServers") or {}).get("BackendServer") or []:
        members[server.get("ServerId")] = {
            "server_id": server.get("ServerId"),
            "weight": int(server.get("Weight") if server.get("Weight") not in (None, "") else 100),
            "type": server.get("Type") or "ecs",
            "description": server.get("Description") or "",
            "server_ip": server.get("ServerIp") or None,
        }
    return members


def planned_members(live, to_add, to_update, to_remove):
    """The group as it will be once the plan is applied."""
    planned = dict(live)
    for server in to_remove:
        planned.pop(server["server_id"], None)
    for server in to_add + to_update:
        merged = dict(planned.get(server["server_id"], {}))
        merged.update(dict((k, v) for k, v in server.items() if v is not None))
        merged.setdefault("description", "")
        planned[server["server_id"]] = merged
    return planned


def members_after_apply(planned, replies):
    """The group after apply(), without reading it again: the plan, with each member as the last
    Add/Set/Remove reply that listed it reported it (weight, type, description).

    Whether a reply lists the whole group or only the servers of that call is not documented, so a
    reply adds or drops nobody; it only says how the service stored the members it names. The
    server IP is not in the replies and stays as it was read before the change.
    """
    final = dict((server_id, dict(member)) for server_id, member in planned.items())
    for reply in replies:
        for server_id, reported in live_members(reply or {}).items():
            if server_id in final:
                final[server_id].update((k, v) for k, v in reported.items() if k != "server_ip")
    return final


def plan_membership(desired, live, purge, state="present"):
    """(to_add, to_update, to_remove): lists of server dicts, in the order given."""
    to_add, to_update, to_remove = [], [], []
    wanted_ids = set()
    for server in desired:
        wanted_ids.add(server["server_id"])
        current = live.get(server["server_id"])
        if state == "absent":
            if current is not None:
                to_remove.append(current)
            continue
        if current is None:
            to_add.append(server)
            continue
        if current["weight"] != server["weight"] or (
                server.get("description") is not None and current["description"] != server["description"]):
            to_update.append(server)
    if purge and state == "present":
        to_remove.extend(server for server_id, server in sorted(live.items()) if server_id not in wanted_ids)
    return to_add, to_update, to_remove


def wire_servers(servers, with_weight=True):
    entries = []
    for server in servers:
        entry = {"ServerId": server["server_id"], "Type": server.get("type") or "ecs"}
        if with_weight:
            entry["Weight"] = str(server["weight"])
        if server.get("description"):
            entry["Description"] = server["description"]
        if server.get("server_ip"):
            entry["ServerIp"] = server["server_ip"]
        entries.append(entry)
    return json.dumps(entries, separators=(",", ":"))


class BackendServerGroup:
    def __init__(self, slb, load_balancer_id):
        self.slb = slb
        self.load_balancer_id = load_balancer_id
        # (action, [server_id, ...]) of each call the service accepted, in order: what a failure of a later
        # batch leaves changed.
        self.applied = []

    def members(self):
        """The live group keyed by server_id; RepeatedMember when it lists a server more than once."""
        body = describe_load_balancer(self.slb, self.load_balancer_id)
        repeated = repeated_server_ids(body)
        if repeated:
            raise RepeatedMember(self.load_balancer_id, repeated)
        return live_members(body)

    def apply(self, to_add, to_update, to_remove):
        """Add, re-weight, then remove, in batches; returns the replies in call order (for members_after_apply).

        Removal comes last: when a server is replaced and the new one is refused (an ID that does not exist,
        ObtainIpFail), the old one still serves, instead of the group being left smaller or empty."""
        replies = []
        for action, servers in (("AddBackendServers", to_add), ("SetBackendServers", to_update),
                                ("RemoveBackendServers", to_remove)):
            for batch in batches(list(servers)):
                replies.append(self._add(batch) if action == "AddBackendServers" else self._call(action, batch))
                self.applied.append((action, [server["server_id"] for server in batch]))
        return replies

    def applied_note(self):
        """For a failure after some calls went through: which, and that a re-run does only what is left."""
        if not self.applied:
            return None
        done = "; ".join("{0} ({1})".format(action, ", ".join(ids)) for action, ids in self.applied)
        return ("Before this failure these calls went through, and their changes stay: {0}. Once the cause is "
                "fixed, a new run compares the group as it is and sends only what is left.".format(done))

    def _call(self, action, servers, retry=True):
        return self.slb.call(action, {"LoadBalancerId": self.load_balancer_id,
                                      "BackendServers": wire_servers(servers)}, retry=retry)

    def _add(self, servers):
        """Adding an attached server is an error, so after a transient failure (the add may have
        gone through) only the servers still missing are sent again."""
        pending = list(servers)

        def attempt():
            try:
                return self._call("AddBackendServers", pending, retry=False)
            except AlicloudApiError as error:
                if error.retryable:
                    attached = self.members()
                    pending[:] = [server for server in pending if server["server_id"] not in attached]
                    if not pending:
                        return None
                raise

        return self.slb.retry_policy.run(attempt)


__all__ = ["AlicloudApiError", "BackendServerGroup", "LoadBalancerNotFound", "RepeatedMember", "plan_membership",
           "batches", "planned_members", "members_after_apply"]
