#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: certificate_info
short_description: List the server and CA certificates uploaded to CLB in a region
version_added: 0.1.0
description:
  - Read-only. Lists server certificates (C(DescribeServerCertificates)) and CA certificates
    (C(DescribeCACertificates)) of the region, optionally filtered by ID, name or fingerprint.
author:
  - mtls.clb contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mtls.clb.alicloud
attributes:
  check_mode:
    support: full
    details: Never changes anything.
  diff_mode:
    support: none
options:
  certificate_type:
    description: Which certificates to list.
    type: str
    choices: [server, ca, all]
    default: all
  certificate_id:
    description:
      - Only the certificate with this ID.
      - An empty value (such as an unset ID) is refused before any API call, rather than taken as no filter.
    type: str
  name:
    description: Only certificates with this name.
    type: str
  fingerprint:
    description:
      - Only certificates with this SHA-1 fingerprint (40 hex digits; case and colons do not matter).
      - Any other value fails before the certificates are listed.
    type: str
"""

EXAMPLES = r"""
- name: Is the client CA already uploaded?
  mtls.clb.certificate_info:
    certificate_type: ca
    fingerprint: "{{ client_ca_fingerprint }}"
  register: found

- name: All certificates of the region
  mtls.clb.certificate_info:
  register: all_certificates
"""

RETURN = r"""
server_certificates:
  description:
    - Matching server certificates (empty when O(certificate_type=ca)), each the C(DescribeServerCertificates) entry
      snake_cased (so also C(server_certificate_id), C(server_certificate_name), C(region_id), C(resource_group_id),
      C(is_ali_cloud_certificate), C(ali_cloud_certificate_id), C(ali_cloud_certificate_name) as the service lists
      them), plus RV(server_certificates[].id) and RV(server_certificates[].name). No key material, since SLB never
      returns it.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Server certificate ID.
      type: str
      sample: 1231579085529123_18f79de306d_1714763408_709271
    name:
      description: Name.
      type: str
    fingerprint:
      description: SHA-1 fingerprint, lower case with colons.
      type: str
      sample: 68:08:1a:f8:2f:3e:91:47:0d:7b:73:56:6c:8d:a8:70:cd:b5:4d:c3
    common_name:
      description: Subject common name.
      type: str
    subject_alternative_names:
      description: Subject alternative names, a plain list.
      type: list
      elements: str
    create_time:
      description: Upload time (UTC, ISO 8601); C(create_time_stamp) is the same in milliseconds.
      type: str
    expire_time:
      description: Expiry (UTC, ISO 8601); C(expire_time_stamp) is the same in milliseconds.
      type: str
      sample: "2027-11-28T10:00:00Z"
    tags:
      description:
        - The tags as listed, a dict whose C(tag) is a list of C(tag_key) / C(tag_value) pairs. Uploads of this
          collection carry C(mtls-clb-chain-sha256) and C(mtls-clb-chain-certificates) (see
          M(mtls.clb.server_certificate)).
      type: dict
ca_certificates:
  description:
    - Matching CA certificates (empty when O(certificate_type=server)), each the C(DescribeCACertificates) entry
      snake_cased (so also C(ca_certificate_id), C(ca_certificate_name), C(region_id), C(resource_group_id)), plus
      RV(ca_certificates[].id) and RV(ca_certificates[].name).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: CA certificate ID.
      type: str
    name:
      description: Name.
      type: str
    fingerprint:
      description: SHA-1 fingerprint, lower case with colons.
      type: str
    common_name:
      description: Subject common name.
      type: str
    create_time:
      description: Upload time (UTC, ISO 8601); C(create_time_stamp) is the same in milliseconds.
      type: str
    expire_time:
      description: Expiry (UTC, ISO 8601); C(expire_time_stamp) is the same in milliseconds.
      type: str
    tags:
      description: The tags as listed, a dict whose C(tag) is a list of C(tag_key) / C(tag_value) pairs.
      type: dict
"""

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificates import (
    CA_CERTIFICATE,
    SERVER_CERTIFICATE,
    CertificateStore,
    certificate_facts,
    fingerprint_filter_problem,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import AlicloudModule
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError


def main():
    module = AlicloudModule(
        argument_spec=dict(
            certificate_type=dict(type="str", choices=["server", "ca", "all"], default="all"),
            certificate_id=dict(type="str"),
            name=dict(type="str"),
            fingerprint=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["certificate_id"] is not None and not params["certificate_id"].strip():
        # An unset ID would otherwise list every certificate, and "is it uploaded?" would be answered yes.
        module.fail_json(msg="certificate_id is empty; give the ID of the certificate (server_certificate and "
                             "ca_certificate return it), or leave the option out to list every certificate")
    if params["fingerprint"] is not None:
        problem = fingerprint_filter_problem(params["fingerprint"])
        if problem:
            module.fail_json(msg=problem)
    result = {"changed": False, "server_certificates": [], "ca_certificates": []}
    kinds = []
    if params["certificate_type"] in ("server", "all"):
        kinds.append((SERVER_CERTIFICATE, "server_certificates"))
    if params["certificate_type"] in ("ca", "all"):
        kinds.append((CA_CERTIFICATE, "ca_certificates"))
    try:
        for kind, key in kinds:
            store = CertificateStore(module.slb, kind)
            items = store.find(certificate_id=params["certificate_id"], name=params["name"],
                               fingerprint=params["fingerprint"])
            result[key] = [certificate_facts(kind, item) for item in items]
    except AlicloudApiError as error:
        module.fail_api_error(error)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
