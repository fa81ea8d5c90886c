# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the cloud modules import from the Alibaba Cloud SDK, and the message when it is missing.

Pure Python (no SDK import), so that the controller can ask before step 1 whether the Python the cloud
modules will run with can import them (filter mtls.clb.sdk_problems, used by site.yml), with the same
list and the same advice the modules give at step 5 (module_utils/alicloud/client.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import missing_required_lib

# The SDK generation this code is written for: slb20140515 >= 3.3.30 is the first built on
# darabonba (tea-openapi >= 0.4.1, darabonba-core >= 1.0.3). An older slb20140515 installs
# tea-openapi 0.3 without darabonba, so the failing import is named, not only the SLB package.
SDK_REQUIREMENTS = ("alibabacloud-slb20140515 >= 3.3.30, alibabacloud-tea-openapi >= 0.4.1, "
                    "darabonba-core >= 1.0.3, alibabacloud-credentials >= 1.0.2")
SDK_PACKAGES = {
    "alibabacloud_slb20140515": "alibabacloud-slb20140515",
    "alibabacloud_tea_openapi": "alibabacloud-tea-openapi",
    "darabonba": "darabonba-core",
    "alibabacloud_credentials": "alibabacloud-credentials",
}
# The modules client.py imports, in its order (a unit test keeps the two equal).
SDK_IMPORTS = (
    "alibabacloud_slb20140515.models",
    "alibabacloud_slb20140515.client",
    "darabonba.runtime",
    "alibabacloud_tea_openapi.utils_models",
    "alibabacloud_credentials.client",
)
OLD_SDK_NOTE = ("an older alibabacloud-slb20140515 (< 3.3.30) comes with alibabacloud-tea-openapi 0.3, "
                "which lacks darabonba.")


def package_of(module_name):
    """The PyPI package that provides `module_name` (a dotted name), the SLB SDK if unknown."""
    return SDK_PACKAGES.get((module_name or "").split(".")[0], "alibabacloud-slb20140515")


def missing_sdk_message(missing):
    """missing_required_lib's text for the package whose import failed, with the import error."""
    module_name, error_text = missing or ("", "")
    return "{0} The import failed with: {1}. The cloud modules need {2}; {3}".format(
        missing_required_lib(package_of(module_name)), error_text or "ImportError", SDK_REQUIREMENTS,
        OLD_SDK_NOTE)
