#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ca_certificate
short_description: Upload or delete a CLB (SLB) CA certificate for client authentication
version_added: 0.1.0
description:
  - Uploads the CA certificate that signs the client certificates (API C(UploadCACertificate)), step 5 of
    the mutual TLS procedure. An HTTPS listener that references it (M(mtls.clb.https_listener)
    O(mtls.clb.https_listener#module:ca_certificate_id)) requires client certificates issued by this CA.
  - Idempotent by SHA-1 fingerprint within the region; a changed name is applied with C(SetCACertificateName).
  - The certificate is checked locally first - PEM, not expired, and a CA certificate.
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
      - Name of the CA certificate in SLB (1-80 characters, letters, digits, C(.), C(_), C(-), starting with a letter).
      - With O(state=absent), deletes every CA certificate with this name (combined with the other filters).
    type: str
  certificate:
    description: PEM text of the CA certificate. Mutually exclusive with O(certificate_path).
    type: str
  certificate_path:
    description: Path on the managed host of a PEM file holding the CA certificate.
    type: path
  ca_certificate_id:
    description: With O(state=absent), the ID of the CA certificate to delete.
    type: str
  fingerprint:
    description:
      - With O(state=absent), the SHA-1 fingerprint of the CA certificate to delete.
      - With O(state=absent) and O(certificate)/O(certificate_path), the fingerprint is computed from the certificate.
    type: str
  state:
    description:
      - V(present) uploads the CA certificate if it is not there yet.
      - V(absent) deletes the CA certificates matching O(ca_certificate_id), O(name) and O(fingerprint).
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Upload the client root CA
  mtls.clb.ca_certificate:
    name: client-root-ca
    certificate_path: /etc/pki/mtls/root.crt
    region: cn-hangzhou
  register: client_ca

- name: Remove it again
  mtls.clb.ca_certificate:
    ca_certificate_id: "{{ client_ca.ca_certificate_id }}"
    state: absent
"""

RETURN = r"""
ca_certificate_id:
  description: ID of the CA certificate in SLB (V(null) in check mode before the first upload; the deleted ID for O(state=absent)).
  returned: always
  type: str
  sample: 139a00604bd-cn-east-hangzhou-01
fingerprint:
  description: SHA-1 fingerprint, lower-case hex with colons.
  returned: when state is present
  type: str
name:
  description: Name of the CA certificate in SLB.
  returned: when state is present
  type: str
common_name:
  description: Subject common name of the CA certificate.
  returned: when state is present
  type: str
expire_time:
  description: Expiry of the CA certificate (UTC, ISO 8601).
  returned: when state is present
  type: str
certificate_info:
  description: The CA certificate as SLB reports it (its listing, or the upload reply right after an upload), snake_cased.
  returned: when state is present
  type: dict
deleted:
  description: IDs of the CA certificates deleted (or that would be deleted in check mode).
  returned: when state is absent
  type: list
  elements: str
"""

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificate_module import run_ca_certificate
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import AlicloudModule


def main():
    module = AlicloudModule(
        argument_spec=dict(
            name=dict(type="str"),
            certificate=dict(type="str"),
            certificate_path=dict(type="path"),
            ca_certificate_id=dict(type="str"),
            fingerprint=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        mutually_exclusive=[("certificate", "certificate_path")],
        supports_check_mode=True,
    )
    run_ca_certificate(module)


if __name__ == "__main__":
    main()
