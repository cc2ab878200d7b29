# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key Vault vaults as modules return them, read by name - for any module that needs one.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import vault_url
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import tracked_fields
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.resource_group import group_location

CATEGORIES = {"keys": "key_permissions", "secrets": "secret_permissions", "certificates": "certificate_permissions"}


def normalize_policy(entry):
    permissions = entry.get("permissions") or {}
    policy = {
        "tenant_id": entry.get("tenantId"),
        "object_id": entry.get("objectId"),
        "application_id": entry.get("applicationId"),
    }
    for rest, name in CATEGORIES.items():
        policy[name] = list(permissions.get(rest) or [])
    return policy


def normalize(body):
    if body is None:
        return None
    props = body.get("properties") or {}
    return {
        **tracked_fields(body),
        "tenant_id": props.get("tenantId"),
        "sku": ((props.get("sku") or {}).get("name") or "").lower() or None,
        "vault_uri": props.get("vaultUri"),
        "enable_rbac_authorization": bool(props.get("enableRbacAuthorization")),
        "enable_soft_delete": props.get("enableSoftDelete") is not False,
        "soft_delete_retention_days": props.get("softDeleteRetentionInDays", 90),
        "enable_purge_protection": bool(props.get("enablePurgeProtection")),
        "public_network_access": props.get("publicNetworkAccess") or "Enabled",
        "provisioning_state": props.get("provisioningState"),
        "access_policies": [normalize_policy(p) for p in props.get("accessPolicies") or []],
    }


def vault_or_prediction(ctx, name, resource_group, rbac=True, assumed=""):
    """The vault, or - in check mode, when an earlier task would create it - what it would be (``unknown``;
    RBAC unless told: the default of new vaults, in Azure and in azure_cmk.batch.keyvault). ``assumed``
    says what the prediction takes for granted about it."""
    vault = get_vault(ctx, resource_group, name)
    if vault is not None:
        return vault
    group_location(ctx, resource_group)  # a wrong group is a mistake, not something an earlier task creates
    elsewhere = find_vault(ctx, name)
    if elsewhere is not None:  # a plain mistake too: refused in check mode alike
        raise CmkValidationError(
            f"resource_group: vault '{name}' is in resource group '{elsewhere['resource_group']}', "
            f"not '{resource_group}'"
        )
    missing = f"vault '{name}' does not exist in resource group '{resource_group}'"
    ctx.not_yet("vault_name", missing, check_message=missing + assumed)
    vault_id = _resource_id.build(ctx.subscription_id, resource_group, "Microsoft.KeyVault", "vaults", name)
    return {
        "id": vault_id,
        "name": name,
        "tenant_id": None,
        "vault_uri": vault_url(ctx.cloud, name) + "/",  # Azure's vaultUri ends with a slash
        "enable_rbac_authorization": rbac,
        "enable_soft_delete": True,
        "enable_purge_protection": True,
        "access_policies": [],
        "unknown": True,
    }


def get_vault(ctx, resource_group, name):
    """Vault ``name`` in ``resource_group``, or None; read once per run."""

    def fetch():
        operations = ctx.clients.keyvault.vaults
        return normalize(rest_dict(ctx.read("read key vault", name, operations.get, resource_group, name)))

    return ctx.once(("vault", resource_group.lower(), name.lower()), fetch)


def find_vault(ctx, name, resource_group=None, near=None):
    """A vault by name: in ``resource_group`` if given; else in ``near`` (the group it most often shares with
    its user) and then anywhere in the subscription (listed once per run); None if not found."""
    if resource_group:
        return get_vault(ctx, resource_group, name)
    if near:
        found = get_vault(ctx, near, name)
        if found is not None:
            return found

    def listing():
        operations = ctx.clients.keyvault.vaults
        listed = ctx.call("list key vaults", "the subscription", list, operations.list_by_subscription())
        return {body.name.lower(): normalize(rest_dict(body)) for body in listed}

    return ctx.once(("vaults",), listing).get(name.lower())
