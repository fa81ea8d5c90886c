# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Local checks of certificate and key material before anything is sent to SLB.

SLB accepts only PEM, a chain with the leaf first, and an unencrypted "traditional" private key
(`BEGIN RSA PRIVATE KEY` / `BEGIN EC PRIVATE KEY`). Everything here runs without the network so
that bad input fails before any API call. Error texts never contain key material.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re
import traceback

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtensionOID, NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

PEM_CERTIFICATE = re.compile(
    r"-----BEGIN CERTIFICATE-----\s*.+?-----END CERTIFICATE-----", re.S)


class CertificateMaterialError(ValueError):
    """Bad certificate or key input; the message names the option and says how to fix it."""


SLB_RSA_KEY_SIZES = (1024, 2048, 4096)
SLB_EC_CURVES = ("secp256r1", "secp384r1", "secp521r1")


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def _not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    if value is None:  # cryptography < 42
        value = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return value


def _not_before(cert):
    value = getattr(cert, "not_valid_before_utc", None)
    if value is None:
        value = cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)
    return value


def load_certificate_chain(pem_text, option):
    """Parse every PEM certificate in `pem_text`; the first one is the leaf."""
    if not pem_text or not pem_text.strip():
        raise CertificateMaterialError("{0} is empty: give a PEM certificate "
                                       "('-----BEGIN CERTIFICATE-----')".format(option))
    blocks = PEM_CERTIFICATE.findall(pem_text)
    if not blocks:
        raise CertificateMaterialError(
            "{0} holds no PEM certificate: SLB accepts only PEM ('-----BEGIN CERTIFICATE-----'); "
            "convert DER with 'openssl x509 -inform der -in cert.der -out cert.pem'".format(option))
    chain = []
    for number, block in enumerate(blocks, start=1):
        try:
            chain.append(x509.load_pem_x509_certificate(block.encode("ascii")))
        except (ValueError, UnicodeEncodeError) as exc:
            raise CertificateMaterialError("{0}: certificate #{1} is not valid PEM ({2})".format(
                option, number, exc))
    return chain


def check_chain_order(chain, option):
    """SLB wants the leaf first, then each issuer in turn."""
    for position in range(len(chain) - 1):
        if chain[position].issuer != chain[position + 1].subject:
            raise CertificateMaterialError(
                "{0}: certificate #{1} ({2}) was not issued by certificate #{3} ({4}); put the "
                "server (leaf) certificate first, then its intermediates in issuing order".format(
                    option, position + 1, chain[position].subject.rfc4514_string(),
                    position + 2, chain[position + 1].subject.rfc4514_string()))


def check_not_expired(cert, option, now=None):
    now = now or _utc_now()
    not_after = _not_after(cert)
    if not_after <= now:
        raise CertificateMaterialError(
            "{0}: the certificate ({1}) expired on {2}; renew it before uploading".format(
                option, cert.subject.rfc4514_string(), not_after.strftime("%Y-%m-%dT%H:%M:%SZ")))


def load_private_key(pem_text, passphrase, option, passphrase_option="private_key_passphrase"):
    """Load a PEM private key, decrypting it with `passphrase` when it is encrypted."""
    if not pem_text or "-----BEGIN" not in pem_text:
        raise CertificateMaterialError("{0} holds no PEM private key ('-----BEGIN ... PRIVATE "
                                       "KEY-----')".format(option))
    password = passphrase.encode("utf-8") if passphrase else None
    try:
        # OpenSSL's check of an RSA key's private numbers costs ~50 ms at 2048 and ~300 ms at 4096 bits,
        # on every run; comparing the key with its certificate needs only the public part. The check
        # runs before an upload instead (ServerCertificateMaterial.check_before_upload).
        key = serialization.load_pem_private_key(pem_text.encode("ascii", "replace"), password=password,
                                                 unsafe_skip_rsa_key_validation=True)
    except TypeError:
        if password is None:
            raise CertificateMaterialError(
                "{0} is encrypted: set {1} so it can be decrypted locally (SLB only accepts an "
                "unencrypted key; it is converted before upload)".format(option, passphrase_option))
        raise CertificateMaterialError("{0} is not encrypted but {1} was given; remove {1}".format(
            option, passphrase_option))
    except ValueError:
        if password is not None:
            raise CertificateMaterialError("{0} could not be decrypted: {1} is wrong, or the key "
                                           "is damaged".format(option, passphrase_option))
        raise CertificateMaterialError("{0} is not a readable PEM private key".format(option))
    check_key_algorithm(key.public_key(), option)
    return key


