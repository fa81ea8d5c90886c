# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one way the collection's modules put a file or a directory on disk.

Standard library only: the PKI modules use it on the controller and client_bundle on Linux clients, which
need not have cryptography.

The rule it keeps: new bytes are never readable by anyone but their owner until the caller has set the
file's final mode. The temporary file is created 0600 (exclusively, in the target's directory, so the
rename stays on one filesystem) and keeps 0600 through the rename; the caller then applies the mode,
owner and group it was asked for (AnsibleModule.set_fs_attributes_if_different). A replaced file's owner
and group carry over to the new bytes; its mode does not, since a key someone loosened to 0644 must not
pass that on to a new key.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import errno
import grp
import os
import pwd
import re

OWNER_ONLY = 0o600
_OCTAL_MODE = re.compile(r"^0?[0-7]{3}$")


def parse_octal_mode(option, value):
    """`value` (a quoted octal string such as "0700") as an int; ValueError naming `option` otherwise.

    A YAML number is refused: unquoted, 0700 and 700 are different numbers, so the mode meant is unclear.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("%s: %r is not a mode; give a quoted octal string such as \"0600\"" % (option, value))
    if isinstance(value, int):
        raise ValueError("%s: got the number %d; quote the mode as an octal string such as \"0600\" (an "
                         "unquoted YAML number is ambiguous: 0600 and 600 are different modes)" % (option, value))
    if not _OCTAL_MODE.match(value):
        raise ValueError("%s: %r is not an octal mode; give a quoted octal string such as \"0600\"" % (option, value))
    return int(value, 8)


def _resolve_id(option, value, lookup, kind, number):
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    try:
        return lookup(value)
    except KeyError:
        raise ValueError("%s: there is no %s %r on this host; create the %s first or set %s to an existing %s name "
                         "or a numeric %s" % (option, kind, value, kind, option, kind, number))


def resolve_user_id(option, value):
    """The uid for `value` (a user name or a numeric uid), None when not set; ValueError naming `option`.

    Resolved before anything is written: ansible's own lookup happens only when the attributes are set,
    which is after the new bytes are on disk.
    """
    return _resolve_id(option, value, lambda name: pwd.getpwnam(name).pw_uid, "user", "uid")


def resolve_group_id(option, value):
    """The gid for `value` (a group name or a numeric gid), None when not set; ValueError naming `option`."""
    return _resolve_id(option, value, lambda name: grp.getgrnam(name).gr_gid, "group", "gid")


# CAP_CHOWN's bit in the effective capability set (linux/capability.h): a process holding it may give a file to
# any user and group, as root may.
_CAP_CHOWN = 0


def may_give_files_away():
    """Whether this process may give a file to another user, or to a group it is not in: root, or (Linux) a
    process whose effective capabilities hold CAP_CHOWN. Anywhere the capabilities cannot be read, only root."""
    if os.geteuid() == 0:
        return True
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) & (1 << _CAP_CHOWN))
    except (IOError, OSError, ValueError, IndexError):
        pass
    return False


def user_name(uid):
    """The name of user `uid`, or the number when it has none."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid):
    """The name of group `gid`, or the number when it has none."""
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def ownership_problem(uid, gid):
    """Why this process cannot give its new files the owner `uid` and the group `gid` (None: not asked for), as
    a message naming the option (owner, group) and the fix; None when it can.

    Without root (or CAP_CHOWN) the kernel lets a process keep a file's owner and move it only to a group the
    process is in; anything else fails at the chown, which comes after the bytes are written (AnsibleModule
    sets owner and group last). Asked first, the module refuses with nothing written.
    """
    if (uid is None or uid == os.geteuid()) and (gid is None or gid == os.getegid() or gid in os.getgroups()):
        return None
    if may_give_files_away():
        return None
    user = user_name(os.geteuid())
    if uid is not None and uid != os.geteuid():
        return ("owner: %s, the user this task runs as, may not give the files to %s: only root may give a file to "
                "another user; run the task as root (become: true) or set owner to %s" % (user, user_name(uid), user))
    groups = sorted(set(group_name(number) for number in [os.getegid()] + list(os.getgroups())))
    return ("group: %s, the user this task runs as, may not give the files to the group %s, which it is not in; "
            "run the task as root (become: true) or set group to one of its groups (%s)"
            % (user, group_name(gid), ", ".join(groups)))


class _Umask(object):
    """While atomic_move runs: for a new file it chmods to 0666 & ~umask, which must stay owner-only."""

    def __init__(self, umask):
        self.umask = umask
        self.previous = None

    def __enter__(self):
        self.previous = os.umask(self.umask)

    def __exit__(self, *exc_info):
        os.umask(self.previous)


def create_temporary_file(directory, name, content):
    """A new 0600 file in `directory` holding `content`; returns its path."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _attempt in range(100):
        suffix = binascii.hexlify(os.urandom(6)).decode("ascii")
        path = os.path.join(directory, ".%s.%s.tmp" % (name, suffix))
        try:
            descriptor = os.open(path, flags, OWNER_ONLY)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                continue
            raise
        try:
            # os.open applied the umask, which can only have narrowed 0600; set it exactly.
            os.fchmod(descriptor, OWNER_ONLY)
            view = memoryview(content)
            while view:
                view = view[os.write(descriptor, view):]
            os.fsync(descriptor)
        except BaseException:
            os.close(descriptor)
            os.unlink(path)
            raise
        os.close(descriptor)
        return path
    raise OSError(errno.EEXIST, "no free temporary file name in %s" % directory)


def _take_owner(temporary, replaced):
    try:
        os.chown(temporary, replaced.st_uid, replaced.st_gid)
    except OSError as exc:
        # Only root may give a file away; as another user the new file is simply ours.
        if exc.errno != errno.EPERM:
            raise


def replace_file(module, path, content):
    """Atomically make `path` hold `content` (bytes), owner-only (0600) until the caller sets its mode.

    A symbolic link at `path` is replaced by the file, not followed. Raises OSError (or the Exception
    atomic_move raises) with nothing left behind.
    """
    path = os.path.abspath(path)
    temporary = create_temporary_file(os.path.dirname(path), os.path.basename(path), content)
    try:
        try:
            _take_owner(temporary, os.lstat(path))
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
        with _Umask(0o777 & ~OWNER_ONLY):
            module.atomic_move(temporary, path, keep_dest_attrs=False)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def make_directory(path):
    """Create `path` owner-only (0700), and its missing parents like `mkdir -p` with the default mode.

    The caller then sets the directory's final mode, owner and group; until then nobody else can enter it.
    """
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        os.makedirs(parent)
    os.mkdir(path, 0o700)
