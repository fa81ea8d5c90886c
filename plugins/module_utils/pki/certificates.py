# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Certificate profiles (root CA, client, server), building and signing them, and the small
named checks that decide whether an existing certificate still fits what was asked for."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import datetime
import hashlib

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID
except ImportError:  # reported by the modules through errors.CRYPTOGRAPHY_IMPORT_ERROR
    pass

from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError
from ansible_collections.mtls.clb.plugins.module_utils.pki.keys import describe_key, same_public_key
from ansible_collections.mtls.clb.plugins.module_utils.pki.subject import (
    general_name_to_string,
    name_to_string,
)

PROFILES = ("root_ca", "client", "server")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def not_valid_after(cert):
    try:
        return cert.not_valid_after_utc
    except AttributeError:  # cryptography < 42
        return cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def not_valid_before(cert):
    try:
        return cert.not_valid_before_utc
    except AttributeError:  # cryptography < 42
        return cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def iso8601(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def colon_hex(data):
    return ":".join("%02X" % b for b in bytearray(data))


def serial_to_string(serial):
    text = "%X" % serial
    if len(text) % 2:
        text = "0" + text
    return colon_hex(binascii.unhexlify(text))


def load_certificate(data, path):
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        raise PkiError("%s is not a PEM X.509 certificate" % path)


def certificate_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def fingerprint_sha256(cert):
    return colon_hex(cert.fingerprint(hashes.SHA256()))


def sha1_fingerprint(cert):
    """Raw SHA-1 of the DER certificate: what PKCS#12 writers put in localKeyID."""
    return hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).digest()


def subject_alt_names_of(cert):
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [general_name_to_string(n) for n in ext.value]


def certificate_summary(cert):
    """Parsed metadata, safe to return and to show in a diff (no key material)."""
    return {
        "subject": name_to_string(cert.subject),
        "issuer": name_to_string(cert.issuer),
        "serial_number": serial_to_string(cert.serial_number),
        "not_before": iso8601(not_valid_before(cert)),
        "not_after": iso8601(not_valid_after(cert)),
        "fingerprint_sha256": fingerprint_sha256(cert),
        "public_key": describe_key(cert.public_key()),
        "signature_digest": cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None,
        "subject_alt_names": subject_alt_names_of(cert),
    }


def expected_extensions(profile, public_key, issuer_public_key, subject_alt_names=None, path_length=None):
    """(extension value, critical) pairs a certificate of `profile` must carry."""
    ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key)
    if profile == "root_ca":
        return [
            (x509.BasicConstraints(ca=True, path_length=path_length), True),
            (x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                           data_encipherment=False, key_agreement=False, key_cert_sign=True,
                           crl_sign=True, encipher_only=False, decipher_only=False), True),
            (ski, False),
            (aki, False),
        ]
    # keyEncipherment only makes sense for RSA (RSA key transport); ECDSA keys only sign.
    is_rsa = isinstance(public_key, rsa.RSAPublicKey)
    usage = ExtendedKeyUsageOID.CLIENT_AUTH if profile == "client" else ExtendedKeyUsageOID.SERVER_AUTH
    extensions = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=is_rsa,
                       data_encipherment=False, key_agreement=False, key_cert_sign=False,
                       crl_sign=False, encipher_only=False, decipher_only=False), True),
        (x509.ExtendedKeyUsage([usage]), False),
        (ski, False),
        (aki, False),
    ]
    if subject_alt_names:
        extensions.append((x509.SubjectAlternativeName(subject_alt_names), False))
    return extensions


def build_certificate(subject, public_key, issuer_cert, issuer_key, valid_days, digest,
                      extensions, now=None):
    """Sign a certificate. issuer_cert None means self-signed (the root CA)."""
    now = now or utcnow()
    issuer_name = subject if issuer_cert is None else issuer_cert.subject
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer_name)
               .public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now)
               .not_valid_after(now + datetime.timedelta(days=valid_days)))
    for value, critical in extensions:
        builder = builder.add_extension(value, critical=critical)
    cert = builder.sign(issuer_key, getattr(hashes, digest.upper())())
    verifier = cert if issuer_cert is None else issuer_cert
    if not signature_verifies(cert, verifier):
        # Keys are loaded without OpenSSL's slow consistency check; this catches a damaged one.
        raise PkiError("the signing key produced a signature its own certificate does not accept; "
                       "the CA private key file is damaged or does not belong to the CA certificate")
    return cert


def signature_verifies(cert, issuer_cert):
    try:
        cert.verify_directly_issued_by(issuer_cert)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


# The named checks. Each returns None when the certificate fits, else a reason for the result.

def check_public_key(cert, key):
    if not same_public_key(cert.public_key(), key):
        return "certificate does not match the private key"
    return None


def check_subject(cert, subject):
    if cert.subject != subject:
        return "subject differs (%s, want %s)" % (name_to_string(cert.subject), name_to_string(subject))
    return None


def check_issued_by(cert, issuer_cert):
    """Issuer name, then authority key id, then the signature: cheapest first."""
    if cert.issuer != issuer_cert.subject:
        return "issuer differs (%s, CA is %s): the CA changed" % (
            name_to_string(cert.issuer), name_to_string(issuer_cert.subject))
    try:
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        aki = None
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(issuer_cert.public_key()).digest
    if aki is None or aki.key_identifier != ca_ski:
        return "authority key identifier does not match the CA's key: the CA changed"
    if not signature_verifies(cert, issuer_cert):
        return "signature does not verify with the CA certificate: the CA changed"
    return None


def check_extensions(cert, wanted):
    present = {ext.oid: ext for ext in cert.extensions}
    wanted_oids = set()
    for value, critical in wanted:
        wanted_oids.add(value.oid)
        ext = present.get(value.oid)
        if ext is None:
            return "extension %s is missing" % value.oid._name
        if ext.value != value or ext.critical != critical:
            return "extension %s differs" % value.oid._name
    extra = [ext.oid._name for ext in cert.extensions if ext.oid not in wanted_oids]
    if extra:
        return "unexpected extension(s): %s" % ", ".join(sorted(extra))
    return None


def check_digest(cert, digest):
    actual = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None
    if actual != digest:
        return "signature digest is %s, want %s" % (actual, digest)
    return None


def check_expiry(cert, renew_before_days, now=None):
    now = now or utcnow()
    expires = not_valid_after(cert)
    if expires <= now:
        return "certificate expired on %s" % iso8601(expires)
    if expires - now <= datetime.timedelta(days=renew_before_days):
        return "certificate expires on %s, within renew_before_days=%d" % (iso8601(expires), renew_before_days)
    return None


def first_reason(*checks):
    """Run zero-argument checks in order and return the first reason found."""
    for check in checks:
        reason = check()
        if reason:
            return reason
    return None


def is_supported_signing_key(key):
    return isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey))
