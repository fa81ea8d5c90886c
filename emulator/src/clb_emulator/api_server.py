"""The wire layer: the SLB RPC protocol over HTTP, plus the `/_emulator/*` testing hooks."""
from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .backend import ACTIONS, SlbBackend
from .ecs import EcsRegistry
from .errors import ApiError
from .faults import FaultInjector
from .signing import Authenticator, sts_credential_from_dict

# Parameters of the signature envelope, not of the action.
ENVELOPE_PARAMS = frozenset({"Action", "Version", "Format", "Timestamp", "SignatureNonce", "SignatureMethod",
                             "SignatureVersion", "AccessKeyId", "Signature", "SecurityToken", "SignatureType"})
MAX_CALL_LOG = 100000
# The longest request line (method, URL, version, CRLF) the API takes; a longer one is answered 414 with an
# HTML page, as a gateway refuses it before the API sees it. 65536 is http.server's own ceiling; the real
# gateway's limit is unknown (README, "Request size"), so --max-request-line can lower it.
DEFAULT_MAX_REQUEST_LINE = 65536
MIN_MAX_REQUEST_LINE = 1024
# The testing hooks that make later reads lag ({"reads": n}): path -> the backend attribute holding n, which
# the backend's set_<attribute> validates and sets.
READ_LAG_HOOKS = {
    "/_emulator/stale-listener-reads": "stale_listener_reads",
    "/_emulator/unlisted-new-load-balancer-reads": "unlisted_new_load_balancer_reads",
}


class EmulatorApp:
    """Everything one emulator process holds; the HTTP handler is a thin shell around it."""

    def __init__(self, backend: SlbBackend, authenticator: Authenticator, ecs: EcsRegistry, dataplane=None,
                 host_id: str = "slb.aliyuncs.com"):
        self.backend = backend
        self.auth = authenticator
        self.ecs = ecs
        self.dataplane = dataplane
        self.faults = FaultInjector()
        self.host_id = host_id
        self._calls: list[dict] = []
        self._calls_lock = threading.Lock()

    def record(self, action: str, status: int | None, code: str | None, request_id: str,
               signature_method: str | None) -> None:
        entry = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 "action": action, "status": status, "code": code, "request_id": request_id,
                 "signature_method": signature_method}
        with self._calls_lock:
            self._calls.append(entry)
            if len(self._calls) > MAX_CALL_LOG:
                del self._calls[: len(self._calls) - MAX_CALL_LOG]

    def calls(self) -> list[dict]:
        with self._calls_lock:
            return list(self._calls)

    def reset(self) -> None:
        self.faults.clear()
        self.auth.nonces.clear()
        self.backend.reset()
        with self._calls_lock:
            self._calls.clear()

    def handle_api(self, method: str, path: str, query: dict, headers: dict, body: bytes,
                   url_query: dict | None = None):
        """Returns (status, headers, body dict) or None when the connection must be dropped.

        `query` holds every parameter (URL query and form body); `url_query` the URL's alone, when it differs.
        """
        request_id = str(uuid.uuid4()).upper()
        action = headers.get("x-acs-action") or query.get("Action") or ""
        signature_method = None
        try:
            if path != "/":
                raise ApiError("InvalidAction.NotFound", "Specified api is not found, please check your url and "
                               f"method. (path {path!r}; the RPC API is served on '/')")
            if not action or action not in ACTIONS:
                raise ApiError("InvalidAction.NotFound", "Specified api is not found, please check your url and "
                               f"method. (Action {action!r} is not an SLB 2014-05-15 action served here)")
            authenticated = self.auth.authenticate(method, path, query, headers, body, url_query=url_query)
            signature_method = authenticated.signature_method
            decision = self.faults.decide(action)
            if decision.latency_ms:
                time.sleep(decision.latency_ms / 1000.0)
            if decision.drop:
                self.record(action, None, "drop", request_id, signature_method)
                return None
            if decision.error is not None:
                raise decision.error
            params = {k: v for k, v in query.items() if k not in ENVELOPE_PARAMS}
            handler = getattr(self.backend, f"action_{action}")
            result = handler(params, authenticated.account)
            self.record(action, 200, None, request_id, signature_method)
            return 200, {"x-acs-request-id": request_id}, {"RequestId": request_id, **result}
        except ApiError as error:
            self.record(action, error.status, error.code, request_id, signature_method)
            body = {"RequestId": request_id, "HostId": self.host_id, "Code": error.code, "Message": error.message,
                    "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.code}&product=Slb"}
            return error.status, {"x-acs-request-id": request_id, **error.headers}, body


