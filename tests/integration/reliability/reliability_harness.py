"""site.yml against a private CLB emulator, with what the fault tests need on top of it.

`SiteUnderTest` owns one emulator (its own state directory), one PKI directory and one stand-in for
`/home/ca`. It runs site.yml to the end (`run`) or in the background (`start`, to be killed or to
have the emulator restarted under it), keeps the API call log across emulator restarts, and reads
the cloud state back through the official SDK, independently of the modules under test.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from tests.support.ansible_run import BIN, REPO_ROOT, PlaybookRun, ansible_env, parse_json_output
from tests.support.site import (DEMO_INVENTORY, PORT_OFFSET, SITE, access_key_env, run_site, site_vars,
                                start_site_emulator)

LISTENER_PORT = 443
LOAD_BALANCER_NAME = "mtls-clb-demo"  # playbooks/inventory/demo.yml
DOMAIN = "www.mtls-demo.test"
# curl exit codes that mean the TLS handshake was refused (as roles/mtls_verify/defaults/main.yml).
CURL_REFUSAL_EXIT_CODES = (16, 35, 52, 56, 92)


def sha1_fingerprint(pem: bytes) -> str:
    """The leaf's SHA-1 over DER, lower-case hex with colons: the form CLB reports as Fingerprint."""
    return x509.load_pem_x509_certificate(pem).fingerprint(hashes.SHA1()).hex(":")


def succeeded(calls: list[dict], action: str) -> int:
    return sum(1 for call in calls if call["action"] == action and call["status"] == 200)


@dataclass
class BackgroundRun:
    process: subprocess.Popen
    stdout_path: Path
    stderr_path: Path
    started: float

    def kill(self) -> None:
        """SIGKILL the whole process group: ansible-playbook, its workers and the module processes."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)

    def group_is_gone(self, timeout: float = 10) -> bool:
        """True once no process of the run's process group is left (workers, modules)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.05)
        return False

    def wait(self, timeout: float = 300) -> PlaybookRun:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        stdout = self.stdout_path.read_text(errors="replace")
        return PlaybookRun(self.process.returncode, stdout, self.stderr_path.read_text(errors="replace"),
                           parse_json_output(stdout))


