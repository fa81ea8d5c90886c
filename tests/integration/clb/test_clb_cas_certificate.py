"""server_certificate with ali_cloud_certificate_id: a certificate of the SSL Certificates Service is
imported once (IsAliCloudCertificate=1), found again by that ID and never renamed; an unknown ID fails
clearly."""
from __future__ import annotations

from tests.support.ansible_run import run_module
from clb_helpers import actions, mutating
from tests.unit.alicloud.certgen import fingerprint, key_pem

SERVER = "mtls.clb.server_certificate"
CAS_ID = "20240601"


def test_import_by_ali_cloud_certificate_id_four_steps(emu, args, pki):
    emu.register_cas_certificate(CAS_ID, pki.chain_pem, key_pem(pki.server_key), name="www-cas",
                                 region_id=emu.region)
    params = {**args, "name": "www-from-cas", "ali_cloud_certificate_id": CAS_ID,
              "ali_cloud_certificate_name": "www-cas", "ali_cloud_certificate_region_id": emu.region}
    results = [run_module(SERVER, params, check=True, diff=True), run_module(SERVER, params, diff=True),
               run_module(SERVER, params, check=True), run_module(SERVER, params)]
    assert [r.get("changed") for r in results] == [True, True, False, False], [r.get("msg") for r in results]
    check, apply, check_again, apply_again = results
    assert check["server_certificate_id"] is None and check["diff"]["before"] == {}
    assert apply["certificate_info"]["is_ali_cloud_certificate"] == 1
    assert apply["certificate_info"]["ali_cloud_certificate_id"] == CAS_ID
    assert apply["fingerprint"] == fingerprint(pki.server_cert) and apply["name"] == "www-from-cas"
    assert apply_again["server_certificate_id"] == apply["server_certificate_id"]
    assert check_again["server_certificate_id"] == apply["server_certificate_id"]
    assert actions(emu).count("UploadServerCertificate") == 1

    # An SSL Certificates Service certificate keeps its name, even with rename_existing.
    start = len(emu.calls())
    kept = run_module(SERVER, {**params, "name": "www-renamed", "rename_existing": True})
    assert kept["changed"] is False and kept["server_certificate_id"] == apply["server_certificate_id"]
    assert kept["name"] == "www-from-cas" and kept["name_differs"] is True
    assert any("SSL Certificates Service" in warning for warning in kept.get("warnings", [])), kept
    assert mutating(emu, start) == []


def test_import_without_the_region_option(emu, args, pki):
    """ali_cloud_certificate_region_id is optional (the real service was seen refusing it): without it the
    import works and is idempotent all the same (that the request then carries no AliCloudCertificateRegionId is
    pinned by the unit tests; the emulator's call log holds no parameters)."""
    emu.register_cas_certificate("20240602", pki.chain_pem, key_pem(pki.server_key), name="www-cas-2",
                                 region_id=emu.region)
    params = {**args, "name": "www-no-region", "ali_cloud_certificate_id": "20240602",
              "ali_cloud_certificate_name": "www-cas-2"}
    first, again = run_module(SERVER, params), run_module(SERVER, params)
    assert first.get("changed") is True and again.get("changed") is False, (first.get("msg"), again.get("msg"))
    assert first["certificate_info"]["ali_cloud_certificate_id"] == "20240602"
    assert actions(emu).count("UploadServerCertificate") == 1


def test_unknown_ali_cloud_certificate_id_fails_naming_it(emu, args):
    result = run_module(SERVER, {**args, "name": "nope", "ali_cloud_certificate_id": "999999",
                                 "ali_cloud_certificate_name": "nope", "ali_cloud_certificate_region_id": emu.region})
    assert result.get("failed")
    assert "AliCloudCertificateId" in result["msg"] and "999999" in result["msg"], result["msg"]
    assert "Check ali_cloud_certificate_id" in result["msg"], result["msg"]
    assert [c["code"] for c in emu.calls() if c["action"] == "UploadServerCertificate"] == \
        ["InvalidParameter.AliCloudCertificateId"]
    assert run_module("mtls.clb.certificate_info", args)["server_certificates"] == []
