# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one way PKI files reach the disk.

Touches these parts of `module`: params (file common arguments), check_mode, atomic_move,
set_fs_attributes_if_different, load_file_common_arguments, backup_local.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.mtls.clb.plugins.module_utils.atomic_file import make_directory, parse_octal_mode, replace_file
from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError

PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644


def read_file_or_none(path):
    """The file's bytes, or None when it does not exist; unreadable files raise PkiError."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except (IOError, OSError) as exc:
        raise PkiError("cannot read %s: %s" % (path, exc.strerror or exc))


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

    In check mode ansible's helper reports the change without making it.
    """
    if not os.path.exists(path):
        return False
    return module.set_fs_attributes_if_different(file_arguments(module, path, mode), False)
