"""What exists before any client calls: tenants, subscriptions, service principals, resource groups."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from . import management_groups
from . import roles
from .store import Store

CONTOSO = "6f0c5e2a-3b4d-4c8e-9a1f-2d7b8e4c6a10"
FABRIKAM = "a3d9b1c7-8e2f-4b6a-9d5c-0f1e2a3b4c5d"
MAIN_SUB = "2b7e4f1c-9a3d-4e8b-b6c2-5d1f0a9e8c7b"  # the first: what the ready file and every client uses
PLATFORM_SUB = "7c1d9e3a-5b2f-4a6c-8d0e-1f3a5b7c9d2e"
RESTRICTED_SUB = "4e8a2c6d-0b1f-4d3e-a5c7-9e1b3d5f7a0c"
FABRIKAM_PROD_SUB = "9a3b5c7d-1e2f-4a4b-8c6d-0e2f4a6b8c1d"
FABRIKAM_SANDBOX_SUB = "5d7f9b1c-3a5e-4c7a-9b1d-3f5a7c9e1b4f"

# An estate in two tenants. The first tenant, subscription, principal and resource group are what every
# client uses (the ready file's); the rest give partial access to test: the first principal owns the first
# subscription, may read the platform one and is refused the restricted one (403 AuthorizationFailed in
# Resource Manager, rows absent in Resource Graph); an auditor reads the first only; fabrikam's principal owns
# fabrikam's production subscription only. Each tenant's root management group (its id is the tenant's, as in
# Azure) holds its subscriptions; contoso's platform group, under its root, holds two of them. Role
# assignments beyond the first name their own GUIDs, so the ids the emulator makes later (from a counter)
# are the same as before these were added.
DEFAULT_SEED: dict[str, Any] = {
    "name": "default",
    "tenants": [
        {"id": CONTOSO, "domain": "contoso.onmicrosoft.com"},
        {"id": FABRIKAM, "domain": "fabrikam.onmicrosoft.com"},
    ],
    "subscriptions": [
        {"id": MAIN_SUB, "tenant_id": CONTOSO, "display_name": "CMK Emulator Subscription"},
        {"id": PLATFORM_SUB, "tenant_id": CONTOSO, "display_name": "Contoso Platform"},
        {"id": RESTRICTED_SUB, "tenant_id": CONTOSO, "display_name": "Contoso Restricted"},
        {"id": FABRIKAM_PROD_SUB, "tenant_id": FABRIKAM, "display_name": "Fabrikam Production"},
        {"id": FABRIKAM_SANDBOX_SUB, "tenant_id": FABRIKAM, "display_name": "Fabrikam Sandbox"},
    ],
    "management_groups": [
        {"id": CONTOSO, "tenant_id": CONTOSO, "display_name": "Tenant Root Group", "subscriptions": [MAIN_SUB]},
        {
            "id": "mg-cmk-platform",
            "tenant_id": CONTOSO,
            "display_name": "CMK Platform",
            "parent": CONTOSO,
            "subscriptions": [PLATFORM_SUB, RESTRICTED_SUB],
        },
        {
            "id": FABRIKAM,
            "tenant_id": FABRIKAM,
            "display_name": "Tenant Root Group",
            "subscriptions": [FABRIKAM_PROD_SUB, FABRIKAM_SANDBOX_SUB],
        },
    ],
    "principals": [
        {
            "client_id": "0e5d9c3a-7b1f-4d2e-8a6c-9f3b2e1d0c4a",
            "object_id": "9c4b2a1d-6e5f-4a3b-8c7d-2e1f0a9b8c6d",
            "tenant_id": CONTOSO,
            "display_name": "cmk-automation",
            "secret": "Emu8Q~local-emulator-secret-0000000000",
            "roles": [
                {"role": "Owner", "scope": f"/subscriptions/{MAIN_SUB}"},
                {
                    "role": "Reader",
                    "scope": f"/subscriptions/{PLATFORM_SUB}",
                    "name": "c0a1e2d3-0001-4f00-8a00-5eed00000001",
                },
            ],
        },
        {
            "client_id": "3f6b8d0e-2a4c-4e6f-8a0b-2c4e6f8a0b1d",
            "object_id": "8d0f2b4e-6a8c-4e0a-b2d4-6f8a0c2e4b6d",
            "tenant_id": CONTOSO,
            "display_name": "cmk-auditor",
            "secret": "Emu8Q~local-auditor-secret-00000000000",
            "roles": [
                {
                    "role": "Reader",
                    "scope": f"/subscriptions/{MAIN_SUB}",
                    "name": "c0a1e2d3-0002-4f00-8a00-5eed00000002",
                }
            ],
        },
        {
            "client_id": "1b3d5f7a-9c1e-4a3c-b5d7-f9a1c3e5b7d9",
            "object_id": "6e8a0c2e-4b6d-4f8a-8c2e-4b6d8f0a2c4e",
            "tenant_id": FABRIKAM,
            "display_name": "fabrikam-automation",
            "secret": "Emu8Q~local-fabrikam-secret-0000000000",
            "roles": [
                {
                    "role": "Owner",
                    "scope": f"/subscriptions/{FABRIKAM_PROD_SUB}",
                    "name": "c0a1e2d3-0003-4f00-8a00-5eed00000003",
                }
            ],
        },
    ],
    "resource_groups": [
        {"subscription_id": MAIN_SUB, "name": "rg-cmk", "location": "westeurope"},
        {"subscription_id": PLATFORM_SUB, "name": "rg-platform", "location": "westeurope"},
        {"subscription_id": RESTRICTED_SUB, "name": "rg-restricted", "location": "northeurope"},
        {"subscription_id": FABRIKAM_PROD_SUB, "name": "rg-fabrikam", "location": "westeurope"},
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
    for group in seed.get("management_groups", []):
        management_groups.add_group(store, group)
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
        guid = grant.get("name") or store.new_uuid()  # the counter moves as it always did for unnamed grants
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
