# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batch accounts as modules return them, read by name or listed, and who uses a key, vault or
identity - for any module that must know (guards, reports), not only batch_account_cmk.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import tracked_fields
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier

KNOWN_AFTER_APPLY = "(known after apply)"  # a key id an earlier task returns (check mode)
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
        "user_assigned_identity": _resource_id.canonical(assigned[0][0]) if assigned else None,
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


def get_account(ctx, resource_group, name):
    operations = ctx.clients.batch.batch_account
    return normalize(rest_dict(ctx.read("read Batch account", name, operations.get, resource_group, name)))


def list_accounts(ctx, resource_group=None):
    """The accounts of a resource group, or of the subscription; listed once per run."""

    def fetch():
        operations = ctx.clients.batch.batch_account
        pages = operations.list_by_resource_group(resource_group) if resource_group else operations.list()
        found = ctx.call("list Batch accounts", resource_group or "the subscription", list, pages)
        return [normalize(rest_dict(a)) for a in found]

    return ctx.once(("accounts", resource_group), fetch)


def subscription_tenant(ctx):
    """The tenant of the subscription (and so of its Batch accounts): the caller's token's, read without a call."""
    tenant = ctx.claims().get("tid")
    if tenant:
        return tenant
    subscription = ctx.once(
        ("subscription",), lambda: ctx.call("read subscription", ctx.subscription_id, ctx.clients.subscription)
    )
    return subscription["tenantId"]


def principal_label(account):
    """How messages name the identity an account reaches its key with."""
    if account["identity_type"] == "UserAssigned" and account["user_assigned_identity"]:
        return "user-assigned identity '{}' of Batch account '{}'".format(
            account["user_assigned_identity"].rsplit("/", 1)[-1], account["name"]
        )
    return "the system-assigned identity of Batch account '{}'".format(account["name"])


def accounts_using(ctx, vault_name=None, key_name=None, principal_id=None, identity_id=None, version=None):
    """Names of the subscription's accounts on a customer-managed key that would lose it if the vault, the
    key, the principal's grant or the identity went away (each given criterion must match); with ``version``,
    only those on that version of the key: pinned to it, or following the newest (when it is the newest)."""
    found = accounts_on(ctx, vault_name, key_name, principal_id, identity_id)
    return [
        account_label(account)
        for account, key_id in found
        if version is None or key_id.version is None or key_id.version.lower() == version.lower()
    ]


def account_label(account):
    return "{} (resource group {})".format(account["name"], account["resource_group"])


def accounts_on(ctx, vault_name=None, key_name=None, principal_id=None, identity_id=None):
    """(account, its parsed key id) for the accounts ``accounts_using`` names."""
    found = []
    for account in list_accounts(ctx):
        if identity_id and not _resource_id.same(identity_id, account["user_assigned_identity"]):
            continue
        if account["key_source"] != KEY_VAULT or not account["key_identifier"]:
            continue
        if principal_id and (account["principal_id"] or "").lower() != principal_id.lower():
            continue
        try:
            key_id = parse_key_identifier(account["key_identifier"], ctx.cloud)
        except CmkValidationError:
            continue
        if vault_name and key_id.vault_name != vault_name.lower():
            continue
        if key_name and key_id.name.lower() != key_name.lower():
            continue
        found.append((account, key_id))
    return found


def refuse_breaking(what, accounts, force, ctx):
    """Refuse a change that cuts ``accounts`` off their key, unless ``force`` (then only warn)."""
    if not accounts:
        return
    text = "{} would make Batch account(s) {} unavailable: they use it to reach their customer-managed key".format(
        what, ", ".join(accounts)
    )
    if force:
        ctx.warn(text + " (force: true)")
        return
    raise CmkValidationError(
        text + ". Move them to another key or to Microsoft.Batch first, or set force: true to do it anyway"
    )
