#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: pki_root_ca
short_description: Create and keep a self-signed root CA (private key and certificate)
version_added: 0.1.0
description:
  - Step 2 of the CLB mutual TLS procedure, done better than the guide's three C(openssl) commands.
  - Creates the root CA private key and a self-signed CA certificate that signs the client certificates
    (M(mtls.clb.pki_client_certificates)) and that you upload to CLB as the CA certificate.
  - Defaults follow the guide (RSA 4096, 3650 days, SHA-256), and the certificate carries the
    extensions a CA needs and the guide's commands leave out (basicConstraints C(CA:TRUE), critical;
    keyUsage C(keyCertSign) and C(cRLSign), critical; subject and authority key identifiers).
  - B(Idempotent.) An existing key and certificate that match the options give C(changed=false).
    The certificate is re-issued (same key) when it is missing, unreadable, does not match the key,
    is not self-signed, differs from the requested subject, extensions or digest, or expires within
    O(renew_before_days). Changing O(valid_days) alone does not re-issue it; to get a certificate with the new
    validity and the same key, delete the certificate file (O(force) would make a new key too).
  - B(The key is never replaced silently), because every client certificate signed by it would stop
    working. What happens when the existing key cannot be read, is of another type than O(key_type),
    O(key_size) and O(curve) ask for, or is gone while the CA certificate is still there, is chosen by
    O(regenerate). A wrong or missing O(private_key_passphrase)
    always fails, whatever O(regenerate) says. An unencrypted key file is re-written encrypted (same key)
    when O(private_key_passphrase) is set.
  - Every (re)generation is explained in RV(reason).
  - B(Check mode) runs the same decision and writes nothing. B(Diff mode) shows parsed metadata
    (subject, serial number, validity, fingerprint, key type and size), never key bytes, and under C(files)
    the state and mode of both files (their owner and group when O(owner) or O(group) is set) and of a
    directory that is created or gets O(directory_mode).
  - The private key file is written with mode C(0600) unless O(mode) says otherwise, the certificate
    with C(0644) unless O(certificate_mode) says otherwise. O(owner), O(group) and the SELinux options
    apply to both. Files are replaced atomically.
