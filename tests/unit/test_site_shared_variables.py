# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml refuses mtls_clb_* names it does not know: its list must hold every name the collection reads."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\bmtls_clb_[a-z0-9_]+\b")


def known() -> set[str]:
    return set(yaml.safe_load((REPO / "playbooks/vars/site_wiring.yml").read_text())["__site_shared_variables"])


def test_every_name_the_roles_and_playbooks_read_is_known():
    read = set()
    for path in list((REPO / "roles").rglob("*.yml")) + list((REPO / "playbooks").rglob("*.yml")):
        read |= set(NAME.findall(path.read_text()))
    assert read - known() == set()


def test_the_readme_table_lists_the_known_names():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Shared variables of `site.yml`", 1)[1].split("\n## ", 1)[0]
    documented = set(NAME.findall(section))
    # The demo inventory's own variable is not for users.
    assert documented == known() - {"mtls_clb_demo_client_python"}


def test_the_readme_table_has_one_row_per_known_name():
    """Each name heads exactly one row (a name only mentioned in another row's text is not documented)."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Shared variables of `site.yml`", 1)[1].split("\n## ", 1)[0]
    headed = []
    for line in section.splitlines():
        if line.startswith("| `mtls_clb_"):
            headed += NAME.findall(line.split("|")[1])
    assert sorted(headed) == sorted(set(headed)), "a variable has more than one row"
    assert set(headed) == known() - {"mtls_clb_demo_client_python"}


ROLE_PREFIX = re.compile(r"^(root_ca|client_certificates|client_install|certificate_upload|mtls_listener|mtls_verify)_")


def role_variables() -> set[str]:
    return set(yaml.safe_load((REPO / "playbooks/vars/site_wiring.yml").read_text())["__site_role_variables"])


def test_the_role_variable_list_is_every_input_and_output_of_the_roles():
    """site.yml refuses any other <role>_* name, so the list must hold every option of every role's argument spec
    and every name a role publishes (register / set_fact), and nothing else."""
    inputs, outputs = set(), set()
    for spec_path in (REPO / "roles").glob("*/meta/argument_specs.yml"):
        for spec in yaml.safe_load(spec_path.read_text())["argument_specs"].values():
            inputs |= set(spec.get("options") or {})
    for task_file in (REPO / "roles").glob("*/tasks/*.yml"):
        for task in yaml.safe_load(task_file.read_text()) or []:
            for item in [task] + task.get("block", []) + task.get("rescue", []):
                if item.get("register"):
                    outputs.add(item["register"])
                outputs |= set(item.get("ansible.builtin.set_fact") or {})
    published = {name for name in outputs if ROLE_PREFIX.match(name)}
    assert all(ROLE_PREFIX.match(name) for name in inputs)
    assert role_variables() == inputs | published


def test_the_pattern_site_yml_asks_with_is_the_role_prefixes():
    wiring = yaml.safe_load((REPO / "playbooks/vars/site_wiring.yml").read_text())
    assert wiring["__site_role_variable_pattern"] == ROLE_PREFIX.pattern
