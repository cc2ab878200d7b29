"""The emulator's whole state: one JSON document, guarded by one lock, saved atomically."""

from __future__ import annotations

import copy
import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any
from typing import Iterator


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
        # Key Vault data plane, by lower-cased vault name: {"keys": {...}, "deletedKeys": {...}}.
        "vaultData": {},
        "operations": {},
    }


class Store:
    """Handlers run under ``lock``; ``commit`` writes the file when the state changed."""

    def __init__(self, path: Path | None, seed_name: str) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._saved = b""
        if path is not None and path.exists():
            self.data = json.loads(path.read_text())
            self._saved = _encode(self.data)
        else:
            self.data = empty_state(seed_name)

    @property
    def loaded_from_file(self) -> bool:
        return bool(self._saved)

    def new_uuid(self) -> str:
        """Deterministic for a given seed: the n-th id is the same in every run."""
        with self.lock:
            self.data["counter"] += 1
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"azure-emulator:{self.data['seed']}:{self.data['counter']}"))

    def commit(self) -> None:
        """Write the state if it changed: temp file, fsync, rename (survives kill -9)."""
        with self.lock:
            encoded = _encode(self.data)
            if self.path is None or encoded == self._saved:
                return
            tmp = self.path.with_name(self.path.name + ".tmp")
            # Owner-only: the state holds the keys' private material (the control API's dump withholds it).
            with open(tmp, "wb", opener=lambda path, flags: os.open(path, flags, 0o600)) as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(encoded)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
            self._saved = encoded

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.data)

    def replace(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.data = data

    # ARM resources ---------------------------------------------------------------------------
    def resource(self, resource_id: str) -> dict[str, Any] | None:
        return self.data["resources"].get(resource_id.lower().rstrip("/"))

    def put_resource(self, body: dict[str, Any]) -> dict[str, Any]:
        self.data["resources"][body["id"].lower()] = body
        return body

    def delete_resource(self, resource_id: str) -> dict[str, Any] | None:
        return self.data["resources"].pop(resource_id.lower().rstrip("/"), None)

    def resources(self, prefix: str = "", rtype: str | None = None) -> Iterator[dict[str, Any]]:
        """Resources whose id starts with ``prefix`` (a scope), optionally of one type."""
        lowered = prefix.lower().rstrip("/")
        for key, body in list(self.data["resources"].items()):
            if lowered and not (key == lowered or key.startswith(lowered + "/")):
                continue
            if rtype is None or body.get("type", "").lower() == rtype.lower():
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

    def remove_principal(self, object_id: str) -> None:
        self.data["principals"].pop(object_id.lower(), None)


def _encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, indent=1).encode()
