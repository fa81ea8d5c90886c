# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Load balancer look-ups shared by the listener, backend server and load balancer modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError


class LoadBalancerNotFound(Exception):
    def __init__(self, load_balancer_id, region):
        self.load_balancer_id = load_balancer_id
        super(LoadBalancerNotFound, self).__init__(
            "load balancer {0} does not exist in region {1}; check load_balancer_id and region (a "
            "load balancer is only visible in its own region)".format(load_balancer_id, region))


def names_missing_load_balancer(error):
    """True when the error says the load balancer itself is unknown (not a listener or a port on it)."""
    return error.code.startswith("InvalidLoadBalancerId")


def load_balancer_id_problem(value, option="load_balancer_id"):
    """A message naming `option` when the required load balancer ID is empty or null, else None.

    Ansible's required=True lets "" and null through; the API would then answer MissingParameter for
    LoadBalancerId, which names no option. A null ID usually comes from mtls.clb.load_balancer in
    check mode before the instance exists."""
    if value is None or not str(value).strip():
        return ("{0} is empty: give the ID of the CLB instance (lb-...), for example the load_balancer_id "
                "that mtls.clb.load_balancer returns (null in check mode while the instance does not exist "
                "yet)".format(option))
    return None


def describe_load_balancer(slb, load_balancer_id):
    """DescribeLoadBalancerAttribute, or LoadBalancerNotFound."""
    try:
        body = slb.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": load_balancer_id})
    except AlicloudApiError as error:
        if error.not_found or names_missing_load_balancer(error):
            raise LoadBalancerNotFound(load_balancer_id, slb.region)
        raise
    if not body.get("LoadBalancerId"):
        raise LoadBalancerNotFound(load_balancer_id, slb.region)
    return body


def delete_load_balancer(slb, load_balancer_id):
    """DeleteLoadBalancer; an instance that is gone already counts as deleted. The call is retried after a
    timeout or a 5xx, and a retry of a delete that went through (its reply lost) is answered
    InvalidLoadBalancerId.NotFound, which must not fail a run whose delete succeeded."""
    try:
        slb.call("DeleteLoadBalancer", {"LoadBalancerId": load_balancer_id})
    except AlicloudApiError as error:
        if not (error.not_found or names_missing_load_balancer(error)):
            raise


def listener_protocols_by_port(attributes):
    """{port: [protocols]} from DescribeLoadBalancerAttribute (new field, then the legacy misspelling)."""
    ports = {}
    entries = (attributes.get("ListenerPortsAndProtocol") or {}).get("ListenerPortAndProtocol")
    if entries:
        for entry in entries:
            ports.setdefault(int(entry.get("ListenerPort")), []).append(
                (entry.get("ListenerProtocol") or "").lower())
        return ports
    for entry in (attributes.get("ListenerPortsAndProtocal") or {}).get("ListenerPortAndProtocal") or []:
        ports.setdefault(int(entry.get("ListenerPort")), []).append((entry.get("ListenerProtocal") or "").lower())
    return ports


def listed_record(item):
    """A DescribeLoadBalancers record with InternetChargeType as text. The listing gives a number code there and
    the text in InternetChargeTypeAlias (the API's documented example: "4" and "paybytraffic"; live output
    alike), where DescribeLoadBalancerAttribute gives the text itself."""
    alias = item.get("InternetChargeTypeAlias")
    if alias and str(item.get("InternetChargeType") or "").isdigit():
        return dict(item, InternetChargeType=alias)
    return item


def find_load_balancers(slb, name=None, load_balancer_id=None):
    """Every load balancer in the region matching the name and/or ID (all pages)."""
    found = []
    page = 1
    while True:
        params = {"PageNumber": page, "PageSize": 100}
        if name:
            params["LoadBalancerName"] = name
        if load_balancer_id:
            params["LoadBalancerId"] = load_balancer_id
        body = slb.call("DescribeLoadBalancers", params)
        items = (body.get("LoadBalancers") or {}).get("LoadBalancer") or []
        for item in items:
            # The name filter is documented as a list filter; match exactly to be safe.
            if name and item.get("LoadBalancerName") != name:
                continue
            if load_balancer_id and item.get("LoadBalancerId") != load_balancer_id:
                continue
            found.append(listed_record(item))
        total = body.get("TotalCount") or 0
        if not items or page * 100 >= int(total):
            break
        page += 1
    return found
