"""server_certificate / ca_certificate in a shared account: a certificate already uploaded under
another owner's name is reused, not renamed (unless rename_existing); and a service whose
`Fingerprint` is not the SHA-1 the modules compute (the emulator's fingerprint hook) is warned about
on upload and found again on the next run instead of being uploaded again."""
from __future__ import annotations

import json
import urllib.request

import pytest

from tests.support.ansible_run import run_module
from clb_helpers import actions, mutating, upload_ca_certificate, upload_server_certificate
from tests.unit.alicloud.certgen import fingerprint, key_pem

SERVER = "mtls.clb.server_certificate"
CA = "mtls.clb.ca_certificate"


def set_fingerprint_algorithm(emu, algorithm):
    """The emulator reports later uploads' fingerprints with `algorithm` (reset restores sha1)."""
    request = urllib.request.Request(emu.api_url + "/_emulator/certificate-fingerprints",
                                     data=json.dumps({"algorithm": algorithm}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        assert json.loads(response.read()) == {"algorithm": algorithm}


def material(kind, pki):
    """(module, its certificate options, the certificate, the result key of its ID)."""
    if kind == "server":
        return (SERVER, {"certificate": pki.chain_pem, "private_key": key_pem(pki.server_key)}, pki.server_cert,
                "server_certificate_id")
    return CA, {"certificate": pki.ca_pem}, pki.ca_cert, "ca_certificate_id"


def preupload(kind, slb, pki, name):
    return upload_server_certificate(slb, pki, name=name) if kind == "server" else upload_ca_certificate(slb, pki, name)


@pytest.mark.parametrize("kind", ["server", "ca"])
def test_certificate_under_another_name_is_reused_and_keeps_that_name(emu, args, pki, slb, kind):
    module, params, _cert, id_key = material(kind, pki)
    existing_id = preupload(kind, slb, pki, "terraform-owned")
    params = {**args, "name": "mtls-www", **params}
    start = len(emu.calls())
    results = [run_module(module, params, check=True, diff=True), run_module(module, params, diff=True)]
    for result in results:
        assert result["changed"] is False, result.get("msg")
        assert result[id_key] == existing_id
        assert result["name"] == "terraform-owned" and result["name_differs"] is True
        assert result["matched_by"] == "fingerprint" and not result.get("warnings")
        assert result["diff"]["before"] == result["diff"]["after"]
    assert mutating(emu, start) == []
    listed = run_module("mtls.clb.certificate_info", {**args, "certificate_type": kind})
    assert [item["name"] for item in listed[kind + "_certificates"]] == ["terraform-owned"]


@pytest.mark.parametrize("kind", ["server", "ca"])
def test_another_fingerprint_format_warns_once_and_is_not_uploaded_again(emu, args, pki, kind):
    module, params, cert, id_key = material(kind, pki)
    set_fingerprint_algorithm(emu, "sha256")
    params = {**args, "name": "mtls-" + kind, **params}
    first = run_module(module, params)
    assert first["changed"] and first["matched_by"] is None
    warning = " ".join(first.get("warnings", []))
    assert fingerprint(cert) in warning and first["fingerprint"] in warning and "report" in warning, first
    assert len(first["fingerprint"]) == 95  # what the service reported (SHA-256), not the module's SHA-1

    start = len(emu.calls())
    again = [run_module(module, params, check=True), run_module(module, params)]
    for result in again:
        assert result["changed"] is False and result["matched_by"] == "name_common_name_expire_time"
        assert result[id_key] == first[id_key]
        assert "name, common name and expiry" in " ".join(result.get("warnings", []))
    assert mutating(emu, start) == []
    upload = "UploadServerCertificate" if kind == "server" else "UploadCACertificate"
    assert actions(emu).count(upload) == 1


def test_a_forty_digit_fingerprint_of_something_else_is_warned_about_on_every_upload(emu, args, pki):
    """Such a value cannot be told apart from a re-keyed certificate's, so the module uploads rather
    than reuse a certificate that may hold another key, and says so each time."""
    set_fingerprint_algorithm(emu, "sha1-of-pem")
    params = {**args, "name": "www", "certificate": pki.chain_pem, "private_key": key_pem(pki.server_key)}
    first, second = run_module(SERVER, params), run_module(SERVER, params)
    assert first["changed"] and second["changed"]
    assert first["server_certificate_id"] != second["server_certificate_id"]
    for result in (first, second):
        assert "uploads it again" in " ".join(result.get("warnings", [])), result


def test_documented_format_gives_no_warning(emu, args, pki):
    params = {**args, "name": "www", "certificate": pki.chain_pem, "private_key": key_pem(pki.server_key)}
    first = run_module(SERVER, params)
    assert first["changed"] and not first.get("warnings") and first["fingerprint"] == fingerprint(pki.server_cert)
    again = run_module(SERVER, params)
    assert again["changed"] is False and again["matched_by"] == "fingerprint" and not again.get("warnings")


@pytest.mark.parametrize("kind", ["server", "ca"])
def test_absent_given_the_certificate_deletes_what_present_found_in_another_fingerprint_format(emu, args, pki, kind):
    """state=absent with the certificate itself finds it the way state=present does: by name, common
    name and expiry when the service's fingerprints are not SHA-1 (before, it matched SHA-1 only, so
    it reported `deleted: []` and left the certificate in place)."""
    module, params, _cert, id_key = material(kind, pki)
    set_fingerprint_algorithm(emu, "sha256")
    present = run_module(module, {**args, "name": "mtls-" + kind, **params})
    assert present["changed"]
    certificate_only = {"certificate": params["certificate"]}

    unnamed = run_module(module, {**args, "state": "absent", **certificate_only})
    assert unnamed["changed"] is False and unnamed["deleted"] == []  # no name: the fallback cannot apply

    absent = {**args, "name": "mtls-" + kind, "state": "absent", **certificate_only}
    planned = run_module(module, absent, check=True)
    assert planned["changed"] and planned["deleted"] == [present[id_key]]
    assert "name, common name and expiry" in " ".join(planned.get("warnings", []))
    results = [run_module(module, absent), run_module(module, absent)]
    assert [result["changed"] for result in results] == [True, False]
    assert results[0]["deleted"] == [present[id_key]]
    listed = run_module("mtls.clb.certificate_info", {**args, "certificate_type": kind})
    assert listed[kind + "_certificates"] == []


def test_absent_given_the_certificate_keeps_a_same_named_certificate_with_another_sha1(emu, args, pki):
    """A 40-digit fingerprint that differs is another certificate (a re-keyed one keeps name, common
    name and expiry): the fallback never deletes it."""
    set_fingerprint_algorithm(emu, "sha1-of-pem")
    params = {**args, "name": "www", "certificate": pki.chain_pem, "private_key": key_pem(pki.server_key)}
    kept = run_module(SERVER, params)["server_certificate_id"]
    result = run_module(SERVER, {**args, "name": "www", "certificate": pki.chain_pem, "state": "absent"})
    assert result["changed"] is False and result["deleted"] == []
    listed = run_module("mtls.clb.certificate_info", {**args, "certificate_type": "server"})
    assert [item["server_certificate_id"] for item in listed["server_certificates"]] == [kept]
