# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Wire-name (CamelCase) API responses to the snake_case keys modules return."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.dict_transformations import _camel_to_snake


def snake_name(wire_name):
    # "XForwardedFor_ClientSrcPort" would otherwise become "x_forwarded_for__client_src_port".
    return _camel_to_snake(wire_name).replace("__", "_")


def snake_dict(value):
    if isinstance(value, dict):
        return dict((snake_name(k), snake_dict(v)) for k, v in value.items())
    if isinstance(value, list):
        return [snake_dict(item) for item in value]
    return value
