# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mtls.clb.connection_problems: the cloud modules' connection checks, asked on the controller before step 1,
of the options after the modules' environment fallback; and site.yml asks it of what steps 5 and 6 pass."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.module_utils.basic import env_fallback

from ansible_collections.mtls.clb.plugins.filter.connection_problems import connection_problems
from ansible_collections.mtls.clb.plugins.module_utils.alicloud import client as client_mod
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.connection import ENVIRONMENT_FALLBACK

REPO = Path(__file__).resolve().parents[4]
ALL_ENV = [name for _option, names in ENVIRONMENT_FALLBACK for name in names]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ALL_ENV:
        monkeypatch.delenv(name, raising=False)


class Refused(Exception):
    pass


def module_refusal(params):
    """What AlicloudModule.validate_connection_options says of `params` (None if it accepts them)."""
    module = client_mod.AlicloudModule.__new__(client_mod.AlicloudModule)
    module.params = dict(dict((name, spec.get("default")) for name, spec in client_mod.alicloud_argument_spec().items()),
                         **params)

    def fail_json(**result):
        raise Refused(result["msg"])

    module.fail_json = fail_json
    try:
        module.validate_connection_options()
    except Refused as refusal:
        return str(refusal)
    return None


@pytest.mark.parametrize("options", [
    {"region": "cn-hangzhou"},
    {},
    {"region": "Hangzhou"},
    {"region": "cn-hangzhou", "access_key_id": "LTAI-id"},
    {"region": "cn-hangzhou", "access_key_secret": "secret-value-1"},
    {"region": "cn-hangzhou", "security_token": "token-1"},
    {"region": "cn-hangzhou", "access_key_id": "LTAI-id", "access_key_secret": "s", "security_token": "t"},
    {"region": "cn-hangzhou", "endpoint": "http://slb.cn-hangzhou.aliyuncs.com"},
    {"region": "cn-hangzhou", "endpoint": "http://127.0.0.1:8080"},
    {"region": "cn-hangzhou", "endpoint": "https://slb.example.test/path"},
], ids=lambda options: ",".join("%s=%s" % item for item in options.items()) or "nothing")
def test_the_filter_says_what_the_module_says(options):
    problem = module_refusal(options)
    assert connection_problems(options) == ([problem] if problem else [])


def test_an_option_not_given_falls_back_to_the_environment_as_in_the_module(monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_REGION", "eu-west-1")
    monkeypatch.setenv("ALICLOUD_REGION", "cn-beijing")
    # AnsibleModule takes the first variable of the list that is set; so does the filter.
    assert env_fallback(*client_mod.REGION_ENV) == "cn-beijing"
    assert connection_problems({"region": None}) == []
    monkeypatch.setenv("ALICLOUD_REGION", "Beijing")
    assert connection_problems({"region": ""}) == [
        "region 'Beijing' is not a region id; use the id form, e.g. cn-hangzhou or eu-central-1 (set by the "
        "environment variable ALICLOUD_REGION)"]
    # A value given wins over the environment.
    assert connection_problems({"region": "cn-hangzhou"}) == []


def test_problems_name_the_settings_given():
    settings = {"region": "my_region", "access_key_secret": "my_secret"}
    assert connection_problems({}, settings=settings)[0].startswith("region is required: set my_region or one of")
    [problem] = connection_problems({"region": "cn-hangzhou", "access_key_id": "LTAI-id"}, settings=settings)
    assert "set my_secret or one of ALIBABA_CLOUD_ACCESS_KEY_SECRET" in problem
    [problem] = connection_problems({"region": "cn hangzhou"}, settings=settings)
    assert problem.endswith("(set by my_region)")


def test_half_a_key_pair_from_the_environment(monkeypatch):
    monkeypatch.setenv("ALICLOUD_SECRET_KEY", "secret-from-env-Zq81")
    [problem] = connection_problems({"region": "cn-hangzhou"})
    assert problem.startswith("access_key_id is missing")
    assert "secret-from-env-Zq81" not in problem


def test_no_problem_text_holds_the_secret_or_the_token():
    secret, token = "very-secret-Kx77", "sts-token-Pp02"
    for options in ({"region": "bad region", "access_key_id": "id", "access_key_secret": secret, "security_token": token},
                    {"region": "cn-hangzhou", "access_key_secret": secret, "security_token": token},
                    {"region": "cn-hangzhou", "security_token": token}):
        for problem in connection_problems(options):
            assert secret not in problem and token not in problem


def test_bad_filter_input_is_an_error():
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        connection_problems("cn-hangzhou")
    with pytest.raises(AnsibleFilterError, match="unknown option.*regoin"):
        connection_problems({"regoin": "cn-hangzhou"})


def site_step_options(step: str) -> dict:
    """The options site.yml's check gives the filter for step 5 or 6, as {option: expression}."""
    plays = yaml.safe_load((REPO / "playbooks/site.yml").read_text())
    for task in plays[0]["tasks"]:
        if task["name"].startswith("Check that steps 5 and 6 will have a region"):
            text = task["vars"]["__site_step_%s_connection" % step]
            return dict(re.findall(r"'(\w+)': (.+?) \| default\(none, true\)", text))
    raise AssertionError("site.yml has no connection check")


def role_module_defaults(path: str) -> dict:
    """The connection options a role's block passes every cloud module, as {option: expression}."""
    for task in yaml.safe_load((REPO / path).read_text()):
        defaults = task.get("module_defaults", {}).get("group/mtls.clb.alicloud")
        if defaults:
            return {option: re.fullmatch(r"\{\{ (.+) \| default\(omit, true\) \}\}", value).group(1)
                    for option, value in defaults.items()}
    raise AssertionError(path + " passes no connection options")


@pytest.mark.parametrize("step, path", [("5", "roles/certificate_upload/tasks/upload.yml"),
                                        ("6", "roles/mtls_listener/tasks/main.yml")])
def test_site_checks_what_the_step_will_pass(step, path):
    assert site_step_options(step) == role_module_defaults(path)


@pytest.mark.parametrize("endpoint", ["https://LTAI5tExample:Secret-Zx81@slb.cn-hangzhou.aliyuncs.com",
                                      "LTAI5tExample:Secret-Zx81@slb.cn-hangzhou.aliyuncs.com:443",
                                      "ftp://LTAI5tExample:Secret-Zx81@127.0.0.1/"])
def test_an_endpoint_with_a_key_in_it_is_refused_without_quoting_the_key(endpoint):
    [problem] = connection_problems({"region": "cn-hangzhou", "endpoint": endpoint})
    assert "Secret-Zx81" not in problem and "LTAI5tExample" not in problem, problem
    assert "***@" in problem
    assert module_refusal({"region": "cn-hangzhou", "endpoint": endpoint}) == problem
