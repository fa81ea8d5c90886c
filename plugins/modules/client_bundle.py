#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: client_bundle
short_description: Install a client private key and certificates into one directory
version_added: 0.1.0
description:
  - Step 4 of the CLB mutual TLS procedure for Linux clients as one task - puts C(client.key), C(client.crt),
    C(root.crt) and C(ca.crt) into a directory such as C(/home/ca) and makes the directory C(0700), like the
    guide's C(sudo chmod 700 /home/ca).
  - One module run for the directory and every file, where an M(ansible.builtin.file) task and one
    M(ansible.builtin.copy) per file start two module runs per file.
  - Creates O(directory) when it is missing (missing parent directories are created like C(mkdir -p), with the
    default mode), and puts O(directory_mode), O(owner) and O(group) on it when it exists.
  - B(Idempotent.) Each file is compared by content (bytes) and by mode, owner and group. Changed content is
    written atomically - a temporary file in O(directory), created owner-only (C(0600)), renamed over the file,
    then given its mode, owner and group - so the key is never readable by others, not even for a moment. A
    replaced file keeps its owner and group unless O(owner) or O(group) say otherwise. Only attributes are
    fixed when only they differ.
  - PEM text without a final newline (what C(lookup('ansible.builtin.file')) returns unless C(rstrip=false))
    gets one, so the same input always gives the same file.
  - B(Bad input changes nothing.) Names, modes, owner, group, the PEM framing of every file and the O(directory)
    path are checked before anything is written, in check mode too; a O(directory) that exists as something other
    than a directory is refused. So are an O(owner) or O(group) the user the module runs as may not give the files
    (without root, only that user and its own groups), and a O(directory) that user may not read.
  - B(Check mode) makes the same decision and writes nothing. B(Diff mode) shows the certificate files before
    and after (public PEM); for the private key it only says that it changed, never its bytes. A certificate
    file whose old content held a private key is shown without that old content.
  - Runs on the client host and needs only Python's standard library there.
author:
  - mtls.clb contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The private key's content is never shown; its diff entry only says that it changed.
  platform:
    platforms: posix
options:
  directory:
    description: Absolute path of the directory on the host, C(/home/ca) in the procedure.
    type: path
    required: true
  directory_mode:
    description: Mode of O(directory), a quoted octal string.
    type: raw
    default: "0700"
  owner:
    description:
      - Owner (user name or numeric uid) of O(directory) and of every file.
      - When not set, new files and a new directory belong to the user the module runs as, and existing ones
        keep their owner.
    type: str
  group:
    description:
      - Group (group name or numeric gid) of O(directory) and of every file.
      - When not set, new files and a new directory get the user's group, and existing ones keep their group.
    type: str
  private_key:
    description:
      - The client private key as PEM text. Never shown in output, diff or logs.
      - Must hold exactly one private key block (C(PRIVATE KEY), C(ENCRYPTED PRIVATE KEY), C(RSA PRIVATE KEY),
        C(EC PRIVATE KEY) or C(DSA PRIVATE KEY)) with a base64 body, optionally after C(EC PARAMETERS); anything
        else, a certificate included, is refused. Only the framing is checked - the module needs no cryptography
        library on the host.
      - Not installed when not set.
      - At least one of O(private_key) and O(certificates) must be set.
    type: str
  private_key_name:
    description: File name of the key in O(directory). A plain name, not a path.
    type: str
    default: client.key
  private_key_mode:
    description: Mode of the key file, a quoted octal string.
    type: raw
    default: "0600"
  certificates:
    description:
      - Certificate files to install, such as C(client.crt), C(root.crt) and C(ca.crt).
      - An empty list installs no certificate (only O(directory) and O(private_key) are managed).
      - Files in O(directory) that are not listed are left alone.
    type: list
    elements: dict
    suboptions:
      name:
        description: File name in O(directory). A plain name (no C(/), not C(.) or C(..)), unique, and not O(private_key_name).
        type: str
        required: true
      content:
        description:
          - The certificate (or chain) as PEM text - one or more C(CERTIFICATE) blocks with base64 bodies.
          - Text outside the blocks, such as the comments of a CA bundle, is kept as it is.
          - Any other block is refused, above all a private key, which would otherwise be written with
            O(certificate_mode) for others to read.
        type: str
        required: true
  certificate_mode:
    description: Mode of every certificate file, a quoted octal string.
    type: raw
    default: "0644"
