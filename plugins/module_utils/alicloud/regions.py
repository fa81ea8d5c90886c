# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Region IDs: the form every region ID has, and the public regions where CLB is sold.

The form (is_region_id) is the one rule the cloud modules, the mtls.clb.region_id test and the
roles' input checks refuse a region by: the roles ask before step 1, the modules before any API
call, so both must agree.

The list of regions is used only to word hints (never to refuse a region): Alibaba Cloud opens
regions faster than this list is updated, so an unknown region is still sent to the service; the
list only lets an error say "did you mean cn-hangzhou?" when the endpoint of a mistyped region
does not resolve. Sources: the SLB SDK's endpoint map (alibabacloud_slb20140515 client.py), the
SLB API notes (endpoints section) and the local emulator's region list.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

# Lower-case words joined by '-': cn-hangzhou, eu-central-1, cn-shanghai-finance-1. A console name
# ("China (Hangzhou)"), an endpoint host or an upper-case ID is not one.
REGION_ID_PATTERN = re.compile(r"[a-z]{2,}(?:-[a-z0-9]+)+")

KNOWN_REGIONS = (
    "cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu",
    "cn-hangzhou", "cn-shanghai", "cn-nanjing", "cn-fuzhou", "cn-shenzhen", "cn-heyuan",
    "cn-guangzhou", "cn-chengdu", "cn-hongkong",
    "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-3", "ap-southeast-5",
    "ap-southeast-6", "ap-southeast-7", "ap-south-1",
    "us-east-1", "us-west-1", "eu-west-1", "eu-central-1", "me-east-1", "me-central-1",
    "cn-shanghai-finance-1", "cn-shenzhen-finance-1", "cn-north-2-gov-1",
)


def is_region_id(value):
    """Whether `value` is a string in the form of a region ID; whether the region exists is the service's to say."""
    # fullmatch: re.match with '$' would let a trailing newline through to the endpoint host name.
    return isinstance(value, str) and REGION_ID_PATTERN.fullmatch(value) is not None


def is_known_region(region):
    return region in KNOWN_REGIONS


def closest_regions(region, count=2):
    """The known region IDs that look most like `region` (a typo's likely intent), best first."""
    if not region:
        return []
    return difflib.get_close_matches(region, KNOWN_REGIONS, n=count, cutoff=0.75)
