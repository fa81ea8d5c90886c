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

from ansible_collections.mtls.clb.plugins.module_utils.atomic_file import replace_file
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


def check_directory_writable(path, option):
    """Fail before any work when files could not be written next to `path`."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(directory):
        raise PkiError("%s: directory %s does not exist; create it first (for example with "
                       "ansible.builtin.file state=directory)" % (option, directory))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PkiError("%s: directory %s is not writable by this user; fix its permissions or "
                       "use become" % (option, directory))


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
