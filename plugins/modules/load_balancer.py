#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: load_balancer
short_description: Ensure a Classic Load Balancer (CLB) instance exists or is gone
version_added: 0.1.0
description:
  - The prerequisite of the mutual TLS procedure - a CLB instance, found by O(name) (or O(load_balancer_id)) in the region.
  - Creates it (C(CreateLoadBalancer)) when missing, with the given billing, address type, VPC / vSwitch and zones.
    New instances are pay-by-capacity-unit (C(PayByCLCU)) unless O(instance_charge_type) says otherwise, because
    Alibaba Cloud stopped selling new pay-by-specification (C(PayBySpec)) instances on 2025-06-01 (international
    site, UTC+8) and 2026-01-01 (China site); a pay-by-specification creation would most likely be refused (the
    error then names O(instance_charge_type)).
  - An existing instance is not re-created; creation-time settings that were given and differ from the instance
    are reported as warnings because they cannot be changed in place. Settings that were not given are not
    compared, so an instance created before the cutoff (C(PayBySpec)) draws no warning unless you ask for another
    billing.
  - O(state=absent) deletes it (C(DeleteLoadBalancer)); deletion protection makes that fail with the service's error.
author:
  - mtls.clb contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mtls.clb.alicloud
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  name:
    description:
      - Name of the CLB instance. Must be unique in the region for this module to find it.
      - As C(CreateLoadBalancer) documents it, 1-80 characters, starting with a letter, then letters, digits,
        periods (V(.)), underscores (V(_)) and hyphens (V(-)). With O(state=present) it is checked before any API
        call, so an instance named otherwise (for example in the console) must be given by O(load_balancer_id)
        without O(name).
      - Required unless O(load_balancer_id) is given. With O(load_balancer_id), a different name renames the
        instance; leave it unset to use the instance as it is.
    type: str
  load_balancer_id:
    description: ID of an existing instance; when given, it is used instead of looking the name up.
    type: str
  load_balancer_spec:
    description:
      - Specification of a pay-by-specification instance, for example V(slb.s1.small). Valid only with
        O(instance_charge_type=PayBySpec). The API documents it as ignored for V(PayByCLCU) instances (they are
        created as C(slb.lcu.elastic)), so this module refuses the combination before any call rather than create
        something other than what was asked for.
      - New pay-by-specification instances are no longer sold (see the description); keep this only to describe an
        existing instance.
    type: str
  address_type:
    description: V(internet) for a public address, V(intranet) for a private one (the default when O(vswitch_id) is set).
    type: str
    choices: [internet, intranet]
  vpc_id:
    description: VPC of an intranet instance.
    type: str
  vswitch_id:
    description: vSwitch of an intranet instance in a VPC.
    type: str
  internet_charge_type:
    description: Billing of internet traffic. A V(PayByCLCU) instance supports only V(paybytraffic).
    type: str
    choices: [paybytraffic, paybybandwidth]
  bandwidth:
    description: Peak bandwidth in Mbit/s for O(internet_charge_type=paybybandwidth).
    type: int
  pay_type:
    description: Billing method of the instance; only pay-as-you-go is supported by this module.
    type: str
    choices: [PayOnDemand]
  instance_charge_type:
    description:
      - Metering of a pay-as-you-go instance. V(PayByCLCU) is pay-by-capacity-unit (pay-by-LCU), the only kind
        Alibaba Cloud sells for new instances now; it takes no O(load_balancer_spec) and reads back as
        C(LoadBalancerSpec=slb.lcu.elastic). V(PayBySpec) is pay-by-specification, discontinued for new
        instances (the API would create it by default, which is why this module sends V(PayByCLCU) itself).
      - When unset, a new instance is created with V(PayByCLCU), and an existing instance is not compared.
    type: str
    choices: [PayBySpec, PayByCLCU]
  master_zone_id:
    description: Primary zone.
    type: str
  slave_zone_id:
    description: Secondary zone.
    type: str
  resource_group_id:
    description: Resource group of the new instance.
    type: str
  state:
    description: V(present) creates the instance if it is missing; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - After creating the instance, poll C(DescribeLoadBalancerAttribute) until it reports C(active), as the
        Terraform provider does. Pay-as-you-go instances (the only kind this module creates) are set up by the
        time C(CreateLoadBalancer) answers in the emulator, so by default the module returns at once.
      - A wait that fails (a timeout, a refused read) reports C(changed) and the new instance's ID; a new run
        finds the instance by name and creates no other.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for a new instance to become C(active) with O(wait=true) (at least 1).
    type: int
    default: 300
"""

EXAMPLES = r"""
- name: The CLB instance the listener goes on (pay-as-you-go, pay-by-LCU)
  mtls.clb.load_balancer:
    name: mtls-demo
    address_type: internet
    instance_charge_type: PayByCLCU
  register: clb

