"""Credentials, region and secrets: each error is specific and changes nothing; under injected
throttling and 503s the modules still converge and never upload a certificate twice; a -vvvv
run prints no secret."""
from __future__ import annotations

from tests.support.ansible_run import run_module
from clb_helpers import actions, mutating
from tests.unit.alicloud.certgen import key_pem

SERVER = "mtls.clb.server_certificate"


def test_wrong_secret_is_reported_with_code_and_hint_and_never_echoed(emu, args, pki):
    bad_secret = "definitely-not-the-secret-42"
    result = run_module(SERVER, {**args, "access_key_secret": bad_secret, "name": "x",
                                 "certificate": pki.server_pem, "private_key": key_pem(pki.server_key)})
    assert result["failed"]
    assert result["api_action"] == "DescribeServerCertificates"
    assert result["code"] in ("SignatureDoesNotMatch", "InvalidAccessKeySecret", "IncompleteSignature")
    assert "access_key_secret" in result["msg"] and result["request_id"] in result["msg"]
    assert bad_secret not in result["_stdout"] + result["_stderr"]
    assert mutating(emu) == []


def test_unknown_access_key_id_is_its_own_error(emu, args):
    result = run_module("mtls.clb.certificate_info", {**args, "access_key_id": "noSuchKey"})
    assert result["failed"] and result["code"].startswith("InvalidAccessKeyId")
    assert "access_key_id" in result["msg"]


def test_unknown_region_is_reported_as_a_region_problem(emu, args, pki):
    result = run_module(SERVER, {**args, "region": "xx-nowhere-1", "name": "x", "certificate": pki.server_pem,
                                 "private_key": key_pem(pki.server_key)})
    assert result["failed"] and "region" in result["msg"]
    assert "xx-nowhere-1" in result["msg"] and result["code"] == "InvalidRegionId.NotFound"
    assert mutating(emu) == []


def test_missing_region_fails_before_any_call(emu, args):
    params = {k: v for k, v in args.items() if k != "region"}
    result = run_module("mtls.clb.certificate_info", params,
                        env={"ALIBABA_CLOUD_REGION_ID": "", "ALICLOUD_REGION": ""})
    assert result["failed"] and "ALIBABA_CLOUD_REGION_ID" in result["msg"]
    assert actions(emu) == []


def test_credentials_and_region_come_from_the_environment_in_the_documented_order(emu, args):
    params = {"endpoint": args["endpoint"]}
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": args["access_key_id"], "ALICLOUD_ACCESS_KEY": "wrongAK",
           "ALIBABA_CLOUD_ACCESS_KEY_SECRET": args["access_key_secret"], "ALICLOUD_SECRET_KEY": "wrong",
           "ALIBABA_CLOUD_REGION_ID": args["region"], "ALICLOUD_REGION": "eu-central-1"}
    assert run_module("mtls.clb.certificate_info", params, env=env)["failed"] is False
    fallback = {"ALICLOUD_ACCESS_KEY": args["access_key_id"], "ALICLOUD_SECRET_KEY": args["access_key_secret"],
                "ALICLOUD_REGION": args["region"]}
    assert run_module("mtls.clb.certificate_info", params, env=fallback)["failed"] is False


def test_plain_http_to_a_remote_host_is_refused_before_any_call(emu, args):
    result = run_module("mtls.clb.certificate_info", {**args, "endpoint": "http://slb.aliyuncs.com"})
    assert result["failed"] and "plain http" in result["msg"] and "endpoint" in result["msg"]


