"""The tests mtls.clb.region_id, mtls.clb.certificate_name and mtls.clb.load_balancer_name give the answer
the modules give for the same value - one table per rule, asked of both sides - and the roles, which ask
the tests, hold no copy of a rule that could drift from it.
"""
from __future__ import annotations

import json
import re
import subprocess
from types import ModuleType
from typing import Callable, NamedTuple

import pytest
import yaml

from ansible_collections.mtls.clb.plugins.module_utils.alicloud import certificate_module
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import AlicloudModule, alicloud_argument_spec
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.regions import is_region_id
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.resource_names import (
    is_certificate_name, is_load_balancer_name)
from ansible_collections.mtls.clb.plugins.modules.load_balancer import load_balancer_name_problem
from ansible_collections.mtls.clb.plugins.test import certificate_name, load_balancer_name, region_id
from tests.support.ansible_run import BIN, REPO_ROOT, ansible_env, run_module

# (value, accepted): the strings both the test plugin and the module code are asked about.
REGION_CASES = [
    ("cn-hangzhou", True),
    ("eu-central-1", True),
    ("cn-shanghai-finance-1", True),
    ("ap-southeast-1", True),
    ("xx-nowhere-9", True),  # the form only: whether the region exists is the service's to say
    ("", False),
    ("cn", False),  # one word is no region ID
    ("c-hangzhou", False),  # the first word has two letters at least
    ("CN-Hangzhou", False),
    ("cn_hangzhou", False),
    ("cn-hangzhou-", False),
    ("cn--hangzhou", False),
    ("1cn-hangzhou", False),
    (" cn-hangzhou", False),
    ("cn-hangzhou ", False),
    ("cn-hangzhou\n", False),  # re.match with '$' let this through once
    ("China (Hangzhou)", False),
    ("slb.cn-hangzhou.aliyuncs.com", False),
]

CERTIFICATE_NAME_CASES = [
    ("mtls-clb-server-www.example.com", True),
    ("a", True),
    ("A" + "b" * 79, True),  # 80 characters
    ("ca_2026.v1-final", True),
    ("", False),
    ("A" + "b" * 80, False),  # 81 characters
    ("1st-certificate", False),
    ("-server", False),
    ("_server", False),
    (".server", False),
    ("server cert", False),
    ("server/cert", False),
    ("server\n", False),
    ("证书", False),  # the service takes Chinese characters; the modules, by choice, do not
    ("café", False),
]

LOAD_BALANCER_NAME_CASES = [
    ("mtls-clb", True),
    ("a", True),
    ("A" + "b" * 79, True),
    ("lb_1.prod-2", True),
    ("负载均衡-1", True),  # Chinese characters are letters to the API
    ("Écluse", True),
    ("", False),
    ("A" + "b" * 80, False),
    ("1-mtls-clb", False),
    ("-mtls-clb", False),
    ("_mtls", False),
    ("mtls clb", False),
    ("mtls/clb", False),
    ("mtls-clb\n", False),
    ("mtls-clb!", False),
]

# A value that is not a string is not a region ID or a name, whatever its text would be.
NON_STRINGS = [None, 42, 4.2, True, ["cn-hangzhou"], {"name": "mtls-clb"}, b"cn-hangzhou"]
NON_STRING_IDS = ["None", "int", "float", "bool", "list", "dict", "bytes"]


class Refused(Exception):
    pass


class FailingModule:
    """What the module helpers call on bad input: fail_json, which here raises instead of exiting."""

    def fail_json(self, **result):
        raise Refused(result["msg"])


def module_accepts_region(region):
    module = AlicloudModule.__new__(AlicloudModule)
    module.params = dict(dict((name, spec.get("default")) for name, spec in alicloud_argument_spec().items()),
                         region=region)
    module.fail_json = FailingModule().fail_json
    try:
        module.validate_connection_options()
    except Refused as refusal:
        assert region == "" or "is not a region id" in str(refusal), refusal
        return False
    return True


def module_accepts_certificate_name(name):
    try:
        certificate_module._check_name(FailingModule(), name)  # pylint: disable=protected-access
    except Refused as refusal:
        assert "is not allowed by SLB" in str(refusal)
        return False
    return True


def module_accepts_load_balancer_name(name):
    return load_balancer_name_problem(name) is None


def plugin(test_file, name):
    return test_file.TestModule().tests()[name]


class Rule(NamedTuple):
    test_file: ModuleType
    cases: list
    module_accepts: Callable


RULES = {
    "region_id": Rule(region_id, REGION_CASES, module_accepts_region),
    "certificate_name": Rule(certificate_name, CERTIFICATE_NAME_CASES, module_accepts_certificate_name),
    "load_balancer_name": Rule(load_balancer_name, LOAD_BALANCER_NAME_CASES, module_accepts_load_balancer_name),
}

BOTH_SIDES = [pytest.param(name, value, accepted, id=f"{name}-{value!r}")
              for name, rule in RULES.items() for value, accepted in rule.cases]


@pytest.mark.parametrize("name, value, accepted", BOTH_SIDES)
def test_the_test_plugin_and_the_module_give_the_same_answer(name, value, accepted):
    rule = RULES[name]

    assert plugin(rule.test_file, name)(value) is accepted
    assert rule.module_accepts(value) is accepted


