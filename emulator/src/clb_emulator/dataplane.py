"""The data plane: each running HTTPS listener is a real TLS server that proxies to its backends;
a running HTTP listener is the same proxy without TLS (or a redirect to its HTTPS ForwardPort).

One accept thread per listener, one thread per client connection. The TLS context is looked up
per connection from the listener's current configuration, so a new server certificate or CA
applies to the next handshake without a restart. A health checker thread per listener probes
the backends the way the listener is configured and the proxy skips servers it found abnormal.
"""
from __future__ import annotations

import http.client
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler

from .ecs import EcsRegistry
from .errors import ApiError

# TLSCipherPolicy -> (minimum version, maximum version, TLS <= 1.2 cipher suites in OpenSSL names)
_COMMON_SUITES = ("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA256:"
                  "ECDHE-RSA-AES256-SHA384:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA256:"
                  "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:AES128-SHA:AES256-SHA:DES-CBC3-SHA")
_STRICT_SUITES = ("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA256:"
                  "ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA")
_WITH_13_SUITES = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA256:"
                   "ECDHE-ECDSA-AES256-SHA384:" + _STRICT_SUITES + ":ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA")
TLS_POLICIES = {
    # TLS 1.0/1.1 need security level 0 under OpenSSL 3; the policy asks for them, so allow them.
    "tls_cipher_policy_1_0": (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_2, _COMMON_SUITES + ":@SECLEVEL=0"),
    "tls_cipher_policy_1_1": (ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_2, _COMMON_SUITES + ":@SECLEVEL=0"),
    "tls_cipher_policy_1_2": (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2, _COMMON_SUITES),
    "tls_cipher_policy_1_2_strict": (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2, _STRICT_SUITES),
    "tls_cipher_policy_1_2_strict_with_1_3": (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3, _WITH_13_SUITES),
}
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "trailers", "transfer-encoding", "upgrade", "proxy-connection"})
HTTP_CODE_CLASS = {2: "http_2xx", 3: "http_3xx", 4: "http_4xx", 5: "http_5xx"}


def build_tls_context(runtime: dict) -> ssl.SSLContext:
    listener = runtime["listener"]
    minimum, maximum, suites = TLS_POLICIES[listener.get("TLSCipherPolicy") or "tls_cipher_policy_1_0"]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = minimum
    context.maximum_version = maximum
    context.set_ciphers(suites)
    context.load_cert_chain(runtime["server_pem_path"])
    context.set_alpn_protocols(["http/1.1"])
    if runtime["ca_pem_path"]:
        # Mutual authentication: no client certificate, or one the uploaded CA did not sign (or an
        # expired one), fails the handshake.
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=runtime["ca_pem_path"])
    return context


class Scheduler:
    """wrr: smooth weighted round robin (nginx's); rr: plain round robin. Weight 0 gets nothing."""

    def __init__(self):
        self._current: dict[str, int] = {}
        self._next_index = 0
        self._lock = threading.Lock()

    def pick(self, algorithm: str, servers: list[dict]) -> dict | None:
        candidates = [s for s in servers if s["Weight"] > 0]
        if not candidates:
            return None
        with self._lock:
            if algorithm == "rr":
                chosen = candidates[self._next_index % len(candidates)]
                self._next_index += 1
                return chosen
            total = 0
            best = None
            for server in candidates:
                sid = server["ServerId"]
                self._current[sid] = self._current.get(sid, 0) + server["Weight"]
                total += server["Weight"]
                if best is None or self._current[sid] > self._current[best["ServerId"]]:
                    best = server
            self._current[best["ServerId"]] -= total
            return best


