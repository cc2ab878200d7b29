"""The tables Resource Graph queries, each fed by resource types of the index.

- ``resources``: Batch accounts, Key Vault vaults and user-assigned identities, each row the resource as its
  GET answers (identity, properties.encryption, accessPolicies, networkAcls...);
- ``authorizationresources``: role assignments;
- ``batchresources``: Batch pools (``microsoft.batch/batchaccounts/pools``), as their GETs answer them
  (``services/arm_batch/pools.py``); ``register`` feeds a table from more types.

A row has Resource Graph's columns: ``type`` and ``location`` lower-cased, ``resourceGroup``,
``subscriptionId`` and ``tenantId`` filled in, and empty strings or nulls for what a resource lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable
from typing import Iterable

from ..services.arm_batch import handlers as batch

if TYPE_CHECKING:
    from .. import Emulator

Row = dict[str, Any]
SCHEMA: dict[str, str] = {
    "id": "string",
    "name": "string",
    "type": "string",
    "tenantId": "string",
    "kind": "string",
    "location": "string",
    "resourceGroup": "string",
    "subscriptionId": "string",
    "managedBy": "string",
    "sku": "dynamic",
    "plan": "dynamic",
    "properties": "dynamic",
    "tags": "dynamic",
    "identity": "dynamic",
    "zones": "dynamic",
    "extendedLocation": "dynamic",
}
SCOPE = re.compile(r"^/subscriptions/(?P<sub>[^/]+)(?:/resourceGroups/(?P<rg>[^/]+))?", re.I)
# How a resource of a type answers GET (Batch leaves empty tags out), when not as stored.
SHOWN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"microsoft.batch/batchaccounts": batch.shown}


def row(body: dict[str, Any], tenants: dict[str, str]) -> Row:
    shown = SHOWN.get(body.get("type", "").lower(), lambda b: b)(body)
    scope = SCOPE.match(shown["id"])
    sub = scope["sub"] if scope else ""
    return {
        "id": shown["id"],
        "name": shown.get("name", ""),
        "type": shown.get("type", "").lower(),
        "tenantId": tenants.get(sub.lower(), ""),
        "kind": shown.get("kind", ""),
        "location": re.sub(r"\s+", "", shown.get("location", "")).lower(),
        "resourceGroup": (scope["rg"] or "") if scope else "",
        "subscriptionId": sub,
        "managedBy": shown.get("managedBy", ""),
        "sku": shown.get("sku"),
        "plan": shown.get("plan"),
        "properties": shown.get("properties"),
        "tags": shown.get("tags", {}) if "tags" in shown or (scope and scope["rg"]) else None,
        "identity": shown.get("identity"),
        "zones": shown.get("zones"),
        "extendedLocation": shown.get("extendedLocation"),
    }


@dataclass
class Table:
    types: tuple[str, ...]


TABLES: dict[str, Table] = {
    "resources": Table(
        (
            "Microsoft.Batch/batchAccounts",
            "Microsoft.KeyVault/vaults",
            "Microsoft.ManagedIdentity/userAssignedIdentities",
        )
    ),
    "authorizationresources": Table(("Microsoft.Authorization/roleAssignments",)),
    "batchresources": Table(("Microsoft.Batch/batchAccounts/pools",)),
}


def register(name: str, types: tuple[str, ...]) -> None:
    """Feed table ``name`` from these resource types (pools plug in here if stored under another type)."""
    TABLES[name.lower()] = Table(types)


def bodies(emu: Emulator, table: str) -> Iterable[dict[str, Any]] | None:
    found = TABLES.get(table.lower())
    if found is None:
        return None
    return (body for rtype in found.types for body in emu.graph.view(rtype))
