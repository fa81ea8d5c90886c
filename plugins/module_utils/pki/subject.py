# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Distinguished names and subject alternative names, from module options and back."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

try:
    from cryptography import x509
    from cryptography.x509.oid import NameOID
except ImportError:  # reported by the modules through errors.CRYPTOGRAPHY_IMPORT_ERROR
    pass

from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError

# Option name -> NameOID attribute, in the order `openssl req` prompts for them (the guide's order).
SUBJECT_FIELDS = (
    ("country_name", "COUNTRY_NAME"),
    ("state_or_province_name", "STATE_OR_PROVINCE_NAME"),
    ("locality_name", "LOCALITY_NAME"),
    ("organization_name", "ORGANIZATION_NAME"),
    ("organizational_unit_name", "ORGANIZATIONAL_UNIT_NAME"),
    ("common_name", "COMMON_NAME"),
    ("email_address", "EMAIL_ADDRESS"),
)
SUBJECT_OPTION_NAMES = tuple(name for name, _oid in SUBJECT_FIELDS)


def subject_fields_from(params, defaults=None):
    """Merge subject options: per-item values win over module-level defaults."""
    merged = {}
    for name in SUBJECT_OPTION_NAMES:
        value = params.get(name)
        if value is None and defaults:
            value = defaults.get(name)
        if value is not None:
            merged[name] = value
    return merged


def build_name(fields, option_prefix=""):
    if not fields.get("common_name"):
        raise PkiError("%scommon_name is required and must not be empty" % option_prefix)
    country = fields.get("country_name")
    # Two ASCII letters: X.509 stores it as a PrintableString of exactly two characters (RFC 5280).
    if country is not None and not (isinstance(country, str) and len(country) == 2 and country.isascii()
                                    and country.isalpha()):
        raise PkiError("%scountry_name must be a two-letter ISO 3166 code such as 'CN' (got %r)"
                       % (option_prefix, country))
    attributes = []
    for name, oid in SUBJECT_FIELDS:
        value = fields.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not value:
            raise PkiError("%s%s must be a non-empty string" % (option_prefix, name))
        if len(value) > 64 and name != "email_address":
            raise PkiError("%s%s is longer than the 64 characters X.509 allows" % (option_prefix, name))
        attributes.append(x509.NameAttribute(getattr(NameOID, oid), value))
    return x509.Name(attributes)


def name_to_string(name):
    return name.rfc4514_string()


def parse_subject_alt_names(values, option):
    """['DNS:example.com', 'IP:10.0.0.1', 'email:a@b'] -> list of x509.GeneralName."""
    result = []
    for value in values or []:
        kind, sep, data = str(value).partition(":")
        kind_lower = kind.strip().lower()
        data = data.strip()
        if not sep or not data:
            raise PkiError("%s: %r must look like 'DNS:name', 'IP:address', 'email:address' or "
                           "'URI:uri'" % (option, value))
        if kind_lower == "ip":
            try:
                result.append(x509.IPAddress(ipaddress.ip_address(data)))
            except ValueError:
                raise PkiError("%s: %r is not an IP address" % (option, value))
            continue
        kinds = {"dns": x509.DNSName, "email": x509.RFC822Name, "uri": x509.UniformResourceIdentifier}
        if kind_lower not in kinds:
            raise PkiError("%s: unknown type %r in %r; use DNS, IP, email or URI" % (option, kind, value))
        if not data.isascii():
            # cryptography takes only the ASCII (A-label) form of an internationalised name.
            raise PkiError("%s: %r is not ASCII; give an internationalised name in its ASCII (A-label, punycode) "
                           "form%s" % (option, value, _a_label_example(kind, data)))
        try:
            result.append(kinds[kind_lower](data))
        except ValueError as exc:
            raise PkiError("%s: %r is not a valid %s name: %s" % (option, value, kind, exc))
    return result


def _a_label_example(kind, data):
    """', e.g. DNS:xn--bcher-kva.example' for DNS:bücher.example (an e-mail address's domain likewise), when
    Python's IDNA codec can spell it; none for a URI, whose host is not the whole value."""
    host, at, domain = data.rpartition("@") if "@" in data else ("", "", data)
    if kind.lower() == "uri" or not (host + at).isascii():
        return ""
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    return ", e.g. '%s:%s%s%s'" % (kind, host, at, ascii_domain)


def general_name_to_string(general_name):
    if isinstance(general_name, x509.DNSName):
        return "DNS:%s" % general_name.value
    if isinstance(general_name, x509.IPAddress):
        return "IP:%s" % general_name.value
    if isinstance(general_name, x509.RFC822Name):
        return "email:%s" % general_name.value
    if isinstance(general_name, x509.UniformResourceIdentifier):
        return "URI:%s" % general_name.value
    return str(general_name)
