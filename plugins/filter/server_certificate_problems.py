# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: server_certificate_problems
short_description: What is wrong with a server certificate and its key, before anything is uploaded
version_added: 0.1.0
description:
  - Checks a purchased server certificate the way M(mtls.clb.server_certificate) does before its upload -
    PEM chain with the leaf first and the leaf not a CA certificate, not expired, the private key readable
    (decrypted with O(passphrase) when encrypted) and belonging to the leaf - and also that the certificate
    covers O(domain), the name the clients will connect to. Runs on the controller, calls no API and writes
    nothing.
  - Made for an input check before step 1 (the M(mtls.clb.certificate_upload) role's C(validate) entry
    point), so a certificate that would be refused at step 5, or served for the wrong name after step 6,
    stops the run before any key is made.
  - Each problem names the variable given as O(certificate_variable), O(key_variable) or
    O(passphrase_variable) and says how to fix it. No problem text holds key material or the passphrase.
  - The RSA private-number check of M(mtls.clb.server_certificate) (hundreds of milliseconds for a 4096-bit
    key) is left to the upload, which runs it before sending the key.
author:
  - mtls.clb contributors (!UNKNOWN)
options:
  _input:
    description: The server certificate (PEM, leaf first, then its intermediates), e.g. from C(lookup('file', ...)).
    type: str
    required: true
  private_key:
    description: The server certificate's private key (PEM).
    type: str
    required: true
  passphrase:
    description: The passphrase of an encrypted O(private_key).
    type: str
  domain:
    description:
      - The name the clients use in C(https://<domain>/). The certificate covers it when one of its DNS
        subject alternative names (or, with none, its common name) equals it or is a wildcard C(*.parent)
        for a name one label below C(parent); an IP address must be one of its IP address names.
      - Omitted or empty skips this check.
    type: str
  certificate_variable:
    description: The variable the problems name for the certificate.
    type: str
    default: certificate
  key_variable:
    description: The variable the problems name for the key.
    type: str
    default: private_key
  passphrase_variable:
    description: The variable the problems name for the passphrase.
    type: str
    default: passphrase
  domain_variable:
    description: The variable the problems name for the domain.
    type: str
    default: domain
"""

EXAMPLES = r"""
- name: Check the purchased server certificate before anything is written or uploaded
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
    quiet: true
  vars:
    __problems: >-
      {{ lookup('ansible.builtin.file', '/etc/pki/example/server.crt')
         | mtls.clb.server_certificate_problems(
             private_key=lookup('ansible.builtin.file', '/etc/pki/example/server.key'),
             domain='www.example.com',
             certificate_variable='my_server_certificate_path', key_variable='my_server_key_path',
             domain_variable='my_domain') }}
"""

RETURN = r"""
_value:
  description: One sentence per problem found; empty when the certificate can be uploaded for O(domain).
  type: list
  elements: str
"""

import ipaddress

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.mtls.clb.plugins.module_utils.alicloud import certificate_material as material


def _host_names_of(cert):
    """(DNS names, IP addresses) the certificate is for: its SANs, else the common name as a DNS name."""
    summary = material.certificate_summary(cert)
    dns_names, ip_addresses = [], []
    for name in summary["subject_alternative_names"]:
        try:
            ip_addresses.append(ipaddress.ip_address(name))
        except ValueError:
            dns_names.append(name)
    if not dns_names and not ip_addresses and summary["common_name"]:
        dns_names.append(summary["common_name"])
    return dns_names, ip_addresses


def _dns_name_covers(pattern, domain):
    pattern, domain = pattern.lower().rstrip("."), domain.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _dot, parent = domain.partition(".")
        return bool(head) and parent == pattern[2:]
    return pattern == domain


def covers(cert, domain):
    dns_names, ip_addresses = _host_names_of(cert)
    try:
        return ipaddress.ip_address(domain) in ip_addresses
    except ValueError:
        return any(_dns_name_covers(name, domain) for name in dns_names)


def _sentence(text):
    """One problem as a sentence: the roles join several with spaces into one failure message."""
    text = to_text(text).rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def server_certificate_problems(certificate, private_key=None, passphrase=None, domain=None,
                                certificate_variable="certificate", key_variable="private_key",
                                passphrase_variable="passphrase", domain_variable="domain"):
    if not material.HAS_CRYPTOGRAPHY:
        raise AnsibleFilterError("server_certificate_problems needs the Python package cryptography on the "
                                 "controller: pip install -r requirements.txt")
    problems = []
    try:
        chain = material.load_certificate_chain(to_text(certificate or ""), certificate_variable)
    except material.CertificateMaterialError as exc:
        return [_sentence(exc)]
    for check in material.server_certificate_checks(chain, to_text(private_key or ""), passphrase or None,
                                                    certificate_variable, key_variable, passphrase_variable):
        try:
            check()
        except material.CertificateMaterialError as exc:
            problems.append(_sentence(exc))
    if domain and not covers(chain[0], to_text(domain)):
        dns_names, ip_addresses = _host_names_of(chain[0])
        names = ", ".join(dns_names + [str(address) for address in ip_addresses]) or "no names"
        problems.append(_sentence(
            "{0}: the certificate is for {1}, not for {2} ({3}), the name the clients will connect to; give the "
            "certificate of that domain, or set {3} to a name the certificate covers".format(
                certificate_variable, names, to_text(domain), domain_variable)))
    return problems


class FilterModule(object):
    """mtls.clb filters."""

    def filters(self):
        return {"server_certificate_problems": server_certificate_problems}
