# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Backend of mtls.clb.pki_root_ca: the root CA key and its self-signed certificate.

Touches these parts of `module`: params, check_mode, warn, and (through files.write_file)
atomic_move, backup_local, load_file_common_arguments, set_fs_attributes_if_different.

The key is the precious part: every client certificate dies with it. So it is only replaced when
the user's `regenerate` policy or `force` says so; the certificate is re-issued freely, because a
new certificate with the same key and subject still validates every client certificate.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import os

from ansible_collections.mtls.clb.plugins.module_utils.pki.certificates import (
    build_certificate,
    certificate_pem,
    certificate_summary,
    check_digest,
    check_expiry,
    check_extensions,
    check_public_key,
    check_subject,
    expected_extensions,
    first_reason,
    load_certificate,
    signature_verifies,
    utcnow,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError
from ansible_collections.mtls.clb.plugins.module_utils.pki.files import (
    FileAttributes,
    TargetDirectories,
    file_attributes_changed,
    read_file_or_none,
    refuse_directories_in_the_way,
    same_file,
    write_file,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.keys import (
    KeyLoadError,
    KeySpec,
    describe_key,
    generate_private_key,
    load_private_key,
    private_key_pem,
    spec_of_key,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.subject import (
    build_name,
    name_to_string,
    subject_fields_from,
)

REGENERATE_POLICIES = ("never", "fail", "on_mismatch", "always")

_REPLACE_HINT = ("set regenerate=on_mismatch (or force=true) to replace it with a new key; that "
                 "invalidates every certificate the old key signed")


def latest_valid_days(now=None):
    """The most days a certificate issued now can be valid: X.509 dates end on 9999-12-31 (RFC 5280's
    GeneralizedTime has four year digits)."""
    return (LAST_X509_DATE - (now or utcnow())).days


def validate_validity(valid_days, renew_before_days, prefix=""):
    if valid_days is None or valid_days < 1:
        raise PkiError("%svalid_days must be at least 1 (got %r)" % (prefix, valid_days))
    latest = latest_valid_days()
    if valid_days > latest:
        raise PkiError("%svalid_days (%d) would end after 9999-12-31, the last date a certificate can carry; give at "
                       "most %d (3650 is ten years)" % (prefix, valid_days, latest))
    if renew_before_days < 0:
        raise PkiError("%srenew_before_days must not be negative (got %r)" % (prefix, renew_before_days))
    if renew_before_days >= valid_days:
        raise PkiError("%srenew_before_days (%d) must be smaller than valid_days (%d), or every run would "
                       "re-issue the certificate" % (prefix, renew_before_days, valid_days))


LAST_X509_DATE = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)


def checked_root_ca_subject(params, prefix=""):
    """The checks of pki_root_ca's options that need no file (the subject, the validity), in the order they are
    reported; the subject as an x509.Name. Also what the mtls.clb.pki_input_problems filter runs before step 1,
    with `prefix` naming the role's variables."""
    subject = build_name(subject_fields_from(params), option_prefix=prefix)
    validate_validity(params["valid_days"], params["renew_before_days"], prefix=prefix)
    return subject


class RootCA(object):
    def __init__(self, module):
        self.module = module
        params = module.params
        self.key_path = params["private_key_path"]
        self.certificate_path = params["certificate_path"]
        self.passphrase = params["private_key_passphrase"]
        self.regenerate = params["regenerate"]
        self.force = params["force"]
        self.backup = params["backup"]
        self.valid_days = params["valid_days"]
        self.renew_before_days = params["renew_before_days"]
        self.digest = params["digest"]
        self.path_length = params["path_length"]
        self.files = FileAttributes(module)
        self.key_mode = self.files.key_mode
        self.certificate_mode = self.files.certificate_mode
        self.spec = KeySpec.from_params(params["key_type"], params["key_size"], params["curve"])
        self.subject = checked_root_ca_subject(params)
        if self.path_length is not None and self.path_length < 0:
            raise PkiError("path_length must be 0 or more, or omitted for no limit")
        if same_file(self.key_path, self.certificate_path):
            raise PkiError("private_key_path and certificate_path must be different files")
        refuse_directories_in_the_way([(self.key_path, "private_key_path"),
                                       (self.certificate_path, "certificate_path")])
        self.directories = TargetDirectories(module, [(os.path.dirname(os.path.abspath(self.key_path)), "private_key_path"),
                                                      (os.path.dirname(os.path.abspath(self.certificate_path)),
                                                       "certificate_path")])
        self.key = None
        self.certificate = None
        self.key_reason = None
        self.rewrite_key_file_reason = None
        self.certificate_reason = None
        self.new_certificate = None

    # -- set_existing / needs_regeneration ----------------------------------------------------------

    def set_existing(self):
        self.key_data = read_file_or_none(self.key_path)
        cert_data = read_file_or_none(self.certificate_path)
        self.certificate_exists = cert_data is not None
        if cert_data is not None:
            try:
                self.certificate = load_certificate(cert_data, self.certificate_path)
            except PkiError:
                self.certificate = None

    def _refuse_or_replace(self, problem):
        if self.regenerate in ("fail", "never"):
            raise PkiError("private_key_path: %s; %s" % (problem, _REPLACE_HINT))
        self.key_reason = "%s (regenerate=%s): new private key" % (problem, self.regenerate)
        self.key = None

    def _decide_key(self):
        if self.force:
            self.key_reason = "force=true: new private key"
            return
        if self.key_data is None:
            if self.certificate is not None:
                # The CA's certificate is here without its key: a new key is a new CA, whatever the certificate
                # says, and every certificate the old CA signed stops validating. Never silently.
                if self.regenerate in ("fail", "never"):
                    raise PkiError(
                        "private_key_path: %s does not exist, but certificate_path %s holds the CA certificate "
                        "(%s): a new key would make a new CA, and every certificate the old one signed would stop "
                        "validating. Restore the key file; or, to start a new CA on purpose, delete the certificate "
                        "too or set regenerate=on_mismatch (or force=true)"
                        % (self.key_path, self.certificate_path, name_to_string(self.certificate.subject)))
                self.key_reason = "private key is missing (regenerate=%s): new private key" % self.regenerate
                return
            self.key_reason = "private key is missing"
            return
        if self.regenerate == "always":
            self.key_reason = "regenerate=always: new private key"
            return
        try:
            self.key = load_private_key(self.key_data, self.passphrase, self.key_path)
        except KeyLoadError as exc:
            if exc.kind in ("needs_passphrase", "wrong_passphrase"):
                # Never replace a key only because the passphrase given is not its passphrase.
                raise PkiError("private_key_path: %s" % exc)
            if exc.kind == "not_encrypted":
                self.key = load_private_key(self.key_data, None, self.key_path)
                self.rewrite_key_file_reason = ("private key file is not encrypted; re-writing the same "
                                                "key encrypted with private_key_passphrase")
            else:
                self._refuse_or_replace("%s cannot be read as a private key" % self.key_path)
                return
        actual = spec_of_key(self.key)
        if actual != self.spec:
            problem = "existing key is %s but key_type/key_size/curve ask for %s" % (
                actual.describe() if actual else "of an unsupported type", self.spec.describe())
            if self.regenerate == "never" and actual is not None:
                self.module.warn("%s; keeping it because regenerate=never" % problem)
                return
            self._refuse_or_replace(problem)

    def _decide_certificate(self):
        if self.key_reason:
            self.certificate_reason = "new private key"
            return
        if not self.certificate_exists:
            self.certificate_reason = "certificate is missing"
            return
        cert = self.certificate
        if cert is None:
            self.certificate_reason = "certificate could not be parsed"
            return
        key = self.key
        self.certificate_reason = first_reason(
            lambda: check_public_key(cert, key),
            lambda: check_expiry(cert, self.renew_before_days),
            lambda: check_subject(cert, self.subject),
            lambda: None if cert.issuer == cert.subject and signature_verifies(cert, cert)
            else "certificate is not self-signed",
            lambda: check_digest(cert, self.digest),
            lambda: check_extensions(cert, self._extensions(key)),
        )

    def _extensions(self, key):
        return expected_extensions("root_ca", key.public_key(), key.public_key(), path_length=self.path_length)

    def needs_regeneration(self):
        self._decide_key()
        self._decide_certificate()
        return bool(self.key_reason or self.rewrite_key_file_reason or self.certificate_reason)

    # -- generate / dump ----------------------------------------------------------------------------

    def generate(self):
        if self.key_reason:
            self.key = generate_private_key(self.spec)
        if self.certificate_reason:
            self.new_certificate = build_certificate(
                self.subject, self.key.public_key(), None, self.key, self.valid_days, self.digest,
                self._extensions(self.key), now=utcnow())

    def dump(self):
        """Write what changed (nothing in check mode); returns backup file names."""
        backups = {}
        if self.module.check_mode:
            return backups
        if self.key_reason or self.rewrite_key_file_reason:
            backups["backup_private_key"] = write_file(
                self.module, self.key_path, private_key_pem(self.key, self.passphrase), self.key_mode, self.backup)
        if self.new_certificate is not None:
            backups["backup_certificate"] = write_file(
                self.module, self.certificate_path, certificate_pem(self.new_certificate),
                self.certificate_mode, self.backup)
        return dict((k, v) for k, v in backups.items() if v)

    def run(self):
        self.set_existing()
        changed = self.needs_regeneration()
        before = self._state(self.certificate, None if self.key_reason else self.key)
        files_before, files_after = self._files_diff()
        directory_reason = self.directories.ensure()
        if changed and not self.module.check_mode:
            self.generate()
        backups = self.dump() if changed else {}
        attributes_changed = any([
            file_attributes_changed(self.module, self.key_path, self.key_mode),
            file_attributes_changed(self.module, self.certificate_path, self.certificate_mode),
        ])
        final_cert = self.new_certificate if self.certificate_reason else self.certificate
        result = {
            "changed": changed or attributes_changed or directory_reason is not None,
            "reason": self.key_reason or self.rewrite_key_file_reason or self.certificate_reason
            or ("file attributes changed" if attributes_changed else None) or directory_reason,
            "private_key_reason": self.key_reason or self.rewrite_key_file_reason,
            "certificate_reason": self.certificate_reason,
            "private_key_path": self.key_path,
            "certificate_path": self.certificate_path,
        }
        summary = certificate_summary(final_cert) if final_cert is not None else None
        for field in ("subject", "serial_number", "not_before", "not_after", "fingerprint_sha256", "public_key"):
            result[field] = summary[field] if summary else None
        if summary is None:
            # Check mode with a certificate to issue: say what it will be, not what it will hash to.
            result["subject"] = name_to_string(self.subject)
            result["public_key"] = (self.spec.describe() if self.key_reason or self.key is None
                                    else (spec_of_key(self.key) or self.spec).describe())
        result.update(backups)
        after = {"private_key": {"path": self.key_path, "public_key": result["public_key"]}}
        if self.key_reason:
            after["private_key"]["generated"] = True
        if final_cert is not None:
            after["certificate"] = certificate_summary(final_cert)
        else:
            after["certificate"] = {"subject": result["subject"], "public_key": result["public_key"],
                                    "valid_days": self.valid_days, "issued": "not in check mode"}
        before["files"] = files_before
        after["files"] = files_after
        result["diff"] = {"before": before, "after": after}
        return result

    def _files_diff(self):
        """Diff sides for the files' and directories' state, mode, owner and group; call before any write."""
        return self.files.diff([
            (self.key_path, self.key_mode, bool(self.key_reason or self.rewrite_key_file_reason)),
            (self.certificate_path, self.certificate_mode, bool(self.certificate_reason)),
        ], self.directories)

    def _state(self, cert, key):
        """Diff side: parsed metadata only, never key bytes."""
        state = {}
        if self.key_data is not None:
            state["private_key"] = {"path": self.key_path,
                                    "public_key": describe_key(key) if key is not None else "unreadable or replaced"}
        if cert is not None:
            state["certificate"] = certificate_summary(cert)
        return state
