# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What server_certificate and ca_certificate do: validate locally, look up, decide, apply.

normalize (read + validate material) -> look up by fingerprint (one Describe) -> decide (upload /
rename / delete / nothing) -> stop here in check mode -> apply -> return what the API answered
(the upload reply is the stored record; no second listing unless it lacks the fingerprint, which is
then read back to check it against ours).

Uploads from PEM carry the chain's SHA-256 in a tag (certificates.py). An upload of the same leaf
tagged with another chain's digest is stale (say the leaf without its intermediates): the chain is
uploaded anew, and the stale one is reported as `replaced_certificate_id` but left in place, since a
listener may still use it. An untagged upload of the same leaf matches as it always did, so nothing
made before the tags existed is uploaded again.

A certificate found under another name is used as it is: in a shared account it may belong to
Terraform, another team or the SSL Certificates Service. Only `rename_existing` renames it, and
never one of the SSL Certificates Service.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificate_material import (
    CRYPTOGRAPHY_IMPORT_ERROR,
    HAS_CRYPTOGRAPHY,
    CertificateMaterialError,
    certificate_summary,
    chain_sha256,
    load_certificate_chain,
    normalize_fingerprint,
    validate_ca_certificate,
    validate_server_certificate,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificates import (
    CA_CERTIFICATE,
    MATCHED_BY_ALI_CLOUD_CERTIFICATE_ID,
    MATCHED_BY_NAME_COMMON_NAME_EXPIRY,
    SERVER_CERTIFICATE,
    CertificateInUseError,
    CertificateStore,
    certificate_facts,
    chain_tags,
    fingerprint_filter_problem,
    is_sha1_fingerprint,
    listed_chain_length,
    listed_chain_sha256,
    pick_best_match,
    split_by_chain,
)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.resource_names import (
    CERTIFICATE_NAME_RULE,
    is_certificate_name,
)


def read_text_option(module, content_option, path_option):
    """The value of `content_option`, or the text of the file named by `path_option`."""
    params = module.params
    if params.get(content_option):
        return params[content_option]
    path = params.get(path_option)
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        module.fail_json(msg="{0}: cannot read {1!r}: {2}".format(path_option, path, exc.strerror or exc))
    try:
        # PEM bodies are ASCII; UTF-8 allows comment or bag-attribute lines around them.
        return data.decode("utf-8")
    except UnicodeDecodeError:
        module.fail_json(msg="{0}: {1!r} is not a PEM text file (DER or another binary format?); "
                             "convert it to PEM first".format(path_option, path))


def _check_name(module, name):
    if name is not None and not is_certificate_name(name):
        module.fail_json(msg="name {0!r} is not allowed by SLB: {1}".format(name, CERTIFICATE_NAME_RULE))


def _diff_view(kind, item):
    if not item:
        return {}
    view = {"id": item.get(kind.id_field), "name": item.get(kind.name_field),
            "fingerprint": (item.get("Fingerprint") or "").lower(),
            "expire_time": item.get("ExpireTime")}
    # Known only for uploads tagged by this collection; an untagged one shows no chain at all.
    if listed_chain_sha256(item):
        view["chain_sha256"] = listed_chain_sha256(item)
        view["chain_certificates"] = listed_chain_length(item)
    return view


def material_tags(material):
    return chain_tags(material.chain_sha256, len(material.chain))


def listed_form_of_tags(tags):
    """Upload tags (Key/Value) as Describe* lists them (Tags{Tag:[{TagKey,TagValue}]})."""
    return {"Tag": [{"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in tags]}


def uploaded_record(kind, reply, name, material):
    """The certificate as a listing would show it, from the upload reply: Upload* answers with the
    record it stored (ID, name, fingerprint, common name, expiry), so listing again would only
    repeat it. Whatever the reply leaves out comes from what was sent or parsed locally."""
    record = dict((key, value) for key, value in reply.items() if key != "RequestId")
    if name is not None and not record.get(kind.name_field):
        record[kind.name_field] = name
    if material is not None and not record.get("Fingerprint"):
        record["Fingerprint"] = material.fingerprint
    if material is not None and not record.get("Tags"):
        # Upload* replies carry no tags; the next listing will show the ones sent.
        record["Tags"] = listed_form_of_tags(material_tags(material))
    return record


class CertificateModuleRunner:
    def __init__(self, module, kind, id_result_key):
        self.module = module
        self.kind = kind
        self.id_result_key = id_result_key
        self.params = module.params
        # What the service accepted before a later call of the task failed: such a failure reports changed.
        self.uploaded_id = None
        self.deleted_ids = []

    def load_material(self):
        if self.kind is SERVER_CERTIFICATE:
            certificate = read_text_option(self.module, "certificate", "certificate_path")
            key = read_text_option(self.module, "private_key", "private_key_path")
            if certificate is None or key is None:
                self.module.fail_json(
                    msg="state=present needs the certificate (certificate or certificate_path) and its "
                        "key (private_key or private_key_path), or ali_cloud_certificate_id")
            option = "certificate_path" if self.params.get("certificate_path") else "certificate"
            key_option = "private_key_path" if self.params.get("private_key_path") else "private_key"
            return validate_server_certificate(certificate, key, self.params.get("private_key_passphrase"),
                                               certificate_option=option, key_option=key_option)
        certificate = read_text_option(self.module, "certificate", "certificate_path")
        if certificate is None:
            self.module.fail_json(msg="state=present needs certificate or certificate_path")
        option = "certificate_path" if self.params.get("certificate_path") else "certificate"
        return validate_ca_certificate(certificate, certificate_option=option)

    def run(self):
        if not HAS_CRYPTOGRAPHY:
            self.module.fail_json(msg=missing_required_lib("cryptography"), exception=CRYPTOGRAPHY_IMPORT_ERROR)
        _check_name(self.module, self.params.get("name"))
        try:
            if self.params["state"] == "present":
                result = self.ensure_present()
            else:
                result = self.ensure_absent()
        except CertificateMaterialError as error:
            self.module.fail_json(msg=str(error))
        except CertificateInUseError as error:
            note, applied = self._applied()
            result = dict(error.api_error.as_result() if error.api_error is not None else {}, **applied)
            self.module.fail_json(msg=str(error) + (" " + note if note else ""),
                                  in_use_by=[{"load_balancer_id": lb, "listener_port": port}
                                             for lb, port in error.listeners], **result)
        except AlicloudApiError as error:
            note, applied = self._applied()
            self.module.fail_api_error(error, note=note, **applied)
        self.module.exit_json(**result)

    def _applied(self):
        """(note, result fields) for a failure after a change the service accepted earlier in the task."""
        if self.uploaded_id:
            return ("The {0} was uploaded as {1} before this failure and stays; a new run finds it and does not "
                    "upload it again.".format(self.kind.label, self.uploaded_id),
                    {"changed": True, self.id_result_key: self.uploaded_id})
        if self.deleted_ids:
            return ("Before this failure {0} {1} deleted; a new run finds only what is left.".format(
                ", ".join(self.deleted_ids), "was" if len(self.deleted_ids) == 1 else "were"),
                {"changed": True, "deleted": list(self.deleted_ids)})
        return None, {}

    def _result(self, changed, item, before, summary=None, name=None, matched_by=None, replaced=None):
        facts = certificate_facts(self.kind, item) if item else {}
        if summary:
            for key, value in summary.items():
                facts.setdefault(key, value)
                if facts.get(key) in (None, "", []):
                    facts[key] = value
        result = {
            "changed": changed,
            self.id_result_key: facts.get("id"),
            "fingerprint": facts.get("fingerprint"),
            "name": facts.get("name"),
            "common_name": facts.get("common_name"),
            "expire_time": facts.get("expire_time"),
            "certificate_info": facts,
            # True when an existing certificate was reused under another owner's name.
            "name_differs": name is not None and facts.get("name") != name,
            "matched_by": matched_by,
            # The stale upload of another chain of the same leaf that this upload stands in for.
            "replaced_certificate_id": replaced.get(self.kind.id_field) if replaced else None,
            "diff": {"before": before, "after": _diff_view(self.kind, item)},
        }
        if self.kind is SERVER_CERTIFICATE:
            result["subject_alternative_names"] = facts.get("subject_alternative_names") or []
        return result

    def ensure_present(self):
        name = self.params.get("name")
        ali_cloud_id = self.params.get("ali_cloud_certificate_id") if self.kind is SERVER_CERTIFICATE else None
        material = None if ali_cloud_id else self.load_material()
        # Everything above is local; the first API call happens only after input is known good.
        store = CertificateStore(self.module.slb, self.kind)
        summary = material.summary() if material is not None else None
        replaced = None
        if material is not None:
            leaf_matches, matched_by = self._find_material(store, material, summary, name)
            same_chain, untagged, other_chain = split_by_chain(leaf_matches, material.chain_sha256)
            matches = same_chain or untagged
            if not matches:
                matched_by = None
                replaced = pick_best_match(self.kind, other_chain, name)
            elif matched_by == MATCHED_BY_NAME_COMMON_NAME_EXPIRY:
                # Only when the fallback decides what is reused; a stale upload found that way is replaced.
                self._warn_matched_by_identity(matches, name, material.fingerprint)
        else:
            matches = store.find(ali_cloud_certificate_id=ali_cloud_id)
            matched_by = MATCHED_BY_ALI_CLOUD_CERTIFICATE_ID if matches else None
        existing = pick_best_match(self.kind, matches, name)
        before = _diff_view(self.kind, existing or replaced)

        if existing is not None:
            return self._reuse(store, existing, before, summary, name, matched_by)

        if material is not None:
            material.check_before_upload()
            for warning in material.upload_warnings():
                self.module.warn(warning)
        if self.module.check_mode:
            planned = {self.kind.name_field: name, "Fingerprint": material.fingerprint if material else None,
                       "ExpireTime": summary.get("expire_time") if summary else None}
            if material is not None:
                planned["Tags"] = listed_form_of_tags(material_tags(material))
            return self._result(True, planned, before, summary, name=name, replaced=replaced)
        if material is not None:
            listed_ids = set(item.get(self.kind.id_field) for item in leaf_matches)
            uploaded = store.upload(name, dict(material.upload_params(), Tag=material_tags(material)),
                                    find_again=lambda: self._find_own_upload(store, material, summary, name,
                                                                             listed_ids))
            certificate_id = uploaded.get(self.kind.id_field)
            self.uploaded_id = certificate_id
            reported = uploaded.get("Fingerprint") or self._listed_fingerprint(store, certificate_id)
            if reported:
                uploaded = dict(uploaded, Fingerprint=reported)
                self._warn_on_fingerprint_mismatch(certificate_id, reported, material, name)
            record = uploaded_record(self.kind, uploaded, name, material)
        else:
            extra = {"AliCloudCertificateId": ali_cloud_id,
                     "AliCloudCertificateName": self.params.get("ali_cloud_certificate_name"),
                     "AliCloudCertificateRegionId": self.params.get("ali_cloud_certificate_region_id")}
            # No certificate imported from this ID was listed above, so one listed after a lost reply is this run's.
            uploaded = store.upload(name, {}, extra,
                                    find_again=lambda: store.find(ali_cloud_certificate_id=ali_cloud_id))
            record = uploaded_record(self.kind, uploaded, name, None)
        return self._result(True, record, before, summary, name=name, replaced=replaced)

    def _find_own_upload(self, store, material, summary, name, listed_ids):
        """After a lost upload reply: the upload tagged with this chain, or else an untagged upload of the
        leaf that was not there before (a service that does not list tags); never a stale one."""
        found = self._find_material(store, material, summary, name)[0]
        same_chain, untagged = split_by_chain(found, material.chain_sha256)[:2]
        return same_chain or [item for item in untagged if item.get(self.kind.id_field) not in listed_ids]

    def _find_material(self, store, material, summary, name):
        return store.find_uploaded(material.fingerprint, name, summary.get("common_name"),
                                   summary.get("expire_time"))

    def _warn_matched_by_identity(self, matches, name, fingerprint):
        self.module.warn(
            "{0} {1!r} was found by its name, common name and expiry, not by its fingerprint: SLB reports "
            "fingerprint {2!r}, which is not the SHA-1 ({3}) this module computes. A re-keyed certificate "
            "with the same name and expiry would be taken for it; give it another name. Please report this "
            "to the mtls.clb maintainers with both values.".format(
                self.kind.label, name, matches[0].get("Fingerprint"), fingerprint))

    def _listed_fingerprint(self, store, certificate_id):
        """The reply carried no fingerprint: what the region lists for the new ID is the service's value."""
        listed = store.list_all(certificate_id) if certificate_id else []
        return listed[0].get("Fingerprint") if listed else None

    def _warn_on_fingerprint_mismatch(self, certificate_id, reported, material, name):
        """Compare SLB's fingerprint of what was just uploaded with ours, so that a different live
        format is noticed on the first upload instead of as a duplicate on every later run."""
        if normalize_fingerprint(reported) == normalize_fingerprint(material.fingerprint):
            return
        if is_sha1_fingerprint(reported):
            follow_up = ("That looks like a SHA-1 of something else, so the next run cannot tell it from another "
                         "certificate and uploads it again.")
        elif name is None:
            follow_up = "Set name: without it the next run cannot find it by name, common name and expiry."
        else:
            follow_up = "The next run finds it by name, common name and expiry."
        self.module.warn(
            "SLB reports fingerprint {0!r} for the {1} it just stored ({2}), but this module computed {3!r} "
            "(SHA-1 of the leaf certificate's DER), the value it looks certificates up by. {4} Please report "
            "this to the mtls.clb maintainers with both values.".format(
                reported, self.kind.label, certificate_id, material.fingerprint, follow_up))

    def _reuse(self, store, existing, before, summary, name, matched_by):
        """The certificate is there already: keep its name unless told to rename it, and never rename
        one of the SSL Certificates Service (it, Terraform or another team may own the name)."""
        existing_name = existing.get(self.kind.name_field)
        if name is None or existing_name == name:
            return self._result(False, existing, before, summary, name=name, matched_by=matched_by)
        if str(existing.get("IsAliCloudCertificate") or "0") == "1":
            if self.params.get("rename_existing"):
                self.module.warn(
                    "{0} {1} ({2!r}) came from Alibaba Cloud's SSL Certificates Service, so it is not renamed "
                    "to {3!r} although rename_existing is true; it is used as it is.".format(
                        self.kind.label, existing.get(self.kind.id_field), existing_name, name))
            return self._result(False, existing, before, summary, name=name, matched_by=matched_by)
        if not self.params.get("rename_existing"):
            return self._result(False, existing, before, summary, name=name, matched_by=matched_by)
        if not self.module.check_mode:
            store.rename(existing.get(self.kind.id_field), name)
        # The rename answers with a RequestId only; the listed record with the new name is the result.
        return self._result(True, dict(existing, **{self.kind.name_field: name}), before, summary, name=name,
                            matched_by=matched_by)

    def ensure_absent(self):
        certificate_id = self.params.get(self.id_result_key)
        name = self.params.get("name")
        fingerprint = self.params.get("fingerprint")
        has_material = bool(self.params.get("certificate") or self.params.get("certificate_path"))
        leaf = chain = None
        if has_material and not fingerprint:
            certificate = read_text_option(self.module, "certificate", "certificate_path")
            option = "certificate_path" if self.params.get("certificate_path") else "certificate"
            chain = load_certificate_chain(certificate, option)
            leaf = chain[0]
        # One rule with certificate_info's filter: 'zz' + 40 hex digits is not a fingerprint either.
        problem = fingerprint_filter_problem(fingerprint) if fingerprint else None
        if problem:
            self.module.fail_json(msg=problem)
        if not (certificate_id or name or fingerprint or leaf is not None):
            self.module.fail_json(msg="state=absent needs {0}, name, fingerprint or the certificate to "
                                      "identify what to delete".format(self.id_result_key))
        store = CertificateStore(self.module.slb, self.kind)
        if leaf is not None:
            # Given the certificate itself, delete what state=present would have found for it (the same
            # fallback when SLB's fingerprints are not SHA-1; an upload of another chain of the leaf is
            # not it), narrowed by an ID or name also given.
            summary = certificate_summary(leaf)
            found, matched_by = store.find_uploaded(summary["fingerprint"], name, summary["common_name"],
                                                    summary["expire_time"])
            same_chain, untagged = split_by_chain(found, chain_sha256(chain))[:2]
            matches = [item for item in same_chain or untagged
                       if (certificate_id is None or item.get(self.kind.id_field) == certificate_id)
                       and (name is None or item.get(self.kind.name_field) == name)]
            if matches and matched_by == MATCHED_BY_NAME_COMMON_NAME_EXPIRY:
                self._warn_matched_by_identity(matches, name, summary["fingerprint"])
        else:
            matches = store.find(certificate_id=certificate_id, name=name, fingerprint=fingerprint)
        before = [_diff_view(self.kind, item) for item in matches]
        if not matches:
            return {"changed": False, self.id_result_key: certificate_id, "deleted": [],
                    "diff": {"before": {}, "after": {}}}
        deleted = [item.get(self.kind.id_field) for item in matches]
        if self.module.check_mode:
            # The plan says what the run would do: the service refuses to delete a certificate a listener
            # uses, so check mode looks (one listing) rather than report a deletion that would fail.
            usage = store.listeners_using_each(deleted)
            for item_id in deleted:
                if usage[item_id]:
                    raise CertificateInUseError(self.kind, item_id, usage[item_id])
        else:
            for item_id in deleted:
                store.delete(item_id)
                self.deleted_ids.append(item_id)
        return {"changed": True, self.id_result_key: deleted[0] if len(deleted) == 1 else certificate_id,
                "deleted": deleted, "diff": {"before": before[0] if len(before) == 1 else {"certificates": before},
                                             "after": {}}}


def run_server_certificate(module):
    CertificateModuleRunner(module, SERVER_CERTIFICATE, "server_certificate_id").run()


def run_ca_certificate(module):
    CertificateModuleRunner(module, CA_CERTIFICATE, "ca_certificate_id").run()