notes:
  - Modes are octal strings such as C("0600"). An unquoted YAML number is refused, because C(0600) and C(600) would
    mean different modes.
  - A symbolic link in place of one of the files is replaced by a regular file; a directory or other special file
    in its place is refused.
seealso:
  - module: mtls.clb.pki_client_certificates
  - module: mtls.clb.mtls_probe
"""

EXAMPLES = r"""
- name: Install client.key, client.crt, root.crt and ca.crt into /home/ca (procedure step 4)
  mtls.clb.client_bundle:
    directory: /home/ca
    owner: root
    group: root
    private_key: "{{ lookup('ansible.builtin.file', 'pki/clients/client01.key', rstrip=false) }}"
    certificates:
      - name: client.crt
        content: "{{ lookup('ansible.builtin.file', 'pki/clients/client01.crt', rstrip=false) }}"
      - name: root.crt
        content: "{{ lookup('ansible.builtin.file', 'pki/root.crt', rstrip=false) }}"
      - name: ca.crt
        content: "{{ lookup('ansible.builtin.file', 'pki/server/ca.crt', rstrip=false) }}"
  become: true

- name: Only the CA certificate curl needs, into a directory other users may read
  mtls.clb.client_bundle:
    directory: /etc/mtls-demo
    directory_mode: "0755"
    certificates:
      - name: ca.crt
        content: "{{ lookup('ansible.builtin.file', 'pki/server/ca.crt') }}"
  register: bundle

- name: Say what happened to each file
  ansible.builtin.debug:
    var: bundle.files
"""

RETURN = r"""
directory:
  description: The directory the files are in.
  returned: always
  type: str
  sample: /home/ca
directory_status:
  description:
    - What was done (or, in check mode, would be done) to O(directory) - V(created), V(attributes) (mode, owner or
      group fixed) or V(unchanged).
  returned: always
  type: str
  sample: unchanged
files:
  description:
    - For each file name, what was done (or would be done in check mode) - V(created), V(updated) (content
      replaced), V(attributes) (only mode, owner or group fixed) or V(unchanged).
  returned: always
  type: dict
  sample:
    client.key: unchanged
    client.crt: updated
    root.crt: unchanged
    ca.crt: attributes
