"""server_certificate / ca_certificate against the emulator: four-step idempotency, renames,
deletion, key conversion, and local validation that stops bad input before any API call."""
from __future__ import annotations

from tests.support.ansible_run import run_module
from clb_helpers import actions, create_load_balancer, mutating, upload_ca_certificate, upload_server_certificate
from tests.unit.alicloud.certgen import fingerprint, key_pem, make_certificate, pem

SERVER = "mtls.clb.server_certificate"
CA = "mtls.clb.ca_certificate"


def four_steps(module, params):
    results = [run_module(module, params, check=True, diff=True), run_module(module, params, diff=True),
               run_module(module, params, check=True), run_module(module, params)]
    assert [r.get("changed") for r in results] == [True, True, False, False], [r.get("msg") for r in results]
    return results


def test_server_certificate_four_steps_uploads_once_and_returns_its_facts(emu, args, pki):
    params = {**args, "name": "www", "certificate": pki.chain_pem, "private_key": key_pem(pki.server_key)}
    check, apply, check_again, apply_again = four_steps(SERVER, params)
    assert check["server_certificate_id"] is None
    assert check["diff"]["before"] == {}
    assert check["diff"]["after"]["fingerprint"] == fingerprint(pki.server_cert)
    assert check["diff"]["after"]["expire_time"] == apply["expire_time"]
    assert apply["fingerprint"] == fingerprint(pki.server_cert)
    assert apply["common_name"] == "www.example.test"
    assert apply["subject_alternative_names"] == ["www.example.test"]
    assert apply["expire_time"].startswith(pki.server_cert.not_valid_after_utc.strftime("%Y-%m-%d"))
    assert apply_again["server_certificate_id"] == apply["server_certificate_id"]
    assert actions(emu).count("UploadServerCertificate") == 1


def test_unchanged_run_makes_only_describe_calls(emu, args, pki):
    params = {**args, "name": "www", "certificate": pki.chain_pem, "private_key": key_pem(pki.server_key)}
    run_module(SERVER, params)
    before = len(emu.calls())
    assert run_module(SERVER, params)["changed"] is False
    assert actions(emu, before) and mutating(emu, before) == []


def test_same_certificate_under_a_new_name_is_renamed_with_rename_existing_not_uploaded(emu, args, pki, slb):
    certificate_id = upload_server_certificate(slb, pki, name="old-name")
    params = {**args, "name": "new-name", "certificate": pki.chain_pem, "private_key": key_pem(pki.server_key),
              "rename_existing": True}
    check = run_module(SERVER, params, check=True, diff=True)
    assert check["changed"]
    assert (check["diff"]["before"]["name"], check["diff"]["after"]["name"]) == ("old-name", "new-name")
    start = len(emu.calls())
    result = run_module(SERVER, params)
    assert result["changed"] and result["server_certificate_id"] == certificate_id and result["name"] == "new-name"
    assert mutating(emu, start) == ["SetServerCertificateName"]


def test_pkcs8_key_from_files_is_converted_and_accepted(emu, args, pki, tmp_path):
    (tmp_path / "cert.pem").write_text(pki.chain_pem)
    (tmp_path / "key.pem").write_text(key_pem(pki.server_key, "pkcs8"))
    result = run_module(SERVER, {**args, "name": "files", "certificate_path": str(tmp_path / "cert.pem"),
                                 "private_key_path": str(tmp_path / "key.pem")})
    assert result["changed"] and result["server_certificate_id"]


def test_encrypted_key_with_passphrase_is_uploaded_and_never_echoed(emu, args, pki):
    passphrase = "pass-phrase-4-test"
    result = run_module(SERVER, {**args, "name": "enc", "certificate": pki.server_pem,
                                 "private_key": key_pem(pki.server_key, "pkcs8", passphrase),
                                 "private_key_passphrase": passphrase})
    assert result["changed"] and result["server_certificate_id"]
    assert passphrase not in result["_stdout"] + result["_stderr"]


def _refused_before_any_call(emu, params, *needles):
    start = len(emu.calls())
    result = run_module(SERVER, params)
    assert result.get("failed"), result
    for needle in needles:
        assert needle in result["msg"], result["msg"]
    assert actions(emu, start) == [], "bad input must not reach the API"
    return result


