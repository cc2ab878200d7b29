"""The Resource Graph index: the resources as Resource Graph serves them, ``resource_graph_lag_seconds``
behind the resource providers ("an asynchronous, eventually consistent index"; Microsoft advises reading
the provider where freshness matters).

It keeps no copy of what has not changed lately. The store tells it, before a write (or a read that
refreshes a derived field) may change a resource, what the resource was (``Store.observer``); after the
transaction, ``commit`` compares: a resource that did change gets its old body put in ``history`` with the
time it had been current since, and its ``since`` set to now. A query at time T reads each resource's live
body if it has been current since T - lag, else the history entry that was current then (absent if none:
the resource did not exist yet). History older than the lag is dropped, so memory grows with the changes
of the last ``lag`` seconds, not with the estate: at 10,000 accounts and a lag of 0 it holds nothing.

Only while the lag is above 0 is history kept: a lag raised later starts from what changed after.
Resources that exist when the emulator starts, after a reset, or that ``POST /_emulator/fleet`` makes, are
indexed from the start (a fleet is there at once, as its vaults resolve at once).
"""

from __future__ import annotations

import copy
import threading
import time
from typing import TYPE_CHECKING
from typing import Any
from typing import Iterator

if TYPE_CHECKING:
    from .. import Emulator

Body = dict[str, Any]
NEVER = float("-inf")


class GraphIndex:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self._lock = threading.Lock()
        # Before-images of the transaction each thread is in (reads run side by side: each commits its own).
        self._pending: dict[int, dict[str, Body | None]] = {}
        self._since: dict[str, float] = {}  # when the live body (or the deletion) became current
        self._history: dict[str, list[tuple[float, Body | None]]] = {}  # (current since, body) superseded
        self._deleted: dict[str, str] = {}  # key -> type of a deleted resource still in history

    @property
    def lag(self) -> float:
        return max(0.0, float(self.emu.settings.resource_graph_lag_seconds))

    def before(self, key: str, body: Body | None) -> None:
        """The store's observer: what ``key`` was before a change that may come."""
        if self.lag <= 0:
            return
        with self._lock:
            mine = self._pending.setdefault(threading.get_ident(), {})
            if key not in mine:
                mine[key] = copy.deepcopy(body)

    def commit(self) -> None:
        """After a transaction: record what changed, as of now."""
        if not self._pending:
            return
        now = time.time()
        live = self.emu.store.data["resources"]
        with self._lock:
            pending = self._pending.pop(threading.get_ident(), {})
            for key, old in pending.items():
                new = live.get(key)
                if new == old:
                    continue
                self._history.setdefault(key, []).append((self._since.get(key, NEVER), old))
                self._since[key] = now
                if new is None and old is not None:
                    self._deleted[key] = old.get("type", "").lower()
                elif new is not None:
                    self._deleted.pop(key, None)
            self._prune(now)

    def settle(self) -> None:
        """Forget what this transaction changed: it is indexed already (a fleet)."""
        with self._lock:
            self._pending.pop(threading.get_ident(), None)

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self._since.clear()
            self._history.clear()
            self._deleted.clear()

    def _prune(self, now: float) -> None:
        horizon = now - self.lag
        for key in list(self._history):
            if self._since.get(key, NEVER) <= horizon:
                del self._history[key]
                self._since.pop(key, None)
                self._deleted.pop(key, None)

    def view(self, rtype: str) -> Iterator[Body]:
        """The resources of one type as the index serves them now (lag seconds ago)."""
        at = time.time() - self.lag
        with self._lock:
            self._prune(time.time())
            since, history = dict(self._since), {k: list(v) for k, v in self._history.items()}
            deleted = [k for k, t in self._deleted.items() if t == rtype.lower()]
        for body in self.emu.store.resources(rtype=rtype):
            key = body["id"].lower()
            if since.get(key, NEVER) <= at:
                yield body
            else:
                older = _current_at(history.get(key, []), at)
                if older is not None:
                    yield older
        for key in deleted:
            older = _current_at(history.get(key, []), at)
            if older is not None:
                yield older

    def memory(self) -> dict[str, int]:
        """What the index holds beyond the live state (for benchmarks)."""
        with self._lock:
            return {"changed": len(self._history), "versions": sum(len(v) for v in self._history.values())}


def _current_at(versions: list[tuple[float, Body | None]], at: float) -> Body | None:
    found = None
    for since, body in versions:
        if since <= at:
            found = body
    return found
