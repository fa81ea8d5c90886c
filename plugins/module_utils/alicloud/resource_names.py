# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The names SLB accepts for certificates and load balancers.

One definition for the modules (which refuse a bad name before any API call), the
mtls.clb.certificate_name and mtls.clb.load_balancer_name tests and, through those tests, the
roles' input checks (which refuse it before step 1): a rule changed here changes all of them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# UploadServerCertificate / UploadCACertificate: 1-80 characters, a letter first, then letters, digits,
# '.', '_', '-'. ASCII only, which is stricter than the service (it also takes Chinese characters): a
# name a user cannot type on every keyboard is a poor handle for a certificate.
CERTIFICATE_NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,79}")
CERTIFICATE_NAME_RULE = "1-80 characters: letters, digits, '.', '_' and '-', starting with a letter"

# CreateLoadBalancer / SetLoadBalancerName: 1-80 characters, a letter first, then letters, digits, '.',
# '_', '-'. [^\W\d_] is "a letter" in Python's Unicode-aware re (the API also takes Chinese characters).
LOAD_BALANCER_NAME_PATTERN = re.compile(r"[^\W\d_][\w.-]{0,79}")


def _is_full_match(pattern, value):
    # fullmatch: re.match with '$' would accept a trailing newline, which the service refuses.
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def is_certificate_name(value):
    """Whether `value` is a string the certificate modules accept as a server or CA certificate name."""
    return _is_full_match(CERTIFICATE_NAME_PATTERN, value)


def is_load_balancer_name(value):
    """Whether `value` is a string CreateLoadBalancer accepts as a load balancer name."""
    return _is_full_match(LOAD_BALANCER_NAME_PATTERN, value)
