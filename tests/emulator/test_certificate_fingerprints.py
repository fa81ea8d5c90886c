"""The certificate-fingerprint hook: the emulator can report `Fingerprint` in another form than the
documented SHA-1 of the leaf's DER, so clients can be tested against a service that differs."""
from __future__ import annotations

import hashlib
import json
import urllib.error

import pytest
from alibabacloud_slb20140515 import models as m
from cryptography.hazmat.primitives import serialization

from tests.emulator import throwaway_pki as pki
from tests.emulator.conftest import REGION

HOOK = "/_emulator/certificate-fingerprints"


def hook(emulator, method, payload=None):
    return emulator._hook(method, HOOK, payload)


def colon_hex(digest):
    return ":".join("{0:02x}".format(b) for b in digest)


def upload(client, material, name):
    return client.upload_server_certificate(m.UploadServerCertificateRequest(
        region_id=REGION, server_certificate=material.cert_pem, private_key=material.key_pem,
        server_certificate_name=name)).body


def listed_fingerprints(client):
    body = client.describe_server_certificates(m.DescribeServerCertificatesRequest(region_id=REGION)).body
    return {c.server_certificate_name: c.fingerprint for c in body.server_certificates.server_certificate}


def test_default_is_sha1_of_the_leaf_der(fresh_emulator, tls_material):
    assert hook(fresh_emulator, "GET") == {"algorithm": "sha1"}
    server = tls_material["server"]
    assert upload(fresh_emulator.sdk_client(), server, "www").fingerprint == pki.sha1_colon_fingerprint(server.cert)


def test_sha256_applies_to_later_uploads_and_reset_restores_sha1(fresh_emulator, tls_material):
    client = fresh_emulator.sdk_client()
    server = tls_material["server"]
    upload(client, server, "before")
    assert hook(fresh_emulator, "POST", {"algorithm": "sha256"}) == {"algorithm": "sha256"}
    der = server.cert.public_bytes(serialization.Encoding.DER)
    reply = upload(client, server, "after")
    assert reply.fingerprint == colon_hex(hashlib.sha256(der).digest())
    ca_reply = client.upload_cacertificate(m.UploadCACertificateRequest(
        region_id=REGION, cacertificate=tls_material["client_ca"].cert_pem)).body
    ca_der = tls_material["client_ca"].cert.public_bytes(serialization.Encoding.DER)
    assert ca_reply.fingerprint == colon_hex(hashlib.sha256(ca_der).digest())
    # Stored records keep the fingerprint they were given.
    assert listed_fingerprints(client) == {"before": pki.sha1_colon_fingerprint(server.cert),
                                           "after": reply.fingerprint}
    fresh_emulator.reset()
    assert hook(fresh_emulator, "GET") == {"algorithm": "sha1"}


def test_sha1_of_pem_is_forty_digits_but_not_the_der_sha1(fresh_emulator, tls_material):
    server = tls_material["server"]
    hook(fresh_emulator, "POST", {"algorithm": "sha1-of-pem"})
    reply = upload(fresh_emulator.sdk_client(), server, "www")
    pem = server.cert.public_bytes(serialization.Encoding.PEM)
    assert reply.fingerprint == colon_hex(hashlib.sha1(pem).digest())
    assert reply.fingerprint != pki.sha1_colon_fingerprint(server.cert)


@pytest.mark.parametrize("payload", [{"algorithm": "md5"}, {}, {"algorithm": ""}])
def test_unknown_algorithm_is_refused_and_changes_nothing(fresh_emulator, payload):
    with pytest.raises(urllib.error.HTTPError) as refused:
        hook(fresh_emulator, "POST", payload)
    assert refused.value.code == 400 and "sha256" in json.loads(refused.value.read())["error"]
    assert hook(fresh_emulator, "GET") == {"algorithm": "sha1"}
