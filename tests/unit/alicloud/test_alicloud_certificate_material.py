"""Local checks that run before any SLB call: PEM parsing, key match, expiry, chain order, key form."""
from __future__ import annotations

import datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ansible_collections.mtls.clb.plugins.module_utils.alicloud import certificate_material as cm
from tests.unit.alicloud.certgen import damaged_rsa_key_pem, fingerprint, key_pem, make_certificate, make_pki, pem, rsa_key


@pytest.fixture(scope="module")
def pki():
    return make_pki()


def test_valid_chain_and_pkcs1_key_pass_and_fingerprint_matches_openssl_form(pki):
    material = cm.validate_server_certificate(pki.chain_pem, key_pem(pki.server_key), None)
    assert material.fingerprint == fingerprint(pki.server_cert)
    assert material.fingerprint == material.fingerprint.lower()
    assert material.summary()["common_name"] == "www.example.test"
    assert material.summary()["subject_alternative_names"] == ["www.example.test"]
    assert len(material.chain) == 2


def test_pkcs8_key_is_converted_to_traditional_rsa_pem(pki):
    material = cm.validate_server_certificate(pki.server_pem, key_pem(pki.server_key, "pkcs8"), None)
    uploaded = material.upload_params()["PrivateKey"]
    assert uploaded.startswith("-----BEGIN RSA PRIVATE KEY-----")
    reloaded = serialization.load_pem_private_key(uploaded.encode(), None)
    assert reloaded.private_numbers() == pki.server_key.private_numbers()


def test_encrypted_key_without_passphrase_names_the_option(pki):
    with pytest.raises(cm.CertificateMaterialError) as err:
        cm.validate_server_certificate(pki.server_pem, key_pem(pki.server_key, "pkcs8", "s3cret-pass"), None)
    assert "private_key_passphrase" in str(err.value)
    assert "encrypted" in str(err.value)


def test_encrypted_key_with_passphrase_is_decrypted_and_uploaded_unencrypted(pki):
    material = cm.validate_server_certificate(pki.server_pem, key_pem(pki.server_key, "pkcs1", "s3cret-pass"),
                                              "s3cret-pass")
    uploaded = material.upload_params()["PrivateKey"]
    assert "ENCRYPTED" not in uploaded and uploaded.startswith("-----BEGIN RSA PRIVATE KEY-----")


def test_wrong_passphrase_is_reported_without_echoing_it(pki):
    with pytest.raises(cm.CertificateMaterialError) as err:
        cm.validate_server_certificate(pki.server_pem, key_pem(pki.server_key, "pkcs8", "right-one"), "wrong-one")
    assert "private_key_passphrase is wrong" in str(err.value)
    assert "wrong-one" not in str(err.value) and "right-one" not in str(err.value)


def test_damaged_key_matches_its_certificate_but_is_refused_before_an_upload(pki):
    """Loading skips OpenSSL's RSA check (it costs ~300 ms per 4096-bit key on every run); the
    check runs when an upload is planned, so a damaged key is still refused before any upload."""
    material = cm.validate_server_certificate(pki.server_pem, damaged_rsa_key_pem(pki.server_key), None,
                                              key_option="private_key_path")
    with pytest.raises(cm.CertificateMaterialError) as err:
        material.check_before_upload()
    assert "private_key_path is damaged" in str(err.value)
    cm.validate_server_certificate(pki.server_pem, key_pem(pki.server_key), None).check_before_upload()


def test_key_of_another_certificate_is_a_mismatch(pki):
    with pytest.raises(cm.CertificateMaterialError) as err:
        cm.validate_server_certificate(pki.server_pem, key_pem(pki.other_key), None)
    assert "does not match" in str(err.value)


def test_expired_certificate_is_refused_with_its_expiry(pki):
    expired = make_certificate("old.example.test", pki.server_key, "Test Root CA", pki.ca_key,
                               days=-1, not_before_days=-30)
    with pytest.raises(cm.CertificateMaterialError) as err:
        cm.validate_server_certificate(pem(expired), key_pem(pki.server_key), None)
    assert "expired" in str(err.value)


def test_chain_with_ca_first_is_refused_as_wrong_order(pki):
    with pytest.raises(cm.CertificateMaterialError) as err:
        cm.validate_server_certificate(pki.ca_pem + pki.server_pem, key_pem(pki.server_key), None)
    assert "leaf" in str(err.value)


def test_a_ca_certificate_in_the_leaf_place_is_refused_even_with_its_own_key(pki):
    with pytest.raises(cm.CertificateMaterialError) as err:
        cm.validate_server_certificate(pki.ca_pem, key_pem(pki.ca_key), None)
    assert "is a CA certificate (basicConstraints CA:TRUE), not a server certificate" in str(err.value)


def test_non_pem_input_says_how_to_convert():
    with pytest.raises(cm.CertificateMaterialError) as err:
        cm.load_certificate_chain("MIIB...not pem", "certificate_path")
    assert "certificate_path" in str(err.value) and "PEM" in str(err.value)


