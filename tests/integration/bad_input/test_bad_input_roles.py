"""Bad input to the roles and site.yml: each case fails with a message that names the variable
and says how to fix it, and changes nothing (no file or directory, no mutating API call).

ROLE_CASES reads as a table: (id, role, variables, variable named, hint given). Each role runs
alone from a one-task playbook, as a user's own playbook would include it.

CLOUD_REFUSAL_CASES are inputs only the cloud can refuse (well-formed, but nothing of that ID exists
there): the module's message stays first and whole (code and request ID), followed by the role variable
behind the option it names and the shared mtls_clb_* variable its default comes from.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import SlbApi
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.connection import REGION_ENV
from tests.integration.security import mtls_test_pki
from tests.integration.security.nothing_changed import mutating_calls, snapshot_difference, tree_snapshot
from tests.support.ansible_run import ONE_ROLE_PLAYBOOK, REPO_ROOT, run_playbook
from tests.support.cases import CaseParam
from tests.support.emulator import start_emulator


@dataclass
class Workspace:
    work: Path
    emulator: object

    def path(self, name: str) -> str:
        return str(self.work / name)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    work = tmp_path_factory.mktemp("bad-input-roles")
    (work / "role.yml").write_text(ONE_ROLE_PLAYBOOK)
    # Step 4's sources as earlier steps leave them: well-formed PEM (client_bundle checks the framing),
    # whose contents do not matter to the cases.
    some_key = mtls_test_pki.new_key()
    some_certificate = mtls_test_pki.certificate_pem(mtls_test_pki.certificate("bad-input client", some_key))
    for name in ("pki/clients/localhost.key", "pki/clients/localhost.crt", "pki/root.crt", "pki/server/ca.crt"):
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(mtls_test_pki.key_pem(some_key) if name.endswith(".key") else some_certificate)
    (work / "home-ca-is-a-file").write_text("not a directory\n")
    # Step 5's inputs: a server directory as step 1 leaves it (0700), once without the purchased files
    # and once with a certificate and key that would upload fine.
    server_key = mtls_test_pki.new_key()
    for directory in ("server-without-files", "server-with-files"):
        (work / directory).mkdir(mode=0o700)
    mtls_test_pki.write_pair(work / "server-with-files", "server",
                             mtls_test_pki.certificate("www.bad-input.test", server_key, dns_names=["www.bad-input.test"]),
                             server_key)
    # Step 5's inputs as steps 1-2 leave them, real PEM this time: the cloud, not the module, refuses them.
    mtls_test_pki.write_pair(work / "server-valid", "server",
                             mtls_test_pki.certificate("www.bad-input.test", server_key, dns_names=["www.bad-input.test"]),
                             server_key)
    (work / "server-valid").chmod(0o700)
    # The same with an ECDSA key, which the emulator (like CLB's current docs) refuses in every region by default.
    ecdsa_key = ec.generate_private_key(ec.SECP256R1())
    mtls_test_pki.write_pair(work / "server-ecdsa", "server",
                             mtls_test_pki.certificate("www.bad-input.test", ecdsa_key, dns_names=["www.bad-input.test"]),
                             ecdsa_key)
    (work / "server-ecdsa").chmod(0o700)
    root_key = mtls_test_pki.new_key()
    mtls_test_pki.write(work / "pki-valid" / "root.crt",
                        mtls_test_pki.certificate_pem(mtls_test_pki.certificate("bad-input root", root_key, ca=True)), 0o644)
    locked = work / "locked-pki"
    locked.mkdir()
    if os.geteuid() == 0:  # root ignores mode bits
        subprocess.run(["chattr", "+i", str(locked)], check=True)
    else:
        locked.chmod(0o500)
    emulator = start_emulator(work / "emulator", demo_backends=1)
    try:
        yield Workspace(work=work, emulator=emulator)
    finally:
        emulator.stop()
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(locked)], check=False)
        locked.chmod(0o700)


def cloud(ws: Workspace) -> dict:
    return {"mtls_clb_endpoint": ws.emulator.api_url, "mtls_clb_region": ws.emulator.region}


def listener_role_vars(ws: Workspace, **overrides) -> dict:
    """Valid mtls_listener inputs (placeholder certificate IDs) with `overrides`, the one bad input."""
    return {**cloud(ws), "mtls_listener_load_balancer_name": "bad-input-roles",
            "mtls_listener_backend_servers": ws.emulator.ecs_ids,
            "mtls_listener_server_certificate_id": "srv", "mtls_listener_ca_certificate_id": "ca", **overrides}


@dataclass
class RoleCase(CaseParam):
    id: str
    role: str
    variables: Callable[[Workspace], dict]
    variable: str
    hint: str
    defect: str = ""


ROLE_CASES = [
    RoleCase("client_install: /home/ca exists as a file", "mtls.clb.client_install",
             lambda ws: {"client_install_directory": ws.path("home-ca-is-a-file"),
                         "client_install_pki_directory": ws.path("pki"),
                         "client_install_owner": str(os.getuid()), "client_install_group": str(os.getgid())},
             "client_install_directory", "not a directory"),
    RoleCase("client_install: sources missing", "mtls.clb.client_install",
             lambda ws: {"client_install_directory": ws.path("home-ca"),
                         "client_install_pki_directory": ws.path("no-pki"),
                         "client_install_owner": str(os.getuid()), "client_install_group": str(os.getgid())},
             "client_install_*_path", "Run steps 1-3 first"),
    RoleCase("certificate_upload: purchased server certificate missing", "mtls.clb.certificate_upload",
             lambda ws: {**cloud(ws), "certificate_upload_directory": ws.path("server-without-files"),
                         "certificate_upload_client_ca_certificate_path": ws.path("pki/root.crt")},
             "certificate_upload_server_certificate_path", "set certificate_upload_issue_lab_certificate"),
    # The server certificate is there and would upload fine: nothing is uploaded while the CA is missing.
    RoleCase("certificate_upload: client CA certificate missing", "mtls.clb.certificate_upload",
             lambda ws: {**cloud(ws), "certificate_upload_directory": ws.path("server-with-files"),
                         "certificate_upload_client_ca_certificate_path": ws.path("no-pki/root.crt")},
             "certificate_upload_client_ca_certificate_path", "mtls.clb.root_ca"),
    # The lab CA module names its option (certificate_path: directory ... cannot be created); the role adds the
    # variables behind it.
    RoleCase("certificate_upload: lab certificate directory not writable", "mtls.clb.certificate_upload",
             lambda ws: {**cloud(ws), "certificate_upload_directory": ws.path("locked-pki/server"),
                         "mtls_clb_issue_lab_certificate": True, "mtls_clb_domain": "www.bad-input.test",
                         "certificate_upload_lab_key_size": 2048},
             "certificate_upload_lab_ca_private_key_path (by default from ca.key in certificate_upload_directory",
             "is not writable by this user"),
    RoleCase("client_certificates: empty client list", "mtls.clb.client_certificates",
             lambda ws: {"client_certificates_clients": [], "client_certificates_directory": ws.path("clients"),
                         "client_certificates_pkcs12_password": "p12-roles-Hw31"},
             "client_certificates_clients", "put the client hosts into the linux_clients"),
    RoleCase("client_certificates: no PKCS#12 password", "mtls.clb.client_certificates",
             lambda ws: {"client_certificates_clients": ["client01"],
                         "client_certificates_directory": ws.path("clients")},
             "mtls_clb_pkcs12_password", "Ansible Vault"),
    RoleCase("root_ca: unwritable output directory", "mtls.clb.root_ca",
             lambda ws: {"root_ca_directory": ws.path("locked-pki"), "root_ca_key_size": 2048},
             "root_ca_directory", "permissions"),
    RoleCase("mtls_listener: invalid TLS policy name", "mtls.clb.mtls_listener",
             lambda ws: listener_role_vars(ws, mtls_listener_tls_cipher_policy="tls_cipher_policy_9"),
             "mtls_listener_tls_cipher_policy", "must be one of: tls_cipher_policy_1_0"),
    RoleCase("mtls_listener: load balancer not found", "mtls.clb.mtls_listener",
             lambda ws: listener_role_vars(ws, mtls_listener_load_balancer_name="no-such-balancer"),
             "mtls_listener_create_load_balancer", "Check the ID/name and the region"),
    RoleCase("mtls_listener: unknown region", "mtls.clb.mtls_listener",
             lambda ws: listener_role_vars(ws, mtls_clb_region="xx-nowhere-9"),
             "region", "ALIBABA_CLOUD_REGION_ID"),
    RoleCase("mtls_listener: no backend servers", "mtls.clb.mtls_listener",
             lambda ws: listener_role_vars(ws, mtls_listener_backend_servers=[]),
             "mtls_listener_backend_servers", "list the ECS instance IDs"),
]


def slb_api(ws: Workspace) -> SlbApi:
    return SlbApi(ws.emulator.sdk_client(), ws.emulator.region)


def load_balancer_named(ws: Workspace, name: str, backend_ids=()) -> dict:
    """Role variables that find an existing (pay-by-LCU) load balancer `name`, created through the API with
    `backend_ids` in its default server group; `__load_balancer_id` (not a role variable) is its ID."""
    slb = slb_api(ws)
    found = slb.call("DescribeLoadBalancers", {"LoadBalancerName": name})["LoadBalancers"]["LoadBalancer"]
    if found:
        load_balancer_id = found[0]["LoadBalancerId"]
    else:
        load_balancer_id = slb.call("CreateLoadBalancer", {"LoadBalancerName": name, "InstanceChargeType": "PayByCLCU",
                                                           "AddressType": "internet"})["LoadBalancerId"]
        if backend_ids:
            slb.call("AddBackendServers", {"LoadBalancerId": load_balancer_id, "BackendServers": json.dumps(
                [{"ServerId": server_id, "Weight": "100", "Type": "ecs"} for server_id in backend_ids])})
    return {"mtls_listener_load_balancer_name": name, "__load_balancer_id": load_balancer_id}


def load_balancer_state(ws: Workspace, load_balancer_id: str) -> dict:
    """What a refused step 6 must leave as it was: the default server group and the listener ports."""
    attribute = slb_api(ws).call("DescribeLoadBalancerAttribute", {"LoadBalancerId": load_balancer_id})
    return {"backends": sorted((server["ServerId"], int(server["Weight"]))
                               for server in attribute.get("BackendServers", {}).get("BackendServer", [])),
            "listener_ports": sorted(attribute.get("ListenerPorts", {}).get("ListenerPort", []))}


def uploaded_certificate_names(ws: Workspace) -> list[str]:
    slb = slb_api(ws)
    servers = slb.call("DescribeServerCertificates")["ServerCertificates"]["ServerCertificate"]
    cas = slb.call("DescribeCACertificates")["CACertificates"]["CACertificate"]
    return sorted([item["ServerCertificateName"] for item in servers] + [item["CACertificateName"] for item in cas])


def certificate_upload_vars(ws: Workspace, **overrides) -> dict:
    """certificate_upload with a purchased certificate and a client CA in place (real PEM), and `overrides`."""
    return {**cloud(ws), "certificate_upload_directory": ws.path("server-valid"), "mtls_clb_domain": "www.bad-input.test",
            "certificate_upload_client_ca_certificate_path": ws.path("pki-valid/root.crt"), **overrides}


@dataclass
class CloudRefusalCase(CaseParam):
    id: str
    role: str
    variables: Callable[[Workspace], dict]
    # The module's own words, and the role variables (and shared variables) the role adds behind them.
    module_says: tuple
    variables_named: tuple
    # The mutating calls the cloud refused: refused, so nothing changed; no other mutating call may be made.
    refused_calls: tuple = ()
    access_key_secret: str = ""
    defect: str = ""


# A secret the emulator rejects; it must not appear in any output.
WRONG_SECRET = "wrong-secret-Vd73kQ"

CLOUD_REFUSAL_CASES = [
    CloudRefusalCase("mtls_listener: well-formed ECS ID that does not exist", "mtls.clb.mtls_listener",
                     lambda ws: {**listener_role_vars(ws, mtls_listener_backend_servers=None,
                                                      mtls_clb_backend_servers=["i-bp1doesnotexist0000"]),
                                 **load_balancer_named(ws, "refused-backend")},
                     ("AddBackendServers failed: ObtainIpFail", "i-bp1doesnotexist0000", "Check servers[].server_id"),
                     ("servers = mtls_listener_backend_servers (by default from mtls_clb_backend_servers)",),
                     refused_calls=("AddBackendServers:ObtainIpFail",)),
    CloudRefusalCase("mtls_listener: load balancer ID that does not exist", "mtls.clb.mtls_listener",
                     lambda ws: listener_role_vars(ws, mtls_listener_load_balancer_id="lb-bp1doesnotexist00000000"),
                     ("load balancer lb-bp1doesnotexist00000000 does not exist in region cn-hangzhou",
                      "check load_balancer_id and region"),
                     ("load_balancer_id = mtls_listener_load_balancer_id (by default from mtls_clb_load_balancer_id",
                      "region = mtls_listener_region (by default from mtls_clb_region")),
    CloudRefusalCase("mtls_listener: server certificate ID of another region", "mtls.clb.mtls_listener",
                     lambda ws: {**listener_role_vars(ws, mtls_listener_server_certificate_id="1231579085529123_other"),
                                 **load_balancer_named(ws, "refused-certificate", ws.emulator.ecs_ids)},
                     ("CreateLoadBalancerHTTPSListener failed: CertificateNotExist", "ServerCertificateId 1231579085529123_other", "request id"),
                     ("server_certificate_id = mtls_listener_server_certificate_id",),
                     refused_calls=("CreateLoadBalancerHTTPSListener:CertificateNotExist",)),
    CloudRefusalCase("certificate_upload: region the cloud does not know", "mtls.clb.certificate_upload",
                     lambda ws: certificate_upload_vars(ws, mtls_clb_region="xx-nowhere-9"),
                     ("DescribeServerCertificates failed: InvalidRegionId.NotFound", "request id",
                      "Check the region option (xx-nowhere-9)"),
                     ("region = certificate_upload_region (by default from mtls_clb_region",)),
    CloudRefusalCase("certificate_upload: ECDSA certificate in a region that takes RSA only", "mtls.clb.certificate_upload",
                     lambda ws: certificate_upload_vars(ws, certificate_upload_directory=ws.path("server-ecdsa")),
                     ("UploadServerCertificate failed: EccCertificateNotSupport", "request id",
                      "Region cn-hangzhou does not take ECDSA", "with an RSA key", "a region that takes ECDSA"),
                     ("certificate_path = certificate_upload_server_certificate_path",
                      "private_key_path = certificate_upload_server_private_key_path",
                      "region = certificate_upload_region (by default from mtls_clb_region"),
                     refused_calls=("UploadServerCertificate:EccCertificateNotSupport",)),
    CloudRefusalCase("certificate_upload: access key secret the cloud rejects", "mtls.clb.certificate_upload",
                     lambda ws: certificate_upload_vars(ws, mtls_clb_access_key_id=ws.emulator.access_key_id,
                                                        mtls_clb_access_key_secret=WRONG_SECRET),
                     ("DescribeServerCertificates failed: SignatureDoesNotMatch", "request id"),
                     ("access_key_secret = certificate_upload_access_key_secret (by default from "
                      "mtls_clb_access_key_secret",),
                     access_key_secret=WRONG_SECRET),
]


def failure_messages(run) -> list[str]:
    messages = []
    for play in run.data.get("plays", []):
        for task in play.get("tasks", []):
            for result in task["hosts"].values():
                if result.get("failed"):
                    messages.append(str(result.get("msg", "")))
                    messages += [str(item.get("msg", "")) for item in result.get("results", []) if item.get("failed")]
    return messages


def run_failing(ws: Workspace, playbook: Path, variables: dict, inventory=None, env: dict | None = None):
    """Run, and return (the failure messages, what changed on disk, mutating API calls)."""
    run, changed, mutating = run_failing_with_output(ws, playbook, variables, inventory, env)
    return failure_messages(run), changed, mutating


def run_failing_with_output(ws: Workspace, playbook: Path, variables: dict, inventory=None, env: dict | None = None):
    """Run, and return (the run, what changed on disk, mutating API calls). The access key is in the
    environment, as for a user; `env` changes it (None removes a variable)."""
    watched = [path for path in ws.work.iterdir() if path.name != "emulator"]
    files_before = tree_snapshot(*watched, *(ws.work / name for name in ("home-ca", "clients", "site-pki")))
    calls_before = len(ws.emulator.calls())
    # No region from the machine's environment: each test says where its region comes from.
    run_env = {**dict.fromkeys(REGION_ENV), "ALIBABA_CLOUD_ACCESS_KEY_ID": ws.emulator.access_key_id,
               "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ws.emulator.access_key_secret, **(env or {})}
    run = run_playbook(playbook, inventory=inventory, extra_vars=variables, env=run_env)
    assert run.rc != 0, f"the run accepted bad input:\n{run.stdout[-3000:]}"
    changed = snapshot_difference(files_before, tree_snapshot(
        *watched, *(ws.work / name for name in ("home-ca", "clients", "site-pki"))))
    # Nothing changed, so no task may say it did (a lookup run in forced check mode once reported "would create").
    assert not any(run.changed_per_host().values()), f"a refused run reports changes: {run.changed_per_host()}"
    return run, changed, mutating_calls(ws.emulator.calls()[calls_before:])


@pytest.mark.parametrize("case", [case.param() for case in ROLE_CASES])
def test_role_bad_input(workspace, case):
    """A role given bad input fails naming the variable and the fix; no file, no mutating API call."""
    messages, changed, mutating = run_failing(
        workspace, workspace.work / "role.yml", {"role_under_test": case.role, **case.variables(workspace)})

    assert changed == {}, f"files changed: {changed}"
    assert mutating == [], f"mutating API calls: {mutating}"
    message = "\n".join(messages)
    assert case.variable in message, f"the message does not name {case.variable!r}: {message}"
    assert case.hint in message, f"the message gives no hint ({case.hint!r}): {message}"


@pytest.mark.parametrize("case", [case.param() for case in CLOUD_REFUSAL_CASES])
def test_cloud_refusal_names_the_role_variable(workspace, case):
    """What only the cloud can refuse: the module's message first and whole (code, request ID), then the role
    variable behind the refused option and the shared variable it defaults from; nothing else changes."""
    ws = workspace
    variables = {name: value for name, value in case.variables(ws).items() if value is not None}
    load_balancer_id = variables.pop("__load_balancer_id", None)
    before = load_balancer_state(ws, load_balancer_id) if load_balancer_id else None
    certificates_before = uploaded_certificate_names(ws)

    run, changed, mutating = run_failing_with_output(
        ws, ws.work / "role.yml", {"role_under_test": case.role, **variables})

    messages = failure_messages(run)
    module_message = next((message for message in messages if case.module_says[0] in message), None)
    assert module_message is not None, f"the module did not fail as expected: {messages}"
    role_message = messages[-1]
    # The module's message comes first and whole; the role adds to it, it does not rewrite it.
    assert role_message.startswith(module_message) and role_message != module_message, messages
    for text in case.module_says:
        assert text in module_message, f"{text!r} not in the module's message: {module_message}"
    added = role_message[len(module_message):]
    for text in case.variables_named:
        assert text in added, f"the role does not name {text!r}: {role_message}"
    if case.access_key_secret:
        assert case.access_key_secret not in run.stdout + run.stderr, "the access key secret is in the output"
    # Nothing changed: no file, no mutating call but the refused ones, the load balancer and the
    # certificates as they were.
    assert changed == {}, f"files changed: {changed}"
    assert mutating == list(case.refused_calls), f"mutating API calls: {mutating}"
    if load_balancer_id:
        assert load_balancer_state(ws, load_balancer_id) == before
    assert uploaded_certificate_names(ws) == certificates_before


SITE_INVENTORY = """all:
  hosts:
    localhost:
      ansible_connection: local
  children:
    linux_clients:
      hosts:
        client01:
          ansible_connection: local
