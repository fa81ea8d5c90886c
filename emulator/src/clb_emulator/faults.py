"""Injected failures for resilience tests (`POST /_emulator/faults`)."""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

from .errors import ApiError

DROP = "drop"
DEFAULT_RETRY_AFTER_MS = 1000


@dataclass
class FaultRule:
    action: str = "*"
    error: str | None = None  # an error code, "drop", or None for latency only
    probability: float = 1.0
    count: int | None = None  # fire on the first `count` matching calls only
    latency_ms: int = 0
    retry_after_ms: int = DEFAULT_RETRY_AFTER_MS
    message: str | None = None
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def from_dict(cls, data: dict) -> FaultRule:
        if not isinstance(data, dict):
            raise ValueError("each fault must be an object")
        unknown = set(data) - {"action", "error", "probability", "seed", "count", "latency_ms",
                               "retry_after_ms", "message"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        probability = float(data.get("probability", 1.0))
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        count = data.get("count")
        if count is not None and (not isinstance(count, int) or count < 0):
            raise ValueError("count must be a non-negative integer")
        if data.get("error") is None and not data.get("latency_ms"):
            raise ValueError("a fault needs an error, latency_ms, or both")
        return cls(action=str(data.get("action", "*")), error=data.get("error"), probability=probability,
                   count=count, latency_ms=int(data.get("latency_ms", 0)),
                   retry_after_ms=int(data.get("retry_after_ms", DEFAULT_RETRY_AFTER_MS)),
                   message=data.get("message"), rng=random.Random(data.get("seed")))

    def public(self) -> dict:
        return {"action": self.action, "error": self.error, "probability": self.probability, "count": self.count,
                "latency_ms": self.latency_ms, "fired": self.fired}


@dataclass
class FaultDecision:
    latency_ms: int = 0
    drop: bool = False
    error: ApiError | None = None


class FaultInjector:
    def __init__(self):
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def set(self, rules: list[dict]) -> None:
        parsed = [FaultRule.from_dict(r) for r in rules]
        with self._lock:
            self._rules = parsed

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def list(self) -> list[dict]:
        with self._lock:
            return [r.public() for r in self._rules]

    def decide(self, action: str) -> FaultDecision:
        decision = FaultDecision()
        with self._lock:
            for rule in self._rules:
                if rule.action not in ("*", action):
                    continue
                if rule.count is not None and rule.fired >= rule.count:
                    continue
                if rule.probability < 1.0 and rule.rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                decision.latency_ms += rule.latency_ms
                if rule.error == DROP:
                    decision.drop = True
                    break
                if rule.error:
                    headers = {}
                    if "Throttling" in rule.error:
                        headers["x-acs-retry-after"] = str(rule.retry_after_ms)
                    decision.error = ApiError(rule.error, rule.message, headers=headers)
                    break
        return decision