"""

import base64
import binascii
import errno
import os
import re
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native, to_text

from ansible_collections.mtls.clb.plugins.module_utils.atomic_file import (
    make_directory,
    ownership_problem,
    parse_octal_mode,
    replace_file,
    resolve_group_id,
    resolve_user_id,
)
from ansible_collections.mtls.clb.plugins.module_utils.private_key_text import mask_private_keys

CREATED = "created"
UPDATED = "updated"
ATTRIBUTES = "attributes"
UNCHANGED = "unchanged"

# A certificate file bigger than this is replaced without showing its old content in the diff.
MAX_DIFF_BYTES = 1024 * 1024
# What the diff shows instead of the old content of a certificate file that held a private key (a combined
# certificate-and-key file, or names swapped between runs): that key is no module argument, so no_log masking
# would not catch it.
OLD_KEY_NOT_SHOWN = "[old content not shown: it held a private key]\n"
# Private key armour in any label (PRIVATE KEY, RSA/EC/DSA/ENCRYPTED PRIVATE KEY, OpenSSH's), at any indentation.
PRIVATE_KEY_ARMOUR = re.compile(br"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")


class BundleError(Exception):
    """Bad input or a state of the host the module refuses; the message names the option and the fix."""


class PlannedFile(object):
    """One file the module is asked to install."""

    def __init__(self, option, name, content, mode, secret):
        self.option = option      # how error messages refer to it, e.g. "certificates[1] (root.crt)"
        self.name = name
        self.content = content    # bytes, with the trailing newline normalised
        self.mode = mode          # int
        self.secret = secret


def argument_spec():
    return dict(
        directory=dict(type="path", required=True),
        directory_mode=dict(type="raw", default="0700"),
        owner=dict(type="str"),
        group=dict(type="str"),
        private_key=dict(type="str", no_log=True),
        private_key_name=dict(type="str", default="client.key", no_log=False),
        private_key_mode=dict(type="raw", default="0600", no_log=False),
        certificates=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True),
            content=dict(type="str", required=True),
        )),
        certificate_mode=dict(type="raw", default="0644"),
    )


# -- validation: everything here runs before the first write -------------------------------------
def parse_mode(option, value):
    """The mode as an int; only quoted octal strings, since YAML reads 0600 and 600 as different numbers."""
    try:
        return parse_octal_mode(option, value)
    except ValueError as exc:
        raise BundleError(str(exc))


def check_file_name(option, name):
    if not name or "/" in name or "\0" in name or name in (".", ".."):
        raise BundleError("%s: %r is not a plain file name; give a name such as client.crt (no '/', not '.' or "
                          "'..'), the file goes into directory" % (option, name))


# A PEM boundary line (RFC 7468): five dashes, BEGIN or END, a label, five dashes.
PEM_BOUNDARY = re.compile(r"^-----(BEGIN|END) ([^-]*)-----$")
# Labels short and plain enough to name in a message; anything else is only called "another label".
NAMEABLE_LABEL = re.compile(r"^[A-Z0-9 ]{1,40}$")
CERTIFICATE_LABEL = "CERTIFICATE"
PRIVATE_KEY_LABELS = ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY")
# What `openssl ecparam -genkey` writes before the key; harmless beside it.
KEY_COMPANION_LABELS = ("EC PARAMETERS",)
# Traditional OpenSSL keys may carry RFC 1421 headers (Proc-Type, DEK-Info) and an encrypted body.
LABELS_WITH_HEADERS = ("RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY")
PEM_FIX = "pass the PEM text, for example with lookup('ansible.builtin.file', path, rstrip=false)"


def _label_for_message(label):
    return "a %s block" % label if NAMEABLE_LABEL.match(label) else "a block with another label"


def _check_pem_body(option, label, start, body):
    """Refuse a block whose body is not base64 of DER; the body itself never goes into the message."""
    encrypted = False
    if label in LABELS_WITH_HEADERS and body and ":" in body[0]:
        if "" not in body:
            raise BundleError("%s: the %s block on line %d has header lines but no empty line after them; %s"
                              % (option, label, start, PEM_FIX))
        encrypted = True
        body = body[body.index("") + 1:]
    try:
        der = base64.b64decode("".join(body).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BundleError("%s: the %s block on line %d is not valid base64 between its BEGIN and END lines; "
                          "%s" % (option, label, start, PEM_FIX))
    # Every certificate and key is an ASN.1 SEQUENCE (0x30); anything else is not what the label says.
    # (EC PARAMETERS may be a bare OID, and an encrypted body is no DER at all.)
    sequence_expected = not encrypted and (label == CERTIFICATE_LABEL or label in PRIVATE_KEY_LABELS)
    if not der or (sequence_expected and der[0:1] != b"\x30"):
        raise BundleError("%s: the %s block on line %d does not hold DER data (a certificate or key); %s"
                          % (option, label, start, PEM_FIX))


def pem_labels(option, text):
    """The labels of the PEM blocks in `text`, in order; BundleError naming `option` when the framing is broken.

    Text outside the blocks (the comments of a CA bundle) is allowed, as RFC 7468 allows it; a line that starts
    with five dashes but is no matching BEGIN or END line is not.
    """
    labels = []
    label = start = None
    body = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        boundary = PEM_BOUNDARY.match(line) if line.startswith("-----") else None
        if line.startswith("-----") and boundary is None:
            raise BundleError("%s: line %d starts like a PEM BEGIN or END line but is not one; %s"
                              % (option, number, PEM_FIX))
        if label is None:
            if boundary is None:
                continue
            if boundary.group(1) != "BEGIN":
                raise BundleError("%s: line %d is an END line without a BEGIN line before it; %s"
                                  % (option, number, PEM_FIX))
            label, start, body = boundary.group(2), number, []
            continue
        if boundary is None:
            body.append(line)
            continue
        if boundary.group(1) != "END" or boundary.group(2) != label:
            raise BundleError("%s: line %d should be the END line of the block that begins on line %d; %s"
                              % (option, number, start, PEM_FIX))
        _check_pem_body(option, label, start, body)
        labels.append(label)
        label = None
    if label is not None:
        raise BundleError("%s: the block that begins on line %d has no END line; %s" % (option, start, PEM_FIX))
    return labels


def check_certificate_pem(option, text):
    """Refuse content that is not one or more PEM CERTIFICATE blocks, above all a private key: certificate
    files are written with certificate_mode, which others may read."""
    labels = pem_labels(option, text)
    for label in labels:
        if "PRIVATE KEY" in label:
            raise BundleError("%s: the content holds a private key (%s); certificate files are written with "
                              "certificate_mode, which others may read, so pass the key in private_key and only "
                              "certificates here" % (option, _label_for_message(label)))
    others = [label for label in labels if label != CERTIFICATE_LABEL]
    if others:
        raise BundleError("%s: the content holds %s, not only CERTIFICATE blocks; pass the certificate (or "
                          "chain) in PEM, BEGIN CERTIFICATE ... END CERTIFICATE"
                          % (option, _label_for_message(others[0])))
    if not labels:
        raise BundleError("%s: the content is not PEM (no BEGIN CERTIFICATE ... END CERTIFICATE block); %s"
                          % (option, PEM_FIX))


def check_private_key_pem(option, text):
    """Refuse a private key that is not exactly one PEM private key block."""
    labels = pem_labels(option, text)
    keys = [label for label in labels if label in PRIVATE_KEY_LABELS]
    others = [label for label in labels if label not in PRIVATE_KEY_LABELS + KEY_COMPANION_LABELS]
    if others:
        raise BundleError("%s: the content holds %s besides the key; pass only the private key here (certificates "
                          "go in certificates)" % (option, _label_for_message(others[0])))
    if not keys:
        raise BundleError("%s: the content is not a PEM private key (no BEGIN PRIVATE KEY ... END PRIVATE KEY "
                          "block); %s" % (option, PEM_FIX))
    if len(keys) > 1:
        raise BundleError("%s: the content holds %d private key blocks; pass exactly one key" % (option, len(keys)))


def pem_bytes(option, text):
    """The file content as bytes, ending in exactly the newline that lookup('file') strips."""
    if not text or not text.strip():
        raise BundleError("%s: the content is empty; %s" % (option, PEM_FIX))
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def resolve_owner(owner):
    """uid for `owner` (a name or a number), or None when not set."""
    try:
        return resolve_user_id("owner", owner)
    except ValueError as exc:
        raise BundleError(str(exc))


def resolve_group(group):
    """gid for `group` (a name or a number), or None when not set."""
    try:
        return resolve_group_id("group", group)
    except ValueError as exc:
        raise BundleError(str(exc))


def plan_files(params):
    """The files to install, in order (key first); raises BundleError on any bad name, mode or content."""
    if params["private_key"] is None and params["certificates"] is None:
        raise BundleError("private_key, certificates: set at least one of them (the key's PEM text, or a list "
                          "of certificate files with name and content)")
    planned = []
    seen = {}
    if params["private_key"] is not None:
        check_file_name("private_key_name", params["private_key_name"])
        key_mode = parse_mode("private_key_mode", params["private_key_mode"])
        content = pem_bytes("private_key", params["private_key"])
        check_private_key_pem("private_key", params["private_key"])
        planned.append(PlannedFile("private_key", params["private_key_name"], content, key_mode, secret=True))
        seen[params["private_key_name"]] = "private_key_name"
    certificate_mode = parse_mode("certificate_mode", params["certificate_mode"])
    for index, certificate in enumerate(params["certificates"] or []):
        option = "certificates[%d]" % index
        check_file_name(option + ".name", certificate["name"])
        option = "%s (%s)" % (option, certificate["name"])
        if certificate["name"] in seen:
            raise BundleError("%s: the name is already used by %s; give every file its own name"
                              % (option, seen[certificate["name"]]))
        seen[certificate["name"]] = option
        content = pem_bytes(option, certificate["content"])
        check_certificate_pem(option, certificate["content"])
        planned.append(PlannedFile(option, certificate["name"], content, certificate_mode, secret=False))
    return planned


def check_directory_path(path):
    """Refuse a directory path that exists as something else, or below something else."""
    if not os.path.isabs(path):
        raise BundleError("directory: %r is not an absolute path; give the full path, such as /home/ca" % path)
    if os.path.lexists(path) and not os.path.isdir(path):
        raise BundleError("directory: %s exists but is not a directory; move it away or set directory to "
                          "another path" % path)
    ancestor = os.path.dirname(path)
    while not os.path.lexists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise BundleError("directory: %s cannot be created because %s is not a directory; set directory to "
                          "another path" % (path, ancestor))


# -- the decision -------------------------------------------------------------------------------
def attributes_differ(path_stat, mode, uid, gid):
    """Attribute name -> (current, wanted) for every attribute that differs."""
    differences = {}
    if stat.S_IMODE(path_stat.st_mode) != mode:
        differences["mode"] = ("%04o" % stat.S_IMODE(path_stat.st_mode), "%04o" % mode)
    if uid is not None and path_stat.st_uid != uid:
        differences["owner"] = (path_stat.st_uid, uid)
    if gid is not None and path_stat.st_gid != gid:
        differences["group"] = (path_stat.st_gid, gid)
    return differences


def directory_status(path, mode, uid, gid):
    """(status, attribute differences) of the directory."""
    if not os.path.exists(path):
        return CREATED, {}
    differences = attributes_differ(os.stat(path), mode, uid, gid)
    return (ATTRIBUTES if differences else UNCHANGED), differences


def current_content(path, size):
    with open(path, "rb") as handle:
        return handle.read(size + 1)


def raise_unreadable(path, exc):
    """A BundleError for a file the module may not look at (a root-only directory, read without root)."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        raise BundleError("directory: cannot read %s: %s; run the task as root (become: true), or set directory "
                          "to a path the user the task runs as owns" % (path, to_native(exc.strerror or exc)))


