# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Server and CA certificates held by SLB: find by fingerprint / name / ID, upload, rename, delete.

Uploads are not idempotent on the service side (every upload makes a new ID), so a certificate
is first looked up by its SHA-1 fingerprint in the region and uploaded only when missing.

That SLB's `Fingerprint` is the SHA-1 of the leaf's DER is what the API documentation's examples
suggest, not something it states. So that a different live format cannot make every run upload a
duplicate, a certificate whose reported fingerprint is not a SHA-1 value at all is also recognised
by its name, common name and expiry (`find_uploaded`), and the modules compare the fingerprint of
each upload's reply with their own (certificate_module.py) and warn on a mismatch.

The fingerprint covers the leaf only, and SLB never returns the PEM it stored, so every upload from
PEM also carries tags with the SHA-256 of the whole chain and its number of certificates
(`chain_tags`). Among the uploads with the leaf's fingerprint, `split_by_chain` tells the one of this
chain from a stale one of another chain (leaf alone, other intermediates) and from an untagged one
(another tool's, or this collection's before the tags), which is trusted as before.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificate_material import normalize_fingerprint
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import AlicloudApiError
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.naming import snake_dict

IN_USE_CODE = "CertificateAndPrivateKeyIsRefered"

# How find_uploaded recognised a certificate (the modules return it as `matched_by`).
MATCHED_BY_FINGERPRINT = "fingerprint"
MATCHED_BY_NAME_COMMON_NAME_EXPIRY = "name_common_name_expire_time"
MATCHED_BY_ALI_CLOUD_CERTIFICATE_ID = "ali_cloud_certificate_id"
SHA1_HEX_DIGITS = 40

# Tag keys of an upload from PEM. SLB's documented tag rules: key 1-64 characters (128 for CA
# certificates), value up to 128, neither starting with `aliyun` or `acs:` nor containing `http://`.
CHAIN_SHA256_TAG = "mtls-clb-chain-sha256"
CHAIN_LENGTH_TAG = "mtls-clb-chain-certificates"


class CertificateKind:
    """The wire names that differ between server and CA certificates."""

    def __init__(self, label, describe_action, list_key, item_key, id_field, name_field, upload_action,
                 delete_action, rename_action, listener_field):
        self.label = label
        self.describe_action = describe_action
        self.list_key = list_key
        self.item_key = item_key
        self.id_field = id_field
        self.name_field = name_field
        self.upload_action = upload_action
        self.delete_action = delete_action
        self.rename_action = rename_action
        self.listener_field = listener_field


SERVER_CERTIFICATE = CertificateKind(
    "server certificate", "DescribeServerCertificates", "ServerCertificates", "ServerCertificate",
    "ServerCertificateId", "ServerCertificateName", "UploadServerCertificate", "DeleteServerCertificate",
    "SetServerCertificateName", "ServerCertificateId")

CA_CERTIFICATE = CertificateKind(
    "CA certificate", "DescribeCACertificates", "CACertificates", "CACertificate",
    "CACertificateId", "CACertificateName", "UploadCACertificate", "DeleteCACertificate",
    "SetCACertificateName", "CACertificateId")


def chain_tags(chain_sha256, chain_length):
    """The Tag list of an upload (Tag.N.Key / Tag.N.Value on the wire)."""
    return [{"Key": CHAIN_SHA256_TAG, "Value": chain_sha256},
            {"Key": CHAIN_LENGTH_TAG, "Value": str(chain_length)}]


def listed_tags(item):
    """{key: value} of a listed certificate's `Tags{Tag:[{TagKey,TagValue}]}`; {} when it has none."""
    tags = item.get("Tags") or {}
    entries = tags.get("Tag") if isinstance(tags, dict) else tags
    return dict((entry.get("TagKey"), entry.get("TagValue")) for entry in entries or []
                if isinstance(entry, dict) and entry.get("TagKey"))


def listed_chain_sha256(item):
    """The chain digest an upload was tagged with (lower case), or None for an untagged upload."""
    value = listed_tags(item).get(CHAIN_SHA256_TAG)
    return value.strip().lower() if value else None


def listed_chain_length(item):
    value = listed_tags(item).get(CHAIN_LENGTH_TAG)
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def split_by_chain(items, chain_sha256):
    """(same chain, untagged, other chain) among uploads of one leaf."""
    same, untagged, other = [], [], []
    for item in items:
        listed = listed_chain_sha256(item)
        if listed is None:
            untagged.append(item)
        elif listed == chain_sha256:
            same.append(item)
        else:
            other.append(item)
    return same, untagged, other


