# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private keys: what was asked for (KeySpec), generating, loading, serializing, describing."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections import namedtuple

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
except ImportError:  # reported by the modules through errors.CRYPTOGRAPHY_IMPORT_ERROR
    pass

from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError

RSA_KEY_SIZES = (2048, 3072, 4096)
# Option value -> name of the curve class in cryptography.hazmat.primitives.asymmetric.ec
CURVES = {
    "secp256r1": "SECP256R1",
    "secp384r1": "SECP384R1",
}
KEY_TYPES = ("rsa", "ecdsa")


class KeySpec(namedtuple("KeySpec", ["key_type", "key_size", "curve"])):
    """The requested algorithm. Plain data, so it can be sent to worker processes."""

    __slots__ = ()

    @classmethod
    def from_params(cls, key_type, key_size, curve, option_prefix=""):
        if key_type not in KEY_TYPES:
            raise PkiError("%skey_type: unknown key type %r; use one of %s"
                           % (option_prefix, key_type, ", ".join(KEY_TYPES)))
        if key_type == "rsa":
            if key_size not in RSA_KEY_SIZES:
                raise PkiError("%skey_size: %r is not supported for RSA; use one of %s"
                               % (option_prefix, key_size, ", ".join(str(s) for s in RSA_KEY_SIZES)))
            return cls("rsa", int(key_size), None)
        if curve not in CURVES:
            raise PkiError("%scurve: unknown curve %r; use one of %s"
                           % (option_prefix, curve, ", ".join(sorted(CURVES))))
        return cls("ecdsa", None, curve)

    def describe(self):
        return "RSA %d" % self.key_size if self.key_type == "rsa" else "ECDSA %s" % self.curve


def generate_private_key(spec):
    if spec.key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=spec.key_size)
    return ec.generate_private_key(getattr(ec, CURVES[spec.curve])())


def spec_of_key(key):
    """The KeySpec a private or public key satisfies, or None for algorithms we do not make."""
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return KeySpec("rsa", key.key_size, None)
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return KeySpec("ecdsa", None, key.curve.name)
    return None


def describe_key(key):
    spec = spec_of_key(key)
    return spec.describe() if spec else type(key).__name__


def is_encrypted_pem(data):
    return b"ENCRYPTED PRIVATE KEY" in data or b"Proc-Type: 4,ENCRYPTED" in data


class KeyLoadError(PkiError):
    """The key file exists but cannot be used; `kind` says why (bad_data, needs_passphrase,
    wrong_passphrase, not_encrypted)."""

    def __init__(self, message, kind):
        super(KeyLoadError, self).__init__(message)
        self.kind = kind


def load_private_key(data, passphrase, path, option="private_key_passphrase"):
    """Parse PEM key bytes.

    RSA key validation is skipped: OpenSSL's check costs ~250 ms per 4096-bit key, which would
    dominate an unchanged run over many clients. Every key we go on to use for signing is
    cross-checked against its certificate, and fresh signatures are verified, so a damaged key
    is still caught.
    """
    encrypted = is_encrypted_pem(data)
    if encrypted and not passphrase:
        raise KeyLoadError("%s is encrypted; set %s to its passphrase" % (path, option), "needs_passphrase")
    password = passphrase.encode("utf-8") if (passphrase and encrypted) else None
    try:
        key = serialization.load_pem_private_key(data, password=password,
                                                 unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError):
        if encrypted:
            raise KeyLoadError("%s could not be decrypted: %s is wrong" % (path, option), "wrong_passphrase")
        raise KeyLoadError("%s is not a PEM private key this module can read" % path, "bad_data")
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm and friends
        raise KeyLoadError("%s could not be loaded (%s)" % (path, type(exc).__name__), "bad_data")
    if passphrase and not encrypted:
        raise KeyLoadError("%s is not encrypted although %s is set" % (path, option), "not_encrypted")
    return key


def private_key_pem(key, passphrase=None):
    encryption = (serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
                  if passphrase else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def public_key_der(key_or_public_key):
    public = key_or_public_key.public_key() if hasattr(key_or_public_key, "public_key") else key_or_public_key
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def same_public_key(a, b):
    return public_key_der(a) == public_key_der(b)