def file_status(path, planned, uid, gid):
    """(status, current content or None, attribute differences) of one file; refuses special files."""
    try:
        path_stat = os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return CREATED, None, {}
        raise_unreadable(path, exc)
        raise
    if stat.S_ISLNK(path_stat.st_mode):
        # The link is replaced by a regular file; what it pointed to is neither read nor shown.
        return UPDATED, None, {}
    if not stat.S_ISREG(path_stat.st_mode):
        raise BundleError("%s: %s exists but is not a regular file; remove it or choose another name"
                          % (planned.option, path))
    content = None
    if path_stat.st_size == len(planned.content) or (not planned.secret and path_stat.st_size <= MAX_DIFF_BYTES):
        try:
            content = current_content(path, path_stat.st_size)
        except (IOError, OSError) as exc:
            raise_unreadable(path, exc)
            raise
    if content != planned.content:
        # The old content goes into the diff: never the key's, never what only the size check ruled out,
        # never a private key the old file held.
        if planned.secret:
            return UPDATED, None, {}
        if content is not None and PRIVATE_KEY_ARMOUR.search(content):
            return UPDATED, OLD_KEY_NOT_SHOWN.encode("ascii"), {}
        return UPDATED, content, {}
    differences = attributes_differ(path_stat, planned.mode, uid, gid)
    return (ATTRIBUTES if differences else UNCHANGED), content, differences


