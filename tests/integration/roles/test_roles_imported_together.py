"""The roles in a user's own play with import_role (or `roles:`), which makes every imported role's defaults
visible to the whole play: root_ca's root_ca_certificate_path default ("{{ root_ca_directory }}/root.crt") must
not send client_certificates or certificate_upload to another CA than the one root_ca just made with the
root_ca_directory given on its own import (it resolves there with root_ca's *default* directory)."""
from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import SlbApi
from ansible_collections.mtls.clb.plugins.module_utils.pki.certificates import signature_verifies
from tests.support.ansible_run import run_playbook

PKI_PLAY = """---
- name: Steps 2 and 3 with import_role, as a user's own play
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Root CA in a directory of its own
      ansible.builtin.import_role:
        name: mtls.clb.root_ca
      vars:
        root_ca_directory: "{{ pki }}"
        root_ca_key_type: ecdsa
    - name: Client certificates beside it
      ansible.builtin.import_role:
        name: mtls.clb.client_certificates
      vars:
        client_certificates_directory: "{{ pki }}/clients"
        client_certificates_key_type: ecdsa
        client_certificates_pkcs12_password: not-a-real-secret-1
        client_certificates_clients: [carol]
"""


@pytest.fixture
def home(tmp_path):
    """A HOME of its own: the leaked default is ~/.mtls-clb/pki."""
    path = tmp_path / "home"
    path.mkdir()
    return path


def _issuer_matches(certificate_path, ca_path) -> bool:
    return signature_verifies(x509.load_pem_x509_certificate(certificate_path.read_bytes()),
                              x509.load_pem_x509_certificate(ca_path.read_bytes()))


def test_imported_client_certificates_use_the_ca_root_ca_just_made(tmp_path, home):
    playbook = tmp_path / "pki.yml"
    playbook.write_text(PKI_PLAY)
    pki = tmp_path / "pki"

    run = run_playbook(playbook, extra_vars={"pki": str(pki)}, env={"HOME": str(home)})

    assert run.rc == 0, run.stdout[-3000:]
    assert _issuer_matches(pki / "clients" / "carol.crt", pki / "root.crt")
    assert not (home / ".mtls-clb").exists()


def test_an_existing_default_ca_is_not_picked_up_silently(tmp_path, home):
    """Worse than a failure: with a CA already at the default place, the clients were signed by that one."""
    playbook = tmp_path / "pki.yml"
    playbook.write_text(PKI_PLAY)
    default_pki = home / ".mtls-clb" / "pki"
    first = run_playbook(playbook, extra_vars={"pki": str(default_pki)}, env={"HOME": str(home)})
    assert first.rc == 0, first.stdout[-3000:]
    pki = tmp_path / "pki"

    run = run_playbook(playbook, extra_vars={"pki": str(pki)}, env={"HOME": str(home)})

    assert run.rc == 0, run.stdout[-3000:]
    assert _issuer_matches(pki / "clients" / "carol.crt", pki / "root.crt")
    assert not _issuer_matches(pki / "clients" / "carol.crt", default_pki / "root.crt")


UPLOAD_PLAY = """---
- name: Steps 1, 2 and 5 with import_role, as a user's own play
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Root CA in a directory of its own
      ansible.builtin.import_role:
        name: mtls.clb.root_ca
      vars:
        root_ca_directory: "{{ pki }}"
        root_ca_key_type: ecdsa
    - name: Lab server certificate and both uploads
      ansible.builtin.import_role:
        name: mtls.clb.certificate_upload
      vars:
        certificate_upload_directory: "{{ pki }}/server"
        certificate_upload_domain: www.example.test
        certificate_upload_issue_lab_certificate: true
"""


def test_imported_certificate_upload_uploads_the_ca_root_ca_just_made(tmp_path, home, fresh_emulator):
    """The listener trusts the uploaded CA: another CA there would let the wrong clients in (or none)."""
    emu = fresh_emulator
    playbook = tmp_path / "upload.yml"
    playbook.write_text(UPLOAD_PLAY)
    # Another CA at the default place, which the leaked default pointed at.
    (tmp_path / "pki.yml").write_text(PKI_PLAY)
    other_ca = run_playbook(tmp_path / "pki.yml", extra_vars={"pki": str(home / ".mtls-clb" / "pki")},
                            env={"HOME": str(home)})
    assert other_ca.rc == 0, other_ca.stdout[-3000:]
    pki = tmp_path / "pki"

    run = run_playbook(playbook, env={"HOME": str(home)}, extra_vars={
        "pki": str(pki), "mtls_clb_endpoint": emu.api_url, "mtls_clb_region": emu.region,
        "mtls_clb_access_key_id": emu.access_key_id, "mtls_clb_access_key_secret": emu.access_key_secret})

    assert run.rc == 0, run.stdout[-3000:]
    slb = SlbApi(emu.sdk_client(), emu.region)
    [listed] = slb.call("DescribeCACertificates", {})["CACertificates"]["CACertificate"]
    root = x509.load_pem_x509_certificate((pki / "root.crt").read_bytes())
    assert listed["Fingerprint"].replace(":", "").lower() == root.fingerprint(hashes.SHA1()).hex()
