"""What the certificate uploads take, beyond a readable PEM: only certificate blocks (nothing before,
between or after them) and, in every certificate of the upload, a key of the documented algorithms (RSA
1024/2048/4096, ECDSA P-256/384/521) - CA certificates and intermediates included, the stricter reading
of CLB's "Certificate requirements" (emulator/README.md). A name sent empty is refused (1-80 characters).
Each refusal is InvalidParameter naming the parameter, echoes no PEM and stores nothing. In-process, like
test_backend_rules."""
from __future__ import annotations

import pytest
from clb_emulator.errors import ApiError
from clb_emulator.signing import Account
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519

from tests.emulator import throwaway_pki as pki
from tests.emulator.conftest import in_process_backend

ACCOUNT = Account("1234567890123456", "AKtest", "secret")
REGION = "cn-hangzhou"


@pytest.fixture
def backend(tmp_path):
    return in_process_backend(tmp_path)


@pytest.fixture(scope="module")
def odd_cas():
    """Self-signed CA certificates whose keys the documented list does not have, and some it has."""
    return {
        "RSA 3072": pki.make_ca("rsa-3072-root", key=pki.new_rsa_key(3072)),
        "Ed25519": pki.make_ca("ed25519-root", key=ed25519.Ed25519PrivateKey.generate()),
        "DSA": pki.make_ca("dsa-root", key=dsa.generate_private_key(2048)),
        "EC P-224": pki.make_ca("p224-root", key=ec.generate_private_key(ec.SECP224R1())),
        "RSA 4096": pki.make_ca("rsa-4096-root", key=pki.new_rsa_key(4096)),
        "EC P-384": pki.make_ca("p384-root", key=ec.generate_private_key(ec.SECP384R1())),
    }


def upload_ca(backend, pem, **params):
    return backend.action_UploadCACertificate({"RegionId": REGION, "CACertificate": pem, **params}, ACCOUNT)


def upload_server(backend, cert_pem, key_pem, **params):
    return backend.action_UploadServerCertificate(
        {"RegionId": REGION, "ServerCertificate": cert_pem, "PrivateKey": key_pem, **params}, ACCOUNT)


def stored(backend):
    listed = {}
    for action, outer, inner in (("action_DescribeServerCertificates", "ServerCertificates", "ServerCertificate"),
                                 ("action_DescribeCACertificates", "CACertificates", "CACertificate")):
        listed[inner] = getattr(backend, action)({"RegionId": REGION}, ACCOUNT)[outer][inner]
    return listed


def refused(call) -> ApiError:
    with pytest.raises(ApiError) as info:
        call()
    error = info.value
    assert (error.code, error.status) == ("InvalidParameter", 400)
    assert "BEGIN" not in error.message and "PRIVATE" not in error.message
    return error


@pytest.mark.parametrize("kind, expected", [
    ("RSA 3072", "RSA keys must be 1024, 2048 or 4096 bits, not 3072"),
    ("Ed25519", "only RSA and ECDSA keys are supported"),
    ("DSA", "only RSA and ECDSA keys are supported"),
    ("EC P-224", "ECDSA keys must use P-256, P-384 or P-521, not secp224r1"),
])
def test_a_ca_certificate_with_a_key_outside_the_documented_list_is_refused(backend, odd_cas, kind, expected):
    error = refused(lambda: upload_ca(backend, odd_cas[kind].cert_pem))
    assert "CACertificate" in error.message and expected in error.message
    assert stored(backend)["CACertificate"] == []


@pytest.mark.parametrize("kind", ["RSA 4096", "EC P-384"])
def test_a_ca_certificate_with_a_documented_key_is_taken(backend, odd_cas, kind):
    uploaded = upload_ca(backend, odd_cas[kind].cert_pem)
    assert [c["CACertificateId"] for c in stored(backend)["CACertificate"]] == [uploaded["CACertificateId"]]


def test_an_intermediate_with_a_key_outside_the_list_is_refused(backend, odd_cas):
    intermediate = odd_cas["RSA 3072"]
    leaf = pki.issue(intermediate, "www.example.test", server=True, dns_names=["www.example.test"])
    error = refused(lambda: upload_server(backend, leaf.cert_pem + intermediate.cert_pem, leaf.key_pem))
    assert "ServerCertificate (certificate 2 of 2)" in error.message and "not 3072" in error.message
    assert stored(backend)["ServerCertificate"] == []


@pytest.fixture(scope="module")
def server():
    ca = pki.make_ca("server-root")
    return pki.issue(ca, "www.example.test", server=True, dns_names=["www.example.test"])


@pytest.mark.parametrize("shape", ["bag attributes before", "private key after", "text between"])
def test_a_server_certificate_with_anything_but_certificate_blocks_is_refused(backend, server, shape):
    cert = server.cert_pem
    if shape == "bag attributes before":
        cert = "Bag Attributes\n    friendlyName: www.example.test\nsubject=/CN=www.example.test\n" + cert
    elif shape == "private key after":
        cert = cert + server.key_pem
    else:
        cert = cert + "intermediate:\n" + cert
    error = refused(lambda: upload_server(backend, cert, server.key_pem))
    assert "ServerCertificate format is error: it may hold only PEM certificate blocks" in error.message
    assert stored(backend)["ServerCertificate"] == []


def test_a_ca_certificate_with_text_after_it_is_refused_and_trailing_whitespace_is_not(backend, odd_cas):
    pem = odd_cas["RSA 4096"].cert_pem
    error = refused(lambda: upload_ca(backend, pem + "# the client root\n"))
    assert "CACertificate format is error" in error.message
    assert stored(backend)["CACertificate"] == []
    upload_ca(backend, "\n" + pem + "\n\n")
    assert len(stored(backend)["CACertificate"]) == 1


@pytest.mark.parametrize("upload, parameter", [("server", "ServerCertificateName"), ("ca", "CACertificateName")])
def test_a_name_sent_empty_is_refused(backend, server, odd_cas, upload, parameter):
    if upload == "server":
        error = refused(lambda: upload_server(backend, server.cert_pem, server.key_pem, ServerCertificateName=""))
    else:
        error = refused(lambda: upload_ca(backend, odd_cas["RSA 4096"].cert_pem, CACertificateName=""))
    assert parameter in error.message and "1-80 characters" in error.message
    assert stored(backend) == {"ServerCertificate": [], "CACertificate": []}
