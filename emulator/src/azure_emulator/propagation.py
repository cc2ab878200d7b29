"""Azure's eventual consistency, which the emulator otherwise hides.

- Grants propagate: "up to 10 minutes (600 seconds) after role assignments is changed for role to be
  applied" (Key Vault RBAC guide, "Known limits and performance"); access-policy changes also take time
  to reach Key Vault's data plane. Each change of who may use a key (a vault's access policies, a role
  assignment) is recorded with the grants as they were just before it. Key Vault's data plane and Batch's
  checks read the grants as they were ``grant_propagation_seconds`` ago - the current ones, overlaid by
  the oldest record still inside that window - so a revoke lags as a grant does. Resource Manager reads
  show every change at once, as Azure's do.
- A Batch account recovers late: "It can take up to 10 minutes for the account to be accessible again
  once access is restored" (Batch CMK FAQ). An account seen without key access is marked; once access is
  back it stays unavailable for ``account_recovery_seconds`` from the first read that finds it back.
- A new vault resolves late: its PUT answers ``RegisteringDns`` (an az CLI recording, 2022) and Terraform
  polls a new vault's data plane because "provisioning of dependent resources fails, due to the Key Vault
  not being fully online". See ``vault_resolves``.

Records live in the state document, so a refused write's transaction rolls them back with everything else.
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from . import Emulator

ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments"
UNAVAILABLE, RECOVERING, AVAILABLE = "unavailable", "recovering", "available"


# Grants --------------------------------------------------------------------------------------
def _record(emu: Emulator, kind: str, resource_id: str, before: Any) -> None:
    window = emu.settings.grant_propagation_seconds
    changes = emu.store.data.get("grantChanges")
    now = time.time()
    if changes:
        changes[:] = [c for c in changes if c["at"] > now - window]
    if window > 0:
        entry = {"at": now, "kind": kind, "id": resource_id.lower(), "before": copy.deepcopy(before)}
        emu.store.data.setdefault("grantChanges", []).append(entry)


def record_policies(emu: Emulator, vault: dict[str, Any], before: list[dict[str, Any]] | None) -> None:
    """A vault's access policies changed from ``before`` (call after the change)."""
    if (before or []) != (vault["properties"].get("accessPolicies") or []):
        _record(emu, "policies", vault["id"], before or [])


def record_assignment(emu: Emulator, assignment_id: str, before: dict[str, Any] | None) -> None:
    """A role assignment was created (``before`` None) or deleted (``before`` its body)."""
    _record(emu, "assignment", assignment_id, before)


def _pending(emu: Emulator) -> list[dict[str, Any]]:
    """Changes not yet visible to the data plane, oldest first."""
    window = emu.settings.grant_propagation_seconds
    if window <= 0:
        return []
    cutoff = time.time() - window
    return [c for c in emu.store.data.get("grantChanges") or [] if c["at"] > cutoff]


def effective_vault(emu: Emulator, vault: dict[str, Any]) -> dict[str, Any]:
    """The vault as Key Vault's data plane and Batch see it: access policies as they were a window ago."""
    vault_id = vault["id"].lower()
    for change in _pending(emu):
        if change["kind"] == "policies" and change["id"] == vault_id:
            return {**vault, "properties": {**vault["properties"], "accessPolicies": change["before"]}}
    return vault


def effective_assignments(emu: Emulator) -> list[dict[str, Any]]:
    """Role assignments as Key Vault's data plane and Batch see them."""
    current = {a["id"].lower(): a for a in emu.store.resources(rtype=ROLE_ASSIGNMENT)}
    seen: set[str] = set()
    for change in _pending(emu):
        if change["kind"] != "assignment" or change["id"] in seen:
            continue
        seen.add(change["id"])
        if change["before"] is None:
            current.pop(change["id"], None)
        else:
            current[change["id"]] = change["before"]
    return list(current.values())


# Batch accounts ------------------------------------------------------------------------------
def account_availability(emu: Emulator, account_id: str, access_lost: bool) -> str:
    """``unavailable`` while the key is out of reach, ``recovering`` for a while after, else ``available``."""
    # Called on reads too, which run side by side: a mark that changes is a change of state (Store.touch).
    marks = emu.store.data.get("accountAccess") or {}
    key = account_id.lower()
    now = time.time()
    mark = marks.get(key)
    if access_lost:
        if mark is None or "recoveringSince" in mark:
            emu.store.data.setdefault("accountAccess", {})[key] = {"lostAt": (mark or {}).get("lostAt", now)}
            emu.store.touch()
        return UNAVAILABLE
    if mark is None:
        return AVAILABLE
    if "recoveringSince" not in mark:
        mark["recoveringSince"] = now
        emu.store.touch()
    if now - mark["recoveringSince"] < emu.settings.account_recovery_seconds:
        return RECOVERING
    del marks[key]
    emu.store.touch()
    return AVAILABLE


def observations(data: dict[str, Any]) -> dict[str, Any] | None:
    """What requests observed rather than changed - when each account's key access was seen lost or back - so
    that a refused write's rollback does not undo it: recovery is counted from the first request of any kind
    that found access back, as Azure's own clock would."""
    marks = data.get("accountAccess")
    return copy.deepcopy(marks) if marks is not None else None


def keep_observations(store: Any, seen: dict[str, Any] | None) -> None:
    if seen is not None and store.data.get("accountAccess") != seen:
        store.data["accountAccess"] = seen
        store.touch()


def forget_account(emu: Emulator, account_id: str) -> None:
    (emu.store.data.get("accountAccess") or {}).pop(account_id.lower(), None)


# Vaults ----------------------------------------------------------------------------------------
def start_vault(emu: Emulator, vault: dict[str, Any]) -> None:
    """A new vault: note when Resource Manager may call it Succeeded and when its host resolves."""
    settings = emu.settings
    if settings.vault_registering_seconds <= 0 and settings.vault_dns_seconds <= 0:
        return
    now = time.time()
    emu.store.data.setdefault("vaultDns", {})[vault["name"].lower()] = {
        "succeededAt": now + settings.vault_registering_seconds,
        "resolvesAt": now + settings.vault_dns_seconds,
    }


def vault_registering(emu: Emulator, vault: dict[str, Any]) -> bool:
    entry = (emu.store.data.get("vaultDns") or {}).get(vault["name"].lower())
    return entry is not None and time.time() < entry["succeededAt"]


def vault_resolves(emu: Emulator, vault_name: str) -> bool:
    entry = (emu.store.data.get("vaultDns") or {}).get(vault_name.lower())
    return entry is None or time.time() >= entry["resolvesAt"]


def forget_vault(emu: Emulator, vault_name: str) -> None:
    (emu.store.data.get("vaultDns") or {}).pop(vault_name.lower(), None)