class ApiRequestHandler(BaseHTTPRequestHandler):
    # Headers and body go out in separate writes; with Nagle on, delayed ACKs add ~40 ms a response.
    disable_nagle_algorithm = True
    server_version = "clb-emulator"
    protocol_version = "HTTP/1.1"
    # SDK clients keep idle keep-alive connections in a pool; do not hold a thread for each forever.
    timeout = 120

    @property
    def app(self) -> EmulatorApp:
        return self.server.app

    def log_message(self, format, *args):  # noqa: A002 (base class signature)
        pass  # the call log (/_emulator/calls) is the record; stderr stays quiet and secret-free

    def _send_json(self, status: int, payload, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if len(self.raw_requestline) > self.server.max_request_line:
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return False
        return True

    def send_error(self, code, message=None, explain=None):
        if code == HTTPStatus.REQUEST_URI_TOO_LONG:
            # Logged (without parameters) so tests can count how often a client sent it again.
            self.app.record(self._action_of_refused_request(), int(code), None, None, None)
        super().send_error(code, message, explain)

    def _action_of_refused_request(self) -> str:
        # Past http.server's own ceiling nothing after the first 64 KiB was read: no action is known.
        if not self.requestline:
            return ""
        return (self.headers.get("x-acs-action")
                or dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)).get("Action") or "")

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _api(self, method: str) -> None:
        parts = urlsplit(self.path)
        body = self._read_body()
        url_query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query = dict(url_query)
        content_type = (self.headers.get("Content-Type") or "").lower()
        if body and content_type.startswith("application/x-www-form-urlencoded"):
            # Form-encoded parameters count as parameters: V1 signs them with the query's, ACS3 by the body's hash.
            query.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        outcome = self.app.handle_api(method, parts.path or "/", query, headers, body, url_query=url_query)
        if outcome is None:
            self.close_connection = True
            return
        status, extra_headers, payload = outcome
        self._send_json(status, payload, extra_headers)

    def _hook(self, method: str) -> bool:
        path = urlsplit(self.path).path.rstrip("/")
        if not path.startswith("/_emulator"):
            return False
        body = self._read_body()
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            self._send_json(400, {"error": "the body must be JSON"})
            return True
        app = self.app
        if path == "/_emulator/calls" and method == "GET":
            self._send_json(200, {"calls": app.calls()})
        elif path == "/_emulator/ecs" and method == "GET":
            self._send_json(200, {"ecs_instances": app.ecs.list()})
        elif path == "/_emulator/ecs" and method == "POST":
            try:
                instance = app.ecs.set_status(payload.get("instance_id", ""), payload.get("status", ""))
            except KeyError:
                self._send_json(404, {"error": f"unknown ECS instance {payload.get('instance_id')!r}"})
                return True
            except ValueError as error:
                self._send_json(400, {"error": str(error)})
                return True
            if app.dataplane is not None:
                app.dataplane.refresh_all()
            self._send_json(200, {"ecs_instance": instance.public()})
        elif path == "/_emulator/cas-certificates" and method == "GET":
            self._send_json(200, {"cas_certificates": app.backend.list_cas_certificates()})
        elif path == "/_emulator/cas-certificates" and method == "POST":
            try:
                entry = app.backend.register_cas_certificate(
                    str(payload.get("certificate_id") or ""), str(payload.get("certificate") or ""),
                    str(payload.get("private_key") or ""), name=payload.get("name"), region=payload.get("region_id"))
            except ValueError as error:
                self._send_json(400, {"error": str(error)})
                return True
            self._send_json(200, {"cas_certificate": entry})
        elif path == "/_emulator/certificate-fingerprints" and method == "GET":
            self._send_json(200, {"algorithm": app.backend.fingerprint_algorithm})
        elif path == "/_emulator/certificate-fingerprints" and method == "POST":
            try:
                algorithm = app.backend.set_fingerprint_algorithm(str(payload.get("algorithm") or ""))
            except ValueError as error:
                self._send_json(400, {"error": str(error)})
                return True
            self._send_json(200, {"algorithm": algorithm})
        elif path in READ_LAG_HOOKS and method == "GET":
            self._send_json(200, {"reads": getattr(app.backend, READ_LAG_HOOKS[path])})
        elif path in READ_LAG_HOOKS and method == "POST":
            try:
                reads = getattr(app.backend, "set_" + READ_LAG_HOOKS[path])(payload.get("reads"))
            except ValueError as error:
                self._send_json(400, {"error": str(error)})
                return True
            self._send_json(200, {"reads": reads})
        elif path == "/_emulator/sts-credentials" and method == "GET":
            self._send_json(200, {"sts_credentials": app.auth.sts_credentials()})
        elif path == "/_emulator/sts-credentials" and method == "POST":
            try:
                credential = app.auth.add_sts_credential(sts_credential_from_dict(payload, app.auth.accounts))
            except ValueError as error:
                self._send_json(400, {"error": f"bad STS credential: {error}"})
                return True
            self._send_json(200, {"sts_credential": credential.public()})
        elif path == "/_emulator/faults" and method == "GET":
            self._send_json(200, {"faults": app.faults.list()})
        elif path == "/_emulator/faults" and method == "POST":
            try:
                app.faults.set(payload.get("faults", []))
            except (ValueError, TypeError) as error:
                self._send_json(400, {"error": f"bad fault: {error}"})
                return True
            self._send_json(200, {"faults": app.faults.list()})
        elif path == "/_emulator/faults" and method == "DELETE":
            app.faults.clear()
            self._send_json(200, {"faults": []})
        elif path == "/_emulator/reset" and method == "POST":
            app.reset()
            self._send_json(200, {"reset": True})
        elif path == "/_emulator/health" and method == "GET":
            self._send_json(200, {"status": "ok"})
        else:
            self._send_json(404, {"error": f"no hook {method} {path}"})
        return True

    def do_POST(self):  # noqa: N802
        if not self._hook("POST"):
            self._api("POST")

    def do_GET(self):  # noqa: N802
        if not self._hook("GET"):
            self._api("GET")

    def do_DELETE(self):  # noqa: N802
        if not self._hook("DELETE"):
            self._send_json(405, {"Code": "UnsupportedHTTPMethod", "Message": "This http method is not supported."})


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, app: EmulatorApp, max_request_line: int = DEFAULT_MAX_REQUEST_LINE):
        if not MIN_MAX_REQUEST_LINE <= max_request_line <= DEFAULT_MAX_REQUEST_LINE:
            raise ValueError(f"max_request_line must be {MIN_MAX_REQUEST_LINE}-{DEFAULT_MAX_REQUEST_LINE}")
        super().__init__(address, ApiRequestHandler)
        self.app = app
        self.max_request_line = max_request_line
