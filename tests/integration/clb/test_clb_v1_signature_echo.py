"""The gateway's echo of a V1 request never reaches the output, even when the request held the key.

The real SLB gateway answers a V1 (HMAC-SHA1) signature error with "server string to sign is:"
and every parameter of the request, the PrivateKey of UploadServerCertificate included, percent-
encoded twice (AxiosLeo/aliyun-sdk#2, NewFuture/DDNS#57); the emulator answers the same way. The
modules sign V3, so these runs make the official SDK sign V1 the way `Config(signature_algorithm=
"v2")` does, through a sitecustomize on PYTHONPATH (the module processes inherit it): the modules'
code is unchanged. To make exactly the upload fail its signature, as a proxy that re-encodes long
requests or a secret that changed between two calls would, that sitecustomize signs the named
action with a wrong secret; the Describe before it goes through.
"""
from __future__ import annotations

import textwrap
from urllib.parse import quote, unquote

import pytest

from clb_helpers import mutating
from tests.support.ansible_run import run_module
from tests.unit.alicloud.certgen import key_pem

SERVER = "mtls.clb.server_certificate"
NOTE_START = "[the rest of the service's message is left out"

SITECUSTOMIZE = textwrap.dedent('''
    """Test only: the SLB SDK signs V1 (HMAC-SHA1); MTLS_TEST_WRONG_SECRET_FOR names an action signed wrong."""
    import os

    from alibabacloud_tea_openapi import utils_models
    from alibabacloud_tea_openapi.utils import Utils

    _init = utils_models.Config.__init__
    _sign = Utils.get_rpcsignature


    def _v1_config(self, *args, **kwargs):
        _init(self, *args, **kwargs)
        if not self.signature_algorithm:
            self.signature_algorithm = "v2"


    def _signature(signed_params, method, secret):
        if signed_params.get("Action") == os.environ.get("MTLS_TEST_WRONG_SECRET_FOR"):
            secret = secret + "-not-it"
        return _sign(signed_params, method, secret)


    utils_models.Config.__init__ = _v1_config
    Utils.get_rpcsignature = staticmethod(_signature)
''')


