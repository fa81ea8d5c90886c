#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mtls_probe
short_description: Send HTTPS requests with curl, with and without client certificates
version_added: 0.1.0
description:
  - Step 7 of the CLB mutual TLS procedure as one task - runs the procedure's own command,
    C(curl --cert client.crt --key client.key --cacert ca.crt https://<domain>/), as many times as asked,
    plus any other probes (no client certificate, a certificate from another CA), and returns every
    answer - curl's exit code, the HTTP status, the body and curl's error text.
  - One module run for all requests, where a loop of M(ansible.builtin.command) tasks costs a Python start
    per request. Requests are sent one after the other, in the order of O(probes).
  - Judges nothing - the caller decides what counts as success (role mtls.clb.mtls_verify does).
  - A probe can give its client certificate and key as files on the host (O(probes[].certificate_path),
    O(probes[].private_key_path)) or as PEM text (O(probes[].certificate), O(probes[].private_key)); text
    is written to a private temporary directory (C(0700), files C(0600)) that is removed before the
    module returns.
  - Runs on the client host, which needs C(curl) and nothing else.
author:
  - mtls.clb contributors (!UNKNOWN)
requirements:
  - curl on the host that runs the module
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: partial
    details: In check mode no request is sent and RV(probes) is empty (the files it would send may not exist yet).
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  url:
    description:
      - The URL requested, C(https://<domain>[:<port>][/<path>]). Anything else (another scheme, a blank) is
        refused before any request.
    type: str
    required: true
  ca_certificate_path:
    description:
      - CA certificate that the server certificate must chain to (curl C(--cacert)).
      - This file and the O(probes[].certificate_path) and O(probes[].private_key_path) files must be readable
        files; a real run checks that before the first request.
    type: path
    required: true
  resolve:
    description:
      - curl C(--resolve) entry, C(<domain>:<port>:<address>), so the domain reaches the load balancer
        without a DNS record. Another form is refused before any request.
    type: str
  probes:
    description: The requests to send.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Key of this probe's answers in RV(probes). Unique.
        type: str
        required: true
      count:
        description: How many times to send this request.
        type: int
        default: 1
      certificate_path:
        description: Client certificate file (curl C(--cert)). Goes with O(probes[].private_key_path).
        type: path
      private_key_path:
        description: Private key of the client certificate (curl C(--key)).
        type: path
      certificate:
        description: Client certificate as PEM text, instead of O(probes[].certificate_path).
        type: str
      private_key:
        description: Its private key as PEM text, instead of O(probes[].private_key_path). Never shown in output.
        type: str
  curl:
    description: The curl executable (a name looked up in E(PATH), or a path).
    type: str
    default: curl
  connect_timeout:
    description: curl C(--connect-timeout), seconds (at least 1).
    type: int
    default: 5
  max_time:
    description: curl C(--max-time), seconds (at least 1).
    type: int
    default: 10
  max_body:
    description: Longest body kept per answer, in characters (0 keeps none); the rest is cut.
    type: int
    default: 2048
notes:
  - Never reports C(changed); the requests are plain C(GET)s.
"""

EXAMPLES = r"""
- name: The procedure's test, 20 times, then without a client certificate
  mtls.clb.mtls_probe:
    url: https://www.example.com/
    resolve: www.example.com:443:203.0.113.10
    ca_certificate_path: /home/ca/ca.crt
    probes:
      - name: client
        count: 20
        certificate_path: /home/ca/client.crt
        private_key_path: /home/ca/client.key
      - name: without
  register: probe

- name: Every request with the certificate got a 2xx answer
  ansible.builtin.assert:
    that: probe.probes.client | rejectattr('http_status', 'in', range(200, 300)) | list | length == 0
  when: not ansible_check_mode  # no request is sent in check mode
"""

RETURN = r"""
probes:
  description: For each probe name, its answers in the order sent; empty in check mode.
  returned: always
  type: dict
  sample:
    client:
      - rc: 0
        http_status: 200
        body: "Hello from ECS01"
        stderr: ""
    without:
      - rc: 56
        http_status: null
        body: ""
        stderr: "curl: (56) OpenSSL SSL_read: tlsv13 alert certificate required"
  contains:
    rc:
      description: curl's exit code (0 means an HTTP answer came back, whatever its status).
      type: int
    http_status:
      description: The HTTP status, or V(null) when there was no HTTP answer.
      type: int
    body:
      description: The response body, cut at O(max_body) characters.
      type: str
    stderr:
      description: curl's error text.
      type: str
"""

import os
import re
import shutil
import tempfile

try:
    from urllib.parse import urlsplit
except ImportError:  # Python 2
    from urlparse import urlsplit

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mtls.clb.plugins.module_utils.private_key_text import mask_private_keys

# Appended after the body on its own line, so the status can be split off whatever the body holds.
STATUS_MARKER = "\n--mtls-probe-http-status:"


def parse_output(stdout, max_body):
    """(http_status or None, body) from curl's stdout with STATUS_MARKER + %{http_code} at the end."""
    body, marker, status = stdout.rpartition(STATUS_MARKER)
    if not marker:
        return None, stdout[:max_body]
    status = status.strip()
    code = int(status) if status.isdigit() and status != "000" else None
    return code, body[:max_body]


def curl_argv(curl, params, certificate_path=None, private_key_path=None):
    argv = [curl, "--silent", "--show-error",
            "--connect-timeout", str(params["connect_timeout"]), "--max-time", str(params["max_time"]),
            "--cacert", params["ca_certificate_path"],
            "--write-out", STATUS_MARKER + "%{http_code}"]
    if params["resolve"]:
        argv += ["--resolve", params["resolve"]]
    if certificate_path:
        argv += ["--cert", certificate_path, "--key", private_key_path]
    # --url: never read as an option, whatever it starts with.
    argv += ["--url", params["url"]]
    return argv


def validate_probes(probes):
    """An error message naming the option, or None."""
    seen = set()
    for index, probe in enumerate(probes):
        where = "probes[%d] (%s)" % (index, probe["name"])
        if probe["name"] in seen:
            return "%s: the name is used twice; give every probe its own name" % where
        seen.add(probe["name"])
        if probe["count"] < 1:
            return "%s: count must be at least 1 (got %d)" % (where, probe["count"])
        for kind in ("certificate", "private_key"):
            if probe[kind] and probe[kind + "_path"]:
                return "%s: give %s or %s_path, not both" % (where, kind, kind)
        has_certificate = bool(probe["certificate"] or probe["certificate_path"])
        has_key = bool(probe["private_key"] or probe["private_key_path"])
        if has_certificate != has_key:
            return ("%s: a client certificate needs its private key and the other way round; set both "
                    "certificate(_path) and private_key(_path), or neither for a request without one" % where)
    return None


# https://<host>[:port][/path]: no blank anywhere (curl would take the rest as another argument's text).
URL_PATTERN = re.compile(r"^https://(\[[0-9a-f:.]+\]|[^\s/:?#\[\]]+)(:\d{1,5})?([/?#]\S*)?$", re.IGNORECASE)
# curl --resolve: [+]<host>:<port>:<address>[,<address>...], an IPv6 address in brackets.
RESOLVE_PATTERN = re.compile(r"^\+?[^\s:]+:(\d{1,5}|\*):\S+$")


def validate_limits(params):
    """An error message naming the option, or None."""
    for option, lowest in (("connect_timeout", 1), ("max_time", 1), ("max_body", 0)):
        if params[option] < lowest:
            return "%s must be at least %d (got %d)" % (option, lowest, params[option])
    if not URL_PATTERN.match(params["url"]):
        return ("url must be an https:// URL, https://<domain>[:<port>][/<path>] (got %r): the probes test TLS "
                "with client certificates" % params["url"])
    if params["resolve"] is not None:
        if not RESOLVE_PATTERN.match(params["resolve"]):
            return ("resolve must be <domain>:<port>:<address>, as curl --resolve takes it, e.g. "
                    "www.example.com:443:203.0.113.10 (got %r)" % params["resolve"])
        # curl uses the entry only for the URL's own host and port; another would send the probes through DNS to
        # whatever the name resolves to, and test that instead.
        host, port = params["resolve"].lstrip("+").split(":")[:2]
        url = urlsplit(params["url"])
        url_port = url.port or 443
        if host.lower() != (url.hostname or "").lower() or (port != "*" and int(port) != url_port):
            return ("resolve is for %s:%s, but url asks for %s:%d, so curl would not use it; give resolve as "
                    "%s:%d:<address>" % (host, port, url.hostname, url_port, url.hostname, url_port))
    return None


def unreadable_file(params):
    """A message naming the first input file curl could not read, or None: curl would otherwise answer
    every request with exit code 58 or 77, which reads like a refusal rather than a missing file."""
    files = [("ca_certificate_path", params["ca_certificate_path"])]
    for index, probe in enumerate(params["probes"]):
        for option in ("certificate_path", "private_key_path"):
            if probe[option]:
                files.append(("probes[%d].%s (%s)" % (index, option, probe["name"]), probe[option]))
    for option, path in files:
        if not os.path.isfile(path):
            return "%s: %s is not a file; give the path of the PEM file on this host" % (option, path)
        if not os.access(path, os.R_OK):
            return "%s: %s is not readable by this user; run with become or fix its permissions" % (option, path)
    return None


class Prober(object):
    def __init__(self, module, curl):
        self.module = module
        self.curl = curl
        self.params = module.params
        self.scratch = None

    def credentials(self, probe):
        """(certificate path, key path) for curl: a path as given, PEM text written to the private scratch
        directory (each of the two may come either way)."""
        paths = []
        for kind in ("certificate", "private_key"):
            if probe[kind + "_path"] or not probe[kind]:
                paths.append(probe[kind + "_path"])
                continue
            if self.scratch is None:
                self.scratch = tempfile.mkdtemp(prefix="mtls-probe-", dir=self.module.tmpdir)
                os.chmod(self.scratch, 0o700)
            path = os.path.join(self.scratch, "%s.%s.pem" % (len(os.listdir(self.scratch)), kind))
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(probe[kind])
            paths.append(path)
        return paths[0], paths[1]

    def send(self, probe):
        certificate_path, private_key_path = self.credentials(probe)
        argv = curl_argv(self.curl, self.params, certificate_path, private_key_path)
        answers = []
        for _attempt in range(probe["count"]):
            rc, stdout, stderr = self.module.run_command(argv)
            status, body = parse_output(stdout, self.params["max_body"])
            answers.append({"rc": rc, "http_status": status, "body": body, "stderr": stderr.strip()})
        return answers

    def run(self):
        try:
            return dict((probe["name"], self.send(probe)) for probe in self.params["probes"])
        finally:
            if self.scratch is not None:
                shutil.rmtree(self.scratch, ignore_errors=True)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            ca_certificate_path=dict(type="path", required=True),
            resolve=dict(type="str"),
            probes=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                count=dict(type="int", default=1),
                certificate_path=dict(type="path"),
                private_key_path=dict(type="path", no_log=False),
                certificate=dict(type="str"),
                private_key=dict(type="str", no_log=True),
            )),
            curl=dict(type="str", default="curl"),
            connect_timeout=dict(type="int", default=5),
            max_time=dict(type="int", default=10),
            max_body=dict(type="int", default=2048),
        ),
        supports_check_mode=True,
    )
    # curl takes a certificate and its key in one PEM file, so probes[].certificate may hold a key as well.
    mask_private_keys(module, *[probe.get("certificate") for probe in module.params["probes"]])
    problem = validate_probes(module.params["probes"]) or validate_limits(module.params)
    if problem:
        module.fail_json(msg=problem)
    curl = module.params["curl"]
    if os.sep not in curl:
        curl = module.get_bin_path(curl)
        if curl is None:
            module.fail_json(msg="curl: %r is not installed on this host (or not in PATH); install curl or set "
                                 "curl to its full path" % module.params["curl"])
    if module.check_mode:
        module.exit_json(changed=False, probes={})
    problem = unreadable_file(module.params)
    if problem:
        module.fail_json(msg=problem)
    module.exit_json(changed=False, probes=Prober(module, curl).run())


if __name__ == "__main__":
    main()