"""


def site_vars(ws: Workspace, **overrides) -> dict:
    """A complete, valid set of site.yml variables with `overrides`, the one bad input (None removes a variable)."""
    variables = {**cloud(ws), "mtls_clb_pki_dir": ws.path("site-pki"), "mtls_clb_domain": "www.bad-input.test",
                 "mtls_clb_backend_servers": ws.emulator.ecs_ids, "mtls_clb_pkcs12_password": "p12-roles-Hw31",
                 "mtls_clb_issue_lab_certificate": True, "mtls_clb_create_load_balancer": True,
                 "mtls_clb_load_balancer_name": "bad-input-site", "mtls_clb_client_directory": ws.path("home-ca"),
                 "mtls_clb_client_become": False, "ansible_python_interpreter": sys.executable}
    variables.update(overrides)
    return {name: value for name, value in variables.items() if value is not None}


# (id, bad input, variable named, hint given). Each is found by site.yml's first plays, which check every
# role's inputs before step 1: no file is written and the API is not called at all.
SITE_CASES = [
    ("listener port out of range", {"mtls_clb_listener_port": 70000}, "mtls_clb_listener_port", "1-65535"),
    ("invalid TLS policy name", {"mtls_listener_tls_cipher_policy": "tls_cipher_policy_1_3"},
     "mtls_listener_tls_cipher_policy", "must be one of"),
    ("backend given by name, not ID", {"mtls_clb_backend_servers": ["ECS01", "ECS02"]}, "mtls_clb_backend_servers",
     "(i-...)"),
    # The module takes a plain ID as an ECS instance: an ENI ID needs its type, else step 6 refused it after steps 1-5.
    ("ENI given as a plain ID", {"mtls_clb_backend_servers": ["eni-bp1abcdef"]}, "mtls_clb_backend_servers",
     "{server_id: eni-..., type: eni}"),
    ("ECS ID given type eni", {"mtls_clb_backend_servers": [{"server_id": "i-bp1abcdef", "type": "eni"}]},
     "i-bp1abcdef is not an instance ID", "mtls_clb_backend_servers"),
    ("backend weight above 100", {"mtls_listener_backend_weight": 101}, "mtls_listener_backend_weight", "0 (out of rotation) to 100"),
    ("no PKCS#12 password", {"mtls_clb_pkcs12_password": None}, "mtls_clb_pkcs12_password", "Ansible Vault"),
    ("wildcard domain", {"mtls_clb_domain": "*.bad-input.test"}, "mtls_clb_domain", "one name it covers"),
    # The default certificate name is made from the domain: not reported as a second, unset variable.
    ("wildcard domain named once", {"mtls_clb_domain": "*.bad-input.test"}, "one name it covers",
     "www.example.com instead of *.example.com", "certificate_upload_server_certificate_name"),
    ("domain left empty in YAML", {"mtls_clb_domain": ""}, "mtls_clb_domain", "https://<domain>/"),
    ("purchased certificate not in place", {"mtls_clb_issue_lab_certificate": False},
     "certificate_upload_server_certificate_path", "mtls_clb_issue_lab_certificate"),
    ("step 7 asked for more backends than requests", {"mtls_verify_requests": 1},
     "mtls_verify_min_backends", "at least as many"),
    ("step 7 path without its slash", {"mtls_verify_path": "health"}, "mtls_verify_path", "must start with /"),
    ("relative client directory", {"mtls_clb_client_directory": "home/ca"}, "client_install_directory", "absolute path"),
    # CLB refuses a 3072-bit server key at upload (step 5): refused before step 1 instead.
    ("lab server key size CLB refuses", {"certificate_upload_lab_key_size": 3072}, "certificate_upload_lab_key_size",
     "must be one of: 2048, 4096"),
    # The CA certificate is uploaded at step 5; CLB's certificate requirements list RSA 1024/2048/4096 only.
    ("root CA key size CLB's requirements do not list", {"root_ca_key_size": 3072}, "root_ca_key_size",
     "must be one of: 2048, 4096"),
    ("root CA renewal window longer than its validity", {"root_ca_valid_days": 10, "root_ca_renew_before_days": 30},
     "root_ca_renew_before_days", "smaller than root_ca_valid_days"),
    # The modules would refuse it too, but only at step 5, after steps 1-4 wrote keys and client files.
    ("region not in ID form", {"mtls_clb_region": "hangzhou"}, "mtls_clb_region", "e.g. cn-hangzhou"),
    ("misspelt shared variable", {"mtls_clb_listner_port": 8443}, "mtls_clb_listner_port: not a variable mtls.clb reads",
     "mtls_clb_listener_port"),
    ("misspelt role variable", {"root_ca_comon_name": "root"},
     "root_ca_comon_name: not a variable of the role its prefix names", "ansible-doc -t role mtls.clb.<role>"),
    # 65 characters: a valid host name, too long for the lab certificate's CN and the default certificate name.
    ("domain too long for a lab certificate", {"mtls_clb_domain": "a" * 52 + ".example.test"}, "mtls_clb_domain",
     "at most 64"),
    ("certificate name not allowed by SLB", {"certificate_upload_server_certificate_name": "server cert"},
     "certificate_upload_server_certificate_name", "1-80 characters"),
    # The first bad-input case. Step 3 refused it, but only after steps 1 and 2 had written the lab CA, the
    # server certificate and the root CA. Compared as the module does: case and outer blanks do not count.
    ("client CN equal to the root CA's CN", {"root_ca_common_name": "Client01"}, "root_ca_common_name",
     "differ from the CA's CN"),
    # Refused by the module at step 3 (or 2) once, after the earlier steps had written their keys: now by the
    # module's own code (the mtls.clb.pki_input_problems filter) before step 1.
    ("client named twice", {"client_certificates_clients": [{"name": "client01", "common_name": "c1"}, "client01"]},
     "client_certificates_clients", "name 'client01' is used by clients[0] and clients[1]"),
    ("client name not fit for a file name", {"client_certificates_clients": ["client 01"]},
     "client_certificates_clients", "clients[0].name: 'client 01' must start with a letter or digit"),
    ("client CN longer than X.509 allows", {"client_certificates_clients": [{"name": "client01", "common_name": "c" * 65}]},
     "client_certificates_clients", "clients[0] (client01).common_name is longer than the 64 characters"),
    ("root CA CN longer than X.509 allows", {"root_ca_common_name": "r" * 65}, "root_ca_common_name",
     "longer than the 64 characters X.509 allows"),
    ("root CA valid past 9999-12-31", {"root_ca_valid_days": 3000000}, "root_ca_valid_days (3000000)",
     "would end after 9999-12-31"),
    # Found by client_bundle at step 4 once, after steps 1-3 made the keys; now asked of the client before step 1,
    # with become (root may give files to any user, but not to one that does not exist) and without.
    ("client file owner that does not exist, with become",
     {"client_install_owner": "nosuchuser-mtls", "mtls_clb_client_become": True},
     "client_install_owner: there is no user nosuchuser-mtls on client01", "create the user first"),
    ("client file group that does not exist, without become", {"client_install_group": "nosuchgroup-mtls"},
     "client_install_group: there is no group nosuchgroup-mtls on client01", "an existing group name or a numeric gid"),
    ("client certificates valid past 9999-12-31", {"client_certificates_valid_days": 4000000},
     "client_certificates_valid_days (4000000)", "would end after 9999-12-31"),
]


@pytest.mark.parametrize("overrides, variable, hint, absent",
                         [pytest.param(*case[1:], *([None] * (5 - len(case))), id=case[0]) for case in SITE_CASES])
def test_site_checks_every_input_before_step_1(workspace, overrides, variable, hint, absent):
    """site.yml refuses bad input for any step before step 1 runs: no file, no API call at all."""
    assert_refused_before_step_1(workspace, overrides, variable, hint, absent=absent)


def test_site_refuses_a_backend_listed_twice(workspace):
    """The role keys plain IDs by ID, so a repeated one would vanish and step 7 would miss a backend."""
    first = workspace.emulator.ecs_ids[0]
    assert_refused_before_step_1(workspace, {"mtls_clb_backend_servers": [first, first]}, "mtls_clb_backend_servers",
                                 f"lists {first} more than once")


def test_site_refuses_a_purchased_certificate_without_its_ca(workspace):
    """server.crt and server.key are in place, the issuing CA's certificate (the clients' ca.crt) is not."""
    from tests.unit.alicloud import certgen

    pki = certgen.make_pki(cn="www.bad-input.test")
    pki_dir = Path(workspace.path("site-pki-no-ca"))
    (pki_dir / "server").mkdir(parents=True)
    (pki_dir / "server" / "server.crt").write_text(pki.chain_pem)
    (pki_dir / "server" / "server.key").write_text(certgen.key_pem(pki.server_key))
    assert_refused_before_step_1(workspace, {"mtls_clb_issue_lab_certificate": False, "mtls_clb_pki_dir": str(pki_dir)},
                                 "server/ca.crt not found", "curl --cacert")


@pytest.mark.parametrize("problem, variable, hint", [
    ("for another domain", "certificate_upload_domain (mtls_clb_domain)", "the certificate is for www.other.test"),
    ("expired", "certificate_upload_server_certificate_path", "renew it before uploading"),
    ("with another key", "certificate_upload_server_private_key_path", "give the key that belongs to"),
])
def test_site_checks_the_purchased_certificate_before_step_1(workspace, problem, variable, hint):
    """What step 5 would refuse (after steps 1-4 wrote keys and client files), or what step 6 would serve
    for the wrong name until step 7 failed, stops the run before step 1."""
    from tests.unit.alicloud import certgen

    pki = certgen.make_pki(cn="www.other.test" if problem == "for another domain" else "www.bad-input.test",
                           days=-1 if problem == "expired" else 365)
    pki_dir = Path(workspace.path("site-pki-" + problem.replace(" ", "-")))
    server = pki_dir / "server"
    server.mkdir(parents=True)
    (server / "server.crt").write_text(pki.chain_pem)
    (server / "server.key").write_text(certgen.key_pem(pki.other_key if problem == "with another key" else pki.server_key))
    (server / "ca.crt").write_text(pki.ca_pem)
    assert_refused_before_step_1(workspace, {"mtls_clb_issue_lab_certificate": False, "mtls_clb_pki_dir": str(pki_dir)},
                                 variable, hint)


# What the cloud modules check before their first API call, at step 5: (id, bad input, environment,
# text named, hint given). site.yml asks it before step 1, of its variables and of the environment.
SITE_CONNECTION_CASES = [
    ("no region in the variables or the environment", {"mtls_clb_region": None}, {},
     "Steps 5 and 6: region is required: set mtls_clb_region", "ALIBABA_CLOUD_REGION_ID / ALICLOUD_REGION"),
    ("region from the environment not in ID form", {"mtls_clb_region": None}, {"ALICLOUD_REGION": "Hangzhou"},
     "region 'Hangzhou' is not a region id", "set by the environment variable ALICLOUD_REGION"),
    ("region for step 6 only", {"mtls_clb_region": None, "certificate_upload_region": "cn-hangzhou"}, {},
     "Step 6: region is required", "mtls_listener_region"),
    ("half an access key pair", {}, {"ALIBABA_CLOUD_ACCESS_KEY_SECRET": None},
     "access_key_secret is missing", "mtls_clb_access_key_secret or one of ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    ("plain http to a remote endpoint", {"mtls_clb_endpoint": "http://slb.cn-hangzhou.aliyuncs.com"}, {},
     "plain http is only allowed for loopback", "set by mtls_clb_endpoint"),
]


@pytest.mark.parametrize("overrides, env, text, hint", [pytest.param(*case[1:], id=case[0])
                                                        for case in SITE_CONNECTION_CASES])
def test_site_checks_the_connection_options_before_step_1(workspace, overrides, env, text, hint):
    """A missing or malformed region, half a key pair, an unusable endpoint: refused before step 1 rather
    than at step 5, after steps 1-4 made and installed keys; the secret is never in the output."""
    assert_refused_before_step_1(workspace, overrides, text, hint, env=env)


def test_site_takes_the_region_from_the_environment(workspace):
    """The region only in ALIBABA_CLOUD_REGION_ID passes the check (as the modules would take it): the run
    stops at the next play's check instead, a bad step 7 input."""
    assert_refused_before_step_1(workspace, {"mtls_clb_region": None, "mtls_verify_requests": 1},
                                 "mtls_verify_min_backends", "at least as many",
                                 env={"ALIBABA_CLOUD_REGION_ID": workspace.emulator.region}, absent="region")


