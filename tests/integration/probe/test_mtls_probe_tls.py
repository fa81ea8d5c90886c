"""mtls.clb.mtls_probe and the foreign_client_certificate lookup against a real TLS server.

The server (127.0.0.1, an ephemeral port) demands a client certificate from one CA and answers
"hello from ECS07"; the module runs the real curl through the real `ansible-playbook`.
"""
from __future__ import annotations

import http.server
import ssl
import threading

import pytest
from cryptography import x509

from tests.integration.security import mtls_test_pki as pki
from tests.support.ansible_run import run_playbook

DOMAIN = "probe.mtls.test"


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = b"hello from ECS07\n" if self.path == "/" else b"nothing here\n"
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.requests += 1

    def log_message(self, *args):
        pass


class TLSServer(http.server.ThreadingHTTPServer):
    """The TLS handshake happens in the request's thread, as in a real server: a refused client gets
    the TLS alert instead of a connection torn down in accept()."""

    def finish_request(self, request, client_address):
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        self.RequestHandlerClass(tls, client_address, self)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("probe")
    server_ca_key, client_ca_key = pki.new_key(), pki.new_key()
    server_ca = pki.certificate("probe server CA", server_ca_key, ca=True)
    client_ca = pki.certificate("probe client CA", client_ca_key, ca=True)
    server_key, client_key = pki.new_key(), pki.new_key()
    server_cert = pki.certificate(DOMAIN, server_key, issuer=server_ca, issuer_key=server_ca_key, dns_names=[DOMAIN])
    client_cert = pki.certificate("client01", client_key, issuer=client_ca, issuer_key=client_ca_key, client=True)
    files = {
        "ca": pki.write(work / "ca.crt", pki.certificate_pem(server_ca), 0o644),
        "client_ca": pki.write(work / "client-ca.crt", pki.certificate_pem(client_ca), 0o644),
    }
    files["server_crt"], files["server_key"] = pki.write_pair(work, "server", server_cert, server_key)
    files["client_crt"], files["client_key"] = pki.write_pair(work, "client", client_cert, client_key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files["server_crt"], files["server_key"])
    context.load_verify_locations(files["client_ca"])
    context.verify_mode = ssl.CERT_REQUIRED
    httpd = TLSServer(("127.0.0.1", 0), Hello)
    httpd.requests = 0
    httpd.context = context
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"port": httpd.server_address[1], "httpd": httpd, "files": files, "work": work}
    finally:
        httpd.shutdown()
        httpd.server_close()


def probe_playbook(tmp_path, server, probes, **options):
    task = {"mtls.clb.mtls_probe": {
        "url": f"https://{DOMAIN}:{server['port']}{options.pop('path', '/')}",
        "resolve": f"{DOMAIN}:{server['port']}:127.0.0.1",
        "ca_certificate_path": str(server["files"]["ca"]),
        "probes": probes, **options},
        "register": "probe", "vars": {"foreign": "{{ lookup('mtls.clb.foreign_client_certificate') }}"}}
    playbook = tmp_path / "probe.yml"
    import json
    playbook.write_text(json.dumps([{"hosts": "localhost", "connection": "local", "gather_facts": False,
                                     "tasks": [task]}]))
    return playbook


def run_probe(tmp_path, server, probes, check=False, verbosity=0, **options):
    run = run_playbook(probe_playbook(tmp_path, server, probes, **options), check=check, verbosity=verbosity)
    tasks = run.data["plays"][0]["tasks"]
    return run, tasks[0]["hosts"]["localhost"]


def client_probe(files, count=1):
    return {"name": "client", "count": count, "certificate_path": str(files["client_crt"]),
            "private_key_path": str(files["client_key"])}


# One reference to the lookup for both the certificate and the key: each evaluation makes new keys.
FOREIGN = "{{ {'name': 'foreign'} | combine(foreign | dict2items | selectattr('key', 'ne', 'ca_certificate') | items2dict) }}"


