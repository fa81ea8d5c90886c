"""Test certificates made with `cryptography` (RSA 2048 for speed): a CA, a leaf it signs, keys
in every form SLB users meet (PKCS#1, PKCS#8, encrypted), and expired certificates."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

UTC = datetime.timezone.utc


@lru_cache(maxsize=8)
def rsa_key(slot: int = 0):
    """RSA 2048 keys, cached per slot: generation is the slow part of these tests."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_certificate(cn: str, key, issuer_cn: str | None = None, issuer_key=None, *, ca: bool = False,
                     days: int = 365, not_before_days: int = -1, sans=()) -> x509.Certificate:
    now = datetime.datetime.now(UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(cn))
               .issuer_name(_name(issuer_cn or cn))
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=not_before_days))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]),
                                        critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key, fmt: str = "pkcs1", passphrase: str | None = None) -> str:
    private_format = {"pkcs1": serialization.PrivateFormat.TraditionalOpenSSL,
                      "pkcs8": serialization.PrivateFormat.PKCS8}[fmt]
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, private_format, encryption).decode()


def damaged_rsa_key_pem(key) -> str:
    """`key` with its private exponent off by two: the public part (and so the match with its
    certificate) is intact, OpenSSL's RSA key check is not."""
    numbers = key.private_numbers()
    damaged = rsa.RSAPrivateNumbers(p=numbers.p, q=numbers.q, d=numbers.d + 2, dmp1=numbers.dmp1,
                                    dmq1=numbers.dmq1, iqmp=numbers.iqmp, public_numbers=numbers.public_numbers)
    return key_pem(damaged.private_key(unsafe_skip_rsa_key_validation=True))


def fingerprint(cert: x509.Certificate) -> str:
    return ":".join(f"{b:02x}" for b in cert.fingerprint(hashes.SHA1()))


@dataclass
class Pki:
    ca_key: object
    ca_cert: x509.Certificate
    server_key: object
    server_cert: x509.Certificate
    other_key: object

    @property
    def ca_pem(self) -> str:
        return pem(self.ca_cert)

    @property
    def server_pem(self) -> str:
        return pem(self.server_cert)

    @property
    def chain_pem(self) -> str:
        return pem(self.server_cert) + pem(self.ca_cert)


def make_pki(cn: str = "www.example.test", ca_cn: str = "Test Root CA", days: int = 365) -> Pki:
    ca_key, server_key, other_key = rsa_key(0), rsa_key(1), rsa_key(2)
    ca_cert = make_certificate(ca_cn, ca_key, ca=True, days=3650)
    server_cert = make_certificate(cn, server_key, issuer_cn=ca_cn, issuer_key=ca_key, days=days,
                                   sans=(cn,))
    return Pki(ca_key, ca_cert, server_key, server_cert, other_key)