def test_ca_validation_refuses_a_leaf_and_accepts_a_root(pki):
    assert cm.validate_ca_certificate(pki.ca_pem).fingerprint == fingerprint(pki.ca_cert)
    with pytest.raises(cm.CertificateMaterialError) as err:
        cm.validate_ca_certificate(pki.server_pem)
    assert "not a CA certificate" in str(err.value)


@pytest.mark.parametrize("make_key, message", [
    (lambda: rsa.generate_private_key(65537, 3072), "SLB accepts RSA keys of 1024, 2048 or 4096 bits, not 3072"),
    (lambda: ec.generate_private_key(ec.SECP256K1()),
     "SLB accepts ECDSA keys on P-256, P-384 or P-521 only, not secp256k1"),
    (ed25519.Ed25519PrivateKey.generate, "SLB accepts only RSA and ECDSA keys, not Ed25519"),
], ids=["rsa-3072", "secp256k1", "ed25519"])
def test_a_ca_certificate_whose_key_the_requirements_do_not_list_is_uploaded_with_a_warning(make_key, message):
    """CLB's requirements are written for the server key; public CAs issue from RSA-3072 intermediates, and
    whether SLB refuses such a CA certificate is not documented: a warning, not a refusal."""
    # Signed by an RSA-2048 key (an Ed25519 key cannot sign with SHA-256): the key checked is the certificate's own.
    ca = make_certificate("Odd Root CA", make_key(), issuer_key=rsa_key(0), ca=True)

    material = cm.validate_ca_certificate(pem(ca), "certificate_path")

    (warning,) = material.upload_warnings()
    assert warning.startswith("certificate_path: " + message + " (the key of CN=Odd Root CA). CLB's certificate "
                              "requirements list these for the server certificate's key")
    assert warning.endswith("so the upload is sent, and it may be refused.")


def test_an_intermediate_of_a_server_chain_warns_and_the_leaf_key_is_refused(pki):
    intermediate_key = rsa.generate_private_key(65537, 3072)
    intermediate = make_certificate("Public Server CA R36", intermediate_key, issuer_cn="Test Root CA",
                                    issuer_key=pki.ca_key, ca=True)
    leaf = make_certificate("www.example.test", pki.server_key, issuer_cn="Public Server CA R36",
                            issuer_key=intermediate_key, sans=["www.example.test"])

    material = cm.validate_server_certificate(pem(leaf) + pem(intermediate), key_pem(pki.server_key), None)

    assert [warning.split(". CLB's")[0] for warning in material.upload_warnings()] == [
        "certificate: SLB accepts RSA keys of 1024, 2048 or 4096 bits, not 3072 (the key of CN=Public Server CA R36)"]
    assert cm.validate_server_certificate(pki.chain_pem, key_pem(pki.server_key), None).upload_warnings() == []


def test_fingerprints_compare_ignoring_case_and_colons():
    assert cm.normalize_fingerprint("AB:CD:01") == cm.normalize_fingerprint("abcd01")


def test_not_expired_check_uses_the_given_clock(pki):
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=400)
    with pytest.raises(cm.CertificateMaterialError):
        cm.check_not_expired(pki.server_cert, "certificate", now=later)


def test_ed25519_key_is_refused_as_unsupported_by_slb():
    from cryptography.hazmat.primitives.asymmetric import ed25519
    key = ed25519.Ed25519PrivateKey.generate()
    text = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
    with pytest.raises(cm.CertificateMaterialError) as err:
        cm.load_private_key(text, None, "private_key")
    assert "RSA and ECDSA" in str(err.value)
    assert rsa_key(0) is rsa_key(0)


@pytest.mark.parametrize("make_key, message", [
    (lambda: ec.generate_private_key(ec.SECP256K1()),
     "SLB accepts ECDSA keys on P-256, P-384 or P-521 only, not secp256k1"),
    (lambda: ec.generate_private_key(ec.BrainpoolP256R1()),
     "SLB accepts ECDSA keys on P-256, P-384 or P-521 only, not brainpoolP256r1"),
    (lambda: rsa.generate_private_key(65537, 3072), "SLB accepts RSA keys of 1024, 2048 or 4096 bits, not 3072"),
], ids=["secp256k1", "brainpool", "rsa-3072"])
def test_a_key_outside_slbs_documented_algorithms_is_refused_locally(make_key, message):
    """CLB's certificate requirements list RSA 1024/2048/4096 and ECDSA P-256/384/521; the upload refuses the
    others, so they are refused before any call, naming the option."""
    with pytest.raises(cm.CertificateMaterialError) as err:
        cm.load_private_key(key_pem(make_key(), "pkcs8"), None, "private_key_path")
    assert str(err.value).startswith("private_key_path: " + message + "; issue the certificate with ")
