# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: foreign_client_certificate
short_description: A client certificate from a throwaway CA, made in memory
version_added: 0.1.0
description:
  - Generates, on the controller and in memory only, a CA that exists nowhere else and a client
    certificate (C(clientAuth)) signed by it. Nothing is written to disk.
  - Made for negative tests of mutual TLS - a listener that trusts only your client CA must refuse this
    certificate (M(mtls.clb.mtls_probe), role mtls.clb.mtls_verify).
  - Every evaluation makes new keys, so take the certificate and the key from one result (see the
    examples). The result is a secret in form only (nobody trusts its CA), but pass the
    private key only to options marked C(no_log), such as the C(private_key) of a probe of
    M(mtls.clb.mtls_probe).
author:
  - mtls.clb contributors (!UNKNOWN)
requirements:
  - cryptography >= 41.0 on the controller
options:
  key_size:
    description: RSA key size of the throwaway CA and client keys.
    type: int
    default: 2048
    choices: [2048, 3072, 4096]
  common_name:
    description: Common name (CN) of the client certificate.
    type: str
    default: mtls.clb foreign client
  valid_days:
    description: Validity of both certificates, from now.
    type: int
    default: 1
"""

EXAMPLES = r"""
# Every evaluation of the lookup makes new keys, so take the certificate and the key from ONE result:
# store it once (no_log keeps the key out of the output) or use it in a single expression.
- name: Make a client certificate that the listener must not trust
  ansible.builtin.set_fact:
    foreign: "{{ lookup('mtls.clb.foreign_client_certificate', key_size=2048) }}"
  no_log: true

- name: The listener must refuse it
  mtls.clb.mtls_probe:
    url: https://www.example.com/
    ca_certificate_path: /home/ca/ca.crt
    probes:
      - name: foreign
        certificate: "{{ foreign.certificate }}"
        private_key: "{{ foreign.private_key }}"
  register: probe
"""

RETURN = r"""
_raw:
  description: One dictionary.
  type: list
  elements: dict
  contains:
    certificate:
      description: The client certificate (PEM).
      type: str
    private_key:
      description: Its private key (PEM, PKCS#8, unencrypted).
      type: str
    ca_certificate:
      description: The throwaway CA's certificate (PEM); its key is discarded.
      type: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

if HAS_CRYPTOGRAPHY:
    from ansible_collections.mtls.clb.plugins.module_utils.pki.certificates import (
        build_certificate,
        certificate_pem,
        expected_extensions,
    )
    from ansible_collections.mtls.clb.plugins.module_utils.pki.keys import (
        RSA_KEY_SIZES,
        KeySpec,
        generate_private_key,
        private_key_pem,
    )


def foreign_client_certificate(key_size=2048, common_name="mtls.clb foreign client", valid_days=1):
    """(certificate PEM, private key PEM, CA certificate PEM) of a client signed by a new, unknown CA."""
    spec = KeySpec("rsa", int(key_size), None)
    ca_key = generate_private_key(spec)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u"mtls.clb foreign CA")])
    ca_cert = build_certificate(ca_name, ca_key.public_key(), None, ca_key, valid_days, "sha256",
                                expected_extensions("root_ca", ca_key.public_key(), ca_key.public_key()))
    client_key = generate_private_key(spec)
    client_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u"%s" % common_name)])
    client_cert = build_certificate(client_name, client_key.public_key(), ca_cert, ca_key, valid_days, "sha256",
                                    expected_extensions("client", client_key.public_key(), ca_key.public_key()))
    return (certificate_pem(client_cert).decode("ascii"), private_key_pem(client_key).decode("ascii"),
            certificate_pem(ca_cert).decode("ascii"))


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if not HAS_CRYPTOGRAPHY:
            raise AnsibleLookupError("mtls.clb.foreign_client_certificate needs the Python package cryptography "
                                     "on the controller: pip install cryptography")
        if terms:
            raise AnsibleLookupError("mtls.clb.foreign_client_certificate takes no terms, only the options "
                                     "key_size, common_name and valid_days")
        self.set_options(var_options=variables, direct=kwargs)
        key_size = self.get_option("key_size")
        valid_days = self.get_option("valid_days")
        if key_size not in RSA_KEY_SIZES:
            raise AnsibleLookupError("key_size: %r is not supported; use one of %s"
                                     % (key_size, ", ".join(str(size) for size in RSA_KEY_SIZES)))
        if valid_days < 1:
            raise AnsibleLookupError("valid_days must be at least 1 (got %d)" % valid_days)
        certificate, private_key, ca_certificate = foreign_client_certificate(
            key_size, self.get_option("common_name"), valid_days)
        return [{"certificate": certificate, "private_key": private_key, "ca_certificate": ca_certificate}]
