# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PKCS#12 files: writing them in the two encryptions we offer, and reading them back.

Reading is done here rather than with cryptography's load_pkcs12() because that call always runs
OpenSSL's RSA key validation (about a quarter of a second per 4096-bit key), which would make an
unchanged run over 100 clients take half a minute. This reader verifies the MAC (so a wrong
password is detected), decrypts the bags with the algorithms our writer uses, and loads the key
without the validation. Anything it does not understand counts as "cannot be read", which makes
the caller write a fresh file: the safe direction.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import hmac
from collections import namedtuple

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.serialization import pkcs12
except ImportError:  # reported by the modules through errors.CRYPTOGRAPHY_IMPORT_ERROR
    pass

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # cryptography < 43 keeps it in the main namespace (or is missing altogether)
    TripleDES = None

ENCRYPTIONS = ("modern", "legacy")

OID_DATA = "1.2.840.113549.1.7.1"
OID_ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
OID_KEY_BAG = "1.2.840.113549.1.12.10.1.1"
OID_SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2"
OID_CERT_BAG = "1.2.840.113549.1.12.10.1.3"
OID_X509_CERT = "1.2.840.113549.1.9.22.1"
OID_FRIENDLY_NAME = "1.2.840.113549.1.9.20"
OID_LOCAL_KEY_ID = "1.2.840.113549.1.9.21"
OID_PBES2 = "1.2.840.113549.1.5.13"
OID_PBKDF2 = "1.2.840.113549.1.5.12"
OID_PBE_SHA1_3DES = "1.2.840.113549.1.12.1.3"
OID_AES256_CBC = "2.16.840.1.101.3.4.1.42"
HMAC_PRF = {"1.2.840.113549.2.7": "sha1", "1.2.840.113549.2.9": "sha256",
            "1.2.840.113549.2.10": "sha384", "1.2.840.113549.2.11": "sha512"}
DIGEST_OIDS = {"1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.1": "sha256",
               "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512"}


class Pkcs12ReadError(Exception):
    """The file cannot be used as it is; `wrong_password` tells the two cases apart."""

    def __init__(self, message, wrong_password=False):
        super(Pkcs12ReadError, self).__init__(message)
        self.wrong_password = wrong_password


ParsedPkcs12 = namedtuple("ParsedPkcs12", ["key", "certificate", "friendly_name", "encryption"])
# What can be known without decrypting a bag: the key bag's attributes (friendlyName, and
# localKeyID, which writers set to the SHA-1 of the certificate) and the algorithms used.
Pkcs12Outline = namedtuple("Pkcs12Outline", ["friendly_name", "local_key_id", "encryption"])


def _encryption(kind, password):
    builder = serialization.PrivateFormat.PKCS12.encryption_builder()
    if kind == "legacy":
        # What older Windows and Java 8 before 8u301 can import; 2048 rounds is what
        # `openssl pkcs12 -export -legacy` uses.
        builder = (builder.key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
                   .hmac_hash(hashes.SHA1()).kdf_rounds(2048))
    else:
        builder = (builder.key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
                   .hmac_hash(hashes.SHA256()).kdf_rounds(20000))
    return builder.build(password.encode("utf-8"))


def pkcs12_bytes(friendly_name, key, cert, password, encryption):
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode("utf-8"), key, cert, None, _encryption(encryption, password))


# --- a minimal DER reader: just enough for the PFX structure (RFC 7292) -------------------------

