"""Certificates for the bad-input, secrets and security tests, made with `cryptography`.

RSA 2048 keeps them fast. Every helper writes PEM files the way a user would hand them to the
modules (PKCS#1 or PKCS#8, optionally encrypted), so the tests exercise the real file parsing.
"""
from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = datetime.timezone.utc


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def certificate(common_name: str, key, *, issuer: x509.Certificate | None = None, issuer_key=None,
                ca: bool = False, days: int = 365, not_before_days: int = -1, dns_names=(),
                client: bool = False, subject: x509.Name | None = None) -> x509.Certificate:
    """A certificate for `key`; self-signed unless `issuer`/`issuer_key` are given.

    `days` may be negative together with a more negative `not_before_days` for an expired one.
    `subject` replaces the subject built from `common_name` (e.g. to copy another CA's name).
    """
    now = datetime.datetime.now(UTC)
    subject = subject if subject is not None else name(common_name)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.subject if issuer is not None else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=not_before_days))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(dns) for dns in dns_names]), critical=False)
    if client:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(issuer_key if issuer_key is not None else key, hashes.SHA256())


def certificate_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key, *, pkcs8: bool = False, passphrase: str | None = None) -> str:
    private_format = (serialization.PrivateFormat.PKCS8 if pkcs8
                      else serialization.PrivateFormat.TraditionalOpenSSL)
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, private_format, encryption).decode()


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def write_pair(directory: Path, stem: str, cert: x509.Certificate, key, **key_options) -> tuple[Path, Path]:
    """`<stem>.crt` and `<stem>.key` in `directory`; returns (certificate path, key path)."""
    return (write(directory / f"{stem}.crt", certificate_pem(cert), 0o644),
            write(directory / f"{stem}.key", key_pem(key, **key_options)))