class SiteUnderTest:
    def __init__(self, work: Path, verify_requests: int = 6):
        self.work = work
        self.access_key_id = "reliabilityAK"
        self.access_key_secret = secrets.token_urlsafe(24)
        self.emulator = start_site_emulator(work, self.access_key_id, self.access_key_secret)
        self.pki = work / "pki"
        self.home_ca = work / "home-ca"
        self.extra_vars = {**site_vars(self.emulator, work, verify_requests),
                           "mtls_clb_pkcs12_password": secrets.token_urlsafe(12)}
        self.env = access_key_env(self.access_key_id, self.access_key_secret)
        # The emulator keeps its call log in memory only; what a restart would lose is kept here.
        self._calls_before_restarts: list[dict] = []
        self._background_runs: list[BackgroundRun] = []

    # -- running site.yml ---------------------------------------------------------------------
    def run(self, **extra_vars) -> PlaybookRun:
        return run_site({**self.extra_vars, **extra_vars}, env=self.env)

    def start(self, **extra_vars) -> BackgroundRun:
        """site.yml in its own session, so that one killpg reaches every process it started."""
        number = len(self._background_runs) + 1
        stdout_path = self.work / f"background-{number}.stdout"
        stderr_path = self.work / f"background-{number}.stderr"
        cmd = [str(BIN / "ansible-playbook"), str(SITE), "-i", str(DEMO_INVENTORY),
               "-e", json.dumps({**self.extra_vars, **extra_vars})]
        with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(cmd, env=ansible_env(self.env), cwd=REPO_ROOT, stdout=stdout,
                                       stderr=stderr, stdin=subprocess.DEVNULL, start_new_session=True)
        run = BackgroundRun(process, stdout_path, stderr_path, time.monotonic())
        self._background_runs.append(run)
        return run

    def wait_for_call(self, run: BackgroundRun, action: str, status: int = 200, timeout: float = 180) -> float:
        """Poll the call log until `action` answered `status`; seconds since the run started."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(c["action"] == action and c["status"] == status for c in self.emulator.calls()):
                return time.monotonic() - run.started
            if run.process.poll() is not None:
                raise AssertionError(f"site.yml ended (rc {run.process.returncode}) before {action} "
                                     f"answered {status}:\n{run.stdout_path.read_text()[-3000:]}")
            time.sleep(0.02)
        run.kill()
        raise AssertionError(f"{action} did not answer {status} within {timeout}s")

    # -- the emulator ---------------------------------------------------------------------------
    def restart_emulator(self) -> None:
        self._calls_before_restarts += self.emulator.calls()
        self.emulator.restart()

    def fault_rules(self) -> list[dict]:
        """The emulator's fault rules with how often each fired; a rule fires when a call arrives,
        before its latency, so `fired` shows a held call while it is still in flight."""
        request = urllib.request.Request(self.emulator.api_url + "/_emulator/faults", method="GET")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            return json.loads(response.read())["faults"]

    def all_calls(self) -> list[dict]:
        return self._calls_before_restarts + self.emulator.calls()

    def stop(self) -> None:
        """Stop the emulator and any background run a failed test left behind."""
        for run in self._background_runs:
            if run.process.poll() is None:
                run.kill()
        self.emulator.stop()

    # -- the cloud as the SDK sees it -------------------------------------------------------------
    def api(self, action: str, **params) -> dict:
        from alibabacloud_slb20140515 import models

        client = self.emulator.sdk_client()
        method_name = {name.replace("_", ""): name for name in dir(client)
                       if not name.startswith("_") and not name.endswith(("_async", "_with_options"))}
        method = getattr(client, method_name[action.lower()])
        request = getattr(models, action + "Request")().from_map({"RegionId": self.emulator.region, **params})
        return method(request).body.to_map()

    def cloud_state(self) -> dict:
        """Everything site.yml manages, read back with Describe calls only."""
        server_certificates = (self.api("DescribeServerCertificates").get("ServerCertificates") or {}) \
            .get("ServerCertificate") or []
        ca_certificates = (self.api("DescribeCACertificates").get("CACertificates") or {}) \
            .get("CACertificate") or []
        load_balancers = (self.api("DescribeLoadBalancers").get("LoadBalancers") or {}).get("LoadBalancer") or []
        state = {"server_certificates": server_certificates, "ca_certificates": ca_certificates,
                 "load_balancers": load_balancers, "listeners": {}, "backends": {}, "https_listener": None}
        for lb in load_balancers:
            attributes = self.api("DescribeLoadBalancerAttribute", LoadBalancerId=lb["LoadBalancerId"])
            state["listeners"][lb["LoadBalancerId"]] = [
                (item["ListenerPort"], item["ListenerProtocol"])
                for item in (attributes.get("ListenerPortsAndProtocol") or {}).get("ListenerPortAndProtocol") or []]
            state["backends"][lb["LoadBalancerId"]] = [
                server["ServerId"] for server in (attributes.get("BackendServers") or {}).get("BackendServer") or []]
        if len(load_balancers) == 1:
            state["https_listener"] = self.api("DescribeLoadBalancerHTTPSListenerAttribute",
                                               LoadBalancerId=load_balancers[0]["LoadBalancerId"],
                                               ListenerPort=LISTENER_PORT)
        return state

    def assert_one_of_everything(self, state: dict) -> None:
        """One load balancer, one HTTPS listener on 443 (running, mutual authentication with the
        uploaded CA), each ECS instance attached once, and each certificate uploaded exactly once
        with nothing else left in the region (no duplicate by fingerprint, no orphan)."""
        server_fingerprints = Counter(c["Fingerprint"] for c in state["server_certificates"])
        ca_fingerprints = Counter(c["Fingerprint"] for c in state["ca_certificates"])
        expected_server = sha1_fingerprint((self.pki / "server" / "server.crt").read_bytes())
        expected_ca = sha1_fingerprint((self.pki / "root.crt").read_bytes())
        assert server_fingerprints == {expected_server: 1}, f"server certificates: {server_fingerprints}"
        assert ca_fingerprints == {expected_ca: 1}, f"CA certificates: {ca_fingerprints}"

        names = [lb["LoadBalancerName"] for lb in state["load_balancers"]]
        assert names == [LOAD_BALANCER_NAME], f"load balancers: {names}"
        lb_id = state["load_balancers"][0]["LoadBalancerId"]
        assert state["listeners"][lb_id] == [(LISTENER_PORT, "https")], state["listeners"][lb_id]
        assert sorted(state["backends"][lb_id]) == sorted(self.emulator.ecs_ids), state["backends"][lb_id]

        listener = state["https_listener"]
        assert listener["Status"] == "running"
        assert listener["ServerCertificateId"] == state["server_certificates"][0]["ServerCertificateId"]
        assert listener["CACertificateId"] == state["ca_certificates"][0]["CACertificateId"]

    def load_balancer_address(self) -> str:
        return self.cloud_state()["load_balancers"][0]["Address"]

    def curl(self, certificate: Path | None, key: Path | None) -> subprocess.CompletedProcess:
        """The procedure's step-7 curl against the listener, with the given client files."""
        port = LISTENER_PORT + PORT_OFFSET
        cmd = ["curl", "--silent", "--show-error", "--connect-timeout", "5", "--max-time", "10",
               "--cacert", str(self.pki / "server" / "ca.crt"),
               "--resolve", f"{DOMAIN}:{port}:{self.load_balancer_address()}", "--write-out", "\n%{http_code}"]
        if certificate is not None:
            cmd += ["--cert", str(certificate), "--key", str(key)]
        cmd.append(f"https://{DOMAIN}:{port}/")
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("https_proxy", "http_proxy", "all_proxy")}
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False, env=env)


def task_result(run: PlaybookRun, name: str, host: str = "localhost") -> dict:
    """The last result of the task called `name` on `host`; role tasks may carry a "<role> : " prefix."""
    found = None
    for play in run.data.get("plays", []):
        for task in play.get("tasks", []):
            task_name = task["task"]["name"]
            if (task_name == name or task_name.endswith(" : " + name)) and host in task["hosts"]:
                found = task["hosts"][host]
    if found is None:
        raise AssertionError(f"no task named {name!r} ran on {host!r} (rc {run.rc}):\n{run.stdout[-3000:]}")
    return found


def verification_passed(run: PlaybookRun) -> dict:
    """Step 7's requests per backend; raises unless the run ended rc 0 with every check of step 7 green."""
    assert run.rc == 0, f"site.yml failed (rc {run.rc}):\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    table = task_result(run, "Show the distribution of requests across backends", host="client01")["msg"]
    backends = {line.split()[0]: int(line.split()[1]) for line in table if line.startswith("ECS")}
    assert sorted(backends) == ["ECS01", "ECS02"], table
    assert any(line.split()[:2] == ["failed", "0"] for line in table), table
    assert any(line.startswith("no client certificate") and line.endswith("refused") for line in table), table
    assert any(line.startswith("certificate of other CA") and line.endswith("refused") for line in table), table
    return backends
