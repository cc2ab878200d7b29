"""Long-running operations: 202 + Location, polls answered 202 until the operation completes.

An operation completes after ``lro_pending_polls`` polls, or on its own after ``lro_seconds`` (as
Azure's do), whichever comes first. Completion runs the finisher registered for its kind.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable

if TYPE_CHECKING:
    from . import Emulator

Finisher = Callable[["Emulator", dict[str, Any]], None]
FINISHERS: dict[str, Finisher] = {}


def register(kind: str) -> Callable[[Finisher], Finisher]:
    def wrap(func: Finisher) -> Finisher:
        FINISHERS[kind] = func
        return func

    return wrap


def start(emu: Emulator, kind: str, resource_id: str, location_url: str) -> dict[str, Any]:
    op_id = emu.store.new_uuid()
    op = {
        "id": op_id,
        "kind": kind,
        "resourceId": resource_id,
        "remaining": emu.settings.lro_pending_polls,
        "deadline": time.time() + emu.settings.lro_seconds,
        "done": False,
        "location": location_url.format(op=op_id),
    }
    emu.store.data["operations"][op_id] = op
    return op


def headers(emu: Emulator, op: dict[str, Any]) -> dict[str, str]:
    # Azure's Batch 202 has no retry header (REC-CLI-BATCH-2024). The hint, when set, is Retry-After-ms alone:
    # azure-core honours it; "Retry-After: 0" would mean a 30 s default sleep.
    if emu.settings.lro_retry_after_ms <= 0:
        return {"Location": op["location"]}
    return {"Location": op["location"], "Retry-After-ms": str(emu.settings.lro_retry_after_ms)}


def finish(emu: Emulator, op: dict[str, Any]) -> None:
    if not op["done"]:
        op["done"] = True
        FINISHERS[op["kind"]](emu, op)
        emu.store.touch()


def poll(emu: Emulator, op_id: str) -> dict[str, Any] | None:
    """The operation after one more poll (None when unknown)."""
    op = emu.store.data["operations"].get(op_id)
    if op is None:
        return None
    if not op["done"]:
        if op["remaining"] > 0 and time.time() < op["deadline"]:
            op["remaining"] -= 1
            emu.store.touch()
        else:
            finish(emu, op)
    return op


def due(emu: Emulator) -> bool:
    """Whether an operation's time is up (read under the shared lock; ``advance`` needs the exclusive one)."""
    now = time.time()
    return any(not op["done"] and now >= op["deadline"] for op in list(emu.store.data["operations"].values()))


def advance(emu: Emulator) -> None:
    """Complete every operation whose time is up (called before each request, under the exclusive lock)."""
    now = time.time()
    for op in list(emu.store.data["operations"].values()):
        if not op["done"] and now >= op["deadline"]:
            finish(emu, op)
