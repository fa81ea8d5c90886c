"""mtls_probe's pure parts: reading curl's output, building its command line, checking probes."""
from __future__ import annotations

import pytest

from ansible_collections.mtls.clb.plugins.modules.mtls_probe import (
    STATUS_MARKER,
    curl_argv,
    parse_output,
    unreadable_file,
    validate_limits,
    validate_probes,
)

PARAMS = {"connect_timeout": 5, "max_time": 10, "ca_certificate_path": "/home/ca/ca.crt",
          "resolve": None, "url": "https://www.example.test/"}
LIMITS = {"connect_timeout": 5, "max_time": 10, "max_body": 2048, "url": "https://www.example.test/", "resolve": None}


def probe(name, **overrides):
    item = {"name": name, "count": 1, "certificate_path": None, "private_key_path": None,
            "certificate": None, "private_key": None}
    item.update(overrides)
    return item


@pytest.mark.parametrize("stdout, expected", [
    ("Hello from ECS01" + STATUS_MARKER + "200", (200, "Hello from ECS01")),
    ("" + STATUS_MARKER + "000", (None, "")),                      # no HTTP answer (handshake refused)
    ("not found" + STATUS_MARKER + "404\n", (404, "not found")),
    ("no marker at all", (None, "no marker at all")),               # a curl that ignores --write-out
    # a body that itself contains the marker: the last one is curl's
    ("a" + STATUS_MARKER + "999 b" + STATUS_MARKER + "201", (201, "a" + STATUS_MARKER + "999 b")),
])
def test_parse_output(stdout, expected):
    assert parse_output(stdout, 2048) == expected


def test_parse_output_cuts_the_body():
    assert parse_output("x" * 5000 + STATUS_MARKER + "200", 10) == (200, "x" * 10)


def test_curl_argv_is_the_procedures_command():
    argv = curl_argv("/usr/bin/curl", dict(PARAMS, resolve="www.example.test:443:127.0.0.9"),
                     "/home/ca/client.crt", "/home/ca/client.key")
    assert argv[0] == "/usr/bin/curl"
    assert argv[-2:] == ["--url", "https://www.example.test/"]
    pairs = dict(zip(argv, argv[1:]))
    assert pairs["--cacert"] == "/home/ca/ca.crt"
    assert pairs["--cert"] == "/home/ca/client.crt"
    assert pairs["--key"] == "/home/ca/client.key"
    assert pairs["--resolve"] == "www.example.test:443:127.0.0.9"
    assert pairs["--write-out"] == STATUS_MARKER + "%{http_code}"


def test_curl_argv_without_certificate_or_resolve():
    argv = curl_argv("curl", PARAMS)
    assert "--cert" not in argv and "--key" not in argv and "--resolve" not in argv


@pytest.mark.parametrize("probes, message", [
    ([probe("a"), probe("a")], "probes[1] (a): the name is used twice"),
    ([probe("a", count=0)], "probes[0] (a): count must be at least 1"),
    ([probe("a", certificate="PEM", certificate_path="/x", private_key="K")], "give certificate or certificate_path"),
    ([probe("a", private_key="K", private_key_path="/k", certificate="C")], "give private_key or private_key_path"),
    ([probe("a", certificate_path="/c")], "needs its private key"),
    ([probe("a", private_key="K")], "needs its private key"),
])
def test_validate_probes_names_the_probe_and_the_fix(probes, message):
    assert message in validate_probes(probes)


def test_validate_probes_accepts_paths_text_and_none():
    assert validate_probes([probe("client", count=20, certificate_path="/c", private_key_path="/k"),
                            probe("without"), probe("foreign", certificate="C", private_key="K")]) is None


@pytest.mark.parametrize("option, value, message", [
    ("max_body", -1, "max_body must be at least 0 (got -1)"),
    ("connect_timeout", 0, "connect_timeout must be at least 1"),
    ("max_time", -5, "max_time must be at least 1"),
])
def test_validate_limits_names_the_option(option, value, message):
    assert validate_limits(dict(LIMITS, **{option: value})).startswith(message)


def test_validate_limits_accepts_an_empty_body():
    assert validate_limits(dict(LIMITS, connect_timeout=1, max_time=1, max_body=0)) is None


@pytest.mark.parametrize("url", ["https://www.example.test", "https://www.example.test:8443/health?x=1",
                                 "HTTPS://WWW.EXAMPLE.TEST/", "https://[2001:db8::1]:443/", "https://203.0.113.10"])
def test_https_urls_are_taken(url):
    assert validate_limits(dict(LIMITS, url=url)) is None


@pytest.mark.parametrize("url", ["--help", "-ohttp://x", "http://www.example.test/", "www.example.test",
                                 "https://www.example.test/a b", ""])
def test_anything_but_an_https_url_is_refused_naming_url(url):
    """curl took `--help` as its option and answered with its help text as the probe's body."""
    assert validate_limits(dict(LIMITS, url=url)).startswith("url must be an https:// URL")


