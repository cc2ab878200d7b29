"""A latency model: answers wait for the round-trip time to the Azure host they stand for.

Against loopback every call costs almost nothing, so a benchmark would hide what a run's round trips
cost against Azure. With ``latency_ms`` set (per host kind: ``entra`` for login.microsoftonline.com,
``arm`` for Resource Manager, ``keyvault`` for vaults), the proxy holds each answer for that long
before sending it, and a new tunnel pays two more: one for the TCP connection the proxy would open
(the ``CONNECT`` answer waits) and one for the TLS 1.3 handshake (the first answer on the tunnel
waits). The waits happen in the connection's own thread, outside every lock, so concurrent requests
overlap as they would against Azure. Instance metadata (IMDS) and the control API are local: no wait.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from . import Emulator

KINDS = ("entra", "arm", "keyvault")


class RoundTrips(dict):  # type: ignore[type-arg]
    """The ``latency_ms`` setting: host kind -> milliseconds (missing kinds: 0). Refuses what it cannot use."""

    def __init__(self, values: Any = None) -> None:
        values = dict(values or {})
        unknown = sorted(set(values) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown host kind(s) {', '.join(unknown)} in latency_ms; known: {', '.join(KINDS)}")
        for kind, value in values.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"latency_ms.{kind} must be a number of milliseconds >= 0, not {value!r}")
        super().__init__({kind: values.get(kind, 0) for kind in KINDS})


def round_trip(emu: Emulator, host: str) -> float:
    """Seconds one round trip to ``host`` takes in the model (0 for hosts the model does not cover)."""
    service = emu.router.service_for(host)
    kind = service.name if service is not None else ""
    return float(emu.settings.latency_ms.get(kind, 0)) / 1000.0


def wait(emu: Emulator, host: str, round_trips: int = 1) -> None:
    seconds = round_trip(emu, host) * round_trips
    if seconds > 0:
        time.sleep(seconds)
