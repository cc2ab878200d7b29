"""Resource Graph's per-user quota: "a user can send at most 15 queries within every 5-second window"
(guidance-for-throttled-requests.md). Every answer says what is left (``x-ms-user-quota-remaining``) and
when the window resets (``x-ms-user-quota-resets-after``, hh:mm:ss); past the quota, 429 ``RateLimiting``
in the shape a real answer has (Azure/azure-cli-extensions#3325), with ``Retry-After`` (seconds) as
Resource Manager's 429s carry. Each page of a paged query is a query. The windows live on the Emulator
instance, as the ARM buckets do.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone
from typing import Any

from ..errors import ArmError

DEFAULT_QUOTA = {"queries": 15, "window_seconds": 5.0}


class GraphQuota(dict):  # type: ignore[type-arg]
    """The ``resource_graph_quota`` setting: queries per window and the window's length."""

    def __init__(self, values: Any = None) -> None:
        merged = {**DEFAULT_QUOTA, **dict(values or {})}
        if set(merged) != set(DEFAULT_QUOTA):
            raise ValueError("resource_graph_quota takes queries and window_seconds")
        if int(merged["queries"]) < 1 or float(merged["window_seconds"]) <= 0:
            raise ValueError("resource_graph_quota needs queries >= 1 and window_seconds > 0")
        super().__init__({"queries": int(merged["queries"]), "window_seconds": float(merged["window_seconds"])})


@dataclass
class _Window:
    start: float
    used: int = 0


def hms(seconds: float) -> str:
    whole = max(0, math.ceil(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


class UserQuota:
    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()

    def admit(self, quota: GraphQuota, principal: str) -> dict[str, str]:
        """Count one query for ``principal``; the quota headers, or the 429 when none is left."""
        now = time.monotonic()
        length = quota["window_seconds"]
        with self._lock:
            window = self._windows.get(principal)
            if window is None or now >= window.start + length:
                window = self._windows[principal] = _Window(now)
            left = window.start + length - now
            if window.used >= quota["queries"]:
                raise _rate_limited(left)
            window.used += 1
            return {
                "x-ms-user-quota-remaining": str(quota["queries"] - window.used),
                "x-ms-user-quota-resets-after": hms(left),
            }


def _rate_limited(left: float) -> ArmError:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
    message = f"Please provide below info when asking for support: timestamp = {stamp}, correlationId = {uuid.uuid4()}."
    details = [
        {
            "code": "RateLimiting",
            "message": "Client application has been throttled and should not attempt to repeat the request until an "
            "amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.",
        }
    ]
    headers = {
        "Retry-After": str(max(1, math.ceil(left))),
        "x-ms-user-quota-remaining": "0",
        "x-ms-user-quota-resets-after": hms(left),
    }
    return ArmError(429, "RateLimiting", message, details=details, headers=headers)