author:
  - mtls.clb contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mtls.clb.pki
  - mtls.clb.pki.subject
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  certificate_path:
    description: Where the CA certificate (PEM) is kept.
    type: path
    required: true
  private_key_path:
    description: Where the CA private key (PEM, PKCS#8) is kept.
    type: path
    required: true
  common_name:
    description:
      - Subject common name (CN) of the CA, C(root) in the guide.
      - It must differ from the CN of every client and server certificate the CA signs.
    type: str
    required: true
  path_length:
    description:
      - basicConstraints path length. V(0) lets the CA sign only end-entity certificates.
      - Omit it for no limit.
    type: int
  private_key_passphrase:
    description: Passphrase that encrypts the private key file (AES-256). Omit for an unencrypted key.
    type: str
  regenerate:
    description:
      - What to do when a private key file exists but cannot be read, or is not of the requested type, size or
        curve, or does not exist while O(certificate_path) holds a certificate (the CA without its key, where a new key
        would be a new CA). The certificate is always re-issued when needed; this decides only about the key.
      - With neither file in place a new CA is made whatever this says.
      - V(fail) (default) stops with an error that explains the situation. Nothing is written.
      - V(never) keeps a readable key of another type and re-issues the certificate with it (with a warning);
        an unreadable key still fails, because nothing can be signed with it.
      - V(on_mismatch) replaces an unreadable or mismatching key with a new one. Every certificate signed with
        the old key stops validating.
      - V(always) makes a new key and certificate on every run. Useful only for throw-away labs.
      - A key whose passphrase is wrong or missing is never replaced; fix O(private_key_passphrase) or delete
        the file.
    type: str
    choices: [never, fail, on_mismatch, always]
    default: fail
  # Key, file and subject options: mtls.clb.pki. Only what this module says differently is below.
  force:
    description: Make a new key and certificate now, whatever exists. Same as O(regenerate=always) for one run.
  key_size:
    description:
      - RSA key size in bits. Ignored for O(key_type=ecdsa).
      - CLB's certificate requirements list RSA keys of 1024, 2048 and 4096 bits. Use V(2048) or V(4096) for a
        CA you upload with M(mtls.clb.ca_certificate); the local CLB emulator refuses a V(3072) CA certificate,
        and whether the real service takes one is not documented.
notes:
  - Loading a key does not run OpenSSL's slow RSA consistency check; every signature made is verified
    against the CA certificate instead, so a damaged key is still detected.
seealso:
  - module: mtls.clb.pki_client_certificates
  - module: mtls.clb.pki_server_certificate
"""

EXAMPLES = r"""
- name: Root CA as in the guide (RSA 4096, 10 years), with the CA extensions it needs
  mtls.clb.pki_root_ca:
    certificate_path: /etc/pki/mtls/root.crt
    private_key_path: /etc/pki/mtls/root.key
    country_name: CN
    state_or_province_name: bj
    locality_name: bj
    organization_name: alibaba
    organizational_unit_name: test
    common_name: root
    email_address: a@alibaba.com
    private_key_passphrase: "{{ vault_root_ca_passphrase }}"
    directory_mode: "0700"  # create /etc/pki/mtls if it is missing

- name: ECDSA P-384 CA that may only sign end-entity certificates, renewed 90 days ahead
  mtls.clb.pki_root_ca:
    certificate_path: /etc/pki/mtls/ec-root.crt
    private_key_path: /etc/pki/mtls/ec-root.key
    common_name: Example Client Root CA
    key_type: ecdsa
    curve: secp384r1
    path_length: 0
    renew_before_days: 90
    directory_mode: "0700"

# A one-off task, not one to keep beside the first example: run it once where the CA key is, say, RSA 2048. Every
# subject option must be the first example's, or the two tasks would re-issue the certificate back and forth.
- name: Replace the key of the first example's CA by a 4096-bit one (invalidates every client certificate it signed)
  mtls.clb.pki_root_ca:
    certificate_path: /etc/pki/mtls/root.crt
    private_key_path: /etc/pki/mtls/root.key
    country_name: CN
    state_or_province_name: bj
    locality_name: bj
    organization_name: alibaba
    organizational_unit_name: test
    common_name: root
    email_address: a@alibaba.com
    key_size: 4096
    private_key_passphrase: "{{ vault_root_ca_passphrase }}"  # the key of the first example is encrypted
    regenerate: on_mismatch
    backup: true
"""

RETURN = r"""
reason:
  description:
    - Why something was (or in check mode would be) changed; null when nothing changed.
    - V(file attributes changed) when only the mode, owner or group of a file changed (O(mode),
      O(certificate_mode), O(owner), O(group)).
    - V(directory created) or V(directory mode set) when only O(directory_mode) caused a change.
  returned: always
  type: str
  sample: certificate expires on 2026-12-01T00:00:00Z, within renew_before_days=30
private_key_reason:
  description: Why the key file was (re)written; null when it was kept as it was.
  returned: always
  type: str
  sample: private key is missing
certificate_reason:
  description: Why the certificate was (re)issued; null when it was kept.
  returned: always
  type: str
  sample: subject differs (CN=old, want CN=root)
private_key_path:
  description: Path of the private key file.
  returned: always
  type: str
certificate_path:
  description: Path of the certificate file.
  returned: always
  type: str
subject:
  description: Subject of the certificate (RFC 4514).
  returned: always
  type: str
  sample: CN=root,OU=test,O=alibaba,L=bj,ST=bj,C=CN
serial_number:
  description: Serial number, colon-separated hex. Null in check mode when a certificate would be issued.
  returned: always
  type: str
not_before:
  description: Start of validity (UTC, ISO 8601). Null in check mode when a certificate would be issued.
  returned: always
  type: str
  sample: "2026-11-28T14:00:00Z"
not_after:
  description: End of validity (UTC, ISO 8601). Null in check mode when a certificate would be issued.
  returned: always
  type: str
  sample: "2036-11-26T14:00:00Z"
fingerprint_sha256:
  description: SHA-256 fingerprint of the certificate (DER), colon-separated hex. Null in check mode when a
    certificate would be issued.
  returned: always
  type: str
public_key:
  description: Type and size of the key.
  returned: always
  type: str
  sample: RSA 4096
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
from ansible_collections.mtls.clb.plugins.module_utils.pki.root_ca import RootCA


def argument_spec():
    spec = dict(
        certificate_path=dict(type="path", required=True),
        private_key_path=dict(type="path", required=True),
        common_name=dict(type="str", required=True),
        path_length=dict(type="int"),
        private_key_passphrase=dict(type="str", no_log=True),
        regenerate=dict(type="str", choices=["never", "fail", "on_mismatch", "always"], default="fail"),
    )
    spec.update(subject_argument_spec())
    spec.update(key_and_file_argument_spec())
    return spec


def main():
    run_pki_module(RootCA, argument_spec())


if __name__ == "__main__":
    main()