def test_accepts_the_client_and_is_refused_without_or_with_a_foreign_certificate(tmp_path, server):
    before = server["httpd"].requests
    run, result = run_probe(tmp_path, server, [client_probe(server["files"], 3), {"name": "without"}, FOREIGN])
    assert run.rc == 0, run.stdout
    assert result["changed"] is False
    client = result["probes"]["client"]
    assert [a["rc"] for a in client] == [0, 0, 0]
    assert [a["http_status"] for a in client] == [200, 200, 200]
    assert all(a["body"] == "hello from ECS07\n" for a in client)
    assert server["httpd"].requests - before == 3   # the refused handshakes never reached HTTP
    for name in ("without", "foreign"):
        [answer] = result["probes"][name]
        # refused in the handshake: no HTTP answer (which exit code curl reports depends on when the
        # server's alert and close reach it; the role, not this module, judges the codes)
        assert answer["rc"] not in (0, 58), answer
        assert answer["http_status"] is None
        assert answer["stderr"]


def test_http_status_other_than_2xx_is_reported_as_is(tmp_path, server):
    _run, result = run_probe(tmp_path, server, [client_probe(server["files"])], path="/missing")
    [answer] = result["probes"]["client"]
    assert (answer["rc"], answer["http_status"], answer["body"]) == (0, 404, "nothing here\n")


def test_foreign_private_key_never_shown_even_at_vvvv(tmp_path, server):
    run, result = run_probe(tmp_path, server, [FOREIGN], verbosity=4)
    assert run.rc == 0
    assert result["probes"]["foreign"][0]["rc"] not in (0, 58)
    assert "PRIVATE KEY" not in run.stdout + run.stderr
    # and the temporary files with the foreign key are gone
    assert not list(tmp_path.glob("**/mtls-probe-*"))


def test_check_mode_sends_nothing(tmp_path, server):
    before = server["httpd"].requests
    run, result = run_probe(tmp_path, server, [client_probe(server["files"], 2)], check=True)
    assert run.rc == 0
    assert result["probes"] == {} and result["changed"] is False
    assert server["httpd"].requests == before


@pytest.mark.parametrize("probes, options, message", [
    ([{"name": "a"}, {"name": "a"}], {}, "probes[1] (a): the name is used twice"),
    ([{"name": "a", "certificate_path": "/nonexistent.crt"}], {}, "needs its private key"),
    ([{"name": "a"}], {"curl": "no-such-curl-here"}, "curl: 'no-such-curl-here' is not installed"),
])
def test_bad_input_is_refused_before_any_request(tmp_path, server, probes, options, message):
    before = server["httpd"].requests
    run, result = run_probe(tmp_path, server, probes, **options)
    assert run.rc != 0
    assert result.get("failed") and message in result["msg"]
    assert server["httpd"].requests == before


def test_lookup_makes_a_client_certificate_of_an_unknown_ca(tmp_path):
    import json
    playbook = tmp_path / "lookup.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [
        {"ansible.builtin.copy": {"dest": str(tmp_path / "{{ item }}.pem"), "content": "{{ made[item] }}",
                                  "mode": "0600"},
         "loop": ["certificate", "private_key", "ca_certificate"], "no_log": True,
         "vars": {"made": "{{ lookup('mtls.clb.foreign_client_certificate', key_size=2048, common_name='x1') }}"}},
        {"ansible.builtin.debug": {"msg": "{{ lookup('mtls.clb.foreign_client_certificate', key_size=1024) }}"},
         "ignore_errors": True}]}]))
    run = run_playbook(playbook)
    tasks = run.data["plays"][0]["tasks"]
    # each loop item templates the lookup anew: three files from three different runs, so check
    # the properties that hold for any single result
    cert = x509.load_pem_x509_certificate((tmp_path / "certificate.pem").read_bytes())
    ca = x509.load_pem_x509_certificate((tmp_path / "ca_certificate.pem").read_bytes())
    assert cert.subject.rfc4514_string() == "CN=x1"
    assert cert.issuer.rfc4514_string() == "CN=mtls.clb foreign CA"
    assert x509.ExtendedKeyUsageOID.CLIENT_AUTH in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert (tmp_path / "private_key.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    bad = tasks[1]["hosts"]["localhost"]
    assert bad.get("failed") and "key_size" in bad["msg"] and "1024" in bad["msg"]