def test_encrypted_key_without_passphrase_fails_before_any_api_call(emu, args, pki):
    _refused_before_any_call(emu, {**args, "name": "x", "certificate": pki.server_pem,
                                   "private_key": key_pem(pki.server_key, "pkcs8", "hidden-pass")},
                             "private_key is encrypted", "private_key_passphrase")


def test_certificate_key_mismatch_fails_before_any_api_call(emu, args, pki):
    _refused_before_any_call(emu, {**args, "name": "x", "certificate": pki.server_pem,
                                   "private_key": key_pem(pki.other_key)}, "does not match")


def test_expired_certificate_fails_before_any_api_call(emu, args, pki):
    expired = make_certificate("old.example.test", pki.server_key, "Test Root CA", pki.ca_key,
                               days=-2, not_before_days=-40)
    _refused_before_any_call(emu, {**args, "name": "x", "certificate": pem(expired),
                                   "private_key": key_pem(pki.server_key)}, "expired")


def test_chain_in_wrong_order_fails_before_any_api_call(emu, args, pki):
    _refused_before_any_call(emu, {**args, "name": "x", "certificate": pki.ca_pem + pki.server_pem,
                                   "private_key": key_pem(pki.server_key)}, "leaf")


def test_absent_by_fingerprint_four_steps(emu, args, pki, slb):
    certificate_id = upload_server_certificate(slb, pki)
    params = {**args, "fingerprint": fingerprint(pki.server_cert).upper(), "state": "absent"}
    check, apply = four_steps(SERVER, params)[:2]
    assert check["deleted"] == [certificate_id] and apply["deleted"] == [certificate_id]
    assert actions(emu).count("DeleteServerCertificate") == 1


def test_absent_by_name_and_by_id(emu, args, pki, slb):
    first = upload_server_certificate(slb, pki, name="by-name")
    assert run_module(SERVER, {**args, "name": "by-name", "state": "absent"})["deleted"] == [first]
    second = upload_server_certificate(slb, pki, name="by-id")
    assert run_module(SERVER, {**args, "server_certificate_id": second, "state": "absent"})["deleted"] == [second]
    assert slb.call("DescribeServerCertificates")["ServerCertificates"]["ServerCertificate"] == []


def test_deleting_a_certificate_in_use_names_the_listener(emu, args, pki, slb):
    certificate_id = upload_server_certificate(slb, pki)
    load_balancer_id = create_load_balancer(slb)
    slb.call("CreateLoadBalancerHTTPSListener", {"LoadBalancerId": load_balancer_id, "ListenerPort": 443,
                                                 "BackendServerPort": 80, "Bandwidth": -1, "HealthCheck": "off",
                                                 "StickySession": "off", "ServerCertificateId": certificate_id})
    params = {**args, "server_certificate_id": certificate_id, "state": "absent"}
    # Check mode plans what the run would do: it fails the same way, from a read, and deletes nothing.
    before = len(emu.calls())
    plan = run_module(SERVER, params, check=True)
    assert plan.get("failed"), plan
    assert "in use" in plan["msg"] and "{0}:443".format(load_balancer_id) in plan["msg"]
    assert "would be refused with CertificateAndPrivateKeyIsRefered" in plan["msg"]
    assert plan["in_use_by"] == [{"load_balancer_id": load_balancer_id, "listener_port": 443}]
    assert actions(emu, before) and mutating(emu, before) == []

    result = run_module(SERVER, params)
    assert result.get("failed")
    assert "in use" in result["msg"] and "{0}:443".format(load_balancer_id) in result["msg"]
    assert result["code"] == "CertificateAndPrivateKeyIsRefered"
    assert result["in_use_by"] == [{"load_balancer_id": load_balancer_id, "listener_port": 443}]


def test_a_deletion_refused_after_another_went_through_reports_what_was_deleted(emu, args, pki, slb):
    """state=absent by a name two uploads carry: the unused one is deleted, the one a listener uses is
    refused. The task fails, but reports changed and the deleted ID, and says so."""
    unused = upload_server_certificate(slb, pki, name="twins")
    in_use = upload_server_certificate(slb, pki, name="twins")
    load_balancer_id = create_load_balancer(slb)
    slb.call("CreateLoadBalancerHTTPSListener", {"LoadBalancerId": load_balancer_id, "ListenerPort": 443,
                                                 "BackendServerPort": 80, "Bandwidth": -1, "HealthCheck": "off",
                                                 "StickySession": "off", "ServerCertificateId": in_use})

    result = run_module(SERVER, {**args, "name": "twins", "state": "absent"})

    assert result.get("failed") and result["changed"] is True, result
    assert result["deleted"] == [unused]
    assert result["code"] == "CertificateAndPrivateKeyIsRefered"
    assert "Before this failure {0} was deleted".format(unused) in result["msg"]
    listed = slb.call("DescribeServerCertificates")["ServerCertificates"]["ServerCertificate"]
    assert [item["ServerCertificateId"] for item in listed] == [in_use]


