"""The SDK's HTTP debug output (DEBUG=sdk) never carries the uploaded key out of a module.

darabonba-core (and Tea) log every request line and header to stderr when the environment has DEBUG=sdk, the
switch Alibaba Cloud documents for debugging its Python SDKs: the URL query of UploadServerCertificate holds
PrivateKey, and the headers the Authorization and, with STS keys, x-acs-security-token. A module's stderr is
kept by Ansible where its stdout is: `async` tasks return it as `stderr` and write it to the job file under
ANSIBLE_ASYNC_DIR (~/.ansible_async), and a module that dies shows it as module_stderr.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from tests.support.ansible_run import run_playbook
from tests.unit.alicloud.certgen import key_pem, make_pki

PLAYBOOK = """---
- name: Upload the server certificate as a background job
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Upload
      mtls.clb.server_certificate:
        name: sdk-debug
        certificate: "{{ lookup('ansible.builtin.file', certificate_file) }}"
        private_key_path: "{{ key_file }}"
        endpoint: "{{ endpoint }}"
        region: "{{ region }}"
      async: 120
      poll: 1
      register: upload
"""


@pytest.fixture(scope="module")
def pki():
    return make_pki()


def test_an_upload_with_debug_sdk_set_shows_no_key_and_leaves_none_in_the_job_file(fresh_emulator, pki, tmp_path):
    emu = fresh_emulator
    key_text = key_pem(pki.server_key)
    (tmp_path / "server.crt").write_text(pki.server_pem)
    (tmp_path / "server.key").write_text(key_text)
    playbook = tmp_path / "upload.yml"
    playbook.write_text(PLAYBOOK)
    async_dir = tmp_path / "async"
    extra = {"certificate_file": str(tmp_path / "server.crt"), "key_file": str(tmp_path / "server.key"),
             "endpoint": emu.api_url, "region": emu.region}
    run = run_playbook(playbook, extra_vars=extra, verbosity=1,
                       env={"DEBUG": "sdk", "ANSIBLE_ASYNC_DIR": str(async_dir),
                            "ALIBABA_CLOUD_ACCESS_KEY_ID": emu.access_key_id,
                            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emu.access_key_secret})
    assert run.rc == 0, run.stdout + run.stderr
    result = run.task_results("Upload")
    assert result["changed"] is True and result["server_certificate_id"]
    assert [c["action"] for c in emu.calls()][-1] == "UploadServerCertificate"
    assert not result.get("stderr"), "the SDK wrote its request log"

    body = [line for line in key_text.splitlines() if not line.startswith("-----")]
    texts = {"output": run.stdout + run.stderr}
    texts.update((str(path), path.read_text(errors="replace")) for path in Path(async_dir).rglob("*") if path.is_file())
    for where, text in texts.items():
        decoded = unquote_plus(text)
        assert "PRIVATE KEY-----" not in decoded, where
        assert not any(line in decoded for line in body[1:-1]), where
        assert "Authorization : ACS3-HMAC-SHA256" not in text, where
