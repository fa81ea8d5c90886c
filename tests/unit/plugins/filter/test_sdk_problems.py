# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mtls.clb.sdk_problems: whether the Python the cloud modules run with finds the SDK, asked before step 1."""
from __future__ import annotations

import stat
import sys

from ansible_collections.mtls.clb.plugins.filter.sdk_problems import sdk_problems


def wrapper(tmp_path, name, line):
    """An interpreter as Ansible would be given it: a script that starts this Python in another way."""
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + line + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_the_python_running_the_tests_finds_the_sdk():
    assert sdk_problems(sys.executable) == []


def test_a_python_without_site_packages_is_named_with_the_package_and_the_fix(tmp_path):
    python = wrapper(tmp_path, "python-no-site", f'exec {sys.executable} -S "$@"')

    problems = sdk_problems(python, setting="ansible_python_interpreter of localhost")

    assert len(problems) == 1
    problem = problems[0]
    assert problem.startswith(f"The cloud modules of steps 5 and 6 run with {python} "
                              "(ansible_python_interpreter of localhost), which cannot find "
                              "alibabacloud_slb20140515.models (alibabacloud-slb20140515).")
    assert f"{python} -m pip install -r requirements.txt" in problem
    assert "alibabacloud-slb20140515 >= 3.3.30" in problem and "darabonba-core >= 1.0.3" in problem
    assert "set ansible_python_interpreter of localhost to a Python that has it" in problem
    assert "lacks darabonba" not in problem


def test_an_older_sdk_without_darabonba_is_named_as_such(tmp_path):
    # A plain module `darabonba` (not a package) hides the real one: darabonba.runtime cannot be found, as with
    # alibabacloud-slb20140515 < 3.3.30, whose tea-openapi 0.3 has no darabonba.
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "darabonba.py").write_text("")
    python = wrapper(tmp_path, "python-old-sdk", f'PYTHONPATH={shadow} exec {sys.executable} "$@"')

    (problem,) = sdk_problems(python)

    assert "cannot find darabonba.runtime (darabonba-core)" in problem
    assert "(ansible_python_interpreter)" in problem
    assert "comes with alibabacloud-tea-openapi 0.3, which lacks darabonba" in problem


def test_no_problem_when_it_cannot_tell(tmp_path):
    # Not given, resolved by Ansible only at the first module run, not startable (the module run reports it),
    # or an interpreter that fails for another reason.
    assert sdk_problems(None) == []
    assert sdk_problems("") == []
    assert sdk_problems("auto_silent") == []
    assert sdk_problems(str(tmp_path / "no-such-python")) == []
    assert sdk_problems(wrapper(tmp_path, "python-broken", "exit 3")) == []


def test_an_interpreter_given_with_arguments_is_split_as_ansible_runs_it(tmp_path):
    """ansible_python_interpreter: "/usr/bin/env python3" works in Ansible (run through the shell)."""
    assert sdk_problems(f"/usr/bin/env {sys.executable}") == []
    (problem,) = sdk_problems(f"/usr/bin/env {sys.executable} -S")
    assert "cannot find alibabacloud_slb20140515.models" in problem


def test_what_the_interpreter_prints_besides_the_answer_is_not_taken_for_it(tmp_path):
    # A sitecustomize that prints: the Python has the SDK, and only the marked answer counts.
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("print('hello from sitecustomize')\n")
    python = wrapper(tmp_path, "python-chatty", f'PYTHONPATH={site} exec {sys.executable} "$@"')
    assert sdk_problems(python) == []
    chatty_without_sdk = wrapper(tmp_path, "python-chatty-no-site", f'PYTHONPATH={site} exec {sys.executable} -S "$@"')
    (problem,) = sdk_problems(chatty_without_sdk)
    assert "cannot find alibabacloud_slb20140515.models (alibabacloud-slb20140515)" in problem
