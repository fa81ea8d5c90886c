"""A private key inside a certificate option stays out of the output.

Purchased certificates often come as one PEM file holding the chain and the key (HAProxy's format), and
`certificate: "{{ lookup('file', 'bundle.pem') }}"` then hands the key to an option that is not no_log. The
modules read only the certificate blocks, but Ansible returns every option in the task's `invocation`, which
`-vvv` prints; the key is no module secret there, so no_log masking did not catch it.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "clb"))

from tests.support.ansible_run import run_module  # noqa: E402
from tests.unit.alicloud.certgen import key_pem, make_pki  # noqa: E402


@pytest.fixture(scope="module")
def pki():
    return make_pki()


def key_lines(key_text: str) -> list[str]:
    return [line for line in key_text.splitlines() if line and not line.startswith("-----")]


@pytest.mark.parametrize("check", [False, True], ids=["upload", "check-mode"])
def test_a_server_certificate_given_with_its_key_in_one_pem_shows_no_key_at_vvv(
        fresh_emulator, pki, tmp_path, check):
    key_text = key_pem(pki.server_key)
    key_file = tmp_path / "server.key"
    key_file.write_text(key_text)
    result = run_module("mtls.clb.server_certificate",
                        {**fresh_emulator.module_args(), "name": "combined-pem",
                         "certificate": pki.server_pem + key_text, "private_key_path": str(key_file)},
                        check=check, verbosity=3)
    assert result["failed"] is False and result["changed"] is True
    output = result["_stdout"] + result["_stderr"]
    assert "invocation" in output  # the options are in the output, only the key is not
    assert "PRIVATE KEY-----" not in output
    assert not any(line in output for line in key_lines(key_text))


def test_a_refused_ca_certificate_with_a_key_in_the_same_pem_shows_no_key(fresh_emulator, pki):
    """A failure's result carries the options as well (here: the region does not exist)."""
    key_text = key_pem(pki.server_key)
    result = run_module("mtls.clb.ca_certificate",
                        {**fresh_emulator.module_args(), "region": "xx-nowhere-9", "name": "combined-ca",
                         "certificate": pki.ca_pem + key_text}, verbosity=3)
    assert result["failed"]
    output = result["_stdout"] + result["_stderr"]
    assert "PRIVATE KEY-----" not in output
    assert not any(line in output for line in key_lines(key_text))
