"""Resource Manager throttling, as documented since 2024: a token bucket per subscription (or tenant), principal
and operation kind, and a global bucket per subscription and kind shared by all principals.

"Request limits and throttling" (learn.microsoft.com, azure-resource-manager/management): subscription and
tenant reads 250 tokens refilled at 25 a second, writes and deletes 200 at 10; the global subscription limit
is 15 times a principal's. Each answer carries ``x-ms-ratelimit-remaining-subscription-reads`` (or
``-writes``, ``-deletes``, ``tenant-...``) and ``x-ms-ratelimit-remaining-subscription-global-reads``
(Azure's real answers carry both: 249 and 3749 after one read, in public recordings). An empty bucket
answers 429 ``SubscriptionRequestsThrottled`` with ``Retry-After`` (the wording is a real answer's).
Throttled requests take no token. The buckets live on the Emulator instance (not in the state): a reset
or a restart fills them.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from .errors import ArmError

KINDS = ("reads", "writes", "deletes")
DEFAULT_BUCKETS: dict[str, Any] = {
    "reads": {"size": 250, "refill_per_second": 25.0},
    "writes": {"size": 200, "refill_per_second": 10.0},
    "deletes": {"size": 200, "refill_per_second": 10.0},
    "global_factor": 15,
}


class Buckets(dict):  # type: ignore[type-arg]
    """The ``arm_throttling_buckets`` setting: each kind's size and refill rate, and the global factor."""

    def __init__(self, values: Any = None) -> None:
        given = dict(values or {})
        unknown = sorted(set(given) - {*KINDS, "global_factor"})
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)} in arm_throttling_buckets")
        merged: dict[str, Any] = {"global_factor": given.get("global_factor", DEFAULT_BUCKETS["global_factor"])}
        for kind in KINDS:
            bucket = {**DEFAULT_BUCKETS[kind], **(given.get(kind) or {})}
            if set(bucket) != {"size", "refill_per_second"} or bucket["size"] < 1 or bucket["refill_per_second"] <= 0:
                raise ValueError(f"arm_throttling_buckets.{kind} needs size >= 1 and refill_per_second > 0")
            merged[kind] = bucket
        if not isinstance(merged["global_factor"], (int, float)) or merged["global_factor"] < 1:
            raise ValueError("arm_throttling_buckets.global_factor must be 1 or more")
        super().__init__(merged)


@dataclass
class _Bucket:
    tokens: float
    at: float

    def refill(self, size: float, rate: float, now: float) -> None:
        self.tokens = min(size, self.tokens + (now - self.at) * rate)
        self.at = now


def kind_of(method: str, writes: bool) -> str:
    """ARM counts by method: DELETE is a delete, a state-changing route a write, the rest reads."""
    if method == "DELETE":
        return "deletes"
    return "writes" if writes else "reads"


class Throttle:
    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()

    def admit(self, buckets: Buckets, scope: tuple[str, str], principal: str, kind: str) -> dict[str, str]:
        """Take a token for ``principal`` in ``scope`` (("subscription", id) or ("tenant", id)); the headers
        that say what remains. Raises the 429 when a bucket is empty."""
        size, rate = float(buckets[kind]["size"]), float(buckets[kind]["refill_per_second"])
        level, scope_id = scope
        keys = [((scope_id, principal.lower(), kind), size, rate)]
        if level == "subscription":
            factor = float(buckets["global_factor"])
            keys.append(((scope_id, "*", kind), size * factor, rate * factor))
        now = time.monotonic()
        with self._lock:
            found = [(self._buckets.setdefault(k, _Bucket(s, now)), s, r) for k, s, r in keys]
            for bucket, s, r in found:
                bucket.refill(s, r, now)
            short = [math.ceil((1 - b.tokens) / r) for b, _s, r in found if b.tokens < 1]
            if short:
                raise _throttled(level, scope_id, principal, kind, max(short))
            for bucket, _s, _r in found:
                bucket.tokens -= 1
        headers = {f"x-ms-ratelimit-remaining-{level}-{kind}": str(int(found[0][0].tokens))}
        if len(found) > 1:
            headers[f"x-ms-ratelimit-remaining-{level}-global-{kind}"] = str(int(found[1][0].tokens))
        return headers


def _throttled(level: str, scope_id: str, principal: str, kind: str, seconds: int) -> ArmError:
    code = "SubscriptionRequestsThrottled" if level == "subscription" else "TenantRequestsThrottled"
    message = (
        f"Number of '{kind[:-1]}' requests for {level} '{scope_id}' actor '{principal}' exceeded. "
        f"Please try again after '{seconds}' seconds after the last request."
    )
    return ArmError(429, code, message, headers={"Retry-After": str(seconds)})