def test_modules_converge_under_throttling_and_503_without_double_uploads(emu, args, pki):
    emu.set_faults([
        {"action": "*", "error": "Throttling.User", "probability": 0.17, "seed": 7, "retry_after_ms": 100},
        {"action": "*", "error": "ServiceUnavailable", "probability": 0.17, "seed": 11},
    ])
    fast = {**args, "retry_max_attempts": 12}
    server = {**fast, "name": "srv", "certificate": pki.chain_pem, "private_key": key_pem(pki.server_key)}
    first = run_module(SERVER, server)
    assert first["failed"] is False and first["changed"], first.get("msg")
    second = run_module(SERVER, server)
    assert second["failed"] is False and second["changed"] is False
    assert second["server_certificate_id"] == first["server_certificate_id"]
    ca = run_module("mtls.clb.ca_certificate", {**fast, "name": "ca", "certificate": pki.ca_pem})
    lb = run_module("mtls.clb.load_balancer", {**fast, "name": "faulty"})
    backends = run_module("mtls.clb.backend_servers", {**fast, "load_balancer_id": lb["load_balancer_id"],
                                                       "servers": [{"server_id": i} for i in emu.ecs_ids]})
    listener = run_module("mtls.clb.https_listener", {
        **fast, "load_balancer_id": lb["load_balancer_id"], "listener_port": 443, "backend_server_port": 80,
        "server_certificate_id": first["server_certificate_id"], "ca_certificate_id": ca["ca_certificate_id"]})
    for result in (ca, lb, backends, listener):
        assert result["failed"] is False, result.get("msg")
    assert listener["listener"]["status"] == "running"
    calls = emu.calls()
    injected = [c for c in calls if c.get("code") in ("Throttling.User", "ServiceUnavailable")]
    assert len(injected) >= 3, "the faults were not exercised"
    emu.clear_faults()
    certificates = run_module("mtls.clb.certificate_info", args)
    assert len(certificates["server_certificates"]) == 1 and len(certificates["ca_certificates"]) == 1
    for action in ("UploadServerCertificate", "UploadCACertificate", "CreateLoadBalancer",
                   "CreateLoadBalancerHTTPSListener"):
        assert len([c for c in calls if c["action"] == action and c["status"] == 200]) == 1, action


def test_gateway_throttling_code_is_retried_on_a_mutating_call(emu, args):
    """Rejected.Throttling (the gateway's flow control; Terraform retries any code containing Throttling) is a
    refusal that changed nothing, so AddBackendServers is asked again and the servers are attached once."""
    load_balancer_id = run_module("mtls.clb.load_balancer", {**args, "name": "throttled"})["load_balancer_id"]
    emu.set_faults([{"action": "AddBackendServers", "error": "Rejected.Throttling", "count": 2}])
    params = {**args, "load_balancer_id": load_balancer_id, "servers": [{"server_id": i} for i in emu.ecs_ids]}

    result = run_module("mtls.clb.backend_servers", params)

    assert result["failed"] is False and result["changed"], result.get("msg")
    assert [(c["status"], c["code"]) for c in emu.calls() if c["action"] == "AddBackendServers"] == \
        [(400, "Rejected.Throttling"), (400, "Rejected.Throttling"), (200, None)]
    emu.clear_faults()
    assert run_module("mtls.clb.backend_servers", params)["changed"] is False


def test_vvvv_output_holds_no_secret_key_or_passphrase(emu, args, pki, tmp_path):
    passphrase = "vvvv-passphrase-never-printed"
    encrypted = key_pem(pki.server_key, "pkcs8", passphrase)
    plain_key_body = key_pem(pki.server_key).splitlines()[5]
    key_file = tmp_path / "server.key"
    key_file.write_text(encrypted)
    good = run_module(SERVER, {**args, "name": "verbose", "certificate": pki.server_pem,
                               "private_key_path": str(key_file), "private_key_passphrase": passphrase},
                      verbosity=4, diff=True)
    inline = run_module(SERVER, {**args, "name": "verbose2", "certificate": pki.server_pem,
                                 "private_key": key_pem(pki.server_key)}, verbosity=4, diff=True)
    failing = run_module(SERVER, {**args, "access_key_secret": "wrong-secret-xyz", "name": "v",
                                  "certificate": pki.server_pem, "private_key": encrypted,
                                  "private_key_passphrase": passphrase}, verbosity=4)
    assert good["failed"] is False and inline["failed"] is False and failing["failed"]
    for result in (good, inline, failing):
        text = result["_stdout"] + result["_stderr"]
        assert "<localhost> EXEC" in text or "<localhost> ESTABLISH" in text  # really -vvvv output
        for secret in (args["access_key_secret"], "wrong-secret-xyz", passphrase, plain_key_body,
                       encrypted.splitlines()[3], "PRIVATE KEY-----"):
            assert secret not in text, secret


def test_module_defaults_group_sets_connection_options_once(emu, args, pki, tmp_path):
    from tests.support.ansible_run import run_playbook
    import yaml

    playbook = tmp_path / "group_defaults.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Connection options once for every cloud module",
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "module_defaults": {"group/mtls.clb.alicloud": args},
        "tasks": [
            {"name": "Upload CA", "mtls.clb.ca_certificate": {"name": "grouped", "certificate": pki.ca_pem}},
            {"name": "List certificates", "mtls.clb.certificate_info": {"certificate_type": "ca"}},
        ],
    }]))
    run = run_playbook(playbook)
    assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert run.task_results("Upload CA")["changed"] is True
    assert [c["name"] for c in run.task_results("List certificates")["ca_certificates"]] == ["grouped"]
