"""Injected faults: for the next N requests matching method + host + path, misbehave."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import asdict
from dataclasses import dataclass
from typing import Any

# status: answer with an error instead; drop: reset the connection instead of answering;
# delay: answer late; lost: do the work, then reset the connection (the client never hears back).
KINDS = ("status", "drop", "delay", "lost")


@dataclass
class Fault:
    id: int
    kind: str
    method: str = ".*"
    host: str = ".*"
    path: str = ".*"
    count: int = 1
    status: int = 503
    retry_after: int | None = None
    retry_after_ms: int | None = None
    delay: float = 0.0
    code: str | None = None
    # Of the matching requests, fault only every n-th (2: every other one, so each retried call passes), or
    # each with probability ``rate``, drawn from a generator seeded with ``seed`` (a reproducible chaos run).
    every: int = 1
    rate: float = 1.0
    seed: int = 0
    seen: int = 0

    def __post_init__(self) -> None:
        if self.every < 1 or not 0.0 <= self.rate <= 1.0:
            raise ValueError("every must be 1 or more and rate between 0 and 1")
        self._draw = random.Random(self.seed)  # noqa: S311 - reproducible chaos, not a secret

    def applies(self) -> bool:
        """One more matching request: is it faulted? (called under the plan's lock)"""
        self.seen += 1
        if (self.seen - 1) % self.every:
            return False
        return self.rate >= 1.0 or self._draw.random() < self.rate

    def matches(self, method: str, host: str, path: str) -> bool:
        return bool(
            re.fullmatch(self.method, method, re.I)
            and re.fullmatch(self.host, host, re.I)
            and re.search(self.path, path, re.I)
        )


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._next = 0
        self._lock = threading.Lock()

    def add(self, spec: dict[str, Any]) -> Fault:
        kind = spec.get("kind", "status")
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}, not {kind!r}")
        fields = {k: v for k, v in spec.items() if k in Fault.__dataclass_fields__ and k != "id"}
        fields["kind"] = kind  # the default applies when the spec leaves it out
        for pattern in ("method", "host", "path"):
            re.compile(fields.get(pattern, ".*"))
        with self._lock:
            self._next += 1
            fault = Fault(id=self._next, **fields)
            self._faults.append(fault)
            return fault

    def take(self, method: str, host: str, path: str) -> Fault | None:
        """The first live fault that matches, with one use consumed."""
        with self._lock:
            for fault in self._faults:
                if fault.count > 0 and fault.matches(method, host, path) and fault.applies():
                    fault.count -= 1
                    return fault
            return None

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{k: v for k, v in asdict(f).items() if not k.startswith("_")} for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
