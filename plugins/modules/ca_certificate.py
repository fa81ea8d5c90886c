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
  - Idempotent by SHA-1 fingerprint (of the first certificate) within the region, and by the whole bundle for
    uploads made by this module (see the notes). A CA certificate found under another name is used as it
    is (RV(name_differs)); O(rename_existing=true) renames it (C(SetCACertificateName)).
  - After each upload the module compares its SHA-1 fingerprint with the one SLB reports and warns, naming
    both values, if they differ. A listed certificate whose fingerprint is not a SHA-1 value at all is then also
    recognised by O(name), common name and expiry (RV(matched_by)), so a run does not upload it again.
  - The certificate is checked locally first - PEM, not expired, and a CA certificate.
notes:
  - SLB's fingerprint covers the first certificate only, and SLB never returns the PEM it stored. So every
    upload carries two tags - C(mtls-clb-chain-sha256), the SHA-256 over the DER of every certificate given, in
    order, and C(mtls-clb-chain-certificates), their number.
  - An upload with the same first certificate tagged with another bundle (a CA certificate added or removed
    after it) is not reused. The bundle is uploaded anew, RV(replaced_certificate_id) names the old upload, and
    the diff shows C(chain_sha256) and C(chain_certificates) before and after.
  - The replaced upload is not deleted, because HTTPS listeners may still use it. Point them at the new ID
    (role C(mtls.clb.mtls_listener) or M(mtls.clb.https_listener)), then delete it with O(state=absent) and
    O(ca_certificate_id) set to RV(replaced_certificate_id).
  - An upload without these tags (made by another tool, by hand, or by an earlier development version of this
    collection) matches as before, whatever bundle it holds, so nothing is uploaded again. To replace such an
    upload, delete it by its ID once no listener uses it; the next run uploads the bundle with the tags.
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
      - With O(state=present), an existing CA certificate with the same fingerprint but another name keeps its
        name unless O(rename_existing=true).
      - With O(state=absent), deletes every CA certificate with this name (combined with the other filters).
    type: str
  certificate:
    description:
      - PEM text of the CA certificate, or of several (a bundle; SLB fingerprints the first one).
      - Mutually exclusive with O(certificate_path).
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
      - With O(state=absent) and O(certificate)/O(certificate_path), the module deletes what O(state=present)
        would find for that CA certificate - by its SHA-1 fingerprint or, if SLB's fingerprints are not SHA-1
        values, by O(name), common name and expiry (with a warning); O(name) and the ID narrow it further.
        An upload with the same first certificate tagged with another bundle (see the notes) is not deleted;
        give that bundle, or the upload's ID, to delete it.
    type: str
  rename_existing:
    description:
      - With O(state=present), rename a CA certificate that is already uploaded under another name to O(name)
        (C(SetCACertificateName)).
      - By default it is used as it is and RV(name_differs) is V(true), because the name may be another
        owner's (Terraform, another team).
    type: bool
    default: false
  state:
    description:
      - V(present) uploads the CA certificate if it is not there yet.
      - V(absent) deletes the CA certificates matching O(ca_certificate_id), O(name) and O(fingerprint).
        A CA certificate still used by an HTTPS listener cannot be deleted; the error names the listeners. Check mode
        looks for such listeners (one C(DescribeLoadBalancerListeners) read) and fails the same way.
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

- name: Same CA, renamed to this name even if someone uploaded it under another one
  mtls.clb.ca_certificate:
    name: client-root-ca
    certificate_path: /etc/pki/mtls/root.crt
    rename_existing: true

- name: Remove it again
  mtls.clb.ca_certificate:
    ca_certificate_id: "{{ client_ca.ca_certificate_id }}"
    state: absent
"""

RETURN = r"""
ca_certificate_id:
  description:
    - ID of the CA certificate in SLB (V(null) in check mode before the first upload).
    - For O(state=absent), the deleted ID when one certificate was deleted, else the O(ca_certificate_id) given
      (V(null) without it, for example when several certificates of one fingerprint were deleted); RV(deleted)
      lists every deleted ID.
  returned: always
  type: str
  sample: 139a00604bd-cn-east-hangzhou-01
fingerprint:
  description: The fingerprint as SLB reports it, lower case (SHA-1 hex with colons as far as known).
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
name_differs:
  description:
    - V(true) when the CA certificate was already uploaded under a name other than O(name) and kept it
      (O(rename_existing=false)); RV(name) is that name.
  returned: when state is present
  type: bool
  sample: false
matched_by:
  description:
    - How the existing CA certificate was found; V(null) when it was uploaded (or would be, in check mode).
    - V(fingerprint) (SHA-1), or V(name_common_name_expire_time) when SLB reports a fingerprint that is not
      a SHA-1 value (the module warns then).
  returned: when state is present
  type: str
  sample: fingerprint
replaced_certificate_id:
  description:
    - ID of the earlier upload with the same first certificate (same RV(fingerprint)) and another bundle that this
      upload replaces (or would replace, in check mode); V(null) otherwise. It is left in place (see the notes).
  returned: when state is present
  type: str
  sample: 139a00604bd-cn-hangzhou
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
            rename_existing=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        mutually_exclusive=[("certificate", "certificate_path")],
        supports_check_mode=True,
    )
    run_ca_certificate(module)


if __name__ == "__main__":
    main()
