# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options the PKI modules (pki_root_ca, pki_server_certificate, pki_client_certificates) share.

    Each part mirrors one argument spec source in plugins/module_utils/pki/module_runner.py, so an option
    added there is documented here once:
      DOCUMENTATION  key_and_file_argument_spec() - every PKI module
      SUBJECT        subject_argument_spec() as the certificate's own subject - pki_root_ca, pki_server_certificate
                     (pki_client_certificates documents the same fields itself: there they are defaults per client)
      ISSUER         the signing CA's files - the modules that issue leaf certificates

    A module that means something else by one of these options keeps its own description of it; Ansible
    merges the fragment under the module, key by key, so the module's description wins and the type,
    choices and default still come from here.

    List mtls.clb.pki before ansible.builtin.files in extends_documentation_fragment: the first fragment
    merged wins a key both define, and O(mode) here says what it applies to and its default.
    """

    DOCUMENTATION = r"""
options:
  key_type:
    description: Type of a new private key.
    type: str
    choices: [rsa, ecdsa]
    default: rsa
  key_size:
    description: RSA key size in bits. Ignored for O(key_type=ecdsa).
    type: int
    choices: [2048, 3072, 4096]
    default: 4096
  curve:
    description: Curve of an ECDSA key (C(secp256r1) is NIST P-256). Ignored for O(key_type=rsa).
    type: str
    choices: [secp256r1, secp384r1]
    default: secp256r1
  digest:
    description: Hash the certificate is signed with.
    type: str
    choices: [sha256, sha384, sha512]
    default: sha256
  valid_days:
    description: Validity of a newly issued certificate, in days from now.
    type: int
    default: 3650
  renew_before_days:
    description:
      - Re-issue the certificate (same key) when it expires within this many days.
      - Must be smaller than O(valid_days).
    type: int
    default: 30
  force:
    description: Make a new key and certificate now, whatever exists.
    type: bool
    default: false
  backup:
    description: Keep a timestamped copy of each file before replacing it.
    type: bool
    default: false
  mode:
    description:
      - Mode of the private key file, as for M(ansible.builtin.file) (octal or symbolic). Defaults to C(0600).
      - This mode, O(certificate_mode), O(owner) and O(group) are checked before any directory or file is made;
        a mode that is neither octal nor symbolic, or a user or group that does not exist, fails the module
        with nothing written.
  certificate_mode:
    description: Mode of the certificate file, as for O(mode). Defaults to C(0644).
    type: raw
  directory_mode:
    description:
      - Mode of the directory (or directories) the files go into, a quoted octal string such as C("0700").
      - When set, the module creates a missing directory (missing parents like C(mkdir -p), with the default
        mode) and gives an existing one this mode if it has another. Both count as a change. The directory is
        checked before any key is made, and check mode plans into a directory that does not exist yet.
      - When not set, the directory must exist and its mode is left alone.
      - A directory the module creates belongs to the user the module runs as; O(owner) and O(group) apply to
        the files only.
    type: raw
attributes:
  platform:
    platforms: posix
requirements:
  - cryptography >= 41.0 on the host that runs the module
"""

    SUBJECT = r"""
options:
  country_name:
    description: Subject country (C), a two-letter code such as C(CN).
    type: str
  state_or_province_name:
    description: Subject state or province (ST).
    type: str
  locality_name:
    description: Subject locality (L).
    type: str
  organization_name:
    description: Subject organization (O).
    type: str
  organizational_unit_name:
    description: Subject organizational unit (OU).
    type: str
  email_address:
    description: Subject e-mail address (emailAddress).
    type: str
"""

    ISSUER = r"""
options:
  ca_certificate_path:
    description: Certificate (PEM) of the signing CA, normally made by M(mtls.clb.pki_root_ca).
    type: path
    required: true
  ca_private_key_path:
    description: The CA's private key (PEM).
    type: path
    required: true
  ca_private_key_passphrase:
    description:
      - Passphrase of the CA private key, if it is encrypted.
      - Set for a CA key that is not encrypted, the key is still used to sign, and the module warns that the CA
        key is stored unprotected (M(mtls.clb.pki_root_ca) with O(mtls.clb.pki_root_ca#module:private_key_passphrase)
        re-writes the same key encrypted).
    type: str
"""
