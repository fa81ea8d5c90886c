# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The connection options, action group and platform of every module that talks to SLB. A module that
    # extends this also extends ansible.builtin.action_common_attributes, which describes the attributes.
    DOCUMENTATION = r"""
options:
  access_key_id:
    description:
      - Alibaba Cloud AccessKey ID.
      - If not set, the first of the environment variables E(ALIBABA_CLOUD_ACCESS_KEY_ID), E(ALICLOUD_ACCESS_KEY),
        E(ALICLOUD_ACCESS_KEY_ID) that is set is used.
      - If no key pair is given at all, the SDK's default credential chain is used
        (C(alibabacloud_credentials) - credentials profile files, OIDC role, ECS RAM role). When it finds nothing,
        the task fails at once with code C(NoCredentials) and the places it looked; off ECS set
        E(ALIBABA_CLOUD_ECS_METADATA_DISABLED) to V(true) so that the chain does not wait for the metadata service.
    type: str
  access_key_secret:
    description:
      - Alibaba Cloud AccessKey secret. Never shown in output, diffs or errors.
      - If not set, the first of the environment variables E(ALIBABA_CLOUD_ACCESS_KEY_SECRET), E(ALICLOUD_SECRET_KEY),
        E(ALICLOUD_SECRET_ACCESS_KEY) that is set is used.
    type: str
  security_token:
    description:
      - STS security token that goes with a temporary O(access_key_id) / O(access_key_secret).
      - If not set, the environment variable E(ALIBABA_CLOUD_SECURITY_TOKEN), then E(ALICLOUD_SECURITY_TOKEN) is used.
    type: str
  region:
    description:
      - Region ID of the load balancer and its certificates, for example V(cn-hangzhou).
      - If not set, the first of the environment variables E(ALIBABA_CLOUD_REGION_ID), E(ALICLOUD_REGION),
        E(ALICLOUD_REGION_ID), E(ALIBABA_CLOUD_REGION) that is set is used. One of them is required.
      - Any region ID is accepted (new regions open often). A mistyped one usually makes the endpoint
        V(slb.<region>.aliyuncs.com) unresolvable; that fails at once, naming the host and the region.
      - Certificates are regional; a certificate uploaded to another region is not visible here.
    type: str
  endpoint:
    description:
      - Override the SLB API endpoint the SDK would pick for O(region).
      - V(host), V(host:port) or a URL (V(https://host:port)). V(http://) is only accepted for
        loopback and local hosts (V(localhost), V(127.0.0.0/8), V(::1), V(*.local)), for example a local emulator.
      - The SDK sends every request through E(HTTP_PROXY)/E(HTTPS_PROXY) when they are set and ignores
        E(NO_PROXY); unset the proxy variables to reach a local endpoint.
      - On ECS without public DNS or egress, use the VPC endpoint V(slb-vpc.<region>.aliyuncs.com).
    type: str
  connect_timeout:
    description: Seconds to wait for a connection to the API endpoint.
    type: float
    default: 5.0
  read_timeout:
    description: Seconds to wait for an API response.
    type: float
    default: 30.0
  retry_max_attempts:
    description:
      - How many times one API call is tried in total when the service answers with a transient error
        (any code containing Throttling, such as Throttling.User or Rejected.Throttling; C(ServiceUnavailable),
        C(SystemBusy), C(OperationBusy), C(ServiceIsConfiguring), C(BackendServer.configuring), C(InternalError),
        C(ServiceIsStopping), C(ProcessingSameRequest), C(InternalInvokeError), C(VServerGroupProcessing),
        C(ListenerProcessing), C(BackendServerProcessing), C(LocationServiceTimeout), or any HTTP 5xx to a
        C(Describe*) read) or the connection is refused, reset or times out.
      - Retried only where they mean "busy, try again" - C(Operation.Deny) on starting, stopping, changing or
        deleting a listener; C(OperationFailed.ListenerStatusNotSupport) on changing or deleting one;
        C(OperationFailed.TokenIsProcessing) on creating a load balancer (the request carries a client token);
        C(RspoolVipExist) and C(ObtainIpFail) on removing backend servers (Terraform retries the same).
      - Waits grow exponentially with random jitter; a C(x-acs-retry-after) header from the service is honoured
        (never retried sooner; a wait longer than O(retry_max_seconds) allows ends the retries).
      - Never retried - client errors (bad parameters, missing resources, wrong credentials), no credentials
        found, an endpoint or proxy host that does not resolve, an endpoint certificate that does not verify,
        a gateway's "request too large" answer (HTTP 413, 414, 431; the uploads send the PEM in the URL).
    type: int
    default: 8
  retry_max_seconds:
    description: Upper bound, in seconds, on the time one API call may spend retrying.
    type: float
    default: 120.0
attributes:
  action_group:
    description:
      - Every module of this collection that talks to SLB is in the action group C(mtls.clb.alicloud), so the
        connection options can be set once with C(module_defaults) for C(group/mtls.clb.alicloud).
    support: full
    membership:
      - mtls.clb.alicloud
  platform:
    platforms: posix
    details: Runs on the host the task targets, usually C(localhost); the load balancer is reached through the SLB API.
requirements:
  - alibabacloud-slb20140515 >= 3.3.30
  - alibabacloud-tea-openapi >= 0.4.1
  - darabonba-core >= 1.0.3
  - alibabacloud-credentials >= 1.0.2
notes:
  - API errors are reported with the action, the error code, the service's message and the request id. The
    failed result also carries them as keys, for C(failed_when) or a C(rescue) - C(api_action), C(code),
    C(error_message) (the service's text, with any echo of the signed request left out), C(request_id) (quote it
    to Alibaba Cloud support) and C(status_code) (the HTTP status); a certificate that a listener still uses
    adds C(in_use_by), a list of C(load_balancer_id) and C(listener_port).
"""
