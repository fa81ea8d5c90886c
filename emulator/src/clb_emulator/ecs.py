"""ECS instances the emulator knows about, and the small demo apps that stand in for them.

An instance is a port mapping: its service on the listener's backend port is reachable at
HOST:PORT, so no root is needed. Demo backends (ECS01, ECS02, ...) are tiny HTTP servers run in
this process; stopping an instance closes its server, so health checks see it go down.
"""
from __future__ import annotations

import json
import secrets
import string
import threading
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HEALTH_PATH = "/health"
_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_instance_id(region_prefix: str = "bp") -> str:
    return "i-" + region_prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(18))


@dataclass
class EcsInstance:
    instance_id: str
    instance_name: str
    host: str
    port: int
    status: str = "Running"  # Running | Stopped, as ECS reports it
    demo: bool = False
    # The region the instance is in: a load balancer of another region cannot use it. "" (in-process tests that
    # do not care) is every region; the command line registers every instance in --default-region.
    region: str = ""

    def public(self) -> dict:
        data = asdict(self)
        data.pop("demo")
        return data


class _DemoHandler(BaseHTTPRequestHandler):
    # Headers and body go out in separate writes; with Nagle on, delayed ACKs add ~40 ms a response.
    disable_nagle_algorithm = True
    server_version = "clb-emulator-demo-backend"
    protocol_version = "HTTP/1.1"

    def _respond(self, include_body: bool) -> None:
        instance: EcsInstance = self.server.instance
        if self.path.split("?")[0] == HEALTH_PATH:
            body = json.dumps({"status": "ok", "instance_name": instance.instance_name}).encode()
        else:
            # The name first, so `curl` output shows at a glance which backend answered.
            body = (f"{instance.instance_name}\n" + json.dumps({
                "instance_name": instance.instance_name,
                "instance_id": instance.instance_id,
                "method": self.command,
                "path": self.path,
                "headers": {k: v for k, v in self.headers.items()},
            }, sort_keys=True) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Backend-Instance", instance.instance_name)
        self.end_headers()
        if include_body:
            self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server naming)
        self._respond(True)

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._respond(True)

    def do_HEAD(self):  # noqa: N802
        self._respond(False)

    def log_message(self, format, *args):  # noqa: A002 (signature of the base class)
        pass


class _DemoServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class EcsRegistry:
    def __init__(self):
        self._instances: dict[str, EcsInstance] = {}
        self._servers: dict[str, _DemoServer] = {}
        self._lock = threading.RLock()

    def register(self, instance: EcsInstance) -> None:
        with self._lock:
            self._instances[instance.instance_id] = instance

    def get(self, instance_id: str) -> EcsInstance | None:
        with self._lock:
            return self._instances.get(instance_id)

    def list(self) -> list[dict]:
        with self._lock:
            return [i.public() for i in self._instances.values()]

    def start_demo(self, name: str, instance_id: str, host: str = "127.0.0.1", port: int = 0,
                   region: str = "") -> EcsInstance:
        instance = EcsInstance(instance_id, name, host, port, "Running", demo=True, region=region)
        self._serve(instance)
        self.register(instance)
        return instance

    def _serve(self, instance: EcsInstance) -> None:
        try:
            server = _DemoServer((instance.host, instance.port), _DemoHandler)
        except OSError:
            if instance.port == 0:
                raise
            # The previous port is taken (e.g. after a restart): any free port will do.
            server = _DemoServer((instance.host, 0), _DemoHandler)
        server.instance = instance
        instance.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, name=f"demo-{instance.instance_name}",
                         daemon=True).start()
        self._servers[instance.instance_id] = server

    def set_status(self, instance_id: str, status: str) -> EcsInstance:
        """Stop or start an instance; a demo backend's server really goes down or comes back."""
        if status not in ("Running", "Stopped"):
            raise ValueError("status must be Running or Stopped")
        with self._lock:
            instance = self._instances.get(instance_id)
            if instance is None:
                raise KeyError(instance_id)
            if instance.demo and status != instance.status:
                if status == "Stopped":
                    server = self._servers.pop(instance_id)
                    server.shutdown()
                    server.server_close()
                else:
                    self._serve(instance)
            instance.status = status
            return instance

    def shutdown(self) -> None:
        with self._lock:
            for server in self._servers.values():
                server.shutdown()
                server.server_close()
            self._servers.clear()
