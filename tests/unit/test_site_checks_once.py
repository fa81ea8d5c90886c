# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml checks every role's inputs in its first plays, then imports the roles for the steps without
checking again (rolespec_validate: false, __mtls_clb_inputs_checked). That is only safe while what the
first plays check is what the steps would have checked: these tests keep it so."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(path.name for path in (REPO / "roles").iterdir() if (path / "meta/argument_specs.yml").is_file())


def site_imports():
    """(play name, the import_role task) for every role import in site.yml."""
    for play in yaml.safe_load((REPO / "playbooks/site.yml").read_text()):
        for task in play.get("tasks", []):
            if "ansible.builtin.import_role" in task:
                yield play["name"], task


@pytest.mark.parametrize("role", ROLES)
def test_the_validate_entry_point_checks_the_main_arguments(role):
    specs = yaml.safe_load((REPO / "roles" / role / "meta/argument_specs.yml").read_text())["argument_specs"]
    assert specs["validate"]["options"] == specs["main"]["options"]


def test_every_step_skips_only_checks_the_first_plays_ran():
    checked = {task["ansible.builtin.import_role"]["name"] for play, task in site_imports()
               if task["ansible.builtin.import_role"].get("tasks_from") == "validate"}
    steps = [(play, task) for play, task in site_imports() if play.startswith("Step")]
    assert len(steps) == 7
    for play, task in steps:
        imported = task["ansible.builtin.import_role"]
        assert imported["name"] in checked, f"{play}: {imported['name']} is not checked before step 1"
        assert imported.get("rolespec_validate") is False, play
        assert task["vars"].get("__mtls_clb_inputs_checked") is True, play


def test_check_plays_come_first():
    plays = [play for play, _task in site_imports()]
    first_step = next(index for index, play in enumerate(plays) if play.startswith("Step"))
    assert all(play.startswith("Check every input first") for play in plays[:first_step])
    assert not any(play.startswith("Check") for play in plays[first_step:])