# -- writing --------------------------------------------------------------------------------------
def attribute_arguments(module, path, mode, params):
    return module.load_file_common_arguments(dict(mode=mode, owner=params["owner"], group=params["group"]), path=path)


def any_change(dir_status, statuses):
    """Whether the directory or any file ({name: status}) is (or is to be) created, updated or fixed."""
    return dir_status != UNCHANGED or any(status != UNCHANGED for status in statuses.values())


class ClientBundle(object):
    """Touches these parts of `module`: params, check_mode, _diff, atomic_move, set_fs_attributes_if_different,
    load_file_common_arguments."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.directory = module.params["directory"]
        self.diff = []

    def run(self):
        """(changed, directory status, {name: status}); raises BundleError before any write on bad input."""
        params = self.params
        planned = plan_files(params)
        directory_mode = parse_mode("directory_mode", params["directory_mode"])
        uid = resolve_owner(params["owner"])
        gid = resolve_group(params["group"])
        check_directory_path(self.directory)

        dir_status, dir_differences = directory_status(self.directory, directory_mode, uid, gid)
        decisions = []
        for item in planned:
            path = os.path.join(self.directory, item.name)
            if dir_status == CREATED:
                decisions.append((item, path, CREATED, None, {}))
            else:
                decisions.append((item, path) + file_status(path, item, uid, gid))

        self.record_directory_diff(dir_status, directory_mode, dir_differences)
        for item, path, status, old, differences in decisions:
            self.record_file_diff(item, path, status, old, differences)

        statuses = dict((item.name, status) for item, _path, status, _old, _differences in decisions)
        if any_change(dir_status, statuses):
            # Something will be written or fixed: refuse now an owner or group that would fail at the chown,
            # after the directory and the files are already there (in check mode too: a real run would fail).
            problem = ownership_problem(uid, gid)
            if problem:
                raise BundleError(problem)

        if not self.module.check_mode:
            dir_status = self.apply_directory(dir_status, directory_mode)
            for item, path, status, _old, _differences in decisions:
                statuses[item.name] = self.apply_file(item, path, status)
        return any_change(dir_status, statuses), dir_status, statuses

    def apply_directory(self, status, mode):
        if status == CREATED:
            try:
                # Created owner-only; the final mode is set below, so it is never wider than asked for.
                make_directory(self.directory)
            except OSError as exc:
                raise BundleError("directory: cannot create %s: %s; check the path and the permissions, or run "
                                  "with become" % (self.directory, to_native(exc.strerror or exc)))
        attributes_fixed = self.module.set_fs_attributes_if_different(
            attribute_arguments(self.module, self.directory, mode, self.params), False)
        if status == UNCHANGED and attributes_fixed:
            return ATTRIBUTES
        return status

    def apply_file(self, item, path, status):
        if status in (CREATED, UPDATED):
            try:
                replace_file(self.module, path, item.content)
            except Exception as exc:
                raise BundleError("%s: cannot write %s: %s; check the directory's permissions or run with become"
                                  % (item.option, path, to_native(getattr(exc, "strerror", None) or exc)))
        attributes_fixed = self.module.set_fs_attributes_if_different(
            attribute_arguments(self.module, path, item.mode, self.params), False)
        if status == UNCHANGED and attributes_fixed:
            return ATTRIBUTES
        return status

    # -- diff ----------------------------------------------------------------------------------
    def record_directory_diff(self, status, mode, differences):
        if not self.module._diff or status == UNCHANGED:
            return
        if status == CREATED:
            after = {"path": self.directory, "state": "directory", "mode": "%04o" % mode}
            for name in ("owner", "group"):
                if self.params[name] is not None:
                    after[name] = self.params[name]
            self.diff.append({"before": {"path": self.directory, "state": "absent"}, "after": after})
            return
        self.diff.append(attribute_diff(self.directory, differences))

    def record_file_diff(self, item, path, status, old, differences):
        if not self.module._diff or status == UNCHANGED:
            return
        if item.secret:
            # Not even the size or the mode: one line that says the key file is touched.
            self.diff.append({"prepared": "%s: changed\n" % item.name})
        elif status == ATTRIBUTES:
            self.diff.append(attribute_diff(path, differences))
        else:
            self.diff.append({
                "before_header": path if status != CREATED else "%s (absent)" % path,
                "after_header": path,
                "before": "" if old is None else to_text(old, errors="surrogate_or_replace"),
                "after": to_text(item.content),
            })


def attribute_diff(path, differences):
    before = {"path": path}
    after = {"path": path}
    for name, (current, wanted) in sorted(differences.items()):
        before[name] = current
        after[name] = wanted
    return {"before": before, "after": after}


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    # A key given as a certificate's content is refused below; the refusal's invocation must not show it.
    mask_private_keys(module, *[item.get("content") for item in module.params["certificates"] or []])
    bundle = ClientBundle(module)
    try:
        changed, dir_status, statuses = bundle.run()
    except BundleError as exc:
        module.fail_json(msg=to_native(exc), directory=module.params["directory"])
    result = dict(changed=changed, directory=bundle.directory, directory_status=dir_status, files=statuses)
    if module._diff:
        result["diff"] = bundle.diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
