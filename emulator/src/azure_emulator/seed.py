"""What exists before any client calls: tenants, subscriptions, service principals, resource groups."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from . import roles
from .store import Store

DEFAULT_SEED: dict[str, Any] = {
    "name": "default",
    "tenants": [
        {"id": "6f0c5e2a-3b4d-4c8e-9a1f-2d7b8e4c6a10", "domain": "contoso.onmicrosoft.com"},
        {"id": "a3d9b1c7-8e2f-4b6a-9d5c-0f1e2a3b4c5d", "domain": "fabrikam.onmicrosoft.com"},
    ],
    "subscriptions": [
        {
            "id": "2b7e4f1c-9a3d-4e8b-b6c2-5d1f0a9e8c7b",
            "tenant_id": "6f0c5e2a-3b4d-4c8e-9a1f-2d7b8e4c6a10",
            "display_name": "CMK Emulator Subscription",
        },
    ],
    "principals": [
        {
            "client_id": "0e5d9c3a-7b1f-4d2e-8a6c-9f3b2e1d0c4a",
            "object_id": "9c4b2a1d-6e5f-4a3b-8c7d-2e1f0a9b8c6d",
            "tenant_id": "6f0c5e2a-3b4d-4c8e-9a1f-2d7b8e4c6a10",
            "display_name": "cmk-automation",
            "secret": "Emu8Q~local-emulator-secret-0000000000",
            "roles": [{"role": "Owner", "scope": "/subscriptions/2b7e4f1c-9a3d-4e8b-b6c2-5d1f0a9e8c7b"}],
        },
    ],
    "resource_groups": [
        {"subscription_id": "2b7e4f1c-9a3d-4e8b-b6c2-5d1f0a9e8c7b", "name": "rg-cmk", "location": "westeurope"},
    ],
}


def load_seed(path: Path | None) -> dict[str, Any]:
    return json.loads(path.read_text()) if path else json.loads(json.dumps(DEFAULT_SEED))


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def apply_seed(store: Store, seed: dict[str, Any]) -> None:
    """Add what the seed names; re-applying the same seed changes nothing."""
    data = store.data
    for tenant in seed.get("tenants", []):
        data["tenants"][tenant["id"]] = {"id": tenant["id"], "domain": tenant.get("domain")}
    for sub in seed.get("subscriptions", []):
        data["subscriptions"][sub["id"]] = {
            "id": sub["id"],
            "tenantId": sub["tenant_id"],
            "displayName": sub.get("display_name", sub["id"]),
            "state": "Enabled",
        }
    for principal in seed.get("principals", []):
        _seed_principal(store, principal)
    for group in seed.get("resource_groups", []):
        rid = f"/subscriptions/{group['subscription_id']}/resourceGroups/{group['name']}"
        if store.resource(rid) is None:
            store.put_resource(resource_group_body(rid, group["name"], group.get("location", "westeurope"), {}))


def _seed_principal(store: Store, spec: dict[str, Any]) -> None:
    existing = store.principal(spec["object_id"]) or {}
    hashes = set(existing.get("secretHashes", []))
    if spec.get("secret"):
        hashes.add(secret_hash(spec["secret"]))
    store.add_principal(
        {
            "objectId": spec["object_id"],
            "appId": spec.get("client_id", spec["object_id"]),
            "tenantId": spec["tenant_id"],
            "displayName": spec.get("display_name", spec["object_id"]),
            "type": spec.get("type", "ServicePrincipal"),
            "secretHashes": sorted(hashes),
        }
    )
    for grant in spec.get("roles", []):
        name = f"{grant['scope'].rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/"
        guid = store.new_uuid()
        role_guid = roles.BUILTIN_ROLES[grant["role"]][0]
        if any(
            a["properties"]["principalId"] == spec["object_id"]
            and roles.guid_of(a["properties"]["roleDefinitionId"]) == role_guid
            and a["properties"]["scope"].lower() == grant["scope"].lower()
            for a in store.resources(rtype="Microsoft.Authorization/roleAssignments")
        ):
            continue
        store.put_resource(
            role_assignment_body(name + guid, guid, grant["scope"], role_guid, spec["object_id"], "ServicePrincipal")
        )


def resource_group_body(rid: str, name: str, location: str, tags: dict[str, str]) -> dict[str, Any]:
    return {
        "id": rid,
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "tags": tags,
        "properties": {"provisioningState": "Succeeded"},
    }


def role_assignment_body(
    rid: str, name: str, scope: str, role_guid: str, principal_id: str, principal_type: str
) -> dict[str, Any]:
    return {
        "id": rid,
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": (
                f"{roles.definition_scope(scope)}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"
            ),
            "principalId": principal_id,
            "principalType": principal_type,
            "scope": scope,
        },
    }


def primary(seed: dict[str, Any]) -> dict[str, Any]:
    """The first tenant/subscription/principal/group: what the ready file and ``env`` hand to clients."""
    principal = seed["principals"][0]
    group = seed["resource_groups"][0]
    return {
        "tenant_id": principal["tenant_id"],
        "subscription_id": group["subscription_id"],
        "client_id": principal["client_id"],
        "client_secret": principal.get("secret"),
        "resource_group": group["name"],
        "location": group.get("location", "westeurope"),
    }
