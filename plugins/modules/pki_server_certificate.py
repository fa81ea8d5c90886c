#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: pki_server_certificate
short_description: Issue a server certificate (serverAuth) signed by a CA you name, for labs and demos
version_added: 0.1.0
description:
  - Step 1 of the CLB mutual TLS procedure buys a server certificate from a public CA. For labs, demos and the
    local CLB emulator this module issues one instead, signed by a CA you name. Use a separate server CA (made
    with M(mtls.clb.pki_root_ca)), not the root CA that signs client certificates, so that trusting one does
    not mean trusting the other.
  - The certificate carries basicConstraints C(CA:FALSE), keyUsage C(digitalSignature) (plus
    C(keyEncipherment) for RSA), extendedKeyUsage C(serverAuth), subject and authority key identifiers, and
    the subject alternative names of O(subject_alt_names).
  - B(Idempotent.) The certificate is re-issued only when it is missing or unreadable, the key is missing,
    unreadable or of another type or size than requested (then the key is replaced too), the certificate does not
    match the key, the CA changed (issuer, authority key identifier or signature), the subject, subject alternative
    names or digest changed, or it expires within O(renew_before_days). RV(reason) says which.
  - A key whose O(private_key_passphrase) is wrong or missing is never replaced; the module fails instead.
  - B(Check mode) runs the same decision and writes nothing. B(Diff mode) shows parsed certificate metadata, never
    key bytes, and under C(files) the state and mode of both files (their owner and group when O(owner) or O(group)
    is set) and of a directory that is created or gets O(directory_mode).
  - The private key is written with mode C(0600) unless O(mode) says otherwise, the certificate with C(0644) unless
    O(certificate_mode) says otherwise. Files are replaced atomically.
author:
  - mtls.clb contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mtls.clb.pki
  - mtls.clb.pki.subject
  - mtls.clb.pki.issuer
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details: >-
      The signing CA must exist already: a CA that an earlier task of the same check run would make is not there,
      and the module fails naming O(ca_certificate_path) (the mtls.clb roles skip the task then and report what a
      real run would issue).
  diff_mode:
    support: full
