"""A corrected certificate chain is uploaded, not matched to the old upload of the same leaf.

SLB identifies an upload by the leaf's fingerprint and never returns the PEM it stored, so the modules tag
every upload with the SHA-256 of the whole chain. These tests run the real CLI against the emulator: the
leaf uploaded alone (intermediates forgotten), then leaf + two intermediates is a new upload that names the
one it replaces and whose tag holds the new digest; the next run changes nothing and only reads; check mode
plans it without a mutating call; an untagged upload (another tool's, or from before the tags) still
matches; the same for a CA bundle; role mtls_listener, given the new ID, switches the listener, which then
serves the whole chain; and no key material reaches any output."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization

from tests.support.ansible_run import run_module, run_playbook
from tests.support.emulator import PROXY_VARS
from clb_helpers import (
    STEP_6_PLAYBOOK,
    actions,
    add_backends,
    create_load_balancer,
    mutating,
    running_listener,
    step_6_vars,
)
from tests.unit.alicloud.certgen import fingerprint, key_pem, make_certificate, pem, rsa_key

SERVER = "mtls.clb.server_certificate"
CA = "mtls.clb.ca_certificate"
DOMAIN = "www.example.test"
CHAIN_TAG = "mtls-clb-chain-sha256"
LENGTH_TAG = "mtls-clb-chain-certificates"


class ChainPki:
    """Root -> intermediate 1 -> intermediate 2 -> leaf, and a client certificate of the test CA."""

    def __init__(self):
        self.root_key, self.first_key, self.second_key, self.leaf_key = rsa_key(5), rsa_key(3), rsa_key(4), rsa_key(1)
        self.root = make_certificate("Chain Root", self.root_key, ca=True, days=3650)
        self.first = make_certificate("Chain Intermediate 1", self.first_key, "Chain Root", self.root_key,
                                      ca=True, days=3650)
        self.second = make_certificate("Chain Intermediate 2", self.second_key, "Chain Intermediate 1",
                                       self.first_key, ca=True, days=3650)
        self.leaf = make_certificate(DOMAIN, self.leaf_key, "Chain Intermediate 2", self.second_key, sans=(DOMAIN,))
        self.client_key = rsa_key(2)
        self.client = make_certificate("client01.example.test", self.client_key, "Chain Root", self.root_key)

    @property
    def leaf_only(self) -> str:
        return pem(self.leaf)

    @property
    def full_chain(self) -> str:
        return pem(self.leaf) + pem(self.second) + pem(self.first)

    def key_lines(self) -> set[str]:
        lines = set()
        for form in ("pkcs1", "pkcs8"):
            lines.update(line for line in key_pem(self.leaf_key, form).splitlines() if "-----" not in line)
        return lines


def digest(*certs) -> str:
    return hashlib.sha256(b"".join(cert.public_bytes(serialization.Encoding.DER) for cert in certs)).hexdigest()


@pytest.fixture(scope="module")
def chain_pki():
    return ChainPki()


def server_params(args, chain_pki, chain_pem, name="www"):
    return {**args, "name": name, "certificate": chain_pem, "private_key": key_pem(chain_pki.leaf_key, "pkcs8")}


def listed_tags(slb, action, list_key, item_key, id_field):
    items = slb.call(action)[list_key][item_key]
    return {item[id_field]: {tag["TagKey"]: tag["TagValue"] for tag in item["Tags"]["Tag"]} for item in items}


def server_tags(slb):
    return listed_tags(slb, "DescribeServerCertificates", "ServerCertificates", "ServerCertificate",
                       "ServerCertificateId")


def ca_tags(slb):
    return listed_tags(slb, "DescribeCACertificates", "CACertificates", "CACertificate", "CACertificateId")


def assert_no_key_material(results, chain_pki):
    for result in results:
        shown = repr({k: v for k, v in result.items() if k not in ("_stdout", "_stderr")})
        shown += result["_stdout"] + result["_stderr"]
        assert "PRIVATE KEY" not in shown
        assert [line for line in chain_pki.key_lines() if line in shown] == [], "key material in the output"


def test_leaf_only_then_full_chain_is_a_new_upload_that_names_the_one_it_replaces(emu, args, slb, chain_pki):
    leaf_only = run_module(SERVER, server_params(args, chain_pki, chain_pki.leaf_only), diff=True)
    assert leaf_only["changed"] is True, leaf_only.get("msg")
    stale_id = leaf_only["server_certificate_id"]
    assert server_tags(slb)[stale_id] == {CHAIN_TAG: digest(chain_pki.leaf), LENGTH_TAG: "1"}

    corrected = server_params(args, chain_pki, chain_pki.full_chain)
    start = len(emu.calls())
    check = run_module(SERVER, corrected, check=True, diff=True)
    assert check["changed"] is True and check["server_certificate_id"] is None
    assert check["replaced_certificate_id"] == stale_id
    assert mutating(emu, start) == [], "check mode must not upload"
    assert (check["diff"]["before"]["chain_certificates"], check["diff"]["after"]["chain_certificates"]) == (1, 3)

    start = len(emu.calls())
    applied = run_module(SERVER, corrected, diff=True)
    assert applied["changed"] is True, applied.get("msg")
    new_id = applied["server_certificate_id"]
    assert new_id not in (None, stale_id) and applied["replaced_certificate_id"] == stale_id
    assert applied["fingerprint"] == leaf_only["fingerprint"] == fingerprint(chain_pki.leaf)
    assert mutating(emu, start) == ["UploadServerCertificate"]
    assert applied["diff"]["before"]["id"] == stale_id and applied["diff"]["after"]["id"] == new_id
    assert applied["diff"]["after"]["chain_sha256"] == digest(chain_pki.leaf, chain_pki.second, chain_pki.first)
    listed = server_tags(slb)
    assert listed[new_id] == {CHAIN_TAG: digest(chain_pki.leaf, chain_pki.second, chain_pki.first), LENGTH_TAG: "3"}
    assert listed[stale_id] == {CHAIN_TAG: digest(chain_pki.leaf), LENGTH_TAG: "1"}, "the old upload is kept"

    start = len(emu.calls())
    again = run_module(SERVER, corrected, diff=True)
    assert again["changed"] is False and again["server_certificate_id"] == new_id
    assert again["replaced_certificate_id"] is None and not again.get("warnings")
    assert actions(emu, start) == ["DescribeServerCertificates"]
    check_again = run_module(SERVER, corrected, check=True)
    assert check_again["changed"] is False and check_again["server_certificate_id"] == new_id
    assert_no_key_material([leaf_only, check, applied, again, check_again], chain_pki)


def test_an_untagged_upload_of_the_leaf_still_matches_and_nothing_is_uploaded(emu, args, slb, chain_pki):
    untagged = slb.call("UploadServerCertificate", {
        "ServerCertificate": chain_pki.leaf_only, "PrivateKey": key_pem(chain_pki.leaf_key),
        "ServerCertificateName": "www"})["ServerCertificateId"]
    assert server_tags(slb)[untagged] == {}
    start = len(emu.calls())
    result = run_module(SERVER, server_params(args, chain_pki, chain_pki.full_chain), diff=True)
    assert result["changed"] is False and result["server_certificate_id"] == untagged
    assert result["replaced_certificate_id"] is None and not result.get("warnings")
    assert result["diff"]["before"] == result["diff"]["after"]
    assert actions(emu, start) == ["DescribeServerCertificates"]
    assert_no_key_material([result], chain_pki)


def test_a_ca_bundle_changed_beyond_its_first_certificate_is_uploaded_anew(emu, args, slb, chain_pki):
    first_only = {**args, "name": "client-ca", "certificate": pem(chain_pki.first)}
    bundle = {**first_only, "certificate": pem(chain_pki.first) + pem(chain_pki.root)}
    old = run_module(CA, first_only)
    assert old["changed"] is True, old.get("msg")

    start = len(emu.calls())
    check = run_module(CA, bundle, check=True, diff=True)
    assert check["changed"] is True and check["replaced_certificate_id"] == old["ca_certificate_id"]
    assert mutating(emu, start) == []

    start = len(emu.calls())
    new = run_module(CA, bundle, diff=True)
    assert new["changed"] is True and new["ca_certificate_id"] != old["ca_certificate_id"]
    assert new["replaced_certificate_id"] == old["ca_certificate_id"]
    assert new["fingerprint"] == old["fingerprint"] == fingerprint(chain_pki.first)
    assert mutating(emu, start) == ["UploadCACertificate"]
    assert ca_tags(slb)[new["ca_certificate_id"]] == {CHAIN_TAG: digest(chain_pki.first, chain_pki.root),
                                                      LENGTH_TAG: "2"}

    start = len(emu.calls())
    again = run_module(CA, bundle)
    assert again["changed"] is False and again["ca_certificate_id"] == new["ca_certificate_id"]
    assert actions(emu, start) == ["DescribeCACertificates"]


def test_an_untagged_ca_upload_still_matches(emu, args, slb, chain_pki):
    untagged = slb.call("UploadCACertificate", {"CACertificate": pem(chain_pki.first),
                                                "CACertificateName": "client-ca"})["CACertificateId"]
    start = len(emu.calls())
    result = run_module(CA, {**args, "name": "client-ca", "certificate": pem(chain_pki.first) + pem(chain_pki.root)})
    assert result["changed"] is False and result["ca_certificate_id"] == untagged
    assert actions(emu, start) == ["DescribeCACertificates"]


def _env():
    return {k: v for k, v in os.environ.items() if k not in PROXY_VARS}


def served_chain(address, port, tmp_path, chain_pki):
    """(common names the listener sends, whether the chain verifies against the root alone)."""
    files = {"root.pem": pem(chain_pki.root), "client.crt": pem(chain_pki.client),
             "client.key": key_pem(chain_pki.client_key)}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "client.key").chmod(0o600)
    shown = subprocess.run(["openssl", "s_client", "-connect", f"{address}:{port}", "-servername", DOMAIN,
                            "-CAfile", str(tmp_path / "root.pem"), "-showcerts",
                            "-cert", str(tmp_path / "client.crt"), "-key", str(tmp_path / "client.key")],
                           input="", capture_output=True, text=True, timeout=30, env=_env(), check=False)
    sent = re.findall(r"^\s*\d+ s:.*CN ?= ?([^,/\n]+)", shown.stdout, re.M)
    return sent, "Verify return code: 0 (ok)" in shown.stdout


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl (bindep.txt)")
def test_mtls_listener_role_switches_to_the_corrected_upload(emu, args, slb, chain_pki, tmp_path):
    stale = run_module(SERVER, server_params(args, chain_pki, chain_pki.leaf_only))
    ca_id = slb.call("UploadCACertificate", {"CACertificate": pem(chain_pki.root),
                                             "CACertificateName": "client-ca"})["CACertificateId"]
    load_balancer_id = create_load_balancer(slb)
    add_backends(slb, load_balancer_id, emu.ecs_ids)
    running_listener(slb, load_balancer_id, stale["server_certificate_id"], ca_id)
    address = slb.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": load_balancer_id})["Address"]
    port = 443 + emu.listener_port_offset
    assert served_chain(address, port, tmp_path, chain_pki) == ([DOMAIN], False)

    corrected = run_module(SERVER, server_params(args, chain_pki, chain_pki.full_chain))
    assert corrected["changed"] and corrected["replaced_certificate_id"] == stale["server_certificate_id"]

    playbook = tmp_path / "listener.yml"
    playbook.write_text(STEP_6_PLAYBOOK)
    start = len(emu.calls())
    run = run_playbook(playbook, extra_vars=step_6_vars(
        emu, mtls_listener_load_balancer_id=load_balancer_id,
        mtls_listener_server_certificate_id=corrected["server_certificate_id"], mtls_listener_ca_certificate_id=ca_id))
    assert run.rc == 0, run.stdout[-3000:]
    assert mutating(emu, start) == ["SetLoadBalancerHTTPSListenerAttribute"]
    listener = slb.call("DescribeLoadBalancerHTTPSListenerAttribute",
                        {"LoadBalancerId": load_balancer_id, "ListenerPort": 443})
    assert (listener["ServerCertificateId"], listener["CACertificateId"]) == (corrected["server_certificate_id"], ca_id)
    assert served_chain(address, port, tmp_path, chain_pki) == (
        [DOMAIN, "Chain Intermediate 2", "Chain Intermediate 1"], True)

    # Unused now, the stale upload goes by its ID; the corrected one stays.
    removed = run_module(SERVER, {**args, "server_certificate_id": stale["server_certificate_id"], "state": "absent"})
    assert removed["changed"] and removed["deleted"] == [stale["server_certificate_id"]]
    assert list(server_tags(slb)) == [corrected["server_certificate_id"]]