@pytest.mark.parametrize("name", sorted(RULES))
@pytest.mark.parametrize("value", NON_STRINGS, ids=NON_STRING_IDS)
def test_a_value_that_is_not_a_string_is_refused(name, value):
    assert plugin(RULES[name].test_file, name)(value) is False


@pytest.mark.parametrize("test_file, name, shared_rule", [
    (region_id, "region_id", is_region_id),
    (certificate_name, "certificate_name", is_certificate_name),
    (load_balancer_name, "load_balancer_name", is_load_balancer_name),
])
def test_each_plugin_file_offers_one_test_named_as_the_file_and_it_is_the_modules_rule(test_file, name, shared_rule):
    tests = test_file.TestModule().tests()

    assert list(tests) == [name]
    assert tests[name] is shared_rule


def test_ansible_finds_the_tests_by_name_and_they_answer_as_in_python():
    """Through a real template, where values are Ansible's own string types, not plain str."""
    cases = dict((name, [case[0] for case in rule.cases]) for name, rule in RULES.items())
    template = "{{ dict(%s) }}" % ", ".join(
        "{0}=(cases.{0} | select('mtls.clb.{0}') | list)".format(name) for name in RULES)
    result = run_module("ansible.builtin.debug", {"msg": template.replace(
        "cases.", "(lookup('ansible.builtin.env', 'RULE_CASES') | from_json).")},
        env={"RULE_CASES": json.dumps(cases)})

    assert not result["failed"], result.get("msg")
    assert result["msg"] == dict((name, [value for value, accepted in rule.cases if accepted])
                                 for name, rule in RULES.items())


# The regular expressions the roles once held; a copy of any of them means a rule that can drift.
OLD_PATTERN_FRAGMENTS = ("{0,79}", "[a-z]{2,}", "[^\\W\\d_]")


@pytest.mark.parametrize("tree", ["roles", "playbooks"])
def test_no_role_or_playbook_keeps_its_own_copy_of_a_rule(tree):
    copies = [f"{path.relative_to(REPO_ROOT)}: {line.strip()}"
              for path in sorted((REPO_ROOT / tree).rglob("*.yml"))
              for line in path.read_text(encoding="utf-8").splitlines()
              if any(fragment in line for fragment in OLD_PATTERN_FRAGMENTS)]

    assert copies == []


@pytest.mark.parametrize("role, tests", [
    ("certificate_upload", ["certificate_name", "certificate_name", "region_id"]),
    ("mtls_listener", ["load_balancer_name", "region_id"]),
])
def test_the_roles_check_names_and_regions_with_the_tests(role, tests):
    validate = (REPO_ROOT / "roles" / role / "tasks" / "validate.yml").read_text(encoding="utf-8")

    assert re.findall(r"is mtls\.clb\.(\w+)", validate) == tests


def test_ansible_doc_renders_every_test_with_its_examples():
    names = ["mtls.clb." + name for name in RULES]
    completed = subprocess.run([str(BIN / "ansible-doc"), "--json", "-t", "test"] + names, cwd=REPO_ROOT,
                               env=ansible_env(), check=False, capture_output=True, text=True)
    rendered = json.loads(completed.stdout or "{}")

    assert sorted(rendered) == sorted(names), completed.stderr
    for name in RULES:
        entry = rendered["mtls.clb." + name]
        # validate-modules skips test and filter plugins, so the schema's musts are checked here.
        assert entry["doc"]["name"] == name
        assert entry["doc"]["short_description"] and entry["doc"]["description"] and entry["doc"]["author"]
        assert entry["doc"]["version_added"] == "0.1.0"
        assert entry["doc"]["options"]["_input"]["required"] is True
        assert entry["return"]["_value"]["type"] == "bool"
        examples = yaml.safe_load(entry["examples"])
        assert "is mtls.clb." + name in examples[0]["ansible.builtin.assert"]["that"]


def plugin_examples(name):
    completed = subprocess.run([str(BIN / "ansible-doc"), "--json", "-t", "test", "mtls.clb." + name], cwd=REPO_ROOT,
                               env=ansible_env(), check=True, capture_output=True, text=True)
    return json.loads(completed.stdout)["mtls.clb." + name]["examples"]


def test_the_answers_the_examples_promise_are_the_answers_ansible_gives():
    """Each `# "{{ ... }}"  -> true|false` line of a test's EXAMPLES, rendered by Ansible as written."""
    promised = []
    for name in RULES:
        examples = plugin_examples(name)
        promised += [(expression, answer == "true") for expression, answer in
                     re.findall(r'^# "\{\{ (.+?) \}\}"\s+-> (true|false)\b', examples, re.MULTILINE)]
    assert len(promised) >= 3 * len(RULES), promised
    expressions = [expression for expression, _answer in promised]
    result = run_module("ansible.builtin.debug", {"msg": "{{ [%s] }}" % ", ".join(expressions)})

    assert not result["failed"], result.get("msg")
    assert dict(zip(expressions, result["msg"])) == dict(promised)
