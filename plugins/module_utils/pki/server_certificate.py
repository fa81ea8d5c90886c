# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Backend of mtls.clb.pki_server_certificate: a serverAuth certificate from a CA the user names.

Touches these parts of `module`: params, check_mode, and (through files.write_file)
atomic_move, backup_local, load_file_common_arguments, set_fs_attributes_if_different.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import os

from ansible_collections.mtls.clb.plugins.module_utils.pki.certificates import (
    certificate_summary,
    utcnow,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.client_certificates import same_common_name
from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError
from ansible_collections.mtls.clb.plugins.module_utils.pki.files import (
    FileAttributes,
    TargetDirectories,
    file_attributes_changed,
    refuse_directories_in_the_way,
    same_file,
    write_file,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.keys import KeySpec
from ansible_collections.mtls.clb.plugins.module_utils.pki.leaf import (
    LeafRequest,
    issue_planned,
    plan_leaf,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.root_ca import validate_validity
from ansible_collections.mtls.clb.plugins.module_utils.pki.signing_ca import SigningCA
from ansible_collections.mtls.clb.plugins.module_utils.pki.subject import (
    build_name,
    parse_subject_alt_names,
    subject_fields_from,
)


def default_subject_alt_names(common_name):
    """Clients match the host name against SANs only (RFC 6125), so the CN must be one of them."""
    try:
        return ["IP:%s" % ipaddress.ip_address(common_name)]
    except ValueError:
        return ["DNS:%s" % common_name]


class ServerCertificate(object):
    def __init__(self, module):
        self.module = module
        params = module.params
        self.force = params["force"]
        self.backup = params["backup"]
        self.renew_before_days = params["renew_before_days"]
        self.files = FileAttributes(module)
        self.key_mode = self.files.key_mode
        self.certificate_mode = self.files.certificate_mode
        key_spec = KeySpec.from_params(params["key_type"], params["key_size"], params["curve"])
        fields = subject_fields_from(params)
        build_name(fields)
        sans = params["subject_alt_names"] or default_subject_alt_names(params["common_name"])
        parse_subject_alt_names(sans, "subject_alt_names")
        validate_validity(params["valid_days"], self.renew_before_days)
        if same_file(params["private_key_path"], params["certificate_path"]):
            raise PkiError("private_key_path and certificate_path must be different files")
        self.directories = TargetDirectories(
            module, [(os.path.dirname(os.path.abspath(params["private_key_path"])), "private_key_path"),
                     (os.path.dirname(os.path.abspath(params["certificate_path"])), "certificate_path")])
        self.ca = SigningCA(params["ca_certificate_path"], params["ca_private_key_path"],
                            params["ca_private_key_passphrase"], module.warn)
        outputs = [(params["private_key_path"], "private_key_path"), (params["certificate_path"], "certificate_path")]
        self.ca.refuse_as_output(outputs, "set it to a file of the server certificate's own")
        refuse_directories_in_the_way(outputs)
        if same_common_name(fields["common_name"], self.ca.common_name):
            raise PkiError("common_name: %r is the CA's common name; a certificate's CN must differ from "
                           "its CA's CN, so choose another common_name" % fields["common_name"])
        self.request = LeafRequest(
            name=params["common_name"], profile="server", key_spec=key_spec, subject_fields=fields,
            subject_alt_names=tuple(sans), valid_days=params["valid_days"], digest=params["digest"],
            private_key_path=params["private_key_path"], private_key_passphrase=params["private_key_passphrase"],
            certificate_path=params["certificate_path"], pkcs12_path=None, pkcs12_password=None,
            pkcs12_encryption=None)

    def run(self):
        now = utcnow()
        plan = plan_leaf(self.request, self.ca, self.renew_before_days, force=self.force, now=now)
        cert = None if plan.certificate_reason else plan.certificate
        backups = {}
        files_before, files_after = self.files.diff([
            (self.request.private_key_path, self.key_mode, bool(plan.key_reason)),
            (self.request.certificate_path, self.certificate_mode, plan.needs_issuing)], self.directories)
        directory_reason = self.directories.ensure()
        if plan.needs_issuing and not self.module.check_mode:
            issued = issue_planned(plan, self.ca, now=now)
            cert = issued.certificate
            if issued.private_key_pem is not None:
                backups["backup_private_key"] = write_file(
                    self.module, self.request.private_key_path, issued.private_key_pem, self.key_mode, self.backup)
            backups["backup_certificate"] = write_file(
                self.module, self.request.certificate_path, issued.certificate_pem, self.certificate_mode,
                self.backup)
        attributes_changed = any([
            file_attributes_changed(self.module, self.request.private_key_path, self.key_mode),
            file_attributes_changed(self.module, self.request.certificate_path, self.certificate_mode),
        ])
        summary = certificate_summary(cert) if cert is not None else {}
        result = {
            "changed": plan.needs_issuing or attributes_changed or directory_reason is not None,
            "reason": plan.reason or ("file attributes changed" if attributes_changed else None) or directory_reason,
            "private_key_reason": plan.key_reason,
            "certificate_reason": plan.certificate_reason,
            "private_key_path": self.request.private_key_path,
            "certificate_path": self.request.certificate_path,
            "subject_alt_names": list(self.request.subject_alt_names),
        }
        for field in ("subject", "issuer", "serial_number", "not_before", "not_after", "fingerprint_sha256",
                      "public_key"):
            result[field] = summary.get(field)
        result.update((k, v) for k, v in backups.items() if v)
        after = summary or {"reason": plan.reason, "issued": "not in check mode",
                            "subject_alt_names": list(self.request.subject_alt_names)}
        result["diff"] = {"before": dict(plan.existing_summary or {}, files=files_before),
                          "after": dict(after, files=files_after)}
        return result