def assert_refused_before_step_1(ws: Workspace, overrides: dict, variable: str, hint: str, env: dict | None = None,
                                 absent: str | None = None) -> None:
    inventory = ws.work / "site-inventory.yml"
    inventory.write_text(SITE_INVENTORY)
    calls_before = len(ws.emulator.calls())

    run, changed, mutating = run_failing_with_output(ws, REPO_ROOT / "site.yml", site_vars(ws, **overrides),
                                                     inventory=inventory, env=env)
    messages = failure_messages(run)
    assert ws.emulator.access_key_secret not in run.stdout + run.stderr, "the access key secret is in the output"

    assert changed == {}, f"files changed: {changed}"
    assert ws.emulator.calls()[calls_before:] == [], "the API was called before the inputs were checked"
    message = "\n".join(messages)
    assert variable in message, f"the message does not name {variable!r}: {message}"
    assert hint in message, f"the message gives no hint ({hint!r}): {message}"
    if absent:
        assert absent not in message, f"{absent!r} refused: {message}"


def test_site_refuses_a_controller_python_without_the_sdk_before_step_1(workspace):
    """The SDK missing where the cloud modules run is found before step 1, not at step 5 after keys were made."""
    python = workspace.work / "python-without-site-packages"
    python.write_text(f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')
    python.chmod(0o755)
    assert_refused_before_step_1(workspace, {"ansible_python_interpreter": str(python)},
                                 "ansible_python_interpreter of localhost",
                                 "cannot find alibabacloud_slb20140515.models (alibabacloud-slb20140515)")


def test_site_refuses_a_misspelt_role_variable_among_the_clients_own_variables(workspace):
    """The clients' group_vars are not the controller's: the client check play asks too, before step 1."""
    ws = workspace
    inventory = ws.work / "site-inventory-client-typo.yml"
    inventory.write_text(SITE_INVENTORY.replace("          ansible_connection: local\n",
                                                "          ansible_connection: local\n          mtls_verify_request: 5\n"))
    calls_before = len(ws.emulator.calls())

    run, changed, mutating = run_failing_with_output(ws, REPO_ROOT / "site.yml", site_vars(ws), inventory=inventory)

    message = run.task_results("Refuse role variables the roles do not read, among the clients' variables",
                               host="client01")["msg"]
    assert message.startswith("mtls_verify_request: not a variable of the role its prefix names"), message
    assert changed == {} and mutating == [] and ws.emulator.calls()[calls_before:] == []


def test_site_reports_every_bad_input_of_a_step_at_once(workspace):
    """Three bad step 6 inputs: one failure that names all three, so one run shows everything to fix."""
    ws = workspace
    inventory = ws.work / "site-inventory.yml"
    inventory.write_text(SITE_INVENTORY)
    calls_before = len(ws.emulator.calls())
    overrides = {"mtls_clb_listener_port": 70000, "mtls_listener_backend_weight": 101, "mtls_clb_backend_port": 0}

    messages, changed, mutating = run_failing(ws, REPO_ROOT / "site.yml", site_vars(ws, **overrides), inventory=inventory)

    assert changed == {}, f"files changed: {changed}"
    assert mutating == [] and ws.emulator.calls()[calls_before:] == []
    listener_messages = [message for message in messages if "mtls_listener_port" in message]
    assert len(listener_messages) == 1, messages
    for text in ("mtls_clb_listener_port", "1-65535", "mtls_listener_backend_weight", "0 (out of rotation) to 100",
                 "mtls_listener_backend_port (mtls_clb_backend_port)"):
        assert text in listener_messages[0], f"{text!r} not in {listener_messages[0]}"


def test_site_without_domain_names_the_variable(workspace):
    """site.yml without mtls_clb_domain stops at its first task, naming the variable, before any step runs."""
    ws = workspace
    variables = {**cloud(ws), "mtls_clb_pki_dir": ws.path("site-pki"), "mtls_clb_backend_servers": ws.emulator.ecs_ids,
                 "mtls_clb_pkcs12_password": "p12-roles-Hw31"}
    inventory = ws.work / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")

    messages, changed, mutating = run_failing(ws, REPO_ROOT / "site.yml", variables, inventory=inventory)

    assert changed == {} and mutating == []
    message = "\n".join(messages)
    assert "mtls_clb_domain is not set" in message and "https://<domain>/" in message, message
