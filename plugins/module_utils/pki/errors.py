# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one exception the PKI backends raise; modules turn it into fail_json."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import traceback

try:
    import cryptography  # noqa: F401, pylint: disable=unused-import
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()


class PkiError(Exception):
    """Bad input or an unusable file. The message names the option and says how to fix it.

    Messages never contain key material, passphrases or passwords. `directory` is set when the problem is
    the directory a file goes into, so a role can say which of its variables holds that path.
    """

    def __init__(self, message, directory=None):
        super(PkiError, self).__init__(message)
        self.directory = directory