class CertificateInUseError(Exception):
    """The service refused to delete a certificate a listener uses (api_error), or check mode found such a
    listener (api_error None: the real run would be refused with IN_USE_CODE)."""

    def __init__(self, kind, certificate_id, listeners, api_error=None):
        self.kind = kind
        self.certificate_id = certificate_id
        self.listeners = listeners
        self.api_error = api_error
        refusal = api_error.code if api_error is not None else "check mode: the deletion would be refused with " + IN_USE_CODE
        if not listeners and api_error is not None:
            message = ("{0} {1} is still referenced ({2}, after retries), though no HTTPS listener of the region has "
                       "it as its certificate: it may be the certificate of an additional domain of a listener "
                       "(domain extensions, which DescribeDomainExtensions lists), or a reference that lingers after "
                       "a listener switched away from it. Point those at another certificate, or try again later"
                       .format(kind.label, certificate_id, refusal))
        else:
            where = ", ".join("{0}:{1}".format(lb, port) for lb, port in listeners) or "a listener"
            message = ("{0} {1} is in use by {2} ({3}); point those HTTPS listeners at another certificate "
                       "(or delete them) before deleting it".format(kind.label, certificate_id, where, refusal))
        super(CertificateInUseError, self).__init__(message)


class _UnseenReference(Exception):
    """An in-use refusal no listener accounts for: retryable, so the retry policy asks again."""

    retryable = True
    retry_after_ms = None

    def __init__(self, in_use):
        super(_UnseenReference, self).__init__(str(in_use))
        self.in_use = in_use


class CertificateStore:
    """One kind of certificate in one region."""

    def __init__(self, slb, kind):
        self.slb = slb
        self.kind = kind

    def list_all(self, certificate_id=None):
        params = {self.kind.id_field: certificate_id} if certificate_id else None
        try:
            body = self.slb.call(self.kind.describe_action, params)
        except AlicloudApiError as error:
            if certificate_id and error.not_found:
                return []
            raise
        items = (body.get(self.kind.list_key) or {}).get(self.kind.item_key) or []
        if certificate_id:
            # A filter the service ignores would otherwise return unrelated certificates.
            items = [item for item in items if item.get(self.kind.id_field) == certificate_id]
        return items

    def find(self, certificate_id=None, name=None, fingerprint=None, ali_cloud_certificate_id=None):
        """Certificates matching every given criterion (ID, name, fingerprint)."""
        wanted_fp = normalize_fingerprint(fingerprint) if fingerprint else None
        matches = []
        for item in self.list_all(certificate_id):
            if name is not None and item.get(self.kind.name_field) != name:
                continue
            if wanted_fp and normalize_fingerprint(item.get("Fingerprint")) != wanted_fp:
                continue
            if ali_cloud_certificate_id is not None and \
                    str(item.get("AliCloudCertificateId") or "") != str(ali_cloud_certificate_id):
                continue
            matches.append(item)
        return matches

    def find_uploaded(self, fingerprint, name, common_name, expire_time):
        """(matches, how they matched) for certificate material, from one listing.

        First by SHA-1 fingerprint. Failing that, by name, common name and expiry, but only among
        certificates whose reported fingerprint is not a SHA-1 value: a 40-digit one that differs
        is another certificate (a re-keyed one can keep name, common name and expiry), while a
        value of another length or form means SLB computes fingerprints differently from us, and
        without this fallback every run would upload the certificate again."""
        items = self.list_all()
        wanted_fp = normalize_fingerprint(fingerprint)
        by_fingerprint = [item for item in items if normalize_fingerprint(item.get("Fingerprint")) == wanted_fp]
        if by_fingerprint:
            return by_fingerprint, MATCHED_BY_FINGERPRINT
        if name is None:
            return [], None
        wanted_expiry = expiry_seconds(expire_time)
        by_identity = [item for item in items
                       if item.get(self.kind.name_field) == name
                       and not is_sha1_fingerprint(item.get("Fingerprint"))
                       and (item.get("CommonName") or None) == (common_name or None)
                       and wanted_expiry is not None and listed_expiry_seconds(item) == wanted_expiry]
        return by_identity, (MATCHED_BY_NAME_COMMON_NAME_EXPIRY if by_identity else None)

    def upload(self, name, upload_params, extra_params=None, find_again=None):
        """Upload once. Uploads are not idempotent, so after a transient failure `find_again()`
        (the region searched for this certificate) runs before trying again: a request that timed
        out or got a 5xx may still have been applied."""
        params = dict(upload_params)
        if name:
            params[self.kind.name_field] = name
        params.update(extra_params or {})

        def attempt():
            try:
                return self.slb.call(self.kind.upload_action, params, retry=False)
            except AlicloudApiError as error:
                if error.retryable and find_again is not None:
                    already = find_again()
                    if already:
                        return already[0]
                raise

        return self.slb.retry_policy.run(attempt)

    def rename(self, certificate_id, name):
        self.slb.call(self.kind.rename_action, {self.kind.id_field: certificate_id, self.kind.name_field: name})

    def delete(self, certificate_id):
        """Delete the certificate; gone already is fine. A refusal because it is in use fails naming the listeners
        that use it. When no listener does, the reference is one the listing cannot show (an additional domain's
        certificate) or one that lingers after a listener switched away, which Terraform's delete waits out by
        retrying the same refusal for three minutes: it is asked again under the retry policy."""
        # One retry policy for transient errors and for the unseen reference, so their attempts do not multiply;
        # a repeated deletion is harmless (a deleted certificate answers not found).
        def attempt():
            try:
                self.slb.call(self.kind.delete_action, {self.kind.id_field: certificate_id}, retry=False)
            except AlicloudApiError as error:
                if error.not_found:
                    return
                if error.code != IN_USE_CODE:
                    raise
                listeners = self.listeners_using(certificate_id)
                if listeners:
                    raise CertificateInUseError(self.kind, certificate_id, listeners, error)
                raise _UnseenReference(CertificateInUseError(self.kind, certificate_id, [], error))

        try:
            self.slb.retry_policy.run(attempt)
        except _UnseenReference as unseen:
            raise unseen.in_use

    def listeners_using(self, certificate_id):
        """(load balancer, port) pairs of HTTPS listeners that reference the certificate; best effort."""
        return self.listeners_using_each([certificate_id])[certificate_id]

    def listeners_using_each(self, certificate_ids):
        """{certificate ID: [(load balancer, port), ...]} from one listing of the region's HTTPS listeners;
        best effort (an API error leaves the lists as far as they got)."""
        found = dict((certificate_id, []) for certificate_id in certificate_ids)
        for load_balancer_id, port, config in https_listener_configs(self.slb):
            if config.get(self.kind.listener_field) in found:
                found[config[self.kind.listener_field]].append((load_balancer_id, port))
        return found


