"""mtls.clb.mtls_verify in a user's own playbook follows the same shared listener port as mtls.clb.mtls_listener
(mtls_clb_listener_port), as it follows mtls_clb_domain: otherwise an inventory with mtls_clb_listener_port: 8443
gets its listener on 8443 and step 7 tests port 443 (failing, or passing against another listener)."""
from __future__ import annotations

import pytest

from tests.support.ansible_run import run_playbook

VERIFY_PLAY = """---
- name: Step 7 only
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Include mtls.clb.mtls_verify
      ansible.builtin.include_role:
        name: mtls.clb.mtls_verify
"""
EXPLAIN = "mtls.clb.mtls_verify : Explain that verification needs a real run"


@pytest.mark.parametrize(("shared", "port"), [
    ({}, 443),
    ({"mtls_clb_listener_port": 8443}, 8443),
    ({"mtls_clb_listener_port": 443, "mtls_clb_listener_port_offset": 10000}, 10443),
    ({"mtls_clb_listener_port": 8443, "mtls_verify_port": 9443}, 9443),
])
def test_verify_port_follows_the_shared_listener_port(tmp_path, shared, port):
    playbook = tmp_path / "verify.yml"
    playbook.write_text(VERIFY_PLAY)

    run = run_playbook(playbook, check=True, extra_vars={
        "mtls_clb_domain": "www.example.test", "mtls_verify_address": "192.0.2.10", **shared})

    assert run.rc == 0, run.stdout[-3000:]
    assert "https://www.example.test:%d/" % port in run.task_results(EXPLAIN)["msg"]


DIRECTORY_PLAY = """---
- name: The client directory steps 4 and 7 default to
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: mtls.clb.client_install
      when: false
    - role: mtls.clb.mtls_verify
      when: false
  tasks:
    - name: Show the directories
      ansible.builtin.debug:
        msg: "{{ client_install_directory }} {{ mtls_verify_directory }}"
"""


@pytest.mark.parametrize(("shared", "directory"), [({}, "/home/ca"),
                                                   ({"mtls_clb_client_directory": "/srv/mtls"}, "/srv/mtls")])
def test_client_directory_follows_the_shared_variable_in_both_roles(tmp_path, shared, directory):
    """Steps 4 and 7 used alone follow mtls_clb_client_directory as site.yml does; before, both kept /home/ca."""
    playbook = tmp_path / "directory.yml"
    playbook.write_text(DIRECTORY_PLAY)

    run = run_playbook(playbook, extra_vars=shared)

    assert run.rc == 0, run.stdout[-3000:]
    assert run.task_results("Show the directories")["msg"] == "%s %s" % (directory, directory)
