"""The emulator's whole state: one JSON document, guarded by a reader/writer lock, saved atomically."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import threading
import uuid
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Iterator

from .rwlock import RWLock


def empty_state(seed_name: str) -> dict[str, Any]:
    return {
        "format": 1,
        "seed": seed_name,
        "counter": 0,
        "tenants": {},
        "subscriptions": {},
        "principals": {},
        # ARM resources by lower-cased id (casing of the creator kept in the body).
        "resources": {},
        "deletedVaults": {},
        # Management groups by lower-cased id (management_groups.py).
        "managementGroups": {},
        # Key Vault data plane, by lower-cased vault name: {"keys": {...}, "deletedKeys": {...}}.
        "vaultData": {},
        "operations": {},
    }


class Store:
    """Reads run under ``lock.reading()``, writes under ``lock`` (exclusive, as a context manager).

    A change is recorded with ``touch()`` (a write transaction touches on its own); ``commit`` writes
    the file only when something was touched, so a read never re-encodes the state.
    """

    def __init__(self, path: Path | None, seed_name: str) -> None:
        self.path = path
        self.lock = RWLock()
        self._version_lock = threading.Lock()
        self._loaded = False
        self._version = 0  # bumped by touch(); the state on disk is at _saved_version
        self._saved_version = 0
        self._saved_bytes = b""
        # Told of each resource a write may change, before it changes (the Resource Graph index keeps what
        # it served): resource()/resources() under the write lock, put/delete always, will_change() on reads.
        self.observer: Callable[[str, dict[str, Any] | None], None] | None = None
        # Checks that a read changed nothing it did not touch() (tests: it re-encodes around each read);
        # what it finds goes to read_violations.
        self.check_reads = False
        self.read_violations: list[str] = []
        if path is not None and path.exists():
            self.data = json.loads(path.read_text())
            self._saved_bytes = _encode(self.data)
            self._loaded = True
        else:
            self.data = empty_state(seed_name)
        self._index_types()

    @property
    def loaded_from_file(self) -> bool:
        return self._loaded

    @property
    def version(self) -> int:
        """How many changes were recorded: a cheap way to tell whether the state moved."""
        return self._version

    def touch(self) -> None:
        """Record that the state changed (reads that refresh derived fields call this too)."""
        with self._version_lock:
            self._version += 1

    def new_uuid(self) -> str:
        """Deterministic for a given seed: the n-th id is the same in every run."""
        with self.lock:
            self.data["counter"] += 1
            self.touch()
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"azure-emulator:{self.data['seed']}:{self.data['counter']}"))

    def commit(self) -> None:
        """Write the state if it was touched since the last save: temp file, fsync, rename (survives kill -9)."""
        if self.path is None or self._version == self._saved_version:
            return  # nothing to save: no lock taken, so reads stay side by side (a toucher commits itself)
        with self.lock:
            version = self._version
            if self.path is None or version == self._saved_version:
                return
            encoded = _encode(self.data)
            if encoded != self._saved_bytes:
                tmp = self.path.with_name(self.path.name + ".tmp")
                # Owner-only: the state holds the keys' private material (the control API's dump withholds it).
                with open(tmp, "wb", opener=lambda path, flags: os.open(path, flags, 0o600)) as handle:
                    os.fchmod(handle.fileno(), 0o600)
                    handle.write(encoded)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
                self._saved_bytes = encoded
            self._saved_version = version

    def snapshot(self) -> dict[str, Any]:
        """A deep copy (a pickle round trip: the state is plain JSON values, and it is 3x faster than deepcopy)."""
        with self.lock.reading():
            return pickle.loads(pickle.dumps(self.data, pickle.HIGHEST_PROTOCOL))  # noqa: S301 - our own bytes

    def replace(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.data = data
            self._index_types()
            self.touch()

    @contextlib.contextmanager
    def read_transaction(self, what: str = "a read") -> Iterator[None]:
        """Shared access for a read; with ``check_reads``, note a read that changed state untouched."""
        with self.lock.reading():
            if not self.check_reads:
                yield
                return
            before, version = _encode(self.data), self._version
            yield
            if self._version == version and _encode(self.data) != before:
                self.read_violations.append(f"{what} changed the state without Store.touch(): it would not be saved")

    # ARM resources ---------------------------------------------------------------------------
    # Besides the id-keyed map, resources are indexed by type, so a lookup by type (vaults by name,
    # role assignments of a principal) costs what that type holds, not what the whole state holds.
    def _index_types(self) -> None:
        self._by_type: dict[str, dict[str, dict[str, Any]]] = {}
        for key, body in self.data["resources"].items():
            self._by_type.setdefault(body.get("type", "").lower(), {})[key] = body

    def resource(self, resource_id: str) -> dict[str, Any] | None:
        key = resource_id.lower().rstrip("/")
        body = self.data["resources"].get(key)
        if self.observer is not None and self.lock.held_by_me():
            self.observer(key, body)
        return body

    def will_change(self, body: dict[str, Any]) -> None:
        """A read is about to change this resource in place (a derived field): tell the observer first."""
        if self.observer is not None:
            self.observer(body["id"].lower(), body)

    def put_resource(self, body: dict[str, Any]) -> dict[str, Any]:
        key = body["id"].lower()
        previous = self.data["resources"].get(key)
        if self.observer is not None:
            self.observer(key, previous)
        if previous is not None:
            self._by_type.get(previous.get("type", "").lower(), {}).pop(key, None)
        self.data["resources"][key] = body
        self._by_type.setdefault(body.get("type", "").lower(), {})[key] = body
        self.touch()
        return body

    def delete_resource(self, resource_id: str) -> dict[str, Any] | None:
        key = resource_id.lower().rstrip("/")
        if self.observer is not None:
            self.observer(key, self.data["resources"].get(key))
        body = self.data["resources"].pop(key, None)
        if body is not None:
            self._by_type.get(body.get("type", "").lower(), {}).pop(key, None)
            self.touch()
        return body

    def resources(self, prefix: str = "", rtype: str | None = None) -> Iterator[dict[str, Any]]:
        """Resources whose id starts with ``prefix`` (a scope), optionally of one type."""
        lowered = prefix.lower().rstrip("/")
        pool = self.data["resources"] if rtype is None else self._by_type.get(rtype.lower(), {})
        observe = self.observer if self.observer is not None and self.lock.held_by_me() else None
        for key, body in list(pool.items()):
            if lowered and not (key == lowered or key.startswith(lowered + "/")):
                continue
            if observe is not None:
                observe(key, body)
            yield body

    # Directory --------------------------------------------------------------------------------
    def principal(self, object_id: str) -> dict[str, Any] | None:
        return self.data["principals"].get(object_id.lower())

    def principal_by_app(self, tenant_id: str, app_id: str) -> dict[str, Any] | None:
        for principal in self.data["principals"].values():
            if principal.get("appId", "").lower() == app_id.lower() and principal["tenantId"] == tenant_id:
                return principal
        return None

    def add_principal(self, principal: dict[str, Any]) -> None:
        self.data["principals"][principal["objectId"].lower()] = principal
        self.touch()

    def remove_principal(self, object_id: str) -> None:
        if self.data["principals"].pop(object_id.lower(), None) is not None:
            self.touch()


def _encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()  # compact: 3x faster than indented
