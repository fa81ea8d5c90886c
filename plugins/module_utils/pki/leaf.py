# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""End-entity (client and server) certificates signed by a SigningCA.

plan_leaf() reads what is on disk and decides, cheapest check first, what must be made again;
issue_planned() makes it; issue_all() does that for many plans, in worker processes when more than
one new key is needed (cryptography holds the GIL while generating RSA keys, so threads would
not help). Nothing here writes files: the caller does, after every plan was made.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import multiprocessing
import os
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.mtls.clb.plugins.module_utils.pki.certificates import (
    build_certificate,
    certificate_pem,
    certificate_summary,
    check_digest,
    check_expiry,
    check_extensions,
    check_issued_by,
    check_public_key,
    check_subject,
    expected_extensions,
    first_reason,
    load_certificate,
    sha1_fingerprint,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError
from ansible_collections.mtls.clb.plugins.module_utils.pki.files import read_file_or_none
from ansible_collections.mtls.clb.plugins.module_utils.pki.keys import (
    KeyLoadError,
    generate_private_key,
    load_private_key,
    private_key_pem,
    same_public_key,
    spec_of_key,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.pkcs12 import (
    Pkcs12ReadError,
    outline_pkcs12,
    pkcs12_bytes,
    read_pkcs12,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.subject import (
    build_name,
    parse_subject_alt_names,
)

LeafRequest = namedtuple("LeafRequest", [
    "name",               # how results and errors refer to this certificate
    "profile",            # "client" or "server"
    "key_spec",
    "subject_fields",     # dict of subject option -> value
    "subject_alt_names",  # tuple of "DNS:..." strings
    "valid_days",
    "digest",
    "private_key_path",
    "private_key_passphrase",
    "certificate_path",
    "pkcs12_path",        # None: no PKCS#12 file
    "pkcs12_password",
    "pkcs12_encryption",
])


class LeafPlan(object):
    """What exists for one request and what has to be made again, with the reasons."""

    def __init__(self, request):
        self.request = request
        self.key = None
        self.certificate = None
        self.key_reason = None
        self.certificate_reason = None
        self.pkcs12_reason = None

    @property
    def needs_issuing(self):
        return bool(self.key_reason or self.certificate_reason or self.pkcs12_reason)

    @property
    def reason(self):
        """The first thing that has to change; the others follow from it."""
        return self.key_reason or self.certificate_reason or self.pkcs12_reason

    @property
    def existing_summary(self):
        return certificate_summary(self.certificate) if self.certificate is not None else None


def _subject_and_sans(request):
    return (build_name(request.subject_fields),
            parse_subject_alt_names(request.subject_alt_names, "subject_alt_names"))


def _plan_key(plan, force):
    request = plan.request
    if force:
        plan.key_reason = "force=true: new private key"
        return
    data = read_file_or_none(request.private_key_path)
    if data is None:
        plan.key_reason = "private key is missing"
        return
    try:
        plan.key = load_private_key(data, request.private_key_passphrase, request.private_key_path)
    except KeyLoadError as exc:
        if exc.kind in ("needs_passphrase", "wrong_passphrase"):
            # Replacing a key the user merely cannot open would be a silent loss: stop instead.
            if request.profile == "client":
                raise PkiError("%s: %s is encrypted, but client keys are kept unencrypted (the .p12 file is "
                               "the protected copy); decrypt it, or delete it to have a new key made"
                               % (request.name, request.private_key_path))
            raise PkiError("%s: %s; or delete the file to get a new key" % (request.name, exc))
        plan.key_reason = "existing private key could not be used (%s): new private key" % exc.kind
        plan.key = None
        return
    actual = spec_of_key(plan.key)
    if actual != request.key_spec:
        plan.key_reason = "private key is %s, want %s: new private key" % (
            actual.describe() if actual else "an unsupported type", request.key_spec.describe())
        plan.key = None


def _plan_certificate(plan, ca, renew_before_days, now):
    request = plan.request
    data = read_file_or_none(request.certificate_path)
    if data is not None:
        try:
            plan.certificate = load_certificate(data, request.certificate_path)
        except PkiError:
            plan.certificate = None
    if plan.key_reason:
        plan.certificate_reason = "new private key"
        return
    if data is None:
        plan.certificate_reason = "certificate is missing"
        return
    if plan.certificate is None:
        plan.certificate_reason = "certificate could not be parsed"
        return
    cert = plan.certificate
    subject, sans = _subject_and_sans(request)
    plan.certificate_reason = first_reason(
        lambda: check_public_key(cert, plan.key),
        lambda: check_expiry(cert, renew_before_days, now),
        lambda: check_issued_by(cert, ca.certificate),
        lambda: check_subject(cert, subject),
        lambda: check_digest(cert, request.digest),
        lambda: check_extensions(cert, expected_extensions(
            request.profile, plan.key.public_key(), ca.certificate.public_key(), sans)),
    )


def _plan_pkcs12(plan):
    request = plan.request
    if not request.pkcs12_path:
        return
    if plan.certificate_reason:
        plan.pkcs12_reason = "certificate re-issued"
        return
    data = read_file_or_none(request.pkcs12_path)
    if data is None:
        plan.pkcs12_reason = "PKCS#12 file is missing"
        return
    try:
        outline = outline_pkcs12(data, request.pkcs12_password)
    except Pkcs12ReadError as exc:
        plan.pkcs12_reason = ("PKCS#12 file does not open with the given pkcs12_password"
                              if exc.wrong_password else "PKCS#12 file could not be read (%s)" % exc)
        return
    # Cheap checks first. The MAC verified, so the password is right and the file is as written;
    # localKeyID, the certificate's SHA-1 set by the writer, ties its key bag to our certificate.
    # Only when these disagree are the bags decrypted (a PBKDF2 run each) to say what differs.
    if (outline.local_key_id == sha1_fingerprint(plan.certificate) and outline.friendly_name == request.name
            and outline.encryption == request.pkcs12_encryption):
        return
    try:
        parsed = read_pkcs12(data, request.pkcs12_password)
    except Pkcs12ReadError as exc:
        plan.pkcs12_reason = ("PKCS#12 file does not open with the given pkcs12_password"
                              if exc.wrong_password else "PKCS#12 file could not be read (%s)" % exc)
        return
    if not same_public_key(parsed.key, plan.key):
        plan.pkcs12_reason = "PKCS#12 holds another private key"
    elif parsed.certificate != plan.certificate:
        plan.pkcs12_reason = "PKCS#12 holds another certificate"
    elif parsed.friendly_name != request.name:
        plan.pkcs12_reason = "PKCS#12 friendly name is %r, want %r" % (parsed.friendly_name, request.name)
    elif parsed.encryption != request.pkcs12_encryption:
        plan.pkcs12_reason = "PKCS#12 encryption is %s, want %s" % (
            parsed.encryption or "another kind", request.pkcs12_encryption)


def plan_leaf(request, ca, renew_before_days, force=False, now=None):
    plan = LeafPlan(request)
    _plan_key(plan, force)
    _plan_certificate(plan, ca, renew_before_days, now)
    _plan_pkcs12(plan)
    return plan


def plan_all(requests, ca, renew_before_days, force=False, now=None, workers=None):
    """plan_leaf() for every request, in request order.

    Threads suffice here: an unchanged run spends its time in PBKDF2 while reading PKCS#12 files,
    and hashlib releases the GIL for it. The first error (in request order) is raised.
    """
    workers = min(workers or available_cpus(), len(requests))
    if workers < 2:
        return [plan_leaf(request, ca, renew_before_days, force, now) for request in requests]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda request: plan_leaf(request, ca, renew_before_days, force, now), requests))


IssuedFiles = namedtuple("IssuedFiles", ["private_key_pem", "certificate", "certificate_pem", "pkcs12"])


def issue_planned(plan, ca, now=None):
    """Make what the plan asks for. Fields of the result are None for files that stay as they are."""
    request = plan.request
    key = plan.key
    key_pem = None
    if plan.key_reason:
        key = generate_private_key(request.key_spec)
        key_pem = private_key_pem(key, request.private_key_passphrase)
    cert = plan.certificate
    cert_pem = None
    if plan.certificate_reason:
        subject, sans = _subject_and_sans(request)
        extensions = expected_extensions(request.profile, key.public_key(), ca.certificate.public_key(), sans)
        cert = build_certificate(subject, key.public_key(), ca.certificate, ca.key, request.valid_days,
                                 request.digest, extensions, now=now)
        cert_pem = certificate_pem(cert)
    p12 = None
    if plan.pkcs12_reason:
        p12 = pkcs12_bytes(request.name, key, cert, request.pkcs12_password, request.pkcs12_encryption)
    return IssuedFiles(key_pem, cert, cert_pem, p12)


MIN_RESIGNS_FOR_POOL = 8

# Set in the parent just before the pool forks, so workers inherit the CA key and the loaded
# existing keys from memory: no key material is pickled on the way in.
_FORKED_STATE = {}


def _issue_in_worker(index):
    plan = _FORKED_STATE["plans"][index]
    issued = issue_planned(plan, _FORKED_STATE["ca"], _FORKED_STATE["now"])
    # Certificates are sent back as PEM: cryptography objects do not pickle.
    return index, issued.private_key_pem, issued.certificate_pem, issued.pkcs12


def available_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def issue_all(plans, ca, workers=None, now=None):
    """Yield (plan, IssuedFiles) for every plan that needs issuing, as each one completes."""
    todo = [plan for plan in plans if plan.needs_issuing]
    new_keys = sum(1 for plan in todo if plan.key_reason)
    workers = min(workers or available_cpus(), len(todo))
    # A new key costs 50 ms (RSA 2048) to seconds (RSA 4096); re-signing plus PKCS#12 about 15 ms,
    # so a pool (tens of ms to start) pays off for two new keys or a handful of re-signs.
    worth_a_pool = new_keys >= 2 or len(todo) >= MIN_RESIGNS_FOR_POOL
    if workers < 2 or not worth_a_pool or "fork" not in multiprocessing.get_all_start_methods():
        for plan in todo:
            yield plan, issue_planned(plan, ca, now)
        return
    _FORKED_STATE.update(plans=todo, ca=ca, now=now)
    try:
        pool = multiprocessing.get_context("fork").Pool(processes=workers)
        try:
            for index, key_pem, cert_pem, p12 in pool.imap_unordered(_issue_in_worker, range(len(todo))):
                cert = load_certificate(cert_pem, todo[index].request.certificate_path) if cert_pem else None
                yield todo[index], IssuedFiles(key_pem, cert or todo[index].certificate, cert_pem, p12)
        finally:
            pool.terminate()
            pool.join()
    finally:
        _FORKED_STATE.clear()
