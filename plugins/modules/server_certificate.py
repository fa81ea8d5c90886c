#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: server_certificate
short_description: Upload or delete a CLB (SLB) server certificate
version_added: 0.1.0
description:
  - Uploads a server certificate and its private key to Classic Load Balancer (API C(UploadServerCertificate)),
    step 5 of the mutual TLS procedure.
  - Idempotent by SHA-1 fingerprint within the region, and by the whole chain for uploads made by this module
    (see the notes). If the same certificate is already uploaded, its ID is returned and nothing is uploaded,
    whatever its name. A certificate found under another name is used as
    it is (RV(name_differs)); in a shared account it may belong to Terraform, another team or the SSL
    Certificates Service. O(rename_existing=true) renames it (C(SetServerCertificateName)).
  - The module computes the fingerprint as the SHA-1 of the leaf certificate's DER, the form SLB's documentation
    shows. After each upload it compares that with the fingerprint SLB reports and warns, naming both values,
    if they differ. A listed certificate whose fingerprint is not a SHA-1 value at all is then also recognised
    by O(name), common name and expiry (RV(matched_by)), so a run does not upload it again.
  - Before any API call the material is checked locally - PEM format, the first certificate is not a CA
    certificate, the key matches it, it has not expired, the chain is leaf first. The key is converted to the unencrypted
    traditional PEM form SLB requires (C(BEGIN RSA PRIVATE KEY) / C(BEGIN EC PRIVATE KEY)); PKCS#8 keys are converted,
    encrypted keys are decrypted with O(private_key_passphrase).
  - Can also register a certificate held in Alibaba Cloud's certificate service (O(ali_cloud_certificate_id)).
