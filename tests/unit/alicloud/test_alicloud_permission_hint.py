"""A RAM denial (the key is valid, its user or role may not call the action) gets a hint that names
the `slb:` action and points at the "RAM policy" section of docs/cloud-modules.md, which must exist
and list that action."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.errors import from_sdk_exception

DOC = Path(__file__).resolve().parents[3] / "docs" / "cloud-modules.md"


def denied(code, message="User not authorized to operate on the specified resource.", status=403):
    body = {"Code": code, "Message": message, "RequestId": "REQ-RAM"}
    return ClientException(status_code=status, code=code, message="code: {0}, {1} request id: REQ-RAM".format(
        status, message), data=body, request_id="REQ-RAM")


@pytest.mark.parametrize("code", ["Forbidden", "Forbidden.RAM", "NoPermission", "Forbbiden.SubUser"])
def test_permission_codes_point_at_the_ram_policy_section(code):
    error = from_sdk_exception("CreateLoadBalancerHTTPSListener", denied(code))
    text = error.describe()
    assert text.startswith("CreateLoadBalancerHTTPSListener failed: " + code)
    assert "slb:CreateLoadBalancerHTTPSListener" in text and "RAM policy" in text
    assert "docs/cloud-modules.md" in text and "AliyunSLBFullAccess" in text
    assert error.retryable is False


@pytest.mark.parametrize("code", ["Forbidden.AccessKeyDisabled", "InvalidParameter", "SignatureDoesNotMatch"])
def test_other_codes_do_not_get_the_ram_hint(code):
    text = from_sdk_exception("DescribeLoadBalancers", denied(code, "text", status=400)).describe()
    assert "RAM policy" not in text


def _ram_policy_section():
    text = DOC.read_text()
    match = re.search(r"^## RAM policy\n(?P<body>.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, "docs/cloud-modules.md has no '## RAM policy' section"
    return match.group("body")


def _actions_named_in_the_plugins():
    """Every quoted string in plugins/ that is an SLB action the SDK serves: the modules name each
    action they call as a literal (slb.call("Action", ...), the CertificateKind tables)."""
    from alibabacloud_slb20140515.client import Client

    served = {name.replace("_", "") for name in dir(Client) if not name.startswith("_")}
    source = "\n".join(path.read_text() for path in (DOC.parents[1] / "plugins").rglob("*.py"))
    return {name for name in re.findall(r'"([A-Z][A-Za-z]+)"', source) if name.lower() in served}


def test_ram_policy_lists_every_action_the_modules_call_and_parses_as_json():
    section = _ram_policy_section()
    policy = json.loads(re.search(r"```json\n(?P<json>.*?)```", section, re.S).group("json"))
    listed = {action for statement in policy["Statement"] for action in statement["Action"]}
    called = {"slb:" + action for action in _actions_named_in_the_plugins()}
    assert called, "no SLB action found in plugins/"
    assert called <= listed, sorted(called - listed)
    assert all(action.startswith("slb:") and "*" not in action for action in listed)
    assert "AliyunSLBFullAccess" in section