- name: Show its address
  ansible.builtin.debug:
    msg: "https://{{ clb.address }}/"

- name: An instance bought by specification before the cutoff, described as it is (no warning)
  mtls.clb.load_balancer:
    name: legacy-clb
    instance_charge_type: PayBySpec
    load_balancer_spec: slb.s1.small
"""

RETURN = r"""
load_balancer_id:
  description: ID of the instance (V(null) in check mode before creation, or when absent).
  returned: always
  type: str
  sample: lb-bp1b6c719dfa08exfuca5
address:
  description: Service address of the instance.
  returned: when state is present
  type: str
  sample: 192.0.2.10
load_balancer:
  description:
    - The instance, snake_cased, without extra reads. An instance that was found is its C(DescribeLoadBalancers) record;
      a new one is the C(CreateLoadBalancer) reply plus the creation options that were given and C(region_id) (with
      O(wait=true), the C(DescribeLoadBalancerAttribute) read that saw it C(active)). In check mode, the instance
      found, or empty.
    - Listener ports and backend servers are not part of it; M(mtls.clb.listener_info) lists the listeners and
      M(mtls.clb.backend_servers) returns the default server group.
  returned: when state is present
  type: dict
  contains:
    load_balancer_id:
      description: ID of the instance.
      type: str
    load_balancer_name:
      description: Name of the instance.
      type: str
    address:
      description: Service address.
      type: str
    load_balancer_status:
      description: V(active), V(inactive) or V(locked). Not in the reply of a creation without O(wait).
      type: str
    load_balancer_spec:
      description:
        - Specification. A pay-by-LCU instance reads back as V(slb.lcu.elastic); a pay-by-specification one as its
          spec, for example V(slb.s1.small). For a new instance only when O(load_balancer_spec) was given.
      type: str
    instance_charge_type:
      description: V(PayByCLCU) or V(PayBySpec). For a new instance, what was sent (V(PayByCLCU) unless given).
      type: str
    address_type:
      description: V(internet) or V(intranet); for a new instance only when O(address_type) was given.
      type: str
    network_type:
      description: V(vpc) or V(classic).
      type: str
    vpc_id:
      description: VPC of the instance (empty for classic network).
      type: str
    region_id:
      description: Region of the instance.
      type: str
  sample:
    load_balancer_id: lb-bp1b6c719dfa08exfuca5
    load_balancer_name: mtls-demo
    load_balancer_status: active
    address: 192.0.2.10
    address_type: internet
    address_ip_version: ipv4
    network_type: classic
    load_balancer_spec: slb.lcu.elastic
    internet_charge_type: paybytraffic
    instance_charge_type: PayByCLCU
    pay_type: PayOnDemand
    master_zone_id: cn-hangzhou-b
    slave_zone_id: cn-hangzhou-d
    region_id: cn-hangzhou
    resource_group_id: rg-acfmxazb4ph6aiy
    create_time: "2026-11-28T17:00:00Z"
