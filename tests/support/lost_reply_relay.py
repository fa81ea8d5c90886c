"""A lost reply, end to end: a local HTTP relay in front of the emulator's API that forwards a call,
lets the service apply it, and then closes the client's connection without a byte of the answer.

The emulator's own fault rules refuse a call before it is applied (a faulted call changes nothing), so
they cannot show a mutating call that went through while the client saw a dropped connection. A module
pointed at this relay (`endpoint: relay.url`) meets exactly that, through the real SDK and its real
retry path, in its own process. The relay binds 127.0.0.1 only and forwards every header unchanged
(the signature covers `host`, which stays the relay's own address on both legs).
"""
from __future__ import annotations

import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _action_of(handler: BaseHTTPRequestHandler) -> str | None:
    """The API action: the ACS3 `x-acs-action` header, or `Action` in a V1 (RPC) query."""
    action = handler.headers.get("x-acs-action")
    if action:
        return action
    query = urllib.parse.urlsplit(handler.path).query
    return (urllib.parse.parse_qs(query).get("Action") or [None])[0]


class LostReplyRelay:
    """Relay API calls to `upstream_url`; `lose(action, count)` drops the reply of the next `count` calls of
    `action` after the service has answered them. `lost` lists (action, upstream HTTP status) per drop."""

    def __init__(self, upstream_url: str):
        upstream = urllib.parse.urlsplit(upstream_url)
        self._upstream = (upstream.hostname, upstream.port)
        self._to_lose: dict[str, int] = {}
        self._lock = threading.Lock()
        self.lost: list[tuple[str, int]] = []
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _relay(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                action = _action_of(self)
                connection = http.client.HTTPConnection(*relay._upstream, timeout=60)
                try:
                    connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for name, value in self.headers.items():
                        connection.putheader(name, value)
                    connection.endheaders(body)
                    response = connection.getresponse()
                    payload = response.read()
                finally:
                    connection.close()
                if relay._take(action):
                    relay.lost.append((action, response.status))
                    self.close_connection = True  # the service has applied it; the client hears nothing
                    return
                self.send_response(response.status, response.reason)
                for name, value in response.getheaders():
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _relay

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _take(self, action: str | None) -> bool:
        with self._lock:
            left = self._to_lose.get(action or "", 0)
            if left <= 0:
                return False
            self._to_lose[action] = left - 1
            return True

    def lose(self, action: str, count: int = 1) -> None:
        with self._lock:
            self._to_lose[action] = count

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "LostReplyRelay":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
