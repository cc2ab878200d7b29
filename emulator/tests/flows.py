"""The seed's walkthroughs, step by step with the real SDKs (shared by several test modules)."""

from __future__ import annotations

from typing import Any

AUTOMATION_OID = "9c4b2a1d-6e5f-4a3b-8c7d-2e1f0a9b8c6d"  # the seeded service principal
CMK_PERMISSIONS = ["get", "wrapKey", "unwrapKey"]
CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
CRYPTO_OFFICER = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"


def make_vault(clients: Any, name: str, *, rbac: bool = False, purge_protection: bool = True, **extra: Any) -> Any:
    """A vault the automation principal administers (by access policy, or by role on an RBAC vault)."""
    properties: dict[str, Any] = {
        "tenantId": extra.pop("tenant", clients.tenant),
        "sku": {"family": "A", "name": extra.pop("sku", "standard")},
        "enableRbacAuthorization": rbac,
        "accessPolicies": []
        if rbac
        else [{"tenantId": clients.tenant, "objectId": AUTOMATION_OID, "permissions": {"keys": ["all"]}}],
        **extra,
    }
    if purge_protection:
        properties["enablePurgeProtection"] = True
    poller = clients.vaults().vaults.begin_create_or_update(
        clients.rg, name, {"location": "westeurope", "properties": properties}
    )
    vault = poller.result()
    if rbac:
        assign_role(clients, vault.id, AUTOMATION_OID, CRYPTO_OFFICER)
    return vault


def assign_role(clients: Any, scope: str, principal_id: str, role_guid: str) -> Any:
    import uuid

    definition = f"/subscriptions/{clients.sub}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"
    return clients.authorization().role_assignments.create(
        scope,
        str(uuid.uuid4()),
        {
            "properties": {
                "roleDefinitionId": definition,
                "principalId": principal_id,
                "principalType": "ServicePrincipal",
            }
        },
    )


def grant(
    clients: Any, vault_name: str, object_id: str, permissions: list[str] | None = None, kind: str = "add"
) -> Any:
    body = {
        "properties": {
            "accessPolicies": [
                {
                    "tenantId": clients.tenant,
                    "objectId": object_id,
                    "permissions": {"keys": permissions or CMK_PERMISSIONS},
                }
            ]
        }
    }
    return clients.vaults().vaults.update_access_policy(clients.rg, vault_name, kind, body)


def rsa_key(clients: Any, vault_name: str, name: str = "cmk", size: int = 2048, ops: list[str] | None = None) -> Any:
    return clients.keys(vault_name).create_rsa_key(name, size=size, key_operations=ops or ["wrapKey", "unwrapKey"])


def encryption(key_id: str | None) -> dict[str, Any]:
    if key_id is None:
        return {"properties": {"encryption": {"keySource": "Microsoft.Batch"}}}
    return {
        "properties": {
            "encryption": {"keySource": "Microsoft.KeyVault", "keyVaultProperties": {"keyIdentifier": key_id}}
        }
    }


def system_assigned_flow(clients: Any, account: str = "cmksys", vault: str = "kv-sys-cmk") -> tuple[Any, Any]:
    """DESIGN.md: create with SystemAssigned, grant its principal, then switch encryption to the key."""
    batch = clients.batch()
    created = batch.batch_account.begin_create(
        clients.rg, account, {"location": "westeurope", "identity": {"type": "SystemAssigned"}}
    ).result()
    make_vault(clients, vault)
    key = rsa_key(clients, vault)
    grant(clients, vault, created.identity.principal_id)
    updated = batch.batch_account.update(clients.rg, account, encryption(key.id))
    return updated, key


def user_assigned_flow(clients: Any, account: str = "cmkuser", vault: str = "kv-user-cmk") -> tuple[Any, Any, Any]:
    """DESIGN.md: identity first, grant it, then CMK at account creation."""
    identity = clients.msi().user_assigned_identities.create_or_update(
        clients.rg, "id-batch-cmk", {"location": "westeurope"}
    )
    make_vault(clients, vault)
    key = rsa_key(clients, vault, size=4096)
    grant(clients, vault, identity.principal_id)
    body = {
        "location": "westeurope",
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity.id: {}}},
        **encryption(key.id),
    }
    created = clients.batch().batch_account.begin_create(clients.rg, account, body).result()
    return created, key, identity