"""

import time
import uuid

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import AlicloudModule
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.load_balancers import (
    LoadBalancerNotFound,
    delete_load_balancer,
    describe_load_balancer,
    find_load_balancers,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.naming import snake_dict
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.resource_names import is_load_balancer_name

# What the real cloud sells for new pay-as-you-go instances (CreateLoadBalancer documentation, 2025-12).
DEFAULT_INSTANCE_CHARGE_TYPE = "PayByCLCU"

CREATE_OPTIONS = (
    ("load_balancer_spec", "LoadBalancerSpec"),
    ("address_type", "AddressType"),
    ("vpc_id", "VpcId"),
    ("vswitch_id", "VSwitchId"),
    ("internet_charge_type", "InternetChargeType"),
    ("bandwidth", "Bandwidth"),
    ("pay_type", "PayType"),
    ("instance_charge_type", "InstanceChargeType"),
    ("master_zone_id", "MasterZoneId"),
    ("slave_zone_id", "SlaveZoneId"),
    ("resource_group_id", "ResourceGroupId"),
)


def load_balancer_name_problem(name):
    """Why CreateLoadBalancer / SetLoadBalancerName would refuse the name, or None."""
    if is_load_balancer_name(name):
        return None
    return ("name {0!r} is not a valid load balancer name: it must be 1-80 characters, start with a letter and "
            "contain only letters, digits, '.', '_' and '-' (for example mtls-clb)".format(name))


def creation_problem(params):
    """Why the billing options cannot describe one instance, or None. The API documents a spec as
    ignored for PayByCLCU (it would create an slb.lcu.elastic instance, not the spec asked for) and
    paybybandwidth as unavailable for it; both are refused here, before any call."""
    charge = params["instance_charge_type"] or DEFAULT_INSTANCE_CHARGE_TYPE
    if charge == "PayByCLCU" and params["load_balancer_spec"]:
        return ("load_balancer_spec ({0}) is only valid with instance_charge_type=PayBySpec, and instance_charge_type "
                "is {1}{2}: drop load_balancer_spec (new instances are pay-by-LCU; pay-by-specification instances are "
                "no longer sold), or set instance_charge_type=PayBySpec to describe an existing pay-by-specification "
                "instance".format(params["load_balancer_spec"], charge,
                                  "" if params["instance_charge_type"] else " (the default)"))
    if charge == "PayByCLCU" and params["internet_charge_type"] == "paybybandwidth":
        return ("internet_charge_type=paybybandwidth is not available with instance_charge_type=PayByCLCU{0}: a "
                "pay-by-LCU instance is billed by traffic; use internet_charge_type=paybytraffic or leave it "
                "unset".format("" if params["instance_charge_type"] else " (the default)"))
    return None


def _view(item):
    if not item:
        return {}
    return {"load_balancer_id": item.get("LoadBalancerId"), "name": item.get("LoadBalancerName"),
            "address": item.get("Address"), "status": item.get("LoadBalancerStatus")}


class LoadBalancerWaitTimeout(Exception):
    pass


def _wait_active(slb, load_balancer_id, timeout, sleep=time.sleep, clock=time.monotonic):
    """Poll DescribeLoadBalancerAttribute until the new instance is active. Right after CreateLoadBalancer
    the service may not list the instance yet (the answer is InvalidLoadBalancerId.NotFound): that is
    read as "not there yet", as Terraform's SlbLoadBalancerStateRefreshFunc does, not as a missing
    instance - this run has just created it."""
    deadline = clock() + timeout
    while True:
        try:
            attributes = describe_load_balancer(slb, load_balancer_id)
            status = attributes.get("LoadBalancerStatus")
        except LoadBalancerNotFound:
            attributes, status = None, "not yet listed"
        if attributes is not None and status in (None, "", "active"):
            return attributes
        if clock() > deadline:
            raise LoadBalancerWaitTimeout(
                "load balancer {0} is still {1!r} after {2}s, not 'active'; raise wait_timeout or check the "
                "instance in the console (it was created: the next run finds it by name)".format(
                    load_balancer_id, status, timeout))
        sleep(1)


# What DescribeLoadBalancerAttribute adds to an instance record: the reply's request ID and the listeners and
# backends, which this module does not manage (listener_info and backend_servers return them).
ATTRIBUTE_READ_ONLY_FIELDS = ("RequestId", "ListenerPorts", "ListenerPortsAndProtocol", "ListenerPortsAndProtocal",
                              "BackendServers")


def instance_record(attributes):
    """The instance as the RETURN documents it, from a DescribeLoadBalancerAttribute reply."""
    return dict((key, value) for key, value in attributes.items() if key not in ATTRIBUTE_READ_ONLY_FIELDS)


def _created_record(reply, request, region):
    """The new instance as far as it is known without reading it again: the CreateLoadBalancer reply
    (ID, name, address, network) plus the creation options that were sent."""
    record = dict((key, value) for key, value in request.items() if key != "ClientToken")
    record["RegionId"] = region
    record.update((key, value) for key, value in reply.items() if key != "RequestId")
    return record


def _created_result(created):
    """For a failure after CreateLoadBalancer went through (in the wait): changed, and the new instance's ID."""
    if not created.get("LoadBalancerId"):
        return {}
    return {"changed": True, "load_balancer_id": created["LoadBalancerId"], "address": created.get("Address")}


def _created_note(created, name):
    if not created.get("LoadBalancerId"):
        return None
    return ("Load balancer {0} ({1!r}) was created before this failure and stays; a new run finds it by name and "
            "creates no other.".format(created["LoadBalancerId"], name))


