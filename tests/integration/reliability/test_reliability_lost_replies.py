"""A mutating call that the service applied but whose reply never arrived, then retried.

The emulator's injected faults change nothing (the request is refused before it is applied), so they
cannot show this case; a killed playbook or a timed-out read can. Here the collection's own API
layer (`SlbApi` with its retry policy, as every cloud module uses it) talks to the emulator, reset
before each test, through an SDK client whose first call of one action reaches the service and is applied, and then
raises a connection error as a lost reply would. The retry must find the change already made.
"""
from __future__ import annotations

import uuid

import pytest

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.backend_servers import BackendServerGroup
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.certificates import (SERVER_CERTIFICATE,
                                                                                     CertificateStore)
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.client import SlbApi
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.listeners import HttpsListenerApi
from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy
from tests.unit.alicloud.certgen import fingerprint, key_pem, make_pki


class LosesFirstReply:
    """An SDK client whose first call of `action` is applied by the service, then reported lost."""

    def __init__(self, client, action: str):
        self._client = client
        self._method = {name.replace("_", ""): name for name in dir(client)}[action.lower() + "withoptions"]
        self.lost = 0

    def __dir__(self):
        return dir(self._client)

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if name != self._method:
            return attribute

        def applied_then_lost(*args, **kwargs):
            # SlbApi looks the method up once per call and reuses it for every retry.
            response = attribute(*args, **kwargs)
            if self.lost:
                return response
            self.lost += 1
            raise ConnectionResetError("connection reset after the request was sent")

        return applied_then_lost


@pytest.fixture(scope="module")
def pki():
    return make_pki()


def slb_losing_first_reply_of(emulator, action: str):
    client = LosesFirstReply(emulator.sdk_client(), action)
    # No real sleeping between attempts: the behaviour under test is what the retry finds, not when.
    api = SlbApi(client, emulator.region, RetryPolicy(sleep=lambda seconds: None))
    return api, client


def plain_slb(emulator):
    return SlbApi(emulator.sdk_client(), emulator.region, RetryPolicy(sleep=lambda seconds: None))


def new_load_balancer(emulator) -> str:
    return plain_slb(emulator).call("CreateLoadBalancer", {
        "LoadBalancerName": "lost-replies", "InstanceChargeType": "PayByCLCU", "AddressType": "internet",
        "ClientToken": str(uuid.uuid4())})["LoadBalancerId"]


def new_stopped_listener(emulator, pki) -> HttpsListenerApi:
    slb = plain_slb(emulator)
    lb_id = new_load_balancer(emulator)
    certificate_id = slb.call("UploadServerCertificate", {
        "ServerCertificate": pki.chain_pem, "PrivateKey": key_pem(pki.server_key),
        "ServerCertificateName": "lost-replies"})["ServerCertificateId"]
    slb.call("CreateLoadBalancerHTTPSListener", {"LoadBalancerId": lb_id, "ListenerPort": 443,
                                                 "BackendServerPort": 80, "Bandwidth": -1, "HealthCheck": "off", "StickySession": "off",
                                                 "ServerCertificateId": certificate_id})
    return HttpsListenerApi(slb, lb_id, 443)


def test_upload_whose_reply_was_lost_is_found_by_fingerprint_not_sent_again(fresh_emulator, pki):
    """Pins down: CertificateStore.upload looks the certificate up (find_again) after a transient failure, so the
    applied upload is returned and the region holds the certificate once."""
    slb, client = slb_losing_first_reply_of(fresh_emulator, "UploadServerCertificate")
    store = CertificateStore(slb, SERVER_CERTIFICATE)

    uploaded = store.upload("lost-reply", {"ServerCertificate": pki.chain_pem, "PrivateKey": key_pem(pki.server_key)},
                            find_again=lambda: store.find(fingerprint=fingerprint(pki.server_cert)))

    assert client.lost == 1
    assert len(store.list_all()) == 1
    assert uploaded["ServerCertificateId"] == store.list_all()[0]["ServerCertificateId"]
    assert [c["action"] for c in fresh_emulator.calls()].count("UploadServerCertificate") == 1


def test_create_load_balancer_whose_reply_was_lost_returns_the_same_instance(fresh_emulator):
    """Pins down: the retry sends the same ClientToken (as plugins/modules/load_balancer.py does), so
    the service answers with the instance it already made instead of a second one."""
    slb, client = slb_losing_first_reply_of(fresh_emulator, "CreateLoadBalancer")

    created = slb.call("CreateLoadBalancer", {"LoadBalancerName": "lost-reply", "InstanceChargeType": "PayByCLCU",
                                              "AddressType": "internet", "ClientToken": str(uuid.uuid4())})

    assert client.lost == 1
    listed = plain_slb(fresh_emulator).call("DescribeLoadBalancers")["LoadBalancers"]["LoadBalancer"]
    assert [lb["LoadBalancerId"] for lb in listed] == [created["LoadBalancerId"]]


def test_create_listener_whose_reply_was_lost_is_accepted_as_done(fresh_emulator, pki):
    """Pins down: HttpsListenerApi.create treats ListenerAlreadyExists on its retry as success when the
    port now holds the HTTPS listener, so one listener exists and no error reaches the user."""
    lb_id = new_load_balancer(fresh_emulator)
    certificate_id = plain_slb(fresh_emulator).call("UploadServerCertificate", {
        "ServerCertificate": pki.chain_pem, "PrivateKey": key_pem(pki.server_key),
        "ServerCertificateName": "lost-reply"})["ServerCertificateId"]
    slb, client = slb_losing_first_reply_of(fresh_emulator, "CreateLoadBalancerHTTPSListener")
    listener = HttpsListenerApi(slb, lb_id, 443)

    listener.create({"BackendServerPort": 80, "Bandwidth": -1, "HealthCheck": "off", "StickySession": "off",
                     "ServerCertificateId": certificate_id})

    assert client.lost == 1
    assert listener.describe()["Status"] == "stopped"
    ports = plain_slb(fresh_emulator).call("DescribeLoadBalancerAttribute", {"LoadBalancerId": lb_id})
    assert len(ports["ListenerPortsAndProtocol"]["ListenerPortAndProtocol"]) == 1


def test_add_backend_servers_whose_reply_was_lost_is_accepted_as_done(fresh_emulator):
    """Pins down: BackendServerGroup re-reads the group after a transient AddBackendServers failure and
    sends only the servers still missing, so servers the first attempt attached cause no error."""
    lb_id = new_load_balancer(fresh_emulator)
    slb, client = slb_losing_first_reply_of(fresh_emulator, "AddBackendServers")
    group = BackendServerGroup(slb, lb_id)
    wanted = [{"server_id": server_id, "weight": 100, "type": "ecs"} for server_id in fresh_emulator.ecs_ids]

    group.apply(to_add=wanted, to_update=[], to_remove=[])

    assert client.lost == 1
    assert sorted(group.members()) == sorted(fresh_emulator.ecs_ids)
    assert [c["action"] for c in fresh_emulator.calls()].count("AddBackendServers") == 1


def test_start_listener_whose_reply_was_lost_is_accepted_as_done(fresh_emulator, pki):
    """Pins down: starting is done once the listener is running; the retry after a lost reply accepts
    the running listener instead of failing with OperationFailed.ListenerStatusNotSupport."""
    stopped_listener = new_stopped_listener(fresh_emulator, pki)
    slb, client = slb_losing_first_reply_of(fresh_emulator, "StartLoadBalancerListener")
    listener = HttpsListenerApi(slb, stopped_listener.load_balancer_id, 443)

    listener.start()

    assert client.lost == 1
    assert listener.describe()["Status"] == "running"
