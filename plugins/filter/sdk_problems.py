# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: sdk_problems
short_description: Whether the cloud modules will find the Alibaba Cloud SDK, asked before any step
version_added: 0.1.0
description:
  - Asks a Python interpreter of the controller whether it can find the modules of the Alibaba Cloud SDK that
    every cloud module of this collection imports (C(alibabacloud_slb20140515), C(alibabacloud_tea_openapi),
    C(darabonba), C(alibabacloud_credentials)), without importing them. A missing SDK is thus found before
    step 1 rather than at step 5, after keys were made and installed.
  - Give it the interpreter the cloud modules will run with, that is C(ansible_python_interpreter) of the host
    they run on with the C(local) connection, as C(mtls.clb.site) does for C(localhost). The implicit
    C(localhost) has the Python that runs C(ansible-playbook).
  - The value is split as a shell would (V(/usr/bin/env python3) works, as in Ansible).
  - Returns no problem when it cannot tell - no interpreter given, an C(auto) value that Ansible resolves only at
    the first module run, or an interpreter that does not start (the first module run reports that).
  - Finding the modules is what this asks; whether their versions meet the floors of the collection's
    C(requirements.txt) it does not ask, nor do the modules.
author:
  - mtls.clb contributors (!UNKNOWN)
options:
  _input:
    description:
      - The Python interpreter the cloud modules will run with, a path or a command name found on E(PATH).
    type: str
    required: true
  setting:
    description:
      - How the user sets the interpreter, named in the problem.
    type: str
    default: ansible_python_interpreter
"""

EXAMPLES = r"""
- name: Check before step 1 that the cloud modules will find the SDK
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
    quiet: true
  vars:
    __problems: "{{ ansible_python_interpreter | default(none) | mtls.clb.sdk_problems }}"
"""

RETURN = r"""
_value:
  description:
    - The first SDK module the interpreter cannot find, as a one-element list naming the package, the interpreter
      and the fix; empty when it finds them all or cannot tell.
  type: list
  elements: str
"""

import shlex
import subprocess

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.sdk_requirements import (
    OLD_SDK_NOTE,
    SDK_IMPORTS,
    SDK_REQUIREMENTS,
    package_of,
)

# Marks the answer among whatever else the interpreter prints (a sitecustomize that prints, say).
MARKER = "mtls.clb.sdk_problems:missing:"
# Runs in the interpreter asked: prints the first module it cannot find. find_spec of a dotted name imports the
# packages above it (their __init__, small in this SDK), never the module itself.
FIND_FIRST_MISSING = """
import importlib.util, sys
for name in sys.argv[1:]:
    try:
        found = importlib.util.find_spec(name) is not None
    except Exception:
        found = False
    if not found:
        print(%r + name)
        break
""" % MARKER


def sdk_problems(python, setting="ansible_python_interpreter"):
    python = to_text(python).strip() if python is not None else ""
    if not python or python.startswith("auto"):
        return []
    try:
        # Ansible runs the interpreter through the shell, so "/usr/bin/env python3" works there: split it likewise.
        command = shlex.split(python)
        run = subprocess.run(command + ["-c", FIND_FIRST_MISSING] + list(SDK_IMPORTS), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=False)
    except (OSError, ValueError, subprocess.SubprocessError):
        return []
    answers = [line[len(MARKER):] for line in to_text(run.stdout).splitlines() if line.startswith(MARKER)]
    missing = answers[-1].strip() if answers else ""
    if run.returncode != 0 or missing not in SDK_IMPORTS:
        return []
    package = package_of(missing)
    return ["The cloud modules of steps 5 and 6 run with {python} ({setting}), which cannot find {missing} "
            "({package}). Install the SDK for it: {python} -m pip install -r requirements.txt (the collection's; it "
            "lists {requirements}), or set {setting} to a Python that has it.{note}".format(
                python=python, setting=setting, missing=missing, package=package, requirements=SDK_REQUIREMENTS,
                note=(" Note: " + OLD_SDK_NOTE) if package == "darabonba-core" else "")]


class FilterModule(object):
    """mtls.clb filters."""

    def filters(self):
        return {"sdk_problems": sdk_problems}
