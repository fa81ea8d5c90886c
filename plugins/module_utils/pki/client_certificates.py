# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Backend of mtls.clb.pki_client_certificates: many client certificates in one task.

Touches these parts of `module`: params, check_mode, and (through files.write_file)
atomic_move, backup_local, load_file_common_arguments, set_fs_attributes_if_different.

Order of work: validate every client and load the CA, plan every client (reads only), and only
then generate and write. So one bad client in a batch means no file is written at all.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.mtls.clb.plugins.module_utils.pki.certificates import (
    certificate_summary,
    utcnow,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError
from ansible_collections.mtls.clb.plugins.module_utils.pki.files import (
    FileAttributes,
    TargetDirectories,
    file_attributes_changed,
    refuse_directories_in_the_way,
    write_file,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.keys import KeySpec, describe_key
from ansible_collections.mtls.clb.plugins.module_utils.pki.leaf import (
    LeafRequest,
    issue_all,
    plan_all,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.root_ca import validate_validity
from ansible_collections.mtls.clb.plugins.module_utils.pki.signing_ca import SigningCA
from ansible_collections.mtls.clb.plugins.module_utils.pki.subject import (
    build_name,
    name_to_string,
    parse_subject_alt_names,
    subject_fields_from,
)

# A client name becomes three file names: keep it to characters that are safe everywhere.
CLIENT_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def same_common_name(a, b):
    return a is not None and b is not None and a.strip().casefold() == b.strip().casefold()


def check_clients(clients, params, renew_before_days, option_prefix=""):
    """The checks of the `clients` items that need no file (names, subjects, SANs, validity, a PKCS#12
    password), in order; the first problem raises PkiError naming the item and option. `params`: the module's
    shared options (subject fields, valid_days, pkcs12_password); `option_prefix` goes before the shared options'
    names in a message. Returns per client: name, label (for
    messages), subject fields, SANs, valid_days and password. Also what the mtls.clb.pki_input_problems filter
    runs, so site.yml refuses a bad list before step 1 by the module's own rules."""
    if not clients:
        raise PkiError("clients: the list is empty; give at least one client with name and common_name")
    # The shared validity first, named as the option it is (`option_prefix` names the role's variable instead).
    validate_validity(params["valid_days"], renew_before_days, prefix=option_prefix)
    seen = {}
    checked = []
    for index, client in enumerate(clients):
        if not isinstance(client, dict):
            raise PkiError("clients[%d]: %r is not a {name, common_name} item" % (index, client))
        name = client.get("name")
        label = "clients[%d]" % index
        if not isinstance(name, str) or not CLIENT_NAME_PATTERN.match(name):
            raise PkiError("%s.name: %r must start with a letter or digit and contain only letters, "
                           "digits, '.', '_' and '-' (it becomes the file names)" % (label, name))
        if name in seen:
            raise PkiError("clients: name %r is used by clients[%d] and clients[%d]; every client needs "
                           "its own name" % (name, seen[name], index))
        seen[name] = index
        label = "clients[%d] (%s)" % (index, name)
        fields = subject_fields_from(client, params)
        fields["common_name"] = client.get("common_name")
        build_name(fields, option_prefix=label + ".")
        sans = client.get("subject_alt_names") or []
        parse_subject_alt_names(sans, label + ".subject_alt_names")
        valid_days = params["valid_days"]
        if client.get("valid_days") is not None:  # the shared one was checked above
            valid_days = client["valid_days"]
            validate_validity(valid_days, renew_before_days, prefix=label + ".")
        password = client.get("pkcs12_password") or params.get("pkcs12_password")
        if not password:
            raise PkiError("%s: no PKCS#12 password; set clients[].pkcs12_password or the shared "
                           "pkcs12_password" % label)
        checked.append({"name": name, "label": label, "fields": fields, "sans": tuple(sans),
                        "valid_days": valid_days, "password": password})
    return checked


class ClientCertificates(object):
    def __init__(self, module):
        self.module = module
        params = module.params
        self.directory = params["directory"]
        self.force = params["force"]
        self.backup = params["backup"]
        self.renew_before_days = params["renew_before_days"]
        self.workers = params["workers"]
        self.files = FileAttributes(module)
        self.key_mode = self.files.key_mode
        self.certificate_mode = self.files.certificate_mode
        if self.workers is not None and self.workers < 1:
            raise PkiError("workers must be 1 or more (or omitted to use every CPU)")
        self.directories = TargetDirectories(module, [(self.directory, "directory")], create_missing=True)
        self.ca = SigningCA(params["ca_certificate_path"], params["ca_private_key_path"],
                            params["ca_private_key_passphrase"], module.warn)
        self.requests = self._requests(params)

    def _requests(self, params):
        requests = []
        for client in check_clients(params["clients"], params, self.renew_before_days):
            if same_common_name(client["fields"]["common_name"], self.ca.common_name):
                raise PkiError("%s.common_name: %r is the CA's common name; the guide requires a client's "
                               "CN to differ from the CA's CN, so choose another common_name"
                               % (client["label"], client["fields"]["common_name"]))
            key_spec = KeySpec.from_params(params["key_type"], params["key_size"], params["curve"])
            base = os.path.join(self.directory, client["name"])
            requests.append(LeafRequest(
                name=client["name"], profile="client", key_spec=key_spec, subject_fields=client["fields"],
                subject_alt_names=client["sans"], valid_days=client["valid_days"], digest=params["digest"],
                private_key_path=base + ".key", private_key_passphrase=None,
                certificate_path=base + ".crt", pkcs12_path=base + ".p12", pkcs12_password=client["password"],
                pkcs12_encryption=params["pkcs12_encryption"]))
        outputs = []
        for index, request in enumerate(requests):
            for kind, path in (("key", request.private_key_path), ("certificate", request.certificate_path),
                               ("PKCS#12", request.pkcs12_path)):
                outputs.append((path, "clients[%d] (%s): its %s file" % (index, request.name, kind)))
        self.ca.refuse_as_output(outputs, "give the client another name or set directory to a directory of its own")
        refuse_directories_in_the_way(outputs)
        return requests

    def run(self):
        now = utcnow()
        plans = plan_all(self.requests, self.ca, self.renew_before_days, force=self.force, now=now,
                         workers=self.workers)
        results = dict((plan.request.name, self._result(plan, plan.certificate, plan.reason))
                       for plan in plans)
        # Directories are keyed by their path, which no client name can be (no '/').
        diff_before, diff_after = self.directories.diff()
        file_states = dict((plan.request.name, self._files_diff(plan)) for plan in plans)
        todo = [plan for plan in plans if plan.needs_issuing]
        directory_reason = self.directories.ensure()
        issued_summaries = {}
        if not self.module.check_mode:
            for plan, issued in issue_all(todo, self.ca, workers=self.workers, now=now):
                self._write(plan, issued, results[plan.request.name])
                results[plan.request.name].update(self._result(plan, issued.certificate, plan.reason))
                issued_summaries[plan.request.name] = certificate_summary(issued.certificate)
        for plan in todo:
            name = plan.request.name
            diff_before[name] = dict(plan.existing_summary or {}, files=file_states[name][0])
            diff_after[name] = dict(issued_summaries.get(name) or self._predicted_summary(plan), reason=plan.reason,
                                    files=file_states[name][1])
        for plan in plans:
            attributes = any([file_attributes_changed(self.module, plan.request.private_key_path, self.key_mode),
                              file_attributes_changed(self.module, plan.request.certificate_path, self.certificate_mode),
                              file_attributes_changed(self.module, plan.request.pkcs12_path, self.key_mode)])
            entry = results[plan.request.name]
            if attributes and not entry["changed"]:
                entry["changed"] = True
                entry["reason"] = "file attributes changed"
                diff_before[entry["name"]] = {"files": file_states[entry["name"]][0]}
                diff_after[entry["name"]] = {"files": file_states[entry["name"]][1], "reason": entry["reason"]}
        client_results = [results[request.name] for request in self.requests]
        return {
            "changed": any(entry["changed"] for entry in client_results) or directory_reason is not None,
            "directory_reason": directory_reason,
            "clients": client_results,
            "issued": sum(1 for plan in todo),
            "directory": self.directory,
            "diff": {"before": diff_before, "after": diff_after},
        }

    def _write(self, plan, issued, result):
        request = plan.request
        backups = {}
        if issued.private_key_pem is not None:
            backups["backup_private_key"] = write_file(self.module, request.private_key_path,
                                                       issued.private_key_pem, self.key_mode, self.backup)
        if issued.certificate_pem is not None:
            backups["backup_certificate"] = write_file(self.module, request.certificate_path,
                                                       issued.certificate_pem, self.certificate_mode, self.backup)
        if issued.pkcs12 is not None:
            backups["backup_pkcs12"] = write_file(self.module, request.pkcs12_path, issued.pkcs12,
                                                  self.key_mode, self.backup)
        result.update((k, v) for k, v in backups.items() if v)

    def _files_diff(self, plan):
        """(before, after) of one client's files: state, mode, owner and group; call before any write."""
        request = plan.request
        return self.files.diff([(request.private_key_path, self.key_mode, bool(plan.key_reason)),
                                (request.certificate_path, self.certificate_mode, bool(plan.certificate_reason)),
                                (request.pkcs12_path, self.key_mode, bool(plan.pkcs12_reason))])

    def _predicted_summary(self, plan):
        """Check mode: what the certificate will say, without the values only signing decides."""
        request = plan.request
        if plan.certificate_reason or plan.certificate is None:
            key = request.key_spec.describe() if plan.key_reason or plan.key is None else describe_key(plan.key)
            return {"subject": name_to_string(build_name(request.subject_fields)),
                    "subject_alt_names": list(request.subject_alt_names), "public_key": key,
                    "issuer": name_to_string(self.ca.certificate.subject), "fingerprint_sha256": "(not yet issued)"}
        return certificate_summary(plan.certificate)

    @staticmethod
    def _result(plan, cert, reason):
        request = plan.request
        summary = certificate_summary(cert) if cert is not None and not (
            reason and cert is plan.certificate and plan.certificate_reason) else None
        return {
            "name": request.name,
            "changed": bool(reason),
            "reason": reason,
            "private_key_reason": plan.key_reason,
            "certificate_reason": plan.certificate_reason,
            "pkcs12_reason": plan.pkcs12_reason,
            "certificate_path": request.certificate_path,
            "private_key_path": request.private_key_path,
            "pkcs12_path": request.pkcs12_path,
            "subject": summary["subject"] if summary else None,
            "serial_number": summary["serial_number"] if summary else None,
            "fingerprint_sha256": summary["fingerprint_sha256"] if summary else None,
            "not_after": summary["not_after"] if summary else None,
        }