def main():
    module = AlicloudModule(
        argument_spec=dict(
            name=dict(type="str"),
            load_balancer_id=dict(type="str"),
            load_balancer_spec=dict(type="str"),
            address_type=dict(type="str", choices=["internet", "intranet"]),
            vpc_id=dict(type="str"),
            vswitch_id=dict(type="str"),
            internet_charge_type=dict(type="str", choices=["paybytraffic", "paybybandwidth"]),
            bandwidth=dict(type="int"),
            pay_type=dict(type="str", choices=["PayOnDemand"]),
            instance_charge_type=dict(type="str", choices=["PayBySpec", "PayByCLCU"]),
            master_zone_id=dict(type="str"),
            slave_zone_id=dict(type="str"),
            resource_group_id=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
        required_one_of=[("name", "load_balancer_id")],
    )
    params = module.params
    name = params["name"]
    if name is not None and params["state"] == "present":
        problem = load_balancer_name_problem(name)
        if problem:
            module.fail_json(msg=problem)
    if params["state"] == "present":
        problem = creation_problem(params)
        if problem:
            module.fail_json(msg=problem)
    if params["vswitch_id"] and params["address_type"] == "internet":
        module.fail_json(msg="vswitch_id places the instance in a VPC, which needs address_type=intranet "
                             "(or leave address_type unset)")
    if params["wait_timeout"] < 1:
        module.fail_json(msg="wait_timeout must be at least 1 second (got {0})".format(params["wait_timeout"]))
    if params["bandwidth"] is not None and params["internet_charge_type"] != "paybybandwidth":
        module.fail_json(msg="bandwidth applies only with internet_charge_type=paybybandwidth")
    slb = module.slb
    created = {}
    try:
        matches = find_load_balancers(slb, name=None if params["load_balancer_id"] else name,
                                      load_balancer_id=params["load_balancer_id"])
        if len(matches) > 1:
            module.fail_json(msg="{0} load balancers are named {1!r} in {2} ({3}); give load_balancer_id to "
                                 "pick one".format(len(matches), name, slb.region,
                                                   ", ".join(m.get("LoadBalancerId") for m in matches)))
        existing = matches[0] if matches else None
        before = _view(existing)

        if params["state"] == "absent":
            if existing is None:
                module.exit_json(changed=False, load_balancer_id=None, diff={"before": {}, "after": {}})
            if not module.check_mode:
                delete_load_balancer(slb, existing["LoadBalancerId"])
            module.exit_json(changed=True, load_balancer_id=existing["LoadBalancerId"],
                             diff={"before": before, "after": {}})

        if existing is not None:
            # The DescribeLoadBalancers record has every instance-level field; listeners and backend
            # servers are what DescribeLoadBalancerAttribute would add, and other modules read those.
            attributes = existing
            for option, wire in CREATE_OPTIONS:
                wanted = params.get(option)
                if wanted is None or option == "bandwidth":
                    continue
                if option == "instance_charge_type" and not attributes.get(wire):
                    # The field is documented as China-site only; an instance that does not report it
                    # cannot be compared, and a warning on every run would be noise.
                    continue
                if option == "internet_charge_type" and str(attributes.get(wire) or "").isdigit():
                    # A number code without its text (InternetChargeTypeAlias, which listed_record reads) cannot
                    # be compared either.
                    continue
                if str(attributes.get(wire) or "") != str(wanted):
                    module.warn("{0}: the instance has {1!r}, not {2!r}; this cannot be changed in place "
                                "(delete and re-create the instance to change it)".format(
                                    option, attributes.get(wire), wanted))
            changed = False
            if params["load_balancer_id"] and name is not None and attributes.get("LoadBalancerName") != name:
                changed = True
                if not module.check_mode:
                    slb.call("SetLoadBalancerName", {"LoadBalancerId": existing["LoadBalancerId"],
                                                     "LoadBalancerName": name})
                attributes = dict(attributes, LoadBalancerName=name)
            module.exit_json(changed=changed, load_balancer_id=attributes.get("LoadBalancerId"),
                             address=attributes.get("Address"), load_balancer=snake_dict(attributes),
                             diff={"before": before, "after": _view(attributes)})

        if params["load_balancer_id"]:
            raise LoadBalancerNotFound(params["load_balancer_id"], slb.region)
        if module.check_mode:
            module.exit_json(changed=True, load_balancer_id=None, address=None, load_balancer={},
                             diff={"before": {}, "after": {"name": name}})
        # ClientToken makes a retried CreateLoadBalancer return the first instance instead of a second one.
        request = {"LoadBalancerName": name, "ClientToken": str(uuid.uuid4()),
                   # Sent explicitly: the API's own default is the discontinued PayBySpec.
                   "InstanceChargeType": DEFAULT_INSTANCE_CHARGE_TYPE}
        for option, wire in CREATE_OPTIONS:
            if params.get(option) is not None:
                request[wire] = params[option]
        created = slb.call("CreateLoadBalancer", request)
        if params["wait"]:
            attributes = instance_record(_wait_active(slb, created["LoadBalancerId"], params["wait_timeout"]))
        else:
            attributes = _created_record(created, request, slb.region)
        module.exit_json(changed=True, load_balancer_id=attributes.get("LoadBalancerId"),
                         address=attributes.get("Address"), load_balancer=snake_dict(attributes),
                         diff={"before": {}, "after": _view(attributes)})
    except (LoadBalancerNotFound, LoadBalancerWaitTimeout) as error:
        module.fail_json(msg=str(error), **_created_result(created))
    except AlicloudApiError as error:
        module.fail_api_error(error, note=_created_note(created, name), **_created_result(created))


if __name__ == "__main__":
    main()
