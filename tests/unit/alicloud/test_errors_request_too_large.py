"""A gateway's 'request too large' page is a final answer, not a blip.

The SDK sends every parameter in the URL (an upload's certificate and key too), and a gateway refuses
a URL that is too long with an HTML 414 page before the API sees it; the Alibaba Cloud OpenAPI
gateway answered a long query with Tengine's "414 Request-URI Too Large" (aliyun/openapi-core-nodejs-sdk#55).
The SDK cannot read the page as JSON and keeps only its text. The same request gets the same answer,
so such a failure must fail at once and say what to change, where a garbled answer is still retried.
The SDK is the real one, talking to a local server on 127.0.0.1; attempts are counted, never timed.
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud import client as client_mod
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
SECRET = "sk-never-shown-0123456789"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretkeymaterial\n-----END RSA PRIVATE KEY-----\n"

TENGINE_414 = (414, "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n<html>\r\n<head><title>414 Request-URI "
                    "Too Large</title></head>\r\n<body bgcolor=\"white\">\r\n<h1>414 Request-URI Too Large</h1>\r\n"
                    "<p>The requested URL's length exceeds the capacity limit for this server.</p>\r\n"
                    "<hr/>Powered by Tengine</body>\r\n</html>\r\n")
PYTHON_414 = (414, "<html><head><title>Error response</title></head><body><h1>Error response</h1>"
                   "<p>Error code: 414</p><p>Message: Request-URI Too Long.</p></body></html>")
NGINX_413 = (413, "<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request "
                  "Entity Too Large</h1></center><hr><center>nginx</center></body></html>")
NGINX_502 = (502, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
                  "</center><hr><center>nginx</center></body></html>")


class HtmlPageServer(ThreadingHTTPServer):
    """Answers every request with one HTML page and counts the requests."""

    def __init__(self, status, page):
        self.status, self.page, self.requests = status, page.encode(), 0
        super().__init__(("127.0.0.1", 0), HtmlPageHandler)


class HtmlPageHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass

    def do_POST(self):  # noqa: N802
        self.server.requests += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(self.server.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.server.page)))
        self.end_headers()
        self.wfile.write(self.server.page)


@pytest.fixture
def gateway(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    servers = []

    def start(status_and_page):
        server = HtmlPageServer(*status_and_page)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class CountingPolicy(RetryPolicy):
    def __init__(self):
        self.sleeps = []
        super().__init__(sleep=self.sleeps.append)


def call(server, action, params, retry=True):
    endpoint = "http://127.0.0.1:{0}".format(server.server_address[1])
    sdk_client = client_mod.build_sdk_client({"region": "cn-hangzhou", "access_key_id": "AKIDEXAMPLE",
                                              "access_key_secret": SECRET, "connect_timeout": 2.0,
                                              "read_timeout": 2.0, "endpoint": endpoint})
    policy = CountingPolicy()
    api = client_mod.SlbApi(sdk_client, "cn-hangzhou", policy, endpoint_from_option=True)
    with pytest.raises(AlicloudApiError) as raised:
        api.call(action, params, retry=retry)
    return raised.value, policy, api


UPLOAD = {"ServerCertificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
          "PrivateKey": PRIVATE_KEY, "ServerCertificateName": "big"}


@pytest.mark.parametrize("page", [TENGINE_414, PYTHON_414], ids=["tengine", "python-http-server"])
def test_a_414_page_to_an_upload_fails_at_once_with_the_status_and_what_to_change(gateway, page):
    server = gateway(page)
    error, policy, api = call(server, "UploadServerCertificate", UPLOAD)
    assert (server.requests, policy.sleeps, api.actions_called) == (1, [], ["UploadServerCertificate"])
    assert not error.retryable and error.transport == "too-large" and error.status_code == 414
    text = error.describe()
    assert "HTTP 414" in text and "too large" in text
    assert "ali_cloud_certificate_id" in text and "intermediates" in text
    assert "proxy" not in text.lower(), "a 414 is no network problem"
    for shown in (text, repr(error.as_result())):
        assert "PRIVATE KEY" not in shown and "secretkeymaterial" not in shown and SECRET not in shown


def test_a_414_page_to_a_ca_upload_names_the_ca_options(gateway):
    error = call(gateway(TENGINE_414), "UploadCACertificate", {"CACertificate": "x" * 100})[0]
    assert error.status_code == 414 and not error.retryable
    assert "certificate / certificate_path" in error.describe()


def test_a_413_page_to_a_read_is_not_retried_either(gateway):
    server = gateway(NGINX_413)
    error, policy, _api = call(server, "DescribeServerCertificates", {})
    assert (server.requests, policy.sleeps) == (1, [])
    assert error.status_code == 413 and "HTTP 413" in error.describe()
    assert "larger than the gateway takes" in error.describe()


def test_another_html_page_is_still_a_garbled_answer_that_a_read_retries(gateway):
    server = gateway(NGINX_502)
    error, policy, _api = call(server, "DescribeServerCertificates", {})
    assert error.transport == "not-api" and error.retryable and error.status_code is None
    assert server.requests == policy.max_attempts and len(policy.sleeps) == policy.max_attempts - 1
