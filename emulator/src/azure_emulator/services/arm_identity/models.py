"""User-assigned managed identities, and the directory principals behind every managed identity."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from ...store import Store

TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"


def register_principal(store: Store, tenant_id: str, display_name: str) -> dict[str, str]:
    """A managed identity is a service principal in the tenant: a principal id and a client id."""
    principal_id, client_id = store.new_uuid(), store.new_uuid()
    store.add_principal(
        {
            "objectId": principal_id,
            "appId": client_id,
            "tenantId": tenant_id,
            "displayName": display_name,
            "type": "ManagedIdentity",
            "secretHashes": [],
            # When it was made: role assignments meet it only once the directory has replicated it.
            "createdAt": time.time(),
        }
    )
    return {"principalId": principal_id, "clientId": client_id, "tenantId": tenant_id}


def new_identity(
    store: Store, rid: str, name: str, location: str, tags: dict[str, str], tenant_id: str
) -> dict[str, Any]:
    ids = register_principal(store, tenant_id, name)
    return {
        "id": rid,
        "name": name,
        "type": TYPE,
        "location": location,
        "tags": tags,
        "properties": {**ids, "isolationScope": "None"},
    }


def delete_identity(store: Store, body: dict[str, Any]) -> None:
    store.remove_principal(body["properties"]["principalId"])
    store.delete_resource(body["id"])
