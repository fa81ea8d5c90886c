"""mtls.clb.name_role_variables: a module's failure message stays whole and first, followed by the role
variables behind the options it names; and the two cloud roles' tables cover every option their rescued
blocks pass from a variable, with variables the roles really have and options the modules really have.
"""
from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.mtls.clb.plugins.filter.name_role_variables import (
    INTRODUCTION, FilterModule, name_role_variables)
from tests.support.ansible_run import BIN, REPO_ROOT, ansible_env

SOURCES = [
    {"options": ["servers", "BackendServers"], "variable": "role_backend_servers",
     "default": "mtls_clb_backend_servers", "modules": ["mtls.clb.backend_servers"]},
    {"options": ["load_balancer_id", "LoadBalancerId"], "variable": "role_load_balancer_id",
     "modules": ["mtls.clb.backend_servers", "mtls.clb.https_listener"]},
    {"options": ["server_certificate_id", "ServerCertificateId"], "variable": "role_server_certificate_id",
     "modules": ["mtls.clb.https_listener"]},
    {"options": ["name"], "variable": "role_server_certificate_name", "modules": ["mtls.clb.server_certificate"]},
    {"options": ["name"], "variable": "role_ca_certificate_name", "modules": ["mtls.clb.ca_certificate"]},
    {"options": ["region", "RegionId"], "variable": "role_region", "default": "mtls_clb_region"},
]

REFUSED_SERVER = ("AddBackendServers failed: ObtainIpFail: some of the specified backend servers do not exist: "
                  "i-bp1nope. (request id 6B2C-1). Check servers[].server_id: each must be a running ECS instance")


def test_the_message_stays_first_and_whole_and_the_variable_follows():
    result = name_role_variables(REFUSED_SERVER, SOURCES, "mtls.clb.backend_servers")

    assert result.startswith(REFUSED_SERVER + ". " + INTRODUCTION)
    assert result.endswith("servers = role_backend_servers (by default from mtls_clb_backend_servers).")


def test_a_message_that_ends_a_sentence_gets_no_second_full_stop():
    message = "load balancer lb-1 does not exist; check load_balancer_id."

    assert name_role_variables(message, SOURCES, "mtls.clb.backend_servers") == (
        message + " " + INTRODUCTION + "load_balancer_id = role_load_balancer_id.")


def test_a_message_that_names_no_option_comes_back_unchanged():
    message = "ServiceIsStopping: the service stayed busy after every retry"

    assert name_role_variables(message, SOURCES, "mtls.clb.backend_servers") == message


@pytest.mark.parametrize("message", [
    "mtls_listener_backend_servers (mtls_clb_backend_servers) is empty",  # a role variable that ends in the option
    "serversX and xservers are other words",
    "UploadServerCertificate failed",  # the API name only as part of an action
])
def test_an_option_inside_a_longer_name_is_not_named(message):
    sources = SOURCES + [{"options": ["ServerCertificate"], "variable": "role_certificate_path"}]

    assert name_role_variables(message, sources, "mtls.clb.backend_servers") == message


def test_the_api_parameter_names_the_option_and_a_code_suffix_does_not_hide_it():
    message = "CreateLoadBalancerHTTPSListener failed: ServerCertificateId.NotFound: srv (request id A-1)"

    result = name_role_variables(message, SOURCES, "mtls.clb.https_listener")

    assert result.startswith(message + ". ")
    assert result.endswith(INTRODUCTION + "server_certificate_id = role_server_certificate_id.")


def test_a_source_is_used_only_for_its_modules():
    message = "name 'x y' is not allowed by SLB"

    assert name_role_variables(message, SOURCES, "mtls.clb.server_certificate").endswith(
        "name = role_server_certificate_name.")
    assert name_role_variables(message, SOURCES, "mtls.clb.ca_certificate").endswith(
        "name = role_ca_certificate_name.")
    assert name_role_variables(message, SOURCES, "ansible.builtin.fail") == message
    # Without a module only the sources for every module apply.
    assert name_role_variables("check region", SOURCES).endswith("region = role_region (by default from mtls_clb_region).")
    assert name_role_variables(message, SOURCES) == message


def test_variables_follow_the_order_the_message_names_them_each_once():
    message = ("load balancer lb-1 does not exist in region cn-hangzhou; check LoadBalancerId and region "
               "(load_balancer_id)")

    result = name_role_variables(message, SOURCES, "mtls.clb.backend_servers")

    assert result.endswith(INTRODUCTION + "region = role_region (by default from mtls_clb_region); "
                           "load_balancer_id = role_load_balancer_id.")
    assert result.count("role_region") == 1


def test_no_message_stays_none_and_the_filter_is_registered():
    assert name_role_variables(None, SOURCES, "mtls.clb.backend_servers") is None
    assert FilterModule().filters()["name_role_variables"] is name_role_variables


