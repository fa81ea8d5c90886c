"""ECDSA server certificates by region: UploadServerCertificate takes one only in the regions of
--ecdsa-regions (by default none, as CLB's current certificate docs say "RSA certificates only"; the
2019-2021 docs named UK (London), eu-west-1) and answers EccCertificateNotSupport (400) elsewhere, for an
upload and for an import from the SSL Certificates Service alike. CA certificates are not limited: the
documented limit is on the EC private key, which only a server certificate upload carries."""
from __future__ import annotations

import pytest
from alibabacloud_slb20140515 import models as m
from clb_emulator.backend import SlbBackend
from clb_emulator.cli import build_parser
from clb_emulator.ecs import EcsRegistry
from clb_emulator.errors import ApiError
from clb_emulator.regions import REGIONS
from clb_emulator.signing import Account
from Tea.exceptions import TeaException

from tests.emulator import throwaway_pki as pki
from tests.support.emulator import start_emulator

ACCOUNT = Account("1234567890123456", "AKtest", "secret")
LONDON = "eu-west-1"


@pytest.fixture(scope="module")
def ec_material(tls_material):
    """An ECDSA P-256 server certificate issued by the (RSA) server CA, and an ECDSA CA certificate."""
    return {"server": pki.issue(tls_material["server_ca"], "ec.example.test", server=True, key=pki.new_ec_key()),
            "ca": pki.make_ca("mtls-test-ec-client-root", key=pki.new_ec_key())}


def sdk_refusal(call) -> TeaException:
    with pytest.raises(TeaException) as info:
        call()
    return info.value


def listed_server_certificates(client, region):
    return client.describe_server_certificates(m.DescribeServerCertificatesRequest(
        region_id=region)).body.server_certificates.server_certificate


@pytest.mark.parametrize("region", ["cn-hangzhou", LONDON])
def test_an_ecdsa_server_certificate_is_refused_by_default(sdk, ec_material, tls_material, region):
    ec_server = ec_material["server"]
    error = sdk_refusal(lambda: sdk.upload_server_certificate(m.UploadServerCertificateRequest(
        region_id=region, server_certificate=ec_server.cert_pem + tls_material["server_ca"].cert_pem,
        private_key=ec_server.key_pem, server_certificate_name="ec-server")))

    assert (error.code, error.data["statusCode"]) == ("EccCertificateNotSupport", 400)
    assert error.data["Message"].startswith("The ECC certificate is not supported.") and region in error.data["Message"]
    assert "PRIVATE KEY" not in str(error.data) and "BEGIN" not in str(error.data)
    assert listed_server_certificates(sdk, region) == []


def test_an_rsa_server_certificate_and_an_ecdsa_ca_certificate_are_taken_everywhere(sdk, ec_material, tls_material):
    rsa_server = tls_material["server"]
    uploaded = sdk.upload_server_certificate(m.UploadServerCertificateRequest(
        region_id="cn-hangzhou", server_certificate=rsa_server.cert_pem, private_key=rsa_server.key_pem)).body
    assert uploaded.fingerprint == pki.sha1_colon_fingerprint(rsa_server.cert)
    ca = sdk.upload_cacertificate(m.UploadCACertificateRequest(
        region_id="cn-hangzhou", cacertificate=ec_material["ca"].cert_pem)).body
    assert ca.fingerprint == pki.sha1_colon_fingerprint(ec_material["ca"].cert)


def test_the_option_lets_the_regions_it_names_take_ecdsa(tmp_path, ec_material, tls_material):
    ec_server = ec_material["server"]
    chain = ec_server.cert_pem + tls_material["server_ca"].cert_pem
    with start_emulator(tmp_path / "state", demo_backends=0, extra_args=("--ecdsa-regions", LONDON)) as emulator:
        assert emulator.ready["ecdsa_regions"] == [LONDON]
        client = emulator.sdk_client()
        uploaded = client.upload_server_certificate(m.UploadServerCertificateRequest(
            region_id=LONDON, server_certificate=chain, private_key=ec_server.key_pem)).body
        assert uploaded.fingerprint == pki.sha1_colon_fingerprint(ec_server.cert)
        assert [c.server_certificate_id for c in listed_server_certificates(client, LONDON)] \
            == [uploaded.server_certificate_id]

        error = sdk_refusal(lambda: client.upload_server_certificate(m.UploadServerCertificateRequest(
            region_id="cn-hangzhou", server_certificate=chain, private_key=ec_server.key_pem)))
        assert error.code == "EccCertificateNotSupport"
        assert listed_server_certificates(client, "cn-hangzhou") == []


# -- in-process: the import path and what a refusal leaves behind ----------------------------------
def make_backend(tmp_path, **options):
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700, exist_ok=True)
    return SlbBackend(state_dir, EcsRegistry(), **options)


def upload(backend, issued, region):
    return backend.action_UploadServerCertificate(
        {"RegionId": region, "ServerCertificate": issued.cert_pem, "PrivateKey": issued.key_pem}, ACCOUNT)


def test_a_refused_upload_stores_nothing(tmp_path, ec_material):
    backend = make_backend(tmp_path, ecdsa_regions={LONDON})
    with pytest.raises(ApiError) as info:
        upload(backend, ec_material["server"], "cn-hangzhou")
    assert (info.value.code, info.value.status) == ("EccCertificateNotSupport", 400)
    assert backend.state["server_certificates"] == {}
    assert list(backend.tls_dir.iterdir()) == []

    uploaded = upload(backend, ec_material["server"], LONDON)
    assert uploaded["RegionId"] == LONDON and list(backend.state["server_certificates"]) == [
        uploaded["ServerCertificateId"]]


def test_an_import_of_an_ecdsa_certificate_follows_the_same_rule(tmp_path, ec_material):
    backend = make_backend(tmp_path, ecdsa_regions={LONDON})
    ec_server = ec_material["server"]
    for region in ("cn-hangzhou", LONDON):
        backend.register_cas_certificate(f"ec-{region}", ec_server.cert_pem, ec_server.key_pem, region=region)

    def import_into(region):
        return backend.action_UploadServerCertificate(
            {"RegionId": region, "AliCloudCertificateId": f"ec-{region}",
             "AliCloudCertificateName": f"ec-{region}"}, ACCOUNT)

    with pytest.raises(ApiError) as info:
        import_into("cn-hangzhou")
    assert info.value.code == "EccCertificateNotSupport"
    assert backend.state["server_certificates"] == {}
    assert import_into(LONDON)["IsAliCloudCertificate"] == 1


# -- the command line --------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, expected", [
    ([], frozenset()),
    (["--ecdsa-regions", ""], frozenset()),
    (["--ecdsa-regions", "eu-west-1"], frozenset({"eu-west-1"})),
    (["--ecdsa-regions", "eu-west-1, ap-southeast-1"], frozenset({"eu-west-1", "ap-southeast-1"})),
    (["--ecdsa-regions", "all"], frozenset(REGIONS)),
])
def test_ecdsa_regions_option(argv, expected):
    assert build_parser().parse_args(["--state-dir", "x", *argv]).ecdsa_regions == expected


@pytest.mark.parametrize("value", ["london", "eu-west-1,mars-1", "all,eu-west-1"])
def test_an_unknown_region_stops_the_start_naming_the_option(value, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--state-dir", "x", "--ecdsa-regions", value])
    error = capsys.readouterr().err
    assert "--ecdsa-regions" in error and "is not a region ID" in error and "eu-west-1" in error
