"""The modules' documentation as ansible-doc renders it (doc fragments merged in).

Shared text lives in doc fragments (ansible.builtin.action_common_attributes, mtls.clb.alicloud,
mtls.clb.pki). These tests check that every module still states what the fragments cannot know for it,
and that the merge order does not let ansible.builtin.files replace what mtls.clb.pki says.
validate-modules (scripts/sanity.sh) already compares every option with the argument_spec.
"""
from __future__ import annotations

import ast
import json
import subprocess

import pytest
import yaml

from tests.support.ansible_run import BIN, REPO_ROOT, ansible_env

MODULE_DIR = REPO_ROOT / "plugins" / "modules"
MODULES = sorted(path.stem for path in MODULE_DIR.glob("*.py"))
PKI_MODULES = ("pki_root_ca", "pki_server_certificate", "pki_client_certificates")
SUPPORT_LEVELS = {"full", "partial", "none"}


def module_source_documentation(name: str) -> dict:
    """The module's own DOCUMENTATION, before any fragment is merged."""
    tree = ast.parse((MODULE_DIR / (name + ".py")).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no DOCUMENTATION" % name)


@pytest.fixture(scope="module")
def rendered() -> dict:
    """ansible-doc --json for every module, one run for all of them."""
    names = ["mtls.clb." + name for name in MODULES]
    completed = subprocess.run([str(BIN / "ansible-doc"), "--json", "-t", "module"] + names, cwd=REPO_ROOT,
                               env=ansible_env(), check=True, capture_output=True, text=True)
    docs = json.loads(completed.stdout)
    assert sorted(docs) == names
    return {name[len("mtls.clb."):]: docs[name]["doc"] for name in names}


@pytest.fixture(scope="module")
def builtin_attribute_descriptions() -> dict:
    from ansible.plugins.doc_fragments.action_common_attributes import ModuleDocFragment

    attributes = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["attributes"]
    return {name: entry["description"] for name, entry in attributes.items()}


@pytest.mark.parametrize("name", MODULES)
def test_module_states_check_diff_and_platform_support(rendered, builtin_attribute_descriptions, name):
    attributes = rendered[name].get("attributes") or {}
    for attribute in ("check_mode", "diff_mode"):
        assert attribute in attributes, "%s does not document %s" % (name, attribute)
        assert attributes[attribute]["support"] in SUPPORT_LEVELS, (name, attribute)
        assert attributes[attribute]["description"] == builtin_attribute_descriptions[attribute], (name, attribute)
    assert attributes["platform"].get("platforms") == "posix", name


@pytest.mark.parametrize("name", MODULES)
def test_module_source_does_not_repeat_attribute_descriptions(name):
    own = module_source_documentation(name)
    assert "ansible.builtin.action_common_attributes" in own.get("extends_documentation_fragment", []), name
    repeated = sorted(attr for attr, entry in (own.get("attributes") or {}).items() if "description" in entry)
    assert repeated == [], "%s describes %s itself; the fragment already does" % (name, ", ".join(repeated))


def test_action_group_attribute_names_exactly_the_runtime_group(rendered):
    runtime = yaml.safe_load((REPO_ROOT / "meta" / "runtime.yml").read_text())
    in_runtime_group = set(runtime["action_groups"]["alicloud"])
    documented = {name for name, doc in rendered.items()
                  if "mtls.clb.alicloud" in ((doc.get("attributes") or {}).get("action_group") or {}).get("membership", [])}
    assert documented == in_runtime_group


@pytest.mark.parametrize("name", PKI_MODULES)
def test_pki_file_mode_docs_are_the_collections_not_ansible_files(rendered, name):
    options = rendered[name]["options"]

    def text(option):
        description = options[option]["description"]
        return " ".join(description) if isinstance(description, list) else description

    # mtls.clb.pki must be merged before ansible.builtin.files, or its generic mode text wins.
    assert "C(0600)" in text("mode"), text("mode")
    assert options["mode"]["type"] == "raw"
    assert "C(0644)" in text("certificate_mode")
    assert any(req.startswith("cryptography") for req in rendered[name]["requirements"])