@pytest.mark.parametrize("sources, named", [
    ({"options": ["servers"], "variable": "v"}, "sources must be a list"),
    (["servers"], "sources[0] must be a dictionary"),
    ([{"options": "servers", "variable": "v"}], "sources[0].options must be a non-empty list"),
    ([{"options": [], "variable": "v"}], "sources[0].options must be a non-empty list"),
    ([{"options": ["servers"]}], "sources[0].variable must name the role variable"),
    ([{"options": ["servers"], "variable": "v", "default": ["x"]}], "sources[0].default must be text"),
    ([{"options": ["servers"], "variable": "v", "modules": "mtls.clb.backend_servers"}],
     "sources[0].modules must be a non-empty list"),
])
def test_a_broken_table_fails_naming_the_entry_and_field(sources, named):
    with pytest.raises(AnsibleFilterError, match=re.escape(named)):
        name_role_variables(REFUSED_SERVER, sources, "mtls.clb.backend_servers")


# --- the roles' tables ----------------------------------------------------------------------------------------

ROLE_TABLES = {
    "mtls_listener": ("__mtls_listener_option_sources", ["tasks/main.yml"]),
    "certificate_upload": ("__certificate_upload_option_sources", ["tasks/obtain.yml", "tasks/upload.yml"]),
}


def load_yaml(path):
    return yaml.safe_load(path.read_text())


def rescued_blocks(tasks, table_name):
    """The blocks whose rescue passes `table_name` to name_role_variables."""
    for task in tasks or []:
        if "block" in task:
            if table_name in json.dumps(task.get("rescue", [])):
                yield task
            yield from rescued_blocks(task["block"], table_name)


def module_tasks(block):
    """The mtls.clb module tasks a block runs, without those of inner blocks that rescue themselves."""
    for task in block["block"]:
        if "block" in task:
            if not task.get("rescue"):
                yield from module_tasks(task)
            continue
        for key, value in task.items():
            if key.startswith("mtls.clb."):
                yield key, value


def templated_options(block):
    """{module: {option names the role fills from variables}}; constants (state: present) need no variable."""
    defaults = block.get("module_defaults", {}).get("group/mtls.clb.alicloud", {})
    found = {}
    for module, options in module_tasks(block):
        names = found.setdefault(module, set())
        names.update(name for name, value in options.items() if "{{" in str(value))
        if module in ("mtls.clb.load_balancer", "mtls.clb.backend_servers", "mtls.clb.https_listener",
                      "mtls.clb.server_certificate", "mtls.clb.ca_certificate"):
            names.update(defaults)
    return found


@pytest.fixture(scope="module")
def module_options() -> dict:
    """{module: option names} as ansible-doc renders them (doc fragments merged), one run for all."""
    modules = sorted({source_module for role, (table, _files) in ROLE_TABLES.items()
                      for source in load_yaml(REPO_ROOT / "roles" / role / "vars" / "main.yml")[table]
                      for source_module in source["modules"]})
    completed = subprocess.run([str(BIN / "ansible-doc"), "--json", "-t", "module", *modules], cwd=REPO_ROOT,
                               env=ansible_env(), check=True, capture_output=True, text=True)
    return {name: set(doc["doc"]["options"]) for name, doc in json.loads(completed.stdout).items()}


@pytest.mark.parametrize("role", sorted(ROLE_TABLES))
def test_every_option_a_rescued_block_fills_from_a_variable_has_its_source(role):
    table_name, task_files = ROLE_TABLES[role]
    sources = load_yaml(REPO_ROOT / "roles" / role / "vars" / "main.yml")[table_name]
    covered = {}
    for source in sources:
        for module in source["modules"]:
            covered.setdefault(module, set()).add(source["options"][0])

    blocks = [block for task_file in task_files
              for block in rescued_blocks(load_yaml(REPO_ROOT / "roles" / role / task_file), table_name)]
    assert blocks, f"no block of {role} rescues with {table_name}"
    for block in blocks:
        for module, options in templated_options(block).items():
            missing = options - covered.get(module, set())
            assert not missing, f"{role}: {module} gets {sorted(missing)} from variables the table does not name"


@pytest.mark.parametrize("role", sorted(ROLE_TABLES))
def test_the_table_names_real_options_and_real_role_variables(role, module_options):
    table_name, _task_files = ROLE_TABLES[role]
    sources = load_yaml(REPO_ROOT / "roles" / role / "vars" / "main.yml")[table_name]
    role_variables = set(load_yaml(REPO_ROOT / "roles" / role / "meta" / "argument_specs.yml")
                         ["argument_specs"]["main"]["options"])
    for source in sources:
        assert source["variable"] in role_variables, f"{role}: {source['variable']} is not an input of the role"
        for module in source["modules"]:
            assert source["options"][0] in module_options[module], (
                f"{role}: {module} has no option {source['options'][0]}")