def _tlv(data, offset):
    if offset + 2 > len(data):
        raise Pkcs12ReadError("truncated DER")
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise Pkcs12ReadError("unsupported DER length")
        length = int.from_bytes(data[offset:offset + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise Pkcs12ReadError("truncated DER")
    return tag, data[offset:end], end


def _children(data):
    items = []
    offset = 0
    while offset < len(data):
        tag, value, offset = _tlv(data, offset)
        items.append((tag, value))
    return items


def _expect(item, tag):
    if item[0] != tag:
        raise Pkcs12ReadError("unexpected DER tag 0x%02x (want 0x%02x)" % (item[0], tag))
    return item[1]


def _oid(value):
    first = value[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    number = 0
    for byte in value[1:]:
        number = (number << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(number)
            number = 0
    return ".".join(str(p) for p in parts)


def _integer(value):
    return int.from_bytes(value, "big")


def _explicit_0(value):
    """Content of an [0] EXPLICIT wrapper (the wrapper's own bytes are `value`)."""
    return _tlv(value, 0)


# --- key derivation -----------------------------------------------------------------------------

def _bmp_password(password):
    return password.encode("utf-16-be") + b"\x00\x00"


def pkcs12_kdf(hash_name, password, salt, purpose, iterations, length):
    """RFC 7292 appendix B.2. `purpose`: 1 key, 2 IV, 3 MAC key."""
    new_hash = getattr(hashlib, hash_name)
    block = new_hash().block_size
    diversifier = bytes([purpose]) * block

    def stretch(data):
        if not data:
            return b""
        count = -(-len(data) // block) * block
        return (data * (count // len(data) + 1))[:count]

    state = bytearray(stretch(salt) + stretch(_bmp_password(password)))
    output = b""
    while True:
        digest = new_hash(diversifier + bytes(state)).digest()
        for _round in range(iterations - 1):
            digest = new_hash(digest).digest()
        output += digest
        if len(output) >= length:
            return output[:length]
        addend = int.from_bytes((digest * (block // len(digest) + 1))[:block], "big") + 1
        for start in range(0, len(state), block):
            chunk = int.from_bytes(bytes(state[start:start + block]), "big")
            state[start:start + block] = ((chunk + addend) % (1 << (8 * block))).to_bytes(block, "big")


def _decrypt(algorithm_der, ciphertext, password):
    """Decrypt with a PBES2-AES-256-CBC or pbeWithSHAAnd3-KeyTripleDES-CBC AlgorithmIdentifier.

    Returns (plaintext, encryption kind)."""
    fields = _children(algorithm_der)
    oid = _oid(_expect(fields[0], 0x06))
    if oid == OID_PBE_SHA1_3DES:
        params = _children(_expect(fields[1], 0x30))
        salt = _expect(params[0], 0x04)
        iterations = _integer(_expect(params[1], 0x02))
        key = pkcs12_kdf("sha1", password, salt, 1, iterations, 24)
        iv = pkcs12_kdf("sha1", password, salt, 2, iterations, 8)
        cipher = Cipher((TripleDES or algorithms.TripleDES)(key), modes.CBC(iv))
        block_size = 8
        kind = "legacy"
    elif oid == OID_PBES2:
        params = _children(_expect(fields[1], 0x30))
        kdf = _children(_expect(params[0], 0x30))
        if _oid(_expect(kdf[0], 0x06)) != OID_PBKDF2:
            raise Pkcs12ReadError("unsupported PBES2 key derivation")
        kdf_params = _children(_expect(kdf[1], 0x30))
        salt = _expect(kdf_params[0], 0x04)
        iterations = _integer(_expect(kdf_params[1], 0x02))
        prf = "sha1"
        for item in kdf_params[2:]:
            if item[0] == 0x30:
                prf = HMAC_PRF.get(_oid(_expect(_children(item[1])[0], 0x06)))
        scheme = _children(_expect(params[1], 0x30))
        if prf is None or _oid(_expect(scheme[0], 0x06)) != OID_AES256_CBC:
            raise Pkcs12ReadError("unsupported PBES2 cipher")
        iv = _expect(scheme[1], 0x04)
        key = hashlib.pbkdf2_hmac(prf, password.encode("utf-8"), salt, iterations, 32)
        cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
        block_size = 16
        kind = "modern"
    else:
        raise Pkcs12ReadError("unsupported encryption %s" % oid)
    decryptor = cipher.decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    pad = padded[-1] if padded else 0
    if not 1 <= pad <= block_size or padded[-pad:] != bytes([pad]) * pad:
        raise Pkcs12ReadError("decryption failed", wrong_password=True)
    return padded[:-pad], kind


def _verify_mac(mac_data, auth_safe_content, password):
    fields = _children(mac_data)
    digest_info = _children(_expect(fields[0], 0x30))
    algorithm = _children(_expect(digest_info[0], 0x30))
    hash_name = DIGEST_OIDS.get(_oid(_expect(algorithm[0], 0x06)))
    if hash_name is None:
        raise Pkcs12ReadError("unsupported MAC digest")
    expected = _expect(digest_info[1], 0x04)
    salt = _expect(fields[1], 0x04)
    iterations = _integer(_expect(fields[2], 0x02)) if len(fields) > 2 else 1
    mac_key = pkcs12_kdf(hash_name, password, salt, 3, iterations, hashlib.new(hash_name).digest_size)
    actual = hmac.new(mac_key, auth_safe_content, hash_name).digest()
    if not hmac.compare_digest(actual, expected):
        raise Pkcs12ReadError("MAC does not verify: the password differs", wrong_password=True)
    return hash_name


def _bag_attributes(attributes_value):
    found = {}
    for _tag, attribute in _children(attributes_value):
        parts = _children(attribute)
        oid = _oid(_expect(parts[0], 0x06))
        values = _children(_expect(parts[1], 0x31))
        if oid == OID_FRIENDLY_NAME:
            found["friendly_name"] = _expect(values[0], 0x1E).decode("utf-16-be")
        elif oid == OID_LOCAL_KEY_ID:
            found["local_key_id"] = _expect(values[0], 0x04)
    return found


def _algorithm_kind(algorithm_der):
    """'modern', 'legacy' or None, from an AlgorithmIdentifier, without deriving any key."""
    fields = _children(algorithm_der)
    oid = _oid(_expect(fields[0], 0x06))
    if oid == OID_PBE_SHA1_3DES:
        return "legacy"
    if oid == OID_PBES2:
        params = _children(_expect(fields[1], 0x30))
        kdf = _children(_expect(params[0], 0x30))
        scheme = _children(_expect(params[1], 0x30))
        if _oid(_expect(kdf[0], 0x06)) == OID_PBKDF2 and _oid(_expect(scheme[0], 0x06)) == OID_AES256_CBC:
            return "modern"
    return None


def read_pkcs12(data, password):
    """Parse a PFX written by pkcs12_bytes(), decrypting every bag; raises Pkcs12ReadError."""
    return _guarded(_read_pkcs12, data, password, True)


def outline_pkcs12(data, password):
    """Pkcs12Outline of a PFX: the MAC is verified (so the password is right and nothing was
    altered since it was written) but no bag is decrypted, which is what makes it cheap: each
    decryption costs a PBKDF2 run. Raises Pkcs12ReadError."""
    return _guarded(_read_pkcs12, data, password, False)


def _guarded(function, *args):
    try:
        return function(*args)
    except Pkcs12ReadError:
        raise
    except Exception as exc:  # malformed input can fail in many small ways
        raise Pkcs12ReadError("malformed PKCS#12 (%s)" % type(exc).__name__)


def _read_pkcs12(data, password, decrypt):
    _tag, pfx, _end = _tlv(data, 0)
    pfx_fields = _children(pfx)
    auth_safe = _children(_expect(pfx_fields[1], 0x30))
    if _oid(_expect(auth_safe[0], 0x06)) != OID_DATA:
        raise Pkcs12ReadError("public-key integrity mode is not supported")
    auth_safe_content = _expect(_explicit_0(_expect(auth_safe[1], 0xA0)), 0x04)
    if len(pfx_fields) < 3:
        raise Pkcs12ReadError("no MAC: password integrity is required")
    mac_hash = _verify_mac(_expect(pfx_fields[2], 0x30), auth_safe_content, password)

    kinds = set()
    bags = []
    for _tag, content_info in _children(_expect(_tlv(auth_safe_content, 0)[:2], 0x30)):
        parts = _children(content_info)
        content_type = _oid(_expect(parts[0], 0x06))
        inner = _explicit_0(_expect(parts[1], 0xA0))
        if content_type == OID_DATA:
            safe_contents = _expect(inner, 0x04)
        elif content_type == OID_ENCRYPTED_DATA:
            encrypted_data = _children(_expect(inner, 0x30))
            eci = _children(_expect(encrypted_data[1], 0x30))
            if not decrypt:
                kinds.add(_algorithm_kind(_expect(eci[1], 0x30)))
                continue
            safe_contents, kind = _decrypt(_expect(eci[1], 0x30), _expect(eci[2], 0x80), password)
            kinds.add(kind)
        else:
            raise Pkcs12ReadError("unsupported content type %s" % content_type)
        bags.extend(_children(_expect(_tlv(safe_contents, 0)[:2], 0x30)))

    key = cert = friendly_name = None
    key_attributes = {}
    for _tag, bag in bags:
        parts = _children(bag)
        bag_id = _oid(_expect(parts[0], 0x06))
        value = _explicit_0(_expect(parts[1], 0xA0))
        if bag_id == OID_SHROUDED_KEY_BAG:
            epki = _children(_expect(value, 0x30))
            if len(parts) > 2:
                key_attributes = _bag_attributes(_expect(parts[2], 0x31))
            if not decrypt:
                kinds.add(_algorithm_kind(_expect(epki[0], 0x30)))
                continue
            key_der, kind = _decrypt(_expect(epki[0], 0x30), _expect(epki[1], 0x04), password)
            kinds.add(kind)
            key = serialization.load_der_private_key(key_der, None, unsafe_skip_rsa_key_validation=True)
        elif bag_id == OID_KEY_BAG:
            raise Pkcs12ReadError("unencrypted key bag")
        elif bag_id == OID_CERT_BAG:
            cert_parts = _children(_expect(value, 0x30))
            if _oid(_expect(cert_parts[0], 0x06)) != OID_X509_CERT:
                raise Pkcs12ReadError("unsupported certificate bag")
            cert_der = _expect(_explicit_0(_expect(cert_parts[1], 0xA0)), 0x04)
            if cert is not None:
                raise Pkcs12ReadError("more than one certificate")
            cert = x509.load_der_x509_certificate(cert_der)
            if len(parts) > 2:
                friendly_name = _bag_attributes(_expect(parts[2], 0x31)).get("friendly_name")
    expected_mac = "sha256" if kinds == {"modern"} else "sha1" if kinds == {"legacy"} else None
    encryption = None
    if expected_mac == mac_hash:
        encryption = "modern" if kinds == {"modern"} else "legacy"
    if not decrypt:
        return Pkcs12Outline(key_attributes.get("friendly_name"), key_attributes.get("local_key_id"), encryption)
    if key is None or cert is None:
        raise Pkcs12ReadError("key or certificate missing")
    return ParsedPkcs12(key, cert, friendly_name, encryption)