@pytest.mark.parametrize("resolve, ok", [
    ("www.example.test:443:203.0.113.10", True), ("www.example.test:443:[2001:db8::1]", True),
    ("+www.example.test:443:203.0.113.10,203.0.113.11", True), ("bogus", False), ("www.example.test:443", False),
    ("www.example.test:https:203.0.113.10", False), ("www.example.test:443: 203.0.113.10", False)])
def test_resolve_must_be_curls_form(resolve, ok):
    problem = validate_limits(dict(LIMITS, resolve=resolve))
    assert (problem is None) is ok, problem
    if not ok:
        assert problem.startswith("resolve must be <domain>:<port>:<address>, as curl --resolve takes it")


def test_unreadable_file_names_the_option_and_the_probe(tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_text("x")
    params = {"ca_certificate_path": str(ca),
              "probes": [probe("client", certificate_path=str(ca), private_key_path=str(tmp_path / "client.key"))]}
    assert unreadable_file(params) == ("probes[0].private_key_path (client): %s is not a file; give the path of "
                                       "the PEM file on this host" % (tmp_path / "client.key"))
    (tmp_path / "client.key").write_text("k")
    assert unreadable_file(params) is None
    params["ca_certificate_path"] = str(tmp_path)
    assert unreadable_file(params).startswith("ca_certificate_path: %s is not a file" % tmp_path)


def test_a_certificate_that_holds_its_key_is_not_shown_in_the_result(tmp_path, capsys):
    """curl takes a combined certificate-and-key PEM as --cert; given inline as probes[].certificate, the key
    would be printed with the task's invocation (-vvv). Check mode ends before curl runs."""
    import json

    from ansible.module_utils.testing import patch_module_args
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from ansible_collections.mtls.clb.plugins.modules import mtls_probe

    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()).decode()
    certificate = "-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3DQEBCwUAMBExDzANBgNV\n" \
                  "-----END CERTIFICATE-----\n"
    key_file = tmp_path / "client.key"
    key_file.write_text(key)
    args = {"url": "https://www.example.test/", "ca_certificate_path": str(tmp_path / "ca.crt"), "curl": "/bin/true",
            "probes": [{"name": "combined", "certificate": certificate + key, "private_key_path": str(key_file)}],
            "_ansible_check_mode": True}
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            mtls_probe.main()
    text = capsys.readouterr().out
    result = json.loads(text)
    assert result["changed"] is False and "invocation" in result
    assert "PRIVATE KEY-----" not in text
    assert not any(line in text for line in key.splitlines()[1:-1])


@pytest.mark.parametrize("inline", ["certificate", "private_key"])
def test_one_of_the_pair_inline_and_the_other_a_path(tmp_path, inline):
    """curl gets the path given as it is and the inline PEM written to a private (0600) file; before, the
    inline half made the module write the other, None, half and crash."""
    import os
    import stat

    from ansible_collections.mtls.clb.plugins.modules.mtls_probe import Prober

    class Module:
        tmpdir = str(tmp_path)
        params = {}

    pem = {"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
           "private_key": "-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n"}
    other = "private_key" if inline == "certificate" else "certificate"
    given_path = str(tmp_path / (other + ".pem"))
    item = probe("mixed", **{inline: pem[inline], other + "_path": given_path})
    prober = Prober(Module(), "curl")
    certificate_path, key_path = prober.credentials(item)
    written = certificate_path if inline == "certificate" else key_path
    assert (key_path if inline == "certificate" else certificate_path) == given_path
    with open(written) as handle:
        assert handle.read() == pem[inline]
    assert stat.S_IMODE(os.stat(written).st_mode) == 0o600


@pytest.mark.parametrize("url, resolve", [
    ("https://www.example.test/", "www.other.test:443:203.0.113.10"),
    ("https://www.example.test:8443/", "www.example.test:443:203.0.113.10"),
    ("https://www.example.test/", "www.example.test:8443:203.0.113.10")])
def test_a_resolve_entry_curl_would_not_use_for_the_url_is_refused(url, resolve):
    """curl would quietly resolve the URL's host through DNS and test whatever that is."""
    problem = validate_limits(dict(LIMITS, url=url, resolve=resolve))
    assert problem.startswith("resolve is for ") and "so curl would not use it" in problem


@pytest.mark.parametrize("url, resolve", [
    ("https://WWW.example.test/", "www.example.test:443:203.0.113.10"),
    ("https://www.example.test:8443/x", "www.example.test:8443:203.0.113.10"),
    ("https://www.example.test/", "www.example.test:*:203.0.113.10")])
def test_a_resolve_entry_for_the_urls_host_and_port_is_taken(url, resolve):
    assert validate_limits(dict(LIMITS, url=url, resolve=resolve)) is None