class HealthChecker(threading.Thread):
    """Probes every backend of one listener; statuses: unavailable (not yet decided), normal, abnormal."""

    def __init__(self, listener_server: ListenerServer):
        super().__init__(name=f"health-{listener_server.name}", daemon=True)
        self.owner = listener_server
        self.stop_event = threading.Event()
        self.status: dict[str, str] = {}
        self._streaks: dict[str, tuple[bool, int]] = {}
        self._lock = threading.Lock()

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return dict(self.status)

    def _probe(self, server: dict, listener: dict) -> bool:
        if not server["running"]:
            return False
        timeout = listener.get("HealthCheckTimeout") or 5
        method = (listener.get("HealthCheckMethod") or "head").upper()
        domain = listener.get("HealthCheckDomain") or ""
        host_header = server["host"] if domain in ("", "$_ip") else domain
        try:
            connection = http.client.HTTPConnection(server["host"], server["port"], timeout=timeout)
            try:
                connection.request(method, listener.get("HealthCheckURI") or "/", headers={
                    "Host": host_header, "User-Agent": "clb-emulator-healthcheck"})
                response = connection.getresponse()
                response.read()
            finally:
                connection.close()
        except (OSError, http.client.HTTPException):
            return False
        accepted = (listener.get("HealthCheckHttpCode") or "http_2xx").split(",")
        return HTTP_CODE_CLASS.get(response.status // 100) in accepted

    def run(self) -> None:
        while not self.stop_event.is_set():
            runtime = self.owner.runtime
            listener = runtime["listener"]
            servers = runtime["servers"]
            results = {s["ServerId"]: self._probe(s, listener) for s in servers}
            with self._lock:
                for server_id in list(self.status):
                    if server_id not in results:
                        self.status.pop(server_id, None)
                        self._streaks.pop(server_id, None)
                for server_id, ok in results.items():
                    last_ok, streak = self._streaks.get(server_id, (ok, 0))
                    streak = streak + 1 if last_ok == ok else 1
                    self._streaks[server_id] = (ok, streak)
                    current = self.status.get(server_id, "unavailable")
                    if ok and streak >= listener.get("HealthyThreshold", 3):
                        current = "normal"
                    elif not ok and streak >= listener.get("UnhealthyThreshold", 3):
                        current = "abnormal"
                    self.status[server_id] = current
            self.stop_event.wait(listener.get("HealthCheckInterval") or 2)

    def stop(self) -> None:
        self.stop_event.set()


class ProxyHandler(BaseHTTPRequestHandler):
    # Headers and body go out in separate writes; with Nagle on, delayed ACKs add ~40 ms a response.
    disable_nagle_algorithm = True
    server_version = "Tengine"  # what CLB's layer-7 listeners announce
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (base class signature)
        pass

    def _error(self, status: int, reason: str) -> None:
        body = (f"<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}</h1>"
                "</center><hr><center>clb-emulator</center></body></html>\n").encode()
        self.send_response(status, reason)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _proxy(self) -> None:
        owner: ListenerServer = self.server
        runtime = owner.runtime
        listener = runtime["listener"]
        if listener.get("ListenerForward") == "on":
            self._redirect(listener, runtime)
            return
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._error(411, "Length Required")
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        server = owner.pick_backend()
        if server is None:
            self._error(502, "Bad Gateway")
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        client_ip, client_port = self.client_address[:2]
        if listener.get("XForwardedFor", "on") == "on":
            previous = self.headers.get("X-Forwarded-For")
            headers["X-Forwarded-For"] = f"{previous}, {client_ip}" if previous else client_ip
        if listener.get("XForwardedFor_proto") == "on":
            headers["X-Forwarded-Proto"] = runtime.get("protocol", "https")
        if listener.get("XForwardedFor_SLBIP") == "on":
            headers["SLB-IP"] = runtime["Address"]
        if listener.get("XForwardedFor_SLBID") == "on":
            headers["SLB-ID"] = runtime["LoadBalancerId"]
        if listener.get("XForwardedFor_SLBPORT") == "on":
            headers["X-Forwarded-Port"] = str(listener["ListenerPort"])
        if listener.get("XForwardedFor_ClientSrcPort") == "on":
            headers["X-Forwarded-Client-srcport"] = str(client_port)
        try:
            connection = http.client.HTTPConnection(server["host"], server["port"],
                                                    timeout=listener.get("RequestTimeout") or 60)
            try:
                # Forward the client's headers as they are: no Host or Accept-Encoding of our own.
                connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers.items():
                    connection.putheader(name, value)
                if body is None and self.command in ("POST", "PUT", "PATCH"):
                    connection.putheader("Content-Length", "0")
                connection.endheaders(body)
                response = connection.getresponse()
                payload = response.read()
            finally:
                connection.close()
        except socket.timeout:
            self._error(504, "Gateway Time-out")
            return
        except (OSError, http.client.HTTPException):
            self._error(502, "Bad Gateway")
            return
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() not in ("content-length", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _redirect(self, listener: dict, runtime: dict) -> None:
        # The client's Host without its port, so the redirect names the address the client used.
        host = self.headers.get("Host") or runtime["Address"]
        host = host.split("]")[0] + "]" if host.startswith("[") else host.partition(":")[0]
        location = f"https://{host}:{listener['ForwardPort']}{self.path}"
        self.send_response(301, "Moved Permanently")
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.close_connection = True  # any request body is left unread

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _proxy  # noqa: N815


class ListenerServer:
    """A running listener: the bound socket, its accept loop, connections and health checker."""

    def __init__(self, runtime: dict, listener_port_offset: int):
        self.runtime = runtime
        listener = runtime["listener"]
        self.address = runtime["Address"]
        self.bind_port = listener["ListenerPort"] + listener_port_offset
        self.name = f"{runtime['LoadBalancerId']}:{listener['ListenerPort']}"
        self.scheduler = Scheduler()
        self._context_lock = threading.Lock()
        self._context: ssl.SSLContext | None = None
        self._connections: set = set()
        self._connections_lock = threading.Lock()
        self._stopping = threading.Event()
        if self.bind_port > 65535:
            raise OSError(f"port {listener['ListenerPort']} + offset {listener_port_offset} exceeds 65535")
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((self.address, self.bind_port))
            self.socket.listen(128)
            if runtime.get("protocol", "https") == "https":
                # Fail now, at start, if the certificate cannot be served.
                self._context = build_tls_context(runtime)
        except BaseException:
            self.socket.close()
            raise
        self.health = HealthChecker(self)
        self._accept_thread = threading.Thread(target=self._accept_loop, name=f"listener-{self.name}", daemon=True)

    # The attributes BaseHTTPRequestHandler expects of its server.
    server_name = "clb-emulator"

    def start(self) -> None:
        if self.runtime["listener"].get("HealthCheck") == "on":
            self.health.start()
        self._accept_thread.start()

    def update(self, runtime: dict) -> None:
        """New configuration: certificates and settings apply to the next connection."""
        with self._context_lock:
            self.runtime = runtime
            self._context = None
        if runtime["listener"].get("HealthCheck") == "on" and not self.health.is_alive() \
                and not self.health.stop_event.is_set():
            self.health.start()
        elif runtime["listener"].get("HealthCheck") != "on" and self.health.is_alive():
            self.health.stop()
            self.health = HealthChecker(self)

    def context(self) -> ssl.SSLContext:
        with self._context_lock:
            if self._context is None:
                self._context = build_tls_context(self.runtime)
            return self._context

    def health_status(self) -> dict[str, str]:
        return self.health.snapshot()

    def pick_backend(self) -> dict | None:
        runtime = self.runtime
        servers = runtime["servers"]
        if runtime["listener"].get("HealthCheck") == "on":
            status = self.health.snapshot()
            servers = [s for s in servers if status.get(s["ServerId"], "unavailable") != "abnormal"]
        return self.scheduler.pick(runtime["listener"].get("Scheduler", "wrr"), servers)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, address = self.socket.accept()
            except OSError:
                return
            threading.Thread(target=self._serve_connection, args=(client, address),
                             name=f"conn-{self.name}", daemon=True).start()

    def _serve_connection(self, client: socket.socket, address) -> None:
        with self._connections_lock:
            self._connections.add(client)
        try:
            client.settimeout(self.runtime["listener"].get("IdleTimeout") or 15)
            if self.runtime.get("protocol", "https") == "http":
                try:
                    ProxyHandler(client, address, self)
                except OSError:
                    pass
                return
            try:
                tls = self.context().wrap_socket(client, server_side=True)
            except (ssl.SSLError, OSError):
                return  # handshake refused: no/unknown/expired client certificate, or a disallowed version
            with self._connections_lock:
                self._connections.add(tls)
            try:
                ProxyHandler(tls, address, self)
            except (OSError, ssl.SSLError):
                pass
            finally:
                with self._connections_lock:
                    self._connections.discard(tls)
                try:
                    # A clean TLS close (close_notify), as clients expect from a real server.
                    tls.settimeout(1)
                    tls.unwrap()
                except (OSError, ssl.SSLError, ValueError):
                    pass
                try:
                    tls.close()
                except OSError:
                    pass
        finally:
            with self._connections_lock:
                self._connections.discard(client)
            client.close()

    def stop(self) -> None:
        self._stopping.set()
        self.health.stop()
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.socket.close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._accept_thread.join(timeout=2)


class DataPlane:
    def __init__(self, backend, ecs: EcsRegistry, listener_port_offset: int = 0):
        self.backend = backend
        self.ecs = ecs
        self.offset = listener_port_offset
        self._servers: dict[tuple[str, int], ListenerServer] = {}
        self._lock = threading.RLock()
        backend.observers.append(self.sync)
        backend.health_source = self.health_of

    def start(self) -> None:
        """Bring back every listener the persisted state says is running."""
        for lb_id, port in self.backend.running_listeners():
            try:
                self.sync(lb_id, port)
            except ApiError as error:
                print(f"clb-emulator: listener {lb_id}:{port} could not come back up: {error.message}",
                      file=sys.stderr)

    def sync(self, lb_id: str, port: int) -> None:
        runtime = self.backend.listener_runtime(lb_id, port)
        with self._lock:
            existing = self._servers.get((lb_id, port))
            if runtime is None:
                if existing is not None:
                    existing.stop()
                    del self._servers[(lb_id, port)]
                return
            if existing is not None and existing.address == runtime["Address"]:
                existing.update(runtime)
                return
            if existing is not None:
                existing.stop()
                del self._servers[(lb_id, port)]
            try:
                server = ListenerServer(runtime, self.offset)
            except (OSError, ssl.SSLError) as error:
                raise ApiError("InternalError", f"The listener could not be started on {runtime['Address']}:"
                               f"{port + self.offset}: {error}") from None
            server.start()
            self._servers[(lb_id, port)] = server

    def refresh_all(self) -> None:
        with self._lock:
            keys = list(self._servers)
        for lb_id, port in keys:
            self.sync(lb_id, port)

    def health_of(self, lb_id: str, port: int) -> dict[str, str]:
        with self._lock:
            server = self._servers.get((lb_id, port))
        return server.health_status() if server else {}

    def stop(self) -> None:
        with self._lock:
            for server in self._servers.values():
                server.stop()
            self._servers.clear()

