#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: pki_client_certificates
short_description: Issue many client certificates (key, certificate, PKCS#12) signed by a root CA
version_added: 0.1.0
description:
  - Step 3 of the CLB mutual TLS procedure for a whole list of clients in one task.
  - For every item of O(clients) writes C(<name>.key) (private key, PEM), C(<name>.crt) (certificate, PEM) and
    C(<name>.p12) (PKCS#12 with key and certificate, friendly name C(<name>), for browsers and Windows) into
    O(directory). The directory is created with mode C(0700) when it does not exist.
  - Certificates carry basicConstraints C(CA:FALSE), keyUsage C(digitalSignature) (plus C(keyEncipherment) for
    RSA keys), extendedKeyUsage C(clientAuth), and subject and authority key identifiers.
  - B(The guide's rule is enforced.) A client whose common name equals the CA's is an error, and so are duplicate
    names. B(All input is checked first), so a batch with one bad client writes no file at all.
  - B(Idempotent per client.) A client is re-issued only when its certificate is missing or unreadable, its key is
    missing, unreadable or of another type or size than requested (then the key is replaced too), the certificate
    does not match the key, the CA changed (issuer, authority key identifier or signature no longer verifies), the
    subject, subject alternative names or digest changed, or it expires within O(renew_before_days). The PKCS#12
    file is compared by its parsed content (key, certificate, friendly name, encryption); a changed password is
    detected because the file no longer opens with it, and the file is re-written. Changing O(valid_days) alone
    re-issues nothing; delete a client's C(.crt) file to have it re-issued with the same key.
  - Each client's result says whether and why it changed. Clients in the directory that are not in the list are
    left alone.
  - B(Fast.) When more than one key has to be made, keys are generated and certificates signed in one worker
    process per CPU (see O(workers)). An unchanged run reads the files and makes no new key or signature.
  - B(Check mode) runs the same decision and writes nothing. B(Diff mode) shows, per changed client, the old
    certificate's metadata, the reason and under C(files) the state and mode of its three files (their owner and
    group when O(owner) or O(group) is set), and O(directory) when it is created or gets another mode; never key
    bytes or passwords.
  - Private keys and PKCS#12 files are written with mode C(0600) unless O(mode) says otherwise, certificates with
    C(0644) unless O(certificate_mode) says otherwise. Files are replaced atomically.
author:
  - mtls.clb contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mtls.clb.pki
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
  directory:
    description: Directory the client files are written to.
    type: path
    required: true
  clients:
    description: The clients. Each becomes three files named after O(clients[].name).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - File name stem and PKCS#12 friendly name. Letters, digits, C(.), C(_) and C(-), starting with a letter
            or digit. Must be unique in the list.
        type: str
        required: true
      common_name:
        description: Subject common name (CN); the guide uses your domain name. Must differ from the CA's CN.
        type: str
        required: true
      country_name:
        description: Subject country (C); overrides the module-level O(country_name).
        type: str
      state_or_province_name:
        description: Subject state or province (ST); overrides O(state_or_province_name).
        type: str
      locality_name:
        description: Subject locality (L); overrides O(locality_name).
        type: str
      organization_name:
        description: Subject organization (O); overrides O(organization_name).
        type: str
      organizational_unit_name:
        description: Subject organizational unit (OU); overrides O(organizational_unit_name).
        type: str
      email_address:
        description: Subject e-mail address; overrides O(email_address).
        type: str
      subject_alt_names:
        description: Subject alternative names such as C(DNS:client.example.com), C(email:ops@example.com),
          C(IP:192.0.2.10) or C(URI:spiffe://example/client).
        type: list
        elements: str
      valid_days:
        description: Validity of this client's certificate; overrides O(valid_days).
        type: int
      pkcs12_password:
        description: Password of this client's PKCS#12 file; overrides O(pkcs12_password).
        type: str
  country_name:
    description: Default subject country (C) for every client, a two-letter code.
    type: str
  state_or_province_name:
    description: Default subject state or province (ST).
    type: str
  locality_name:
    description: Default subject locality (L).
    type: str
  organization_name:
    description: Default subject organization (O).
    type: str
  organizational_unit_name:
    description: Default subject organizational unit (OU).
    type: str
  email_address:
    description: Default subject e-mail address.
    type: str
  pkcs12_password:
    description: PKCS#12 password shared by every client without its own O(clients[].pkcs12_password). Each
      client needs one of the two.
    type: str
  pkcs12_encryption:
    description:
      - V(modern) is AES-256-CBC with PBKDF2-HMAC-SHA256 (20000 rounds) and a SHA-256 MAC; current browsers,
        OpenSSL 3, Java 8u301+ and Windows Server 2019 / Windows 10 1709+ read it.
      - V(legacy) is 3DES with SHA-1 key derivation and a SHA-1 MAC, for older Windows and Java importers that
        cannot read modern files. OpenSSL 3 needs C(-legacy) to read it.
    type: str
    choices: [modern, legacy]
    default: modern
  workers:
    description: Worker processes for key generation and signing. Defaults to the number of CPUs available.
      V(1) does everything in the module's own process.
    type: int
  # Key, file and signing CA options: mtls.clb.pki. Only what this module says differently is below.
  renew_before_days:
    description: Re-issue a certificate (same key) when it expires within this many days. Must be smaller than
      every client's validity.
  force:
    description: Make new keys, certificates and PKCS#12 files for every client in the list now.
  mode:
    description:
      - Mode of the private key and PKCS#12 files, as for M(ansible.builtin.file). Defaults to C(0600).
  directory_mode:
    description:
      - Mode of O(directory), a quoted octal string such as C("0700").
      - When set, the module creates O(directory) if it is missing (missing parents like C(mkdir -p), with the
        default mode) and gives it this mode if it has another. Both count as a change. It is checked before any
        key is made, and check mode plans into a directory that does not exist yet.
      - When not set, a missing O(directory) is created C(0700) and an existing one keeps its mode.
      - A directory the module creates belongs to the user the module runs as; O(owner) and O(group) apply to
        the files only.
notes:
  - Client keys are written unencrypted, like the guide's C(client.key), because C(curl --key) and most
    servers read them so; the PKCS#12 file is the password-protected copy.
seealso:
  - module: mtls.clb.pki_root_ca
  - module: mtls.clb.pki_server_certificate
"""

EXAMPLES = r"""
- name: Client certificates for two applications, as the guide's step 3 but in one task
  mtls.clb.pki_client_certificates:
    ca_certificate_path: /etc/pki/mtls/root.crt
    ca_private_key_path: /etc/pki/mtls/root.key
    ca_private_key_passphrase: "{{ vault_root_ca_passphrase }}"
    directory: /etc/pki/mtls/clients
    organization_name: alibaba
    country_name: CN
    pkcs12_password: "{{ vault_client_p12_password }}"
    clients:
      - name: app1
        common_name: app1.example.com
        subject_alt_names: ["DNS:app1.example.com"]
      - name: windows-laptop
        common_name: laptop.example.com
        pkcs12_password: "{{ vault_laptop_p12_password }}"
  register: clients

- name: Show what changed and why
  ansible.builtin.debug:
    msg: "{{ clients.clients | selectattr('changed') | map(attribute='reason') | list }}"

- name: Files older Windows and Java 8 can import
  mtls.clb.pki_client_certificates:
    ca_certificate_path: /etc/pki/mtls/root.crt
    ca_private_key_path: /etc/pki/mtls/root.key
    ca_private_key_passphrase: "{{ vault_root_ca_passphrase }}"
    directory: /srv/legacy-clients
    key_size: 2048
    pkcs12_encryption: legacy
    pkcs12_password: "{{ vault_client_p12_password }}"
    clients: "{{ legacy_clients }}"
"""

RETURN = r"""
clients:
  description: One entry per item of O(clients), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The client's name.
      type: str
      sample: app1
    changed:
      description: Whether any of this client's files was (or in check mode would be) written.
      type: bool
    reason:
      description:
        - Why; null when unchanged.
        - V(file attributes changed) when only the mode, owner or group of the client's files changed.
      type: str
      sample: "certificate is missing"
    private_key_reason:
      description: Why a new key was made; null when the key was kept.
      type: str
    certificate_reason:
      description: Why the certificate was re-issued; null when it was kept.
      type: str
      sample: "issuer differs (CN=old, CA is CN=root): the CA changed"
    pkcs12_reason:
      description: Why the PKCS#12 file was re-written; null when it was kept.
      type: str
      sample: PKCS#12 file does not open with the given pkcs12_password
    certificate_path:
      description: Path of C(<name>.crt).
      type: str
    private_key_path:
      description: Path of C(<name>.key).
      type: str
    pkcs12_path:
      description: Path of C(<name>.p12).
      type: str
    subject:
      description: Certificate subject (RFC 4514). Null in check mode when the certificate would be re-issued.
      type: str
    serial_number:
      description: Serial number, colon-separated hex. Null in check mode when the certificate would be re-issued.
      type: str
    fingerprint_sha256:
      description: SHA-256 fingerprint of the certificate. Null in check mode when the certificate would be
        re-issued.
      type: str
    not_after:
      description: End of validity (UTC, ISO 8601). Null in check mode when the certificate would be re-issued.
      type: str
      sample: "2036-11-26T14:00:00Z"
    backup_private_key:
      description: Backup of the replaced key file.
      type: str
      returned: when O(backup=true) and the file was replaced
    backup_certificate:
      description: Backup of the replaced certificate file.
      type: str
      returned: when O(backup=true) and the file was replaced
    backup_pkcs12:
      description: Backup of the replaced PKCS#12 file.
      type: str
      returned: when O(backup=true) and the file was replaced
issued:
  description: How many clients were (or in check mode would be) issued or re-written.
  returned: always
  type: int
  sample: 2
directory:
  description: The directory the files are in.
  returned: always
  type: str
directory_reason:
  description:
    - What was (or in check mode would be) done to O(directory) - V(directory created) or V(directory mode set);
      null when nothing.
  returned: always
  type: str
  sample: directory created
"""

from ansible_collections.mtls.clb.plugins.module_utils.pki.client_certificates import ClientCertificates
from ansible_collections.mtls.clb.plugins.module_utils.pki.module_runner import (
    key_and_file_argument_spec,
    run_pki_module,
    subject_argument_spec,
)


def argument_spec():
    client_options = dict(
        name=dict(type="str", required=True),
        common_name=dict(type="str", required=True),
        subject_alt_names=dict(type="list", elements="str"),
        valid_days=dict(type="int"),
        pkcs12_password=dict(type="str", no_log=True),
    )
    client_options.update(subject_argument_spec())
    spec = dict(
        ca_certificate_path=dict(type="path", required=True),
        ca_private_key_path=dict(type="path", required=True),
        ca_private_key_passphrase=dict(type="str", no_log=True),
        directory=dict(type="path", required=True),
        clients=dict(type="list", elements="dict", required=True, options=client_options),
        pkcs12_password=dict(type="str", no_log=True),
        pkcs12_encryption=dict(type="str", choices=["modern", "legacy"], default="modern"),
        workers=dict(type="int"),
    )
    spec.update(subject_argument_spec())
    spec.update(key_and_file_argument_spec())
    return spec


def main():
    run_pki_module(ClientCertificates, argument_spec())


if __name__ == "__main__":
    main()