def test_ca_certificate_four_steps_and_absent(emu, args, pki):
    params = {**args, "name": "client-ca", "certificate": pki.ca_pem}
    results = four_steps(CA, params)
    apply, again = results[1], results[3]
    assert apply["ca_certificate_id"] == again["ca_certificate_id"]
    assert apply["fingerprint"] == fingerprint(pki.ca_cert) and apply["common_name"] == "Test Root CA"
    assert actions(emu).count("UploadCACertificate") == 1
    renamed = run_module(CA, {**params, "name": "client-ca-2", "rename_existing": True})
    assert renamed["changed"] and renamed["ca_certificate_id"] == apply["ca_certificate_id"]
    assert mutating(emu)[-1] == "SetCACertificateName"
    absent = {**args, "certificate": pki.ca_pem, "state": "absent"}
    assert [run_module(CA, absent)["changed"], run_module(CA, absent)["changed"]] == [True, False]


def test_ca_certificate_refuses_a_leaf_before_any_call(emu, args, pki):
    result = run_module(CA, {**args, "name": "not-a-ca", "certificate": pki.server_pem})
    assert result.get("failed") and "not a CA certificate" in result["msg"]
    assert actions(emu) == []


def test_ca_certificate_warns_of_a_key_the_requirements_do_not_list_and_sends_the_upload(emu, args):
    """RSA 3072 is not among CLB's certificate key sizes, which are written for the server key: whether the real
    service refuses it in a CA certificate is not documented (public CAs use RSA-3072 intermediates), so the
    module warns and sends the upload; the emulator takes the stricter reading and refuses it."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    ca = make_certificate("Root CA 3072", rsa.generate_private_key(65537, 3072), ca=True)
    params = {**args, "name": "ca-3072", "certificate": pem(ca)}
    warning = "certificate: SLB accepts RSA keys of 1024, 2048 or 4096 bits, not 3072 (the key of CN=Root CA 3072)."

    check = run_module(CA, params, check=True)
    assert check["changed"] and any(w.startswith(warning) for w in check.get("warnings", [])), check
    assert mutating(emu) == []
    refused = run_module(CA, params)
    assert refused["failed"] and any(w.startswith(warning) for w in refused.get("warnings", []))
    assert "UploadCACertificate failed: InvalidParameter" in refused["msg"] and "3072" in refused["msg"]


def test_certificate_info_refuses_an_empty_certificate_id_rather_than_listing_all(emu, args, pki, slb):
    upload_ca_certificate(slb, pki)
    start = len(emu.calls())
    result = run_module("mtls.clb.certificate_info", {**args, "certificate_id": ""})
    assert result.get("failed") and result["msg"].startswith("certificate_id is empty; give the ID of the certificate")
    assert emu.calls()[start:] == []


def test_certificate_info_filters_by_type_name_and_fingerprint(emu, args, pki, slb):
    server_id = upload_server_certificate(slb, pki, name="srv")
    ca_id = upload_ca_certificate(slb, pki)
    both = run_module("mtls.clb.certificate_info", args, check=True)
    assert both["changed"] is False
    assert [c["id"] for c in both["server_certificates"]] == [server_id]
    assert [c["id"] for c in both["ca_certificates"]] == [ca_id]
    by_fp = run_module("mtls.clb.certificate_info", {**args, "fingerprint": fingerprint(pki.ca_cert)})
    assert by_fp["server_certificates"] == [] and [c["id"] for c in by_fp["ca_certificates"]] == [ca_id]
    by_name = run_module("mtls.clb.certificate_info", {**args, "certificate_type": "server", "name": "nope"})
    assert by_name["server_certificates"] == [] and by_name["ca_certificates"] == []
    assert mutating(emu) == ["UploadServerCertificate", "UploadCACertificate"]
