"""PEM checks the real service applies to uploaded certificates and keys."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .errors import ApiError, invalid

_CERT_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")
RSA_KEY_SIZES = (1024, 2048, 4096)
EC_CURVES = ("secp256r1", "secp384r1", "secp521r1")


# How the emulator may fingerprint certificates. "sha1" (SHA-1 of the leaf's DER, lower-case hex with
# colons) is what the API documentation's examples show; the others exist so tests can check that
# clients survive a service that computes its `Fingerprint` differently (POST
# /_emulator/certificate-fingerprints).
FINGERPRINT_ALGORITHMS = ("sha1", "sha256", "sha1-of-pem")
DEFAULT_FINGERPRINT_ALGORITHM = "sha1"


@dataclass
class CertificateFacts:
    fingerprint: str  # SHA-1 of the DER, lower-case hex with colons, as the service reports it
    common_name: str
    subject_alternative_names: list
    not_before_ms: int
    not_after_ms: int
    not_after_iso: str
    leaf_der: bytes = b""
    key_algorithm: str = ""  # of the leaf's public key: "RSA", "EC" or the key class's name

    @property
    def is_ecdsa(self) -> bool:
        return self.key_algorithm == "EC"

    def fingerprint_by(self, algorithm: str) -> str:
        """The leaf's fingerprint as the emulator reports it under `algorithm`."""
        if algorithm == "sha256":
            return _colon_hex(hashlib.sha256(self.leaf_der).digest())
        if algorithm == "sha1-of-pem":
            pem = x509.load_der_x509_certificate(self.leaf_der).public_bytes(serialization.Encoding.PEM)
            return _colon_hex(hashlib.sha1(pem).digest())  # noqa: S324 - an identifier, as SLB's is
        return self.fingerprint


def _colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def _certificate_blocks(pem: str) -> list[str]:
    return _CERT_BLOCK.findall(pem or "")


def _facts(cert: x509.Certificate) -> CertificateFacts:
    der = cert.public_bytes(serialization.Encoding.DER)
    digest = hashes.Hash(hashes.SHA1())
    digest.update(der)
    fingerprint = ":".join(f"{b:02x}" for b in digest.finalize())
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(names[0].value) if names else ""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = [str(v) for v in san.get_values_for_type(x509.DNSName)]
        sans += [str(v) for v in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        sans = []
    not_after = cert.not_valid_after_utc.astimezone(timezone.utc)
    not_before = cert.not_valid_before_utc.astimezone(timezone.utc)
    return CertificateFacts(fingerprint, common_name, sans, int(not_before.timestamp() * 1000),
                            int(not_after.timestamp() * 1000), not_after.strftime("%Y-%m-%dT%H:%M:%SZ"), der,
                            _key_algorithm(cert.public_key()))


def _key_algorithm(public_key) -> str:
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "EC"
    return type(public_key).__name__


def parse_uploaded_chain(pem: str, parameter: str) -> tuple[list[x509.Certificate], CertificateFacts]:
    """A certificate parameter of an upload: PEM certificate blocks and nothing else (the docs: "PEM
    only", a chain is the certificates one after the other "with no blank lines"), each with a key the
    service takes. Text around or between the blocks (`Bag Attributes` lines of a PKCS#12 export, a
    private key pasted in) is refused: the documented format has none, and what the real service does
    with it is unknown, so the stricter reading applies (emulator/README.md, the stricter list)."""
    blocks = _certificate_blocks(pem)
    if not blocks:
        raise invalid(f"The specified parameter {parameter} format is error.")
    try:
        certs = [x509.load_pem_x509_certificate(block.encode()) for block in blocks]
    except ValueError:
        raise invalid(f"The specified parameter {parameter} format is error.") from None
    if _CERT_BLOCK.sub("", pem.strip()).strip():
        raise invalid(f"The specified parameter {parameter} format is error: it may hold only PEM certificate "
                      "blocks, one after the other, with nothing before, between or after them.")
    for position, cert in enumerate(certs, start=1):
        check_public_key(cert.public_key(), f"{parameter} (certificate {position} of {len(certs)})")
    return certs, _facts(certs[0])


def check_public_key(public_key, parameter: str) -> None:
    """The documented key algorithms (CLB "Certificate requirements"): RSA 1024/2048/4096 bits, ECDSA
    P-256/384/521. Documented for the keys of uploaded certificates; applied to every certificate of an
    upload, CA certificates and intermediates included, as the stricter reading."""
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size not in RSA_KEY_SIZES:
            raise invalid(f"The specified parameter {parameter} is not valid: RSA keys must be 1024, 2048 or "
                          f"4096 bits, not {public_key.key_size}.")
        return
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if public_key.curve.name not in EC_CURVES:
            raise invalid(f"The specified parameter {parameter} is not valid: ECDSA keys must use P-256, P-384 "
                          f"or P-521, not {public_key.curve.name}.")
        return
    raise invalid(f"The specified parameter {parameter} is not valid: only RSA and ECDSA keys are supported, "
                  f"not {_key_algorithm(public_key)}.")


def check_private_key(key_pem: str):
    """The key as the service accepts it: PKCS#1 RSA or SEC1 EC, unencrypted."""
    text = (key_pem or "").strip()
    if "ENCRYPTED" in text:
        raise ApiError("PrivateKeyEncryption")
    if text.startswith("-----BEGIN RSA PRIVATE KEY-----"):
        expected = rsa.RSAPrivateKey
    elif text.startswith("-----BEGIN EC PRIVATE KEY-----"):
        expected = ec.EllipticCurvePrivateKey
    else:
        # PKCS#8 ("BEGIN PRIVATE KEY") is refused: the service wants the traditional format.
        raise invalid("The specified parameter key format is error.")
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError):
        raise invalid("The specified parameter key format is error.") from None
    if not isinstance(key, expected):
        raise invalid("The specified parameter key format is error.")
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size not in RSA_KEY_SIZES:
        raise invalid(f"The specified parameter key format is error: RSA keys must be 1024, 2048 or 4096 "
                      f"bits, not {key.key_size}.")
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name not in EC_CURVES:
        raise invalid("The specified parameter key format is error: ECDSA keys must use P-256, P-384 or P-521.")
    return key


def check_server_certificate(cert_pem: str, key_pem: str) -> CertificateFacts:
    if not (cert_pem or "").strip() or not (key_pem or "").strip():
        raise invalid("The specified parameter ServerCertificate or Key is empty.")
    if re.search(r"-----END CERTIFICATE-----\s*\n\s*\n\s*-----BEGIN", cert_pem):
        raise invalid("The specified parameter ServerCertificate format is error.")
    certs, facts = parse_uploaded_chain(cert_pem, "ServerCertificate")
    key = check_private_key(key_pem)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if (certs[0].public_key().public_bytes(serialization.Encoding.DER, public)
            != key.public_key().public_bytes(serialization.Encoding.DER, public)):
        raise ApiError("CertificateNotMatchPrivateKey")
    return facts


def check_ca_certificate(cert_pem: str) -> CertificateFacts:
    if not (cert_pem or "").strip():
        raise invalid("The specified parameter CACertificate is empty.")
    _certs, facts = parse_uploaded_chain(cert_pem, "CACertificate")
    return facts
