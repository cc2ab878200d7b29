"""Soft delete for keys: delete -> deleted (recoverable), recover, purge (refused under purge protection)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from typing import Any

from ...errors import KeyVaultError
from . import models

if TYPE_CHECKING:
    from ... import Emulator


def deleted_bundle(vault: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    record = entry["record"]
    version = record["versions"][record["order"][-1]]
    result = models.bundle(vault, record, version)
    base = vault["properties"]["vaultUri"].rstrip("/")
    result.update(
        recoveryId=f"{base}/deletedkeys/{record['name']}",
        deletedDate=entry["deletedDate"],
        scheduledPurgeDate=entry["scheduledPurgeDate"],
    )
    return result


def deleted_not_found(name: str) -> KeyVaultError:
    return KeyVaultError(404, "KeyNotFound", f"Deleted Key not found: {name}")


def delete_key(emu: Emulator, vault: dict[str, Any], name: str) -> dict[str, Any]:
    data = models.vault_data(emu, vault["name"])
    record = data["keys"].pop(name.lower(), None)
    if record is None:
        raise models.key_not_found(name)
    now = int(time.time())
    days = vault["properties"].get("softDeleteRetentionInDays", 90)
    entry = {"record": record, "deletedDate": now, "scheduledPurgeDate": now + days * 86400}
    data["deletedKeys"][name.lower()] = entry
    return deleted_bundle(vault, entry)


def get_deleted(emu: Emulator, vault: dict[str, Any], name: str) -> dict[str, Any]:
    entry = models.vault_data(emu, vault["name"])["deletedKeys"].get(name.lower())
    if entry is None:
        raise deleted_not_found(name)
    return deleted_bundle(vault, entry)


def list_deleted(emu: Emulator, vault: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for entry in models.vault_data(emu, vault["name"])["deletedKeys"].values():
        full = deleted_bundle(vault, entry)
        summary = {"kid": models.kid(vault, entry["record"]["name"]), "attributes": full["attributes"]}
        summary.update({k: full[k] for k in ("recoveryId", "deletedDate", "scheduledPurgeDate")})
        found.append(summary)
    return found


def recover(emu: Emulator, vault: dict[str, Any], name: str) -> dict[str, Any]:
    data = models.vault_data(emu, vault["name"])
    entry = data["deletedKeys"].pop(name.lower(), None)
    if entry is None:
        raise deleted_not_found(name)
    record = entry["record"]
    data["keys"][name.lower()] = record
    return models.bundle(vault, record, record["versions"][record["order"][-1]])


def purge(emu: Emulator, vault: dict[str, Any], name: str) -> None:
    data = models.vault_data(emu, vault["name"])
    if name.lower() not in data["deletedKeys"]:
        raise deleted_not_found(name)
    if vault["properties"].get("enablePurgeProtection"):
        raise KeyVaultError(
            403,
            "Forbidden",
            f'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service '
            f"will automatically purge key {name} after the retention period has passed.",
            inner="PurgeProtectionEnabled",
        )
    del data["deletedKeys"][name.lower()]