def _port_number(port):
    """A listed ListenerPort as a number, whether answered as a number or a string."""
    try:
        return int(port)
    except (TypeError, ValueError):
        return port


def https_listener_configs(slb):
    """[(load balancer, port, HTTPSListenerConfig)] of the region's HTTPS listeners, from one paged listing
    (DescribeLoadBalancerListeners), the port as a number; best effort: an API error ends the list where it got
    to."""
    configs = []
    try:
        token = None
        while True:
            body = slb.call("DescribeLoadBalancerListeners",
                            {"ListenerProtocol": "https", "MaxResults": 100, "NextToken": token})
            for listener in body.get("Listeners") or []:
                configs.append((listener.get("LoadBalancerId"), _port_number(listener.get("ListenerPort")),
                                listener.get("HTTPSListenerConfig") or {}))
            token = body.get("NextToken")
            if not token:
                break
    except AlicloudApiError:
        pass
    return configs


SHA1_FINGERPRINT_PATTERN = re.compile(r"^[0-9a-f]{40}$")


def fingerprint_filter_problem(fingerprint):
    """None when `fingerprint` (a filter the user gave) is a SHA-1 fingerprint - 40 hex digits, colons and
    case optional - else a message naming the option. find() would otherwise reduce a value such as
    'zz' to nothing and skip the filter, listing certificates that do not match it."""
    if SHA1_FINGERPRINT_PATTERN.match(fingerprint.replace(":", "").strip().lower()):
        return None
    return ("fingerprint {0!r} is not a SHA-1 fingerprint: give 40 hex digits, colons optional (the fingerprint "
            "that server_certificate / ca_certificate return, or the output of openssl x509 -noout -fingerprint "
            "-sha1), or leave fingerprint unset".format(fingerprint))


def is_sha1_fingerprint(fingerprint):
    return len(normalize_fingerprint(fingerprint)) == SHA1_HEX_DIGITS


def expiry_seconds(text):
    """Seconds since the epoch of an ISO 8601 UTC time such as SLB's `2019-05-18T06:34:24Z`."""
    if not text:
        return None
    value = str(text).strip().replace("Z", "+00:00")
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return int(moment.timestamp())


def listed_expiry_seconds(item):
    """A listed certificate's expiry: ExpireTimeStamp (milliseconds) or else ExpireTime."""
    stamp = item.get("ExpireTimeStamp")
    try:
        if stamp not in (None, ""):
            return int(stamp) // 1000
    except (TypeError, ValueError):
        pass
    return expiry_seconds(item.get("ExpireTime"))


def certificate_facts(kind, item):
    """A certificate as modules return it: snake_case keys plus `id` and `name`."""
    facts = snake_dict(item)
    facts["id"] = item.get(kind.id_field)
    facts["name"] = item.get(kind.name_field)
    facts["fingerprint"] = (item.get("Fingerprint") or "").lower() or None
    sans = item.get("SubjectAlternativeNames")
    if isinstance(sans, dict):
        facts["subject_alternative_names"] = sans.get("SubjectAlternativeName") or []
    return facts


def pick_best_match(kind, matches, name):
    """Among certificates with the same fingerprint prefer the one already carrying `name`."""
    for item in matches:
        if name is not None and item.get(kind.name_field) == name:
            return item
    return matches[0] if matches else None
