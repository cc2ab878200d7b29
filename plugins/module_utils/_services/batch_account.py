# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batch accounts (Microsoft.Batch/batchAccounts): the calls, the account as modules return it, and the
bodies sent for its identity and encryption.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _lro
from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import tracked_fields

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


def identity_body(desired):
    if desired["identity_type"] == "UserAssigned":
        return {"type": "UserAssigned", "userAssignedIdentities": {desired["user_assigned_identity"]: {}}}
    return {"type": desired["identity_type"]}


def encryption_body(desired):
    if desired["key_source"] == KEY_VAULT:
        return {"keySource": KEY_VAULT, "keyVaultProperties": {"keyIdentifier": desired["key_identifier"]}}
    return {"keySource": PLATFORM}


def create_body(desired):
    """The PUT body of a new account with ``desired``'s identity, encryption and settings."""
    props = {
        "poolAllocationMode": desired["pool_allocation_mode"],
        "encryption": encryption_body(desired),
        "publicNetworkAccess": desired["public_network_access"],
    }
    if desired["auto_storage_account"]:
        props["autoStorage"] = {"storageAccountId": desired["auto_storage_account"]}
    return {
        "location": desired["location"],
        "tags": desired["tags"],
        "identity": identity_body(desired),
        "properties": props,
    }


def update_body(current, desired):
    """The PATCH body for what differs between ``current`` and ``desired`` (tags aside: the Tags API writes
    them); empty when nothing but tags differs."""
    changed = {k for k in desired if current.get(k) != desired[k]}
    body, props = {}, {}
    if changed & {"identity_type", "user_assigned_identity"}:
        body["identity"] = identity_body(desired)
    if changed & {"key_source", "key_identifier"}:
        props["encryption"] = encryption_body(desired)
    if "auto_storage_account" in changed:
        storage = desired["auto_storage_account"]
        props["autoStorage"] = {"storageAccountId": storage} if storage else None
    if "public_network_access" in changed:
        props["publicNetworkAccess"] = desired["public_network_access"]
    if props:
        body["properties"] = props
    return body


def account_id(subscription_id, resource_group, name):
    return _resource_id.build(subscription_id, resource_group, "Microsoft.Batch", "batchAccounts", name)


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

    return ctx.once(("accounts", (resource_group or "").lower()), fetch)


def create_account(ctx, resource_group, name, body):
    """Start the creation; returns the poller (Batch's 202 carries no Retry-After: polled every few seconds)."""
    operations = ctx.clients.batch.batch_account
    return ctx.call(
        "create Batch account",
        name,
        operations.begin_create,
        resource_group,
        name,
        body,
        polling_interval=_lro.POLL_SECONDS,
    )


def update_account(ctx, resource_group, name, resource_id, body):
    ctx.call("update Batch account", resource_id, ctx.clients.batch.batch_account.update, resource_group, name, body)


def delete_account(ctx, resource_group, name, resource_id):
    """Start the deletion; returns the poller."""
    operations = ctx.clients.batch.batch_account
    return ctx.call(
        "delete Batch account",
        resource_id,
        operations.begin_delete,
        resource_group,
        name,
        polling_interval=_lro.POLL_SECONDS,
    )


def wait_for(ctx, poller, timeout, action, resource, what):
    """Wait for a creation or deletion (CmkTimeout naming ``what`` after ``timeout`` s)."""
    ctx.call(action, resource, _lro.wait, poller, timeout, what)


def principal_label(account):
    """How messages name the identity an account (or, with ``pool``, a pool of it) reaches its key with."""
    if account["identity_type"] == "UserAssigned" and account["user_assigned_identity"]:
        return "user-assigned identity '{}' of {}".format(
            account["user_assigned_identity"].rsplit("/", 1)[-1], holder_label(account)
        )
    return f"the system-assigned identity of {holder_label(account)}"


def holder_label(account):
    """How messages name what holds a key: the account, or (``pool``) its pool."""
    if account.get("pool"):
        return "pool '{}' of Batch account '{}'".format(account["pool"], account["name"])
    return "Batch account '{}'".format(account["name"])


def account_label(account):
    return "{} (resource group {})".format(account["name"], account["resource_group"])
