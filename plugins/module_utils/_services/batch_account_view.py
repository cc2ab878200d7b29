# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Batch account as modules return it: its identity, its encryption, and whether it can reach its key.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._services import cmk
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import tracked_fields

KEY_VAULT = "Microsoft.KeyVault"
PLATFORM = "Microsoft.Batch"


def normalize(body):
    if body is None:
        return None
    identity = body.get("identity") or {}
    assigned = list((identity.get("userAssignedIdentities") or {}).items())
    props = body.get("properties") or {}
    encryption = props.get("encryption") or {}
    return {
        **tracked_fields(body),
        "identity_type": identity.get("type") or "None",
        "user_assigned_identity": assigned[0][0] if assigned else None,
        "principal_id": identity.get("principalId") or (assigned[0][1].get("principalId") if assigned else None),
        "tenant_id": identity.get("tenantId"),
        "key_source": encryption.get("keySource") or PLATFORM,
        "key_identifier": (encryption.get("keyVaultProperties") or {}).get("keyIdentifier"),
        "pool_allocation_mode": props.get("poolAllocationMode"),
        "auto_storage_account": (props.get("autoStorage") or {}).get("storageAccountId"),
        "public_network_access": props.get("publicNetworkAccess") or "Enabled",
        "provisioning_state": props.get("provisioningState"),
        "account_endpoint": props.get("accountEndpoint"),
    }


def account_tenant(service):
    if "_tenant" not in service.__dict__:
        service._tenant = service.call(
            "read subscription", service.clients.subscription_id, service.clients.subscription
        )["tenantId"]
    return service._tenant


def with_key_access(service, account, expiry_days=None):
    """Add ``key_access`` (findings), ``unavailable`` and ``unavailable_reason`` to a normalized account."""
    account["key_access"] = []
    if account["key_source"] == KEY_VAULT and account["key_identifier"]:
        principal = account["principal_id"] if account["identity_type"] != "None" else None
        vault_group = service.params.get("key_vault_resource_group")
        account["key_access"] = cmk.key_access_findings(
            service, principal, account["key_identifier"], account_tenant(service), expiry_days, vault_group
        )
    lost = [f for f in account["key_access"] if f["code"] in cmk.ACCESS_LOST]
    account["unavailable"] = bool(lost) or account["provisioning_state"] == "Invalid"
    account["unavailable_reason"] = "; ".join(f["message"] for f in lost) or (
        "Azure reports the account as Invalid" if account["unavailable"] else None
    )
    return account
