# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one way PKI files reach the disk.

Touches these parts of `module`: params (file common arguments), check_mode, atomic_move,
set_fs_attributes_if_different, load_file_common_arguments, backup_local, _symbolic_mode_to_octal.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat

from ansible_collections.mtls.clb.plugins.module_utils.atomic_file import (
    OWNER_ONLY,
    group_name,
    make_directory,
    ownership_problem,
    parse_octal_mode,
    replace_file,
    resolve_group_id,
    resolve_user_id,
    user_name,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError

KEY_MODE_DEFAULT = "0600"
CERTIFICATE_MODE_DEFAULT = "0644"
MODE_FIX = ("give a quoted octal string such as \"0600\" or a symbolic mode such as \"u=rw,g=r,o=\", as for "
            "ansible.builtin.file")


def read_file_or_none(path):
    """The file's bytes, or None when it does not exist; unreadable files raise PkiError."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except (IOError, OSError) as exc:
        raise PkiError("cannot read %s: %s" % (path, exc.strerror or exc))


def same_file(path, other):
    """Whether `path` and `other` name one file: the same path once `..` and symbolic links are resolved, or,
    when both exist, the same inode (a hard link)."""
    if os.path.realpath(path) == os.path.realpath(other):
        return True
    try:
        return os.path.samefile(path, other)
    except OSError:
        return False


def refuse_directories_in_the_way(outputs):
    """Refuse, before anything is read or written, a directory where a file is to be written: the atomic
    replace would fail on it after other files of the same run were already written. `outputs`: (path, what)
    pairs, `what` naming the option or file. A symbolic link is replaced, never followed, so it is not in
    the way whatever it points at."""
    for path, what in outputs:
        if os.path.isdir(path) and not os.path.islink(path):
            raise PkiError("%s: %s is a directory, where the module writes a file; move it away or choose another "
                           "path" % (what, path))


def check_target_directory(directory, option, may_create):
    """Fail before any work when files could not be written into `directory`.

    With `may_create` (the module was given directory_mode) a missing directory is fine when it can be
    created: its nearest existing ancestor must be a writable directory.
    """
    if os.path.isdir(directory):
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PkiError("%s: directory %s is not writable by this user; fix its permissions, choose another "
                           "path, or run with become" % (option, directory), directory=directory)
        return
    if os.path.lexists(directory):
        raise PkiError("%s: %s exists and is not a directory; move it away or choose another path"
                       % (option, directory), directory=directory)
    if not may_create:
        raise PkiError("%s: directory %s does not exist; set directory_mode (for example \"0700\") to have "
                       "the module create it, or create it first" % (option, directory), directory=directory)
    ancestor = os.path.dirname(os.path.abspath(directory))
    while not os.path.lexists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise PkiError("%s: directory %s cannot be created because %s is not a directory; choose another path"
                       % (option, directory, ancestor), directory=directory)
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise PkiError("%s: directory %s cannot be created because %s is not writable by this user; fix its "
                       "permissions, choose another path, or run with become" % (option, directory, ancestor),
                       directory=directory)


def directory_mode_param(module):
    """directory_mode as an int, or None when not set."""
    value = module.params.get("directory_mode")
    if value is None:
        return None
    try:
        return parse_octal_mode("directory_mode", value)
    except ValueError as exc:
        raise PkiError(str(exc))


def ensure_directory(module, directory, mode):
    """Create `directory` with `mode` when missing, or give it `mode`; what was (or would be) done, or None.

    Check mode changes nothing and reports what a real run would do. Owner and group options apply to the
    files only: a new directory belongs to the user the module runs as.
    """
    arguments = module.load_file_common_arguments({"mode": mode}, path=directory)
    if os.path.isdir(directory):
        return "directory mode set" if module.set_fs_attributes_if_different(arguments, False) else None
    if not module.check_mode:
        try:
            make_directory(directory)
            module.set_fs_attributes_if_different(arguments, False)
        except OSError as exc:
            raise PkiError("directory_mode: cannot create %s: %s; fix the permissions of its parent, choose another "
                           "path, or run with become" % (directory, exc.strerror or exc), directory=directory)
    return "directory created"


class TargetDirectories(object):
    """The directories a module writes into, checked before any work and created or fixed before any write.

    With directory_mode each is created when missing and given that mode when it has another. Without it a
    missing directory is refused, unless `create_missing` (a module that always created its own directory
    owner-only) - then it is created 0700 and an existing one is left as it is.
    """

    def __init__(self, module, directories, create_missing=False):
        self.module = module
        self.mode = directory_mode_param(module)
        self.create_missing = create_missing
        self.paths = []
        for directory, option in directories:
            directory = os.path.abspath(directory)
            check_target_directory(directory, option, may_create=self.mode is not None or create_missing)
            if directory not in self.paths:
                self.paths.append(directory)

    def wanted_mode(self, current_mode):
        """The mode a directory with `current_mode` (None: missing) has after ensure()."""
        if self.mode is not None:
            return self.mode
        if current_mode is None and self.create_missing:
            return 0o700
        return current_mode

    def diff(self):
        """(before, after): directory -> state and mode, for each directory ensure() creates or changes.

        Call it before ensure(). Owner and group are not shown: the module does not manage them here.
        """
        before, after = {}, {}
        for directory in self.paths:
            try:
                current = stat.S_IMODE(os.stat(directory).st_mode)
            except OSError:
                current = None
            wanted = self.wanted_mode(current)
            if wanted == current:
                continue
            before[directory] = ({"state": "absent"} if current is None
                                 else {"state": "directory", "mode": "%04o" % current})
            after[directory] = {"state": "directory", "mode": "%04o" % wanted}
        return before, after

    def ensure(self):
        """What was (in check mode: would be) done to them, such as "directory created", or None."""
        if self.mode is not None:
            done = [ensure_directory(self.module, directory, self.mode) for directory in self.paths]
        elif self.create_missing:
            done = [ensure_directory(self.module, directory, 0o700) for directory in self.paths
                    if not os.path.isdir(directory)]
        else:
            done = []
        return next((reason for reason in done if reason), None)


def _stat_with_mode(mode):
    """A regular file's stat result that only carries a mode: what ansible's symbolic mode parser reads."""
    return os.stat_result((stat.S_IFREG | mode, 0, 0, 0, 0, 0, 0, 0, 0, 0))


def checked_file_mode(module, option, value):
    """`value` of the mode option `option`, refused now when ansible.builtin.file would refuse it later.

    AnsibleModule checks a mode only when it applies it, which is after the new bytes are on disk; a bad
    mode must stop the module before anything is written. Accepts an octal string or a symbolic mode. A
    number is refused, as directory_mode and client_bundle refuse it: unquoted in YAML, 0600 and 600 are
    different numbers, and 600 would give a key mode 01130 (not readable by its owner, writable by others).
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise PkiError("%s: %r is not a file mode; %s" % (option, value, MODE_FIX))
    if isinstance(value, int):
        raise PkiError("%s: got the number %d; %s (an unquoted YAML number is ambiguous: 0600 and 600 are "
                       "different modes)" % (option, value, MODE_FIX))
    try:
        octal = int(value, 8)
    except ValueError:
        try:
            module._symbolic_mode_to_octal(_stat_with_mode(OWNER_ONLY), value)
        except Exception:  # ansible's parser raises ValueError, and others on odd input
            raise PkiError("%s: %r is neither an octal nor a symbolic mode; %s" % (option, value, MODE_FIX))
        return value
    if octal != stat.S_IMODE(octal):
        raise PkiError("%s: %r holds more than permission bits (at most 07777); %s" % (option, value, MODE_FIX))
    return value


def resulting_mode(module, mode, current_mode):
    """The permission bits a file with `current_mode` has after `mode` (checked_file_mode's value) is applied."""
    try:
        return int(mode, 8)
    except ValueError:
        return module._symbolic_mode_to_octal(_stat_with_mode(current_mode), mode)


class FileAttributes(object):
    """The modes, owner and group a PKI module gives its files, checked when the module starts.

    Built before any directory or file is made, so a mode, owner or group that ansible would refuse
    only while applying it (after the write) fails the module with nothing written. Also says, for the
    diff, what each file has now and what it will have.
    """

    def __init__(self, module):
        self.module = module
        params = module.params
        self.key_mode = checked_file_mode(module, "mode", params.get("mode") or KEY_MODE_DEFAULT)
        self.certificate_mode = checked_file_mode(module, "certificate_mode",
                                                  params.get("certificate_mode") or CERTIFICATE_MODE_DEFAULT)
        try:
            self.uid = resolve_user_id("owner", params.get("owner"))
            self.gid = resolve_group_id("group", params.get("group"))
        except ValueError as exc:
            raise PkiError(str(exc))
        # An owner or group this user may not give would fail at the chown, after the key was written.
        problem = ownership_problem(self.uid, self.gid)
        if problem:
            raise PkiError(problem)

    def current_state(self, path):
        """What a diff shows of `path` now: state, mode, and owner and group when the module manages them."""
        try:
            path_stat = os.stat(path)
        except OSError:
            return {"state": "absent"}
        state = {"state": "directory" if stat.S_ISDIR(path_stat.st_mode) else "file",
                 "mode": "%04o" % stat.S_IMODE(path_stat.st_mode)}
        if self.uid is not None:
            state["owner"] = user_name(path_stat.st_uid)
        if self.gid is not None:
            state["group"] = group_name(path_stat.st_gid)
        return state

    def planned_state(self, path, mode, rewritten):
        """What a diff shows of `path` after the run; `rewritten` when new bytes replace (or create) it."""
        try:
            current = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            if not rewritten:
                return {"state": "absent"}
            current = None
        # New bytes start owner-only (atomic_file) and then get the mode, so a symbolic mode works on 0600.
        state = {"state": "file", "mode": "%04o" % resulting_mode(self.module, mode,
                                                                  OWNER_ONLY if rewritten else current)}
        if self.uid is not None:
            state["owner"] = user_name(self.uid)
        if self.gid is not None:
            state["group"] = group_name(self.gid)
        return state

    def diff(self, files, directories=None):
        """(before, after): path -> state, for each (path, mode, rewritten) in `files`, after the directories
        TargetDirectories `directories` creates or changes. Call it before anything is written."""
        before, after = directories.diff() if directories is not None else ({}, {})
        before.update((path, self.current_state(path)) for path, _mode, _rewritten in files)
        after.update((path, self.planned_state(path, mode, rewritten)) for path, mode, rewritten in files)
        return before, after


def file_arguments(module, path, mode):
    """owner/group/SELinux arguments from the module, with the mode of this kind of file."""
    args = module.load_file_common_arguments(module.params, path=path)
    args["mode"] = mode
    return args


def write_file(module, path, content, mode, backup=False):
    """Atomically replace `path` with `content` and give it `mode`; returns the backup file name or None.

    atomic_file.replace_file keeps the bytes owner-only (0600) until the mode is set here, so a secret
    is never readable by others, not even for a moment.
    """
    backup_file = None
    if backup and os.path.exists(path):
        backup_file = module.backup_local(path)
    replace_file(module, path, content)
    module.set_fs_attributes_if_different(file_arguments(module, path, mode), False)
    return backup_file


def file_attributes_changed(module, path, mode):
    """Apply owner/group/mode to an existing file; True when something changed.

    In check mode ansible's helper reports the change without making it. A symbolic link is followed, as
    ansible.builtin.file follows it by default: the file it points at is the key and gets the mode (ansible's
    helper would look at the link itself, whose mode is always 0777, and leave a 0644 key behind it as it is).
    """
    if not os.path.exists(path):
        return False
    path = os.path.realpath(path)
    return module.set_fs_attributes_if_different(file_arguments(module, path, mode), False)
