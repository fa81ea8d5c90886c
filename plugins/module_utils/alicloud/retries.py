# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jittered exponential backoff for transient SLB errors (the SDK 0.4.x does not retry)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import time


class RetryPolicy:
    """Jittered exponential backoff (a random wait between half and all of the doubling ceiling), bounded both
    in attempts and in total seconds.

    `sleep`, `clock` and `rng` are injectable so tests can run the policy without waiting.
    """

    def __init__(self, max_attempts=8, max_seconds=120.0, base_delay=0.5, max_delay=20.0,
                 sleep=time.sleep, clock=time.monotonic, rng=None):
        self.max_attempts = max(1, int(max_attempts))
        self.max_seconds = float(max_seconds)
        self.base_delay = float(base_delay)
        self.max_delay = float(max_delay)
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()

    def delay_for(self, attempt, error):
        """Seconds to wait before attempt number `attempt + 1` (attempt counts from 1)."""
        if error.retry_after_ms:
            # The service said when to come back: never sooner (a retry before that is throttled again and
            # spends an attempt), with up to 10 % later against a synchronized stampede. Not capped by
            # max_delay; a wait beyond the time budget ends the retries instead (run).
            return error.retry_after_ms / 1000.0 * (1 + 0.1 * self.rng.random())
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return self.rng.uniform(ceiling / 2.0, ceiling)

    def run(self, operation, on_retry=None):
        """Call `operation()`; on a retryable AlicloudApiError wait and call again.

        Non-retryable errors propagate at once; the last retryable one propagates when the
        attempts or the time budget run out.
        """
        started = self.clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return operation()
            except Exception as error:  # noqa: BLE001 - filtered right below
                if not getattr(error, "retryable", False) or attempt >= self.max_attempts:
                    raise
                delay = self.delay_for(attempt, error)
                if self.clock() - started + delay > self.max_seconds:
                    raise
                if on_retry is not None:
                    on_retry(attempt, delay, error)
                self.sleep(delay)
