"""Test doubles for the alicloud module_utils: an SLB that answers from scripts, and a clock."""
from __future__ import annotations

from ansible_collections.mtls.clb.plugins.module_utils.alicloud.retries import RetryPolicy


class SequencedSlb:
    """Like SlbApi: each action answers from its own queue (the last answer repeats; a single answer
    is a queue of one), an exception in the queue is raised, and retry=True runs the attempt through
    a retry policy that does not sleep."""

    region = "cn-hangzhou"

    # Answered unless scripted: the region's listing of HTTPS listeners (https_listener reads it when a certificate
    # changes, to name other listeners still using the old one) holds none.
    DEFAULT_ANSWERS = {"DescribeLoadBalancerListeners": {"Listeners": []}}

    def __init__(self, answers, max_attempts=None):
        answers = dict(self.DEFAULT_ANSWERS, **answers)
        self.answers = dict((action, list(a) if isinstance(a, list) else [a]) for action, a in answers.items())
        self.calls = []
        policy = {"max_attempts": max_attempts} if max_attempts else {}
        self.retry_policy = RetryPolicy(sleep=lambda seconds: None, **policy)

    def call(self, action, params=None, retry=True):
        def attempt():
            self.calls.append(action)
            queue = self.answers[action]
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            if isinstance(answer, Exception):
                raise answer
            return dict(answer)

        return self.retry_policy.run(attempt) if retry else attempt()


class FakeClock:
    """A clock that advances only when slept on, and remembers the sleeps."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
