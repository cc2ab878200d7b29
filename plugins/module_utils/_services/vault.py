# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key Vault vaults (Microsoft.KeyVault/vaults): the calls, the vault as modules return it, and the bodies
sent.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _lro
from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import vault_url
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import tracked_fields
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.subscription import group_location

CATEGORIES = {"keys": "key_permissions", "secrets": "secret_permissions", "certificates": "certificate_permissions"}
# Managed field -> property name in the REST body.
PROPERTIES = {
    "tenant_id": "tenantId",
    "enable_rbac_authorization": "enableRbacAuthorization",
    "soft_delete_retention_days": "softDeleteRetentionInDays",
    "enable_purge_protection": "enablePurgeProtection",
    "public_network_access": "publicNetworkAccess",
}


def normalize_policy(entry):
    """An access-policy entry as modules show it."""
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


def properties(fields, full=False):
    """The REST ``properties`` for the managed ``fields`` given; ``full`` for a new vault."""
    props = {PROPERTIES[k]: v for k, v in fields.items() if k in PROPERTIES}
    if "sku" in fields:
        props["sku"] = {"family": "A", "name": fields["sku"]}
    if props.get("enablePurgeProtection") is False:
        del props["enablePurgeProtection"]  # it is only ever sent to turn it on
    if full:
        props.update(enableSoftDelete=True, accessPolicies=[])
    return props


def vault_id(subscription_id, resource_group, name):
    return _resource_id.build(subscription_id, resource_group, "Microsoft.KeyVault", "vaults", name)


def get_vault(ctx, resource_group, name):
    """Vault ``name`` in ``resource_group``, or None; read once per run."""

    def fetch():
        operations = ctx.clients.keyvault.vaults
        return normalize(rest_dict(ctx.read("read key vault", name, operations.get, resource_group, name)))

    return ctx.once(("vault", resource_group.lower(), name.lower()), fetch)


def read_ahead(ctx, resource_group, name):
    """Start reading vault ``name`` (``get_vault``) in the background, beside a read it does not depend on (the
    account a grant or a key is for): on a second connection, its round trip hides behind that read's."""
    ctx.read_ahead(("vault", resource_group.lower(), name.lower()), lambda: get_vault(ctx, resource_group, name))


def list_vaults(ctx, resource_group=None):
    """The vaults of a resource group, or of the subscription; listed once per run."""

    def fetch():
        operations = ctx.clients.keyvault.vaults
        pages = (
            operations.list_by_resource_group(resource_group) if resource_group else operations.list_by_subscription()
        )
        return [
            normalize(rest_dict(v))
            for v in ctx.call("list key vaults", resource_group or "the subscription", list, pages)
        ]

    return ctx.once(("vaults", (resource_group or "").lower()), fetch)


def find_vault(ctx, name, resource_group=None, near=None):
    """A vault by name: in ``resource_group`` if given; else in ``near`` (the group it most often shares with
    its user) and then anywhere in the subscription; None if not found."""
    if resource_group:
        return get_vault(ctx, resource_group, name)
    if near:
        found = get_vault(ctx, near, name)
        if found is not None:
            return found
    return next((v for v in list_vaults(ctx) if v["name"].lower() == name.lower()), None)


def vault_or_prediction(ctx, name, resource_group, rbac=True, assumed=""):
    """The vault, or - in check mode, when an earlier task would create it - what it would be (``unknown``;
    RBAC unless told: the default of new vaults, in Azure and in azure_cmk.batch.keyvault). ``assumed``
    says what the prediction takes for granted about it. A vault in another group is a plain mistake."""
    vault = get_vault(ctx, resource_group, name)
    if vault is not None:
        return vault
    group_location(ctx, resource_group)  # a wrong group is a mistake, not something an earlier task creates
    elsewhere = find_vault(ctx, name)
    if elsewhere is not None:  # refused in check mode alike
        raise CmkValidationError(
            f"resource_group: vault '{name}' is in resource group '{elsewhere['resource_group']}', "
            f"not '{resource_group}'"
        )
    missing = f"vault '{name}' does not exist in resource group '{resource_group}'"
    ctx.not_yet("vault_name", missing, check_message=missing + assumed)
    return {
        "id": vault_id(ctx.subscription_id, resource_group, name),
        "name": name,
        "tenant_id": None,
        "vault_uri": vault_url(ctx.cloud, name) + "/",  # Azure's vaultUri ends with a slash
        "enable_rbac_authorization": rbac,
        "enable_soft_delete": True,
        "enable_purge_protection": True,
        "access_policies": [],
        "unknown": True,
    }


def find_deleted_vault(ctx, name):
    """The soft-deleted vault of this name in the subscription, or None (an SDK model)."""
    operations = ctx.clients.keyvault.vaults
    deleted = ctx.call("list deleted key vaults", "the subscription", list, operations.list_deleted())
    return next((d for d in deleted if d.name.lower() == name.lower()), None)


def name_available(ctx, name):
    """(available, why not): Key Vault's name check (a POST that changes nothing: retried like a read)."""
    operations = ctx.clients.keyvault.vaults
    body = {"name": name, "type": "Microsoft.KeyVault/vaults"}
    answer = ctx.call_safe("check the vault name", name, operations.check_name_availability, body)
    return answer.name_available, answer.message or answer.reason


def create_vault(ctx, resource_group, name, body):
    """PUT the vault without polling: a new vault answers RegisteringDns with no retry hint (the SDK would poll
    every 30 s); the caller waits by reading."""
    operations = ctx.clients.keyvault.vaults
    ctx.call("create key vault", name, operations.begin_create_or_update, resource_group, name, body, polling=False)


def recover_vault(ctx, resource_group, name, location, tenant_id, sku, timeout):
    body = {
        "location": location,
        "properties": {"tenantId": tenant_id, "sku": {"family": "A", "name": sku}, "createMode": "recover"},
    }
    operations = ctx.clients.keyvault.vaults
    poller = ctx.call("recover key vault", name, operations.begin_create_or_update, resource_group, name, body)
    ctx.call("recover key vault", name, _lro.wait, poller, timeout, "recovery of vault " + name)


def update_vault(ctx, resource_group, name, resource_id, props):
    operations = ctx.clients.keyvault.vaults
    ctx.call("update key vault", resource_id, operations.update, resource_group, name, {"properties": props})


def delete_vault(ctx, resource_group, name, resource_id):
    ctx.call("delete key vault", resource_id, ctx.clients.keyvault.vaults.delete, resource_group, name)
