"""Start and drive the local CLB emulator (`clb-emulator`) from tests, benchmarks and scripts.

    with start_emulator(tmp_path / "clb") as emu:
        client = emu.sdk_client()                 # official SDK, ACS3-HMAC-SHA256
        run_module("mtls.clb.some_module", {**emu.module_args(), ...})
        assert [c["action"] for c in emu.calls()] == [...]

The emulator runs as a subprocess of the venv's `clb-emulator`, with a proxy-free environment
(the SDK ignores NO_PROXY), on a free port; its listeners and demo backends die with it.
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
DEFAULT_REGION = "cn-hangzhou"
READY_TIMEOUT = 30.0


class EmulatorError(RuntimeError):
    pass


def _clean_env(extra: dict | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env["PYTHONUNBUFFERED"] = "1"
    if extra:
        env.update(extra)
    return env


class RunningEmulator:
    def __init__(self, state_dir, *, demo_backends: int = 2, access_key_id: str = "testAK",
                 access_key_secret: str = "testSecret", listener_port_offset: int = 0, extra_args=(),
                 env: dict | None = None, region: str = DEFAULT_REGION):
        self.state_dir = Path(state_dir)
        self.demo_backends = demo_backends
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.listener_port_offset = listener_port_offset
        self.extra_args = tuple(extra_args)
        self.env = env
        self.region = region
        self.process: subprocess.Popen | None = None
        self.ready: dict = {}
        self.port = 0
        self._stderr_path = self.state_dir.parent / f".{self.state_dir.name}.emulator-stderr.log"

    # -- lifecycle ------------------------------------------------------------------------------
    def _command(self, port: int) -> list[str]:
        return [str(BIN / "clb-emulator"), "--host", "127.0.0.1", "--port", str(port),
                "--state-dir", str(self.state_dir), "--access-key-id", self.access_key_id,
                "--demo-backends", str(self.demo_backends),
                "--listener-port-offset", str(self.listener_port_offset), *self.extra_args]

    def start(self, port: int = 0) -> RunningEmulator:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = _clean_env(self.env)
        # The secret travels in the environment, not argv, so it does not show in `ps`.
        env["CLB_EMULATOR_ACCESS_KEY_SECRET"] = self.access_key_secret
        stderr = open(self._stderr_path, "ab")
        try:
            self.process = subprocess.Popen(self._command(port), stdout=subprocess.PIPE, stderr=stderr,
                                            stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        finally:
            stderr.close()
        self.ready = self._wait_ready()
        self.port = int(self.ready["endpoint"].rsplit(":", 1)[1])
        return self

    def _stderr_text(self) -> str:
        try:
            return self._stderr_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def _wait_ready(self) -> dict:
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + READY_TIMEOUT
        buffer = b""
        try:
            while time.monotonic() < deadline:
                if not selector.select(timeout=0.2):
                    if self.process.poll() is not None:
                        break
                    continue
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    try:
                        data = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(data, dict) and data.get("event") == "ready":
                        return data
        finally:
            selector.close()
        self._kill()
        raise EmulatorError(f"clb-emulator did not become ready (exit code {self.process.returncode}); "
                            f"stderr:\n{self._stderr_text()}")

    def _kill(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            self._kill()
            if self.process.stdout:
                self.process.stdout.close()

    def restart(self) -> RunningEmulator:
        """Stop, then start again on the same state dir and the same API port."""
        port = self.port
        self.stop()
        deadline = time.monotonic() + 10
        while True:
            try:
                return self.start(port=port)
            except EmulatorError:
                if time.monotonic() > deadline:
                    raise

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- what tests use -----------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return self.ready["endpoint"]

    @property
    def api_url(self) -> str:
        return self.ready["api_url"]

    @property
    def ecs_instances(self) -> list[dict]:
        return self.ready["ecs_instances"]

    @property
    def ecs_ids(self) -> list[str]:
        return [i["instance_id"] for i in self.ecs_instances]

    def _hook(self, method: str, path: str, payload=None) -> dict:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.api_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as response:
            return json.loads(response.read())

    def calls(self) -> list[dict]:
        return self._hook("GET", "/_emulator/calls")["calls"]

    def set_faults(self, faults: list[dict]) -> dict:
        return self._hook("POST", "/_emulator/faults", {"faults": faults})

    def clear_faults(self) -> dict:
        return self._hook("DELETE", "/_emulator/faults")

    def reset(self) -> dict:
        return self._hook("POST", "/_emulator/reset", {})

    def ecs(self) -> list[dict]:
        return self._hook("GET", "/_emulator/ecs")["ecs_instances"]

    def set_ecs_status(self, instance_id: str, status: str) -> dict:
        """Stop ("Stopped") or start ("Running") an ECS instance; demo backends really go down."""
        return self._hook("POST", "/_emulator/ecs", {"instance_id": instance_id, "status": status})

    def register_cas_certificate(self, certificate_id: str, certificate_pem: str, private_key_pem: str,
                                 name: str | None = None, region_id: str | None = None) -> dict:
        """Put a certificate into the emulated SSL Certificates Service, for UploadServerCertificate
        with AliCloudCertificateId. Registrations survive reset() (they are not SLB resources)."""
        payload = {"certificate_id": certificate_id, "certificate": certificate_pem, "private_key": private_key_pem}
        if name is not None:
            payload["name"] = name
        if region_id is not None:
            payload["region_id"] = region_id
        return self._hook("POST", "/_emulator/cas-certificates", payload)["cas_certificate"]

    def cas_certificates(self) -> list[dict]:
        """What the emulated SSL Certificates Service holds (IDs, names, regions, fingerprints; no PEM)."""
        return self._hook("GET", "/_emulator/cas-certificates")["cas_certificates"]

    def module_args(self) -> dict:
        return {"endpoint": self.api_url, "region": self.region, "access_key_id": self.access_key_id,
                "access_key_secret": self.access_key_secret}

    def sdk_client(self, signature_algorithm: str | None = None):
        """An official `alibabacloud_slb20140515` Client pointed at this emulator over plain HTTP."""
        for name in PROXY_VARS:
            os.environ.pop(name, None)  # darabonba reads proxies from the environment on every call
        from alibabacloud_slb20140515.client import Client
        try:
            from alibabacloud_tea_openapi.utils_models import Config
        except ImportError:  # tea-openapi 0.3.x
            from alibabacloud_tea_openapi.models import Config
        config = Config(access_key_id=self.access_key_id, access_key_secret=self.access_key_secret,
                        region_id=self.region, endpoint=self.endpoint, protocol="http",
                        connect_timeout=5000, read_timeout=30000)
        if signature_algorithm:
            config.signature_algorithm = signature_algorithm
        return Client(config)


def start_emulator(state_dir, *, demo_backends: int = 2, access_key_id: str = "testAK",
                   access_key_secret: str = "testSecret", listener_port_offset: int = 0, extra_args=(),
                   env: dict | None = None) -> RunningEmulator:
    return RunningEmulator(state_dir, demo_backends=demo_backends, access_key_id=access_key_id,
                           access_key_secret=access_key_secret, listener_port_offset=listener_port_offset,
                           extra_args=extra_args, env=env).start()