options:
  certificate_path:
    description: Where the server certificate (PEM) is kept.
    type: path
    required: true
  private_key_path:
    description: Where the server private key (PEM, PKCS#8) is kept.
    type: path
    required: true
  private_key_passphrase:
    description: Passphrase that encrypts the server key file. CLB's UploadServerCertificate wants an unencrypted
      key, so leave it unset for keys you upload.
    type: str
  common_name:
    description: Subject common name (CN), normally the domain name the listener is reached by. Must differ from
      the CA's CN.
    type: str
    required: true
  subject_alt_names:
    description:
      - Subject alternative names such as C(DNS:www.example.com) or C(IP:127.0.0.1). TLS clients check the host
        name against these only.
      - Defaults to the O(common_name) (as C(IP:) when it is an IP address, else C(DNS:)).
    type: list
    elements: str
  key_type:
    description:
      - Type of a new private key.
      - CLB takes an ECDSA server certificate only in some regions (its 2019-2021 documentation named UK (London),
        C(eu-west-1), alone; its current documentation says RSA only); elsewhere M(mtls.clb.server_certificate)
        fails with C(EccCertificateNotSupport). Keep V(rsa) for a certificate you upload to CLB unless its region
        takes ECDSA.
  key_size:
    description:
      - RSA key size in bits. Ignored for O(key_type=ecdsa).
      - CLB takes server certificates with RSA keys of 1024, 2048 or 4096 bits; it refuses V(3072) at upload.
        Use V(2048) or V(4096) for a certificate you upload to CLB.
  # The other key options, and the file, subject and signing CA options: mtls.clb.pki.
seealso:
  - module: mtls.clb.pki_root_ca
  - module: mtls.clb.pki_client_certificates
"""

EXAMPLES = r"""
- name: A separate CA for server certificates
  mtls.clb.pki_root_ca:
    certificate_path: /etc/pki/mtls/server-ca.crt
    private_key_path: /etc/pki/mtls/server-ca.key
    common_name: Lab Server CA
    key_size: 2048
    directory_mode: "0700"  # create /etc/pki/mtls if it is missing

- name: Server certificate for the listener's domain (what step 1 would buy)
  mtls.clb.pki_server_certificate:
    certificate_path: /etc/pki/mtls/server.crt
    private_key_path: /etc/pki/mtls/server.key
    common_name: www.example.com
    subject_alt_names:
      - DNS:www.example.com
      - DNS:example.com
      - IP:127.0.0.1
    ca_certificate_path: /etc/pki/mtls/server-ca.crt
    ca_private_key_path: /etc/pki/mtls/server-ca.key
    key_size: 2048
    valid_days: 397
    directory_mode: "0700"
"""

RETURN = r"""
reason:
  description:
    - Why the certificate was (or in check mode would be) issued; null when nothing changed.
    - V(file attributes changed) when only the mode, owner or group of a file changed (O(mode),
      O(certificate_mode), O(owner), O(group)).
    - V(directory created) or V(directory mode set) when only O(directory_mode) caused a change.
  returned: always
  type: str
  sample: certificate is missing
private_key_reason:
  description: Why a new key was made; null when the key was kept.
  returned: always
  type: str
certificate_reason:
  description: Why the certificate was re-issued; null when it was kept.
  returned: always
  type: str
  sample: "extension subjectAltName differs"
private_key_path:
  description: Path of the private key file.
  returned: always
  type: str
certificate_path:
  description: Path of the certificate file.
  returned: always
  type: str
subject_alt_names:
  description: The subject alternative names asked for.
  returned: always
  type: list
  elements: str
  sample: ["DNS:www.example.com"]
subject:
  description: Certificate subject (RFC 4514). Null in check mode when a certificate would be issued.
  returned: always
  type: str
issuer:
  description: Certificate issuer (RFC 4514). Null in check mode when a certificate would be issued.
  returned: always
  type: str
serial_number:
  description: Serial number, colon-separated hex. Null in check mode when a certificate would be issued.
  returned: always
  type: str
not_before:
  description: Start of validity (UTC, ISO 8601). Null in check mode when a certificate would be issued.
  returned: always
  type: str
not_after:
  description: End of validity (UTC, ISO 8601). Null in check mode when a certificate would be issued.
  returned: always
  type: str
fingerprint_sha256:
  description: SHA-256 fingerprint of the certificate. Null in check mode when a certificate would be issued.
  returned: always
  type: str
public_key:
  description: Type and size of the key. Null in check mode when a certificate would be issued.
  returned: always
  type: str
  sample: RSA 2048
backup_private_key:
  description: Backup of the replaced key file.
  returned: when O(backup=true) and the key file was replaced
  type: str
backup_certificate:
  description: Backup of the replaced certificate file.
  returned: when O(backup=true) and the certificate file was replaced
  type: str
"""

from ansible_collections.mtls.clb.plugins.module_utils.pki.module_runner import (
    key_and_file_argument_spec,
    run_pki_module,
    subject_argument_spec,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.server_certificate import ServerCertificate


def argument_spec():
    spec = dict(
        certificate_path=dict(type="path", required=True),
        private_key_path=dict(type="path", required=True),
        private_key_passphrase=dict(type="str", no_log=True),
        common_name=dict(type="str", required=True),
        subject_alt_names=dict(type="list", elements="str"),
        ca_certificate_path=dict(type="path", required=True),
        ca_private_key_path=dict(type="path", required=True),
        ca_private_key_passphrase=dict(type="str", no_log=True),
    )
    spec.update(subject_argument_spec())
    spec.update(key_and_file_argument_spec())
    return spec


def main():
    run_pki_module(ServerCertificate, argument_spec())


if __name__ == "__main__":
    main()
