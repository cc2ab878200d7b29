"""The request log: every request the emulator saw, what it answered, and who asked."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any


@dataclass
class Entry:
    seq: int
    time: float
    host: str
    method: str
    path: str
    api_version: str | None
    status: int
    write: bool = False
    principal: str | None = None
    fault: str | None = None
    refused: bool = False
    operation: str | None = None
    request_id: str | None = None
    # Time the emulator spent on the request (waiting for the state lock included; the latency model's
    # round trips and the network not).
    duration_ms: float | None = None
    response: Any = field(default=None, repr=False)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("response")
        return data


class Journal:
    """Thread-safe; keeps response bodies only when asked (in-process contract tests)."""

    def __init__(self, keep_bodies: bool = False) -> None:
        self.keep_bodies = keep_bodies
        self._entries: list[Entry] = []
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, **fields: Any) -> Entry:
        with self._lock:
            self._seq += 1
            if not self.keep_bodies:
                fields.pop("response", None)
            entry = Entry(seq=self._seq, time=time.time(), **fields)
            self._entries.append(entry)
            return entry

    def entries(self, since: int = 0) -> list[Entry]:
        with self._lock:
            return [e for e in self._entries if e.seq > since]

    def writes(self, since: int = 0) -> list[Entry]:
        return [e for e in self.entries(since) if e.write]

    @property
    def last_seq(self) -> int:
        with self._lock:
            return self._seq

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
