# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mtls.clb.server_certificate_problems: what step 5 would refuse, and a certificate for another name."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.filter.server_certificate_problems import server_certificate_problems
from tests.unit.alicloud import certgen

NAMES = dict(certificate_variable="cert_var", key_variable="key_var", passphrase_variable="pass_var",
             domain_variable="domain_var")


@pytest.fixture(scope="module")
def pki():
    return certgen.make_pki(cn="www.example.test")


def problems(certificate, key, **options):
    return server_certificate_problems(certificate, private_key=key, **{**NAMES, **options})


def test_a_good_chain_key_and_domain_has_no_problem(pki):
    assert problems(pki.chain_pem, certgen.key_pem(pki.server_key), domain="www.example.test") == []
    assert problems(pki.chain_pem, certgen.key_pem(pki.server_key, "pkcs8", passphrase="pw-1234"),
                    passphrase="pw-1234", domain="WWW.example.test.") == []


def test_a_wildcard_covers_one_label_below_its_parent(pki):
    cert = certgen.make_certificate("*.example.test", pki.server_key, issuer_cn="Test Root CA",
                                    issuer_key=pki.ca_key, sans=("*.example.test",))
    key = certgen.key_pem(pki.server_key)
    assert problems(certgen.pem(cert), key, domain="api.example.test") == []
    for not_covered in ("example.test", "a.b.example.test"):
        [problem] = problems(certgen.pem(cert), key, domain=not_covered)
        assert f"the certificate is for *.example.test, not for {not_covered} (domain_var)" in problem


def test_a_certificate_for_another_name_names_both_variables_and_its_names(pki):
    [problem] = problems(pki.chain_pem, certgen.key_pem(pki.server_key), domain="shop.example.test")
    assert problem.startswith("cert_var: the certificate is for www.example.test, not for shop.example.test")
    assert "set domain_var to a name the certificate covers" in problem


def test_without_subject_alternative_names_the_common_name_counts(pki):
    cert = certgen.make_certificate("legacy.example.test", pki.server_key, issuer_cn="Test Root CA",
                                    issuer_key=pki.ca_key)
    assert problems(certgen.pem(cert), certgen.key_pem(pki.server_key), domain="legacy.example.test") == []


def test_no_domain_skips_the_name_check(pki):
    assert problems(pki.chain_pem, certgen.key_pem(pki.server_key), domain="") == []


@pytest.mark.parametrize("case, expected", [
    ("expired", "cert_var: the certificate (CN=www.example.test) expired on"),
    ("other key", "key_var does not match the first certificate in cert_var"),
    ("encrypted, no passphrase", "key_var is encrypted: set pass_var"),
    ("wrong passphrase", "key_var could not be decrypted: pass_var is wrong"),
    ("chain out of order", "cert_var: certificate #1 (CN=Test Root CA) was not issued by certificate #2"),
    ("not PEM", "cert_var holds no PEM certificate"),
    ("no key", "key_var holds no PEM private key"),
])
def test_each_problem_names_the_variable_and_never_the_key(pki, case, expected):
    server_key = certgen.key_pem(pki.server_key)
    certificate, key, options = {
        "expired": (certgen.pem(certgen.make_certificate("www.example.test", pki.server_key, issuer_cn="Test Root CA",
                                                         issuer_key=pki.ca_key, days=-1, not_before_days=-30,
                                                         sans=("www.example.test",))), server_key, {}),
        "other key": (pki.chain_pem, certgen.key_pem(pki.other_key), {}),
        "encrypted, no passphrase": (pki.chain_pem, certgen.key_pem(pki.server_key, "pkcs8", passphrase="pw-1234"), {}),
        "wrong passphrase": (pki.chain_pem, certgen.key_pem(pki.server_key, "pkcs8", passphrase="pw-1234"),
                             {"passphrase": "not-it"}),
        "chain out of order": (certgen.pem(pki.ca_cert) + certgen.pem(pki.server_cert), server_key, {}),
        "not PEM": ("this is not a certificate", server_key, {}),
        "no key": (pki.chain_pem, "", {}),
    }[case]
    found = problems(certificate, key, domain="www.example.test", **options)
    assert any(problem.startswith(expected) for problem in found), found
    text = " ".join(found)
    key_body = [line for line in key.splitlines() if line and not line.startswith("-----")]
    assert not any(line in text for line in key_body) and "pw-1234" not in text and "not-it" not in text


def test_several_problems_read_as_separate_sentences(pki):
    """The roles join the problems with spaces: each must end its own sentence, or two run together
    ("... belongs to the server certificate cert_var: the certificate is for ...")."""
    found = problems(pki.chain_pem, certgen.key_pem(pki.other_key), domain="shop.example.test")
    assert len(found) == 2, found
    assert all(problem.endswith(".") for problem in found), found
    assert problems("this is not a certificate", "")[0].endswith("."), problems("this is not a certificate", "")
