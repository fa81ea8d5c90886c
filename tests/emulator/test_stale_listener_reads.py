"""The `/_emulator/stale-listener-reads` hook: after a Set*ListenerAttribute, the next N reads of
that listener still show it as it was (a change the service applies asynchronously), then the new
values; 0 (the default, restored by reset) is read-your-writes."""
from __future__ import annotations

import urllib.error

import pytest
from alibabacloud_slb20140515 import models as m

from tests.emulator.conftest import REGION
from tests.emulator.test_control_plane import create_lb, create_listener, listener_attr, upload_ca, upload_server

HOOK = "/_emulator/stale-listener-reads"


def turn_mutual_authentication_off(sdk, lb_id):
    sdk.set_load_balancer_httpslistener_attribute(m.SetLoadBalancerHTTPSListenerAttributeRequest(
        region_id=REGION, load_balancer_id=lb_id, listener_port=443, cacertificate_id=""))


@pytest.fixture
def mutual_listener(fresh_emulator, tls_material):
    sdk = fresh_emulator.sdk_client()
    server = upload_server(sdk, tls_material["server"])
    ca = upload_ca(sdk, tls_material["client_ca"])
    lb = create_lb(sdk)
    create_listener(sdk, lb.load_balancer_id, server.server_certificate_id, ca.cacertificate_id)
    return sdk, lb.load_balancer_id, ca.cacertificate_id


def test_the_next_reads_after_a_set_show_the_old_values_then_the_new(fresh_emulator, mutual_listener):
    sdk, lb_id, ca_id = mutual_listener
    assert fresh_emulator._hook("POST", HOOK, {"reads": 2}) == {"reads": 2}

    turn_mutual_authentication_off(sdk, lb_id)

    assert [listener_attr(sdk, lb_id).cacertificate_id for _ in range(4)] == [ca_id, ca_id, "", ""]


def test_default_and_reset_are_read_your_writes(fresh_emulator, mutual_listener):
    sdk, lb_id, _ca_id = mutual_listener
    assert fresh_emulator._hook("GET", HOOK) == {"reads": 0}
    fresh_emulator._hook("POST", HOOK, {"reads": 3})
    fresh_emulator.reset()
    assert fresh_emulator._hook("GET", HOOK) == {"reads": 0}


def test_a_listener_created_again_on_the_port_is_not_shown_stale(fresh_emulator, mutual_listener, tls_material):
    sdk, lb_id, _ca_id = mutual_listener
    fresh_emulator._hook("POST", HOOK, {"reads": 5})
    turn_mutual_authentication_off(sdk, lb_id)
    sdk.delete_load_balancer_listener(m.DeleteLoadBalancerListenerRequest(
        region_id=REGION, load_balancer_id=lb_id, listener_port=443))
    server = upload_server(sdk, tls_material["server2"])
    create_listener(sdk, lb_id, server.server_certificate_id)
    assert listener_attr(sdk, lb_id).server_certificate_id == server.server_certificate_id


@pytest.mark.parametrize("payload", [{"reads": -1}, {"reads": "2"}, {"reads": True}, {}])
def test_bad_values_are_refused_and_change_nothing(fresh_emulator, payload):
    with pytest.raises(urllib.error.HTTPError) as info:
        fresh_emulator._hook("POST", HOOK, payload)
    assert info.value.code == 400
    assert fresh_emulator._hook("GET", HOOK) == {"reads": 0}