notes:
  - SLB's fingerprint covers the leaf certificate only, and SLB never returns the PEM it stored. So every upload
    from O(certificate) or O(certificate_path) carries two tags - C(mtls-clb-chain-sha256), the SHA-256 over the
    DER of every certificate given, in order (never the key), and C(mtls-clb-chain-certificates), their number.
  - An upload of the same leaf tagged with another chain (for example the leaf uploaded without its
    intermediates, then corrected) is not reused. The chain is uploaded anew, RV(replaced_certificate_id) names
    the old upload, and the diff shows C(chain_sha256) and C(chain_certificates) before and after.
  - The replaced upload is not deleted, because HTTPS listeners may still use it. Point them at the new ID
    (role C(mtls.clb.mtls_listener) or M(mtls.clb.https_listener)), then delete it with O(state=absent) and
    O(server_certificate_id) set to RV(replaced_certificate_id).
  - An upload of the same leaf without these tags (made by another tool, by hand, or by an earlier development
    version of this collection) matches as before, whatever chain it holds, so nothing is uploaded again. To
    replace such an upload, delete it by its ID once no listener uses it; the next run uploads the chain with
    the tags.
  - Uploads by O(ali_cloud_certificate_id) carry no PEM and no tags; they are matched by that ID alone.
  - CLB takes an ECDSA (EC) server certificate only in some regions - its 2019-2021 documentation named UK (London),
    C(eu-west-1), alone; its current documentation says RSA only. The module does not refuse ECDSA by region
    itself (no list is published, and it may grow); it sends the upload, and a region that refuses it fails with
    C(EccCertificateNotSupport) and a message naming the region, an RSA key for O(certificate_path) /
    O(private_key_path), and O(region). The same holds for an ECDSA certificate registered by
    O(ali_cloud_certificate_id).
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
      - Name of the certificate in SLB (1-80 characters, letters, digits, C(.), C(_), C(-), starting with a letter).
      - With O(state=present), an existing certificate with the same fingerprint but another name keeps its
        name unless O(rename_existing=true).
      - With O(state=absent), deletes every certificate with this name (combined with the other filters).
    type: str
  certificate:
    description:
      - PEM text of the server certificate, optionally followed by its intermediates (leaf first). The first
        certificate must not be a CA certificate (basicConstraints C(CA:TRUE)).
      - Mutually exclusive with O(certificate_path) and O(ali_cloud_certificate_id).
    type: str
  certificate_path:
    description:
      - Path on the managed host of a PEM file holding the certificate (and chain).
      - Mutually exclusive with O(certificate) and O(ali_cloud_certificate_id).
    type: path
  private_key:
    description:
      - PEM text of the private key (PKCS#1, SEC1 or PKCS#8; encrypted or not).
      - Mutually exclusive with O(private_key_path) and O(ali_cloud_certificate_id).
    type: str
  private_key_path:
    description:
      - Path on the managed host of a PEM file holding the private key.
      - Mutually exclusive with O(private_key) and O(ali_cloud_certificate_id).
    type: path
  private_key_passphrase:
    description: Passphrase of an encrypted private key. The key is decrypted locally and uploaded unencrypted.
    type: str
  ali_cloud_certificate_id:
    description:
      - ID of a certificate in Alibaba Cloud's SSL Certificates Service to register instead of PEM material
        (the service holds its key, so no certificate or key option goes with it).
      - Idempotent by this ID.
    type: str
  ali_cloud_certificate_name:
    description:
      - Name of that certificate in the certificate service.
      - Required with O(ali_cloud_certificate_id), as the API reference says; refused without it.
    type: str
  ali_cloud_certificate_region_id:
    description:
      - Region of that certificate in the certificate service. Only with O(ali_cloud_certificate_id); sent
        only when set.
      - The API reference lists it as required, but a report against the real service
        (aliyun/alibabacloud-go-sdk issue 75, December 2024) saw the import refused with a message about a
        parameter C(AliCouldCertificateId) (sic) while it was sent, and accepted once it was left out. If you
        meet that message, leave this option out; the module's error then says so too.
    type: str
  server_certificate_id:
    description: With O(state=absent), the ID of the certificate to delete.
    type: str
  fingerprint:
    description:
      - With O(state=absent), the SHA-1 fingerprint of the certificate to delete (case and colons do not matter).
      - With O(state=absent) and O(certificate)/O(certificate_path), the module deletes what O(state=present)
        would find for that certificate - by its SHA-1 fingerprint or, if SLB's fingerprints are not SHA-1
        values, by O(name), common name and expiry (with a warning); O(name) and the ID narrow it further.
        An upload of the same leaf tagged with another chain (see the notes) is not deleted; give that
        chain, or the upload's ID, to delete it.
    type: str
  rename_existing:
    description:
      - With O(state=present), rename a certificate that is already uploaded under another name to O(name)
        (C(SetServerCertificateName)).
      - By default it is used as it is and RV(name_differs) is V(true), because the name may be another
        owner's (Terraform, another team).
      - A certificate of Alibaba Cloud's SSL Certificates Service (C(IsAliCloudCertificate=1)) is never
        renamed; the module warns instead.
    type: bool
    default: false
  state:
    description:
      - V(present) uploads the certificate if it is not there yet.
      - V(absent) deletes the certificates matching O(server_certificate_id), O(name) and O(fingerprint).
        A certificate still used by an HTTPS listener cannot be deleted; the error names the listeners. Check mode
        looks for such listeners (one C(DescribeLoadBalancerListeners) read) and fails the same way.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Upload the server certificate (same region as the load balancer)
  mtls.clb.server_certificate:
    name: www-example-com
    certificate_path: /etc/pki/mtls/server-fullchain.pem
    private_key_path: /etc/pki/mtls/server.key
    region: cn-hangzhou
  register: server_cert

- name: Upload an encrypted key (decrypted locally, never logged)
  mtls.clb.server_certificate:
    name: www-example-com
    certificate: "{{ lookup('file', 'server.crt') }}"
    private_key: "{{ lookup('file', 'server.key') }}"
    private_key_passphrase: "{{ vault_server_key_passphrase }}"

- name: Take over a certificate uploaded earlier under another name (by hand, say)
  mtls.clb.server_certificate:
    name: www-example-com
    certificate_path: /etc/pki/mtls/server-fullchain.pem
    private_key_path: /etc/pki/mtls/server.key
    rename_existing: true

- name: Register a certificate of Alibaba Cloud's SSL Certificates Service (the service holds its key)
  mtls.clb.server_certificate:
    name: www-example-com
    ali_cloud_certificate_id: "12345678"
    ali_cloud_certificate_name: www-example-com-2026
    region: cn-hangzhou

- name: Delete it by fingerprint
  mtls.clb.server_certificate:
    fingerprint: "{{ server_cert.fingerprint }}"
    state: absent
"""

RETURN = r"""
server_certificate_id:
  description:
    - ID of the certificate in SLB (V(null) in check mode before the first upload).
    - For O(state=absent), the deleted ID when one certificate was deleted, else the O(server_certificate_id) given
      (V(null) without it, for example when several certificates of one fingerprint were deleted); RV(deleted)
      lists every deleted ID.
  returned: always
  type: str
  sample: 1231579085529123_18f79de306d_1714763408_709271
fingerprint:
  description: The fingerprint as SLB reports it, lower case (SHA-1 hex with colons as far as known).
  returned: when state is present
  type: str
  sample: 68:08:1a:f8:2f:3e:91:47:0d:7b:73:56:6c:8d:a8:70:cd:b5:4d:c3
name:
  description: Name of the certificate in SLB.
  returned: when state is present
  type: str
common_name:
  description: Subject common name of the certificate.
  returned: when state is present
  type: str
subject_alternative_names:
  description: Subject alternative names of the certificate.
  returned: when state is present
  type: list
  elements: str
expire_time:
  description: Expiry of the certificate (UTC, ISO 8601).
  returned: when state is present
  type: str
  sample: "2027-11-28T10:00:00Z"
name_differs:
  description:
    - V(true) when the certificate was already uploaded under a name other than O(name) and kept it
      (O(rename_existing=false), or a certificate of the SSL Certificates Service); RV(name) is that name.
  returned: when state is present
  type: bool
  sample: false
matched_by:
  description:
    - How the existing certificate was found; V(null) when it was uploaded (or would be, in check mode).
    - V(fingerprint) (SHA-1), V(ali_cloud_certificate_id), or V(name_common_name_expire_time) when SLB reports
      a fingerprint that is not a SHA-1 value (the module warns then).
  returned: when state is present
  type: str
  sample: fingerprint
replaced_certificate_id:
  description:
    - ID of the earlier upload of the same leaf (same RV(fingerprint)) with another chain that this upload
      replaces (or would replace, in check mode); V(null) otherwise. It is left in place (see the notes).
  returned: when state is present
  type: str
  sample: 1231579085529123_18f79de306d_1714760000_123456789
certificate_info:
  description: The certificate as SLB reports it (its listing, or the upload reply right after an upload), snake_cased (no key material).
  returned: when state is present
  type: dict
deleted:
  description: IDs of the certificates deleted (or that would be deleted in check mode).
  returned: when state is absent
  type: list
  elements: str
"""

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificate_module import run_server_certificate
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import AlicloudModule


def main():
    module = AlicloudModule(
        argument_spec=dict(
            name=dict(type="str"),
            certificate=dict(type="str"),
            certificate_path=dict(type="path"),
            private_key=dict(type="str", no_log=True),
            private_key_path=dict(type="path"),
            private_key_passphrase=dict(type="str", no_log=True),
            ali_cloud_certificate_id=dict(type="str"),
            ali_cloud_certificate_name=dict(type="str"),
            ali_cloud_certificate_region_id=dict(type="str"),
            server_certificate_id=dict(type="str"),
            fingerprint=dict(type="str"),
            rename_existing=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        mutually_exclusive=[
            ("certificate", "certificate_path"),
            ("private_key", "private_key_path"),
            ("ali_cloud_certificate_id", "certificate"),
            ("ali_cloud_certificate_id", "certificate_path"),
            # The certificate service holds the key; one given here would be ignored without a word.
            ("ali_cloud_certificate_id", "private_key"),
            ("ali_cloud_certificate_id", "private_key_path"),
        ],
        # UploadServerCertificate: the API reference requires the name and the region with the ID, but the real
        # service has been seen refusing the region (see ali_cloud_certificate_region_id), so only the name is
        # required with the ID; without the ID the other two would be ignored without a word.
        required_together=[("ali_cloud_certificate_id", "ali_cloud_certificate_name")],
        required_by={"ali_cloud_certificate_region_id": "ali_cloud_certificate_id"},
        supports_check_mode=True,
    )
    run_server_certificate(module)


if __name__ == "__main__":
    main()