def key_algorithm_problem(public_key):
    """(problem, fix) when the key is not of the algorithms CLB's certificate requirements list (slb-api.md 1.1:
    RSA 1024/2048/4096, ECDSA P-256/384/521), else None."""
    if not isinstance(public_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        return ("SLB accepts only RSA and ECDSA keys, not {0}".format(
            type(public_key).__name__.replace("PublicKey", "").lstrip("_") or "this kind"), None)
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size not in SLB_RSA_KEY_SIZES:
        return ("SLB accepts RSA keys of 1024, 2048 or 4096 bits, not {0}".format(public_key.key_size),
                "issue the certificate with a key of one of those sizes")
    if isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.name not in SLB_EC_CURVES:
        return ("SLB accepts ECDSA keys on P-256, P-384 or P-521 only, not {0}".format(public_key.curve.name),
                "issue the certificate with an RSA key or one on those curves")
    return None


def check_key_algorithm(public_key, option):
    """The server certificate's key: the upload refuses one CLB's certificate requirements do not list."""
    found = key_algorithm_problem(public_key)
    if found:
        problem, fix = found
        raise CertificateMaterialError("{0}: {1}{2}".format(option, problem, "; " + fix if fix else ""))


def certificate_key_warnings(chain, option):
    """For the CA certificates and intermediates of an upload: a warning per certificate whose key is not of the
    algorithms CLB's certificate requirements list. Those requirements are written for the server certificate's
    key (checked as the private key, a refusal); whether SLB also refuses them in a CA certificate or an
    intermediate is not documented, and public CAs issue from RSA-3072 intermediates, so this is a warning: the
    upload is sent, and a refusal then comes from the service."""
    warnings = []
    for cert in chain:
        found = key_algorithm_problem(cert.public_key())
        if found:
            warnings.append("{0}: {1} (the key of {2}). CLB's certificate requirements list these for the server "
                            "certificate's key; whether SLB takes another in a CA certificate or an intermediate is "
                            "not documented, so the upload is sent, and it may be refused.".format(
                                option, found[0], cert.subject.rfc4514_string()))
    return warnings


def _public_bytes(public_key):
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def check_key_matches(key, cert, option, key_option):
    if _public_bytes(key.public_key()) != _public_bytes(cert.public_key()):
        raise CertificateMaterialError(
            "{0} does not match the first certificate in {1} ({2}); give the key that belongs to "
            "the server certificate".format(key_option, option, cert.subject.rfc4514_string()))


def traditional_pem(key):
    """The key as SLB requires it: unencrypted PKCS#1 (RSA) / SEC1 (EC) PEM."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode("ascii")


def certificate_pem(chain):
    """The chain re-serialized: canonical PEM, no blank lines, leaf first."""
    return "".join(cert.public_bytes(serialization.Encoding.PEM).decode("ascii") for cert in chain)


def sha1_fingerprint(cert):
    """SHA-1 of the DER certificate as lower-case colon hex, the form SLB reports."""
    digest = cert.fingerprint(hashes.SHA1())  # nosec - SLB's identifier, not a security use
    return ":".join("{0:02x}".format(byte) for byte in bytearray(digest))


def chain_sha256(chain):
    """SHA-256 (lower-case hex) over the DER of every certificate of the chain, in the order given.

    SLB's Fingerprint covers the leaf alone and SLB never returns an uploaded PEM, so this digest,
    kept in a tag of the upload, is what tells a corrected chain from the upload it replaces. DER is
    self-delimiting, so concatenating the certificates is unambiguous; no key is ever part of it."""
    digest = hashes.Hash(hashes.SHA256())
    for cert in chain:
        digest.update(cert.public_bytes(serialization.Encoding.DER))
    return "".join("{0:02x}".format(byte) for byte in bytearray(digest.finalize()))


def normalize_fingerprint(fingerprint):
    """Fingerprints compare case-insensitively and with or without colons."""
    if not fingerprint:
        return ""
    return re.sub(r"[^0-9a-f]", "", fingerprint.lower())


def certificate_summary(cert):
    """Non-secret facts about a certificate for results and diffs."""
    common_names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    try:
        san_ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        sans = [str(name.value) for name in san_ext.value]
    except x509.ExtensionNotFound:
        sans = []
    return {
        "fingerprint": sha1_fingerprint(cert),
        "common_name": common_names[0].value if common_names else None,
        "subject_alternative_names": sans,
        "not_before": _not_before(cert).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expire_time": _not_after(cert).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


class CertificateMaterial:
    """A validated certificate chain, leaf first; the leaf is what CLB fingerprints and reports."""

    def __init__(self, chain, option="certificate"):
        self.chain = chain
        # The option the chain came from, named in messages.
        self.option = option

    def check_before_upload(self):
        """What only an upload needs, checked before the first mutating call (and in check mode)."""

    def upload_warnings(self):
        """Warnings for an upload about to be sent (and in check mode): keys of its CA certificates that CLB's
        certificate requirements do not list (certificate_key_warnings)."""
        return certificate_key_warnings(self.chain, self.option)

    @property
    def leaf(self):
        return self.chain[0]

    @property
    def fingerprint(self):
        return sha1_fingerprint(self.leaf)

    @property
    def chain_sha256(self):
        return chain_sha256(self.chain)

    def summary(self):
        return certificate_summary(self.leaf)


class ServerCertificateMaterial(CertificateMaterial):
    """A validated server certificate chain and its key, ready for UploadServerCertificate."""

    def __init__(self, chain, key, key_option="private_key", option="certificate"):
        super(ServerCertificateMaterial, self).__init__(chain, option)
        self.key = key
        self.key_option = key_option

    def upload_warnings(self):
        # The leaf's key is the private key, refused outright if CLB does not take it; the intermediates warn.
        return certificate_key_warnings(self.chain[1:], self.option)

    def check_before_upload(self):
        """The RSA consistency check load_private_key skips: a key whose public part matches the
        certificate but whose private numbers are damaged would be uploaded and then fail every
        TLS handshake, or be refused by SLB after the lookup."""
        if not isinstance(self.key, rsa.RSAPrivateKey):
            return
        try:
            serialization.load_pem_private_key(traditional_pem(self.key).encode("ascii"), password=None)
        except ValueError:
            raise CertificateMaterialError(
                "{0} is damaged: its private part does not belong to its public key (OpenSSL's RSA key check "
                "failed); give an intact copy of the server certificate's key".format(self.key_option))

    def upload_params(self):
        return {"ServerCertificate": certificate_pem(self.chain), "PrivateKey": traditional_pem(self.key)}


def _is_ca(cert):
    try:
        return cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value.ca
    except x509.ExtensionNotFound:
        return None


def check_not_a_ca(cert, option):
    """A CA certificate in the leaf's place would be uploaded and fail every client's handshake."""
    if _is_ca(cert):
        raise CertificateMaterialError(
            "{0}: the first certificate ({1}) is a CA certificate (basicConstraints CA:TRUE), not a server "
            "certificate; put the server (leaf) certificate first, then its intermediates".format(
                option, cert.subject.rfc4514_string()))


def server_certificate_checks(chain, private_key_pem_text, passphrase, certificate_option="certificate",
                              key_option="private_key", passphrase_option="private_key_passphrase", now=None):
    """The local checks of a server certificate chain and its key, in the order they are reported; each
    raises CertificateMaterialError. The last one loads the key and returns it. One list for the module,
    which stops at the first failure, and the server_certificate_problems filter, which reports them all."""
    def key_of_the_leaf():
        key = load_private_key(private_key_pem_text, passphrase, key_option, passphrase_option)
        check_key_matches(key, chain[0], certificate_option, key_option)
        return key

    return (
        lambda: check_not_a_ca(chain[0], certificate_option),
        lambda: check_chain_order(chain, certificate_option),
        lambda: check_not_expired(chain[0], certificate_option, now=now),
        key_of_the_leaf,
    )


def validate_server_certificate(certificate_pem_text, private_key_pem_text, passphrase,
                                certificate_option="certificate", key_option="private_key", now=None):
    chain = load_certificate_chain(certificate_pem_text, certificate_option)
    checks = server_certificate_checks(chain, private_key_pem_text, passphrase, certificate_option, key_option,
                                       now=now)
    for check in checks[:-1]:
        check()
    return ServerCertificateMaterial(chain, checks[-1](), key_option, certificate_option)


class CaCertificateMaterial(CertificateMaterial):
    """A validated client CA certificate, ready for UploadCACertificate."""

    def upload_params(self):
        return {"CACertificate": certificate_pem(self.chain)}


def validate_ca_certificate(certificate_pem_text, certificate_option="certificate", now=None):
    chain = load_certificate_chain(certificate_pem_text, certificate_option)
    for cert in chain:
        check_not_expired(cert, certificate_option, now=now)
    is_ca = _is_ca(chain[0])
    if is_ca is None:
        # Old self-signed roots (e.g. `openssl x509 -req -signkey`) carry no extensions at all.
        is_ca = chain[0].issuer == chain[0].subject
    if not is_ca:
        raise CertificateMaterialError(
            "{0}: {1} is not a CA certificate (basicConstraints CA:FALSE); give the CA that signs "
            "the client certificates".format(certificate_option, chain[0].subject.rfc4514_string()))
    return CaCertificateMaterial(chain, certificate_option)