@pytest.fixture
def v1_env(tmp_path):
    site_dir = tmp_path / "sign-v1"
    site_dir.mkdir()
    (site_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return {"PYTHONPATH": str(site_dir), "MTLS_TEST_WRONG_SECRET_FOR": "UploadServerCertificate"}


def key_forms(key_text: str) -> list[str]:
    """Every way a key line can show up: plain, percent-encoded once and twice (as in the echo)."""
    lines = [line for line in key_text.splitlines() if line and not line.startswith("-----")]
    forms = []
    for line in (lines[1], lines[len(lines) // 2], lines[-2]):
        forms += [line[:32], quote(line, safe="~")[:40], quote(quote(line, safe="~"), safe="~")[:48]]
    return forms


def assert_no_key_material(text: str, key_text: str) -> None:
    for form in key_forms(key_text):
        assert form not in text, form
    assert "PRIVATE KEY-----" not in unquote(unquote(text))


def test_the_v1_control_run_signs_v1_and_uploads(emu, args, pki, tmp_path, v1_env):
    """Without the wrong secret the same setup uploads: the runs below fail only on the signature."""
    key_file = tmp_path / "server.key"
    key_file.write_text(key_pem(pki.server_key))
    result = run_module(SERVER, {**args, "name": "v1-control", "certificate": pki.server_pem,
                                 "private_key_path": str(key_file)}, env={**v1_env, "MTLS_TEST_WRONG_SECRET_FOR": ""})
    assert result["failed"] is False and result["changed"] is True
    assert {c["signature_method"] for c in emu.calls()} == {"HMAC-SHA1"}


@pytest.mark.parametrize("verbosity", [0, 4], ids=["plain", "-vvvv"])
def test_an_upload_refused_by_the_v1_signature_check_shows_no_key(emu, args, pki, tmp_path, v1_env, verbosity):
    key_text = key_pem(pki.server_key)
    key_file = tmp_path / "server.key"
    key_file.write_text(key_text)
    result = run_module(SERVER, {**args, "name": "v1-echo", "certificate": pki.server_pem,
                                 "private_key_path": str(key_file)}, env=v1_env, verbosity=verbosity)
    assert result["failed"]
    calls = emu.calls()
    # The call log names the scheme of authenticated calls only; the Describe shows the run signs V1.
    assert [(c["action"], c["code"], c["signature_method"]) for c in calls] == [
        ("DescribeServerCertificates", None, "HMAC-SHA1"),
        ("UploadServerCertificate", "SignatureDoesNotMatch", None)]
    assert result["code"] == "SignatureDoesNotMatch" and result["api_action"] == "UploadServerCertificate"
    # The emulator's answer held the string to sign; what is left says so and keeps the service's sentence.
    assert result["msg"].startswith("UploadServerCertificate failed: SignatureDoesNotMatch: Specified signature is "
                                    "not matched with our calculation. " + NOTE_START)
    assert result["error_message"].startswith("Specified signature is not matched with our calculation. " + NOTE_START)
    assert "access_key_secret" in result["msg"] and result["request_id"] in result["msg"]
    if verbosity:
        assert "<localhost> EXEC" in result["_stdout"] + result["_stderr"]
    assert_no_key_material(result["_stdout"] + result["_stderr"], key_text)
    assert "POST&%2F&" not in result["_stdout"] + result["_stderr"]
    assert mutating(emu) == ["UploadServerCertificate"]  # the refused one above, not retried


def test_an_inline_key_refused_by_the_v1_signature_check_is_not_shown_either(emu, args, pki, v1_env):
    """With `private_key` the key is a no_log value, but the echo is encoded twice, so masking cannot catch it."""
    key_text = key_pem(pki.server_key)
    result = run_module(SERVER, {**args, "name": "v1-inline", "certificate": pki.server_pem,
                                 "private_key": key_text}, env=v1_env, verbosity=4)
    assert result["failed"] and result["code"] == "SignatureDoesNotMatch"
    assert NOTE_START in result["msg"]
    assert_no_key_material(result["_stdout"] + result["_stderr"], key_text)


ROLE_PLAYBOOK = """---
- name: Step 5 alone
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Upload the server certificate and the client CA
      ansible.builtin.include_role:
        name: mtls.clb.certificate_upload
"""


def test_the_roles_rescue_message_shows_no_key_either(emu, pki, tmp_path, v1_env):
    """certificate_upload issues a lab key and uploads it; the refused upload reaches the role's rescue,
    which repeats the module's message: that message is already scrubbed."""
    from tests.support.ansible_run import run_playbook

    playbook = tmp_path / "upload.yml"
    playbook.write_text(ROLE_PLAYBOOK)
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "root.crt").write_text(pki.ca_pem)
    run = run_playbook(playbook, extra_vars={
        "mtls_clb_pki_dir": str(tmp_path / "pki"), "mtls_clb_domain": "www.echo.test",
        "mtls_clb_issue_lab_certificate": True, "certificate_upload_lab_key_size": 2048,
        "mtls_clb_endpoint": emu.api_url, "mtls_clb_region": emu.region},
        env={**v1_env, "ALIBABA_CLOUD_ACCESS_KEY_ID": emu.access_key_id,
             "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emu.access_key_secret}, verbosity=4, json_output=False)
    assert run.rc != 0
    output = run.stdout + run.stderr
    assert "UploadServerCertificate failed: SignatureDoesNotMatch" in output and NOTE_START in output
    lab_key = (tmp_path / "pki" / "server" / "server.key").read_text()
    assert "PRIVATE KEY-----" in lab_key
    assert_no_key_material(output, lab_key)
    assert [c["code"] for c in emu.calls() if c["action"] == "UploadServerCertificate"] == ["SignatureDoesNotMatch"]
