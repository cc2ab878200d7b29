# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batch pools (Microsoft.Batch/batchAccounts/pools, api-version 2025-06-01): read only - the list of an account's
pools from Batch, an estate's from Resource Graph's ``batchresources`` - and the pool as reports give it: its
nodes, its disk encryption (``diskEncryptionConfiguration``: the targets, the pool's own key) and the identity it
reaches that key with.

The collection writes no pool: Batch changes a pool's ``deploymentConfiguration`` (where its disk encryption
is) only while the pool has no nodes, so fixing one is a scale to zero, or recreating the pool, which its owner
plans.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import re

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import resource_graph as graph
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.resource_graph import kql_string

TEMPORARY_DISK = "TemporaryDisk"
POOL_SEGMENT = re.compile(r"/pools/[^/]+/?$", re.IGNORECASE)
VERSION_SEGMENT = re.compile(r"/[0-9a-fA-F]{32}/?$")


def normalize(body):
    """A pool's REST body (its GET, or a ``batchresources`` row) as reports give it."""
    props = body.get("properties") or {}
    vmc = (props.get("deploymentConfiguration") or {}).get("virtualMachineConfiguration") or {}
    encryption = vmc.get("diskEncryptionConfiguration") or {}
    targets = list(encryption.get("targets") or [])
    own = encryption.get("customerManagedKey")
    managed = (vmc.get("osDisk") or {}).get("managedDisk") or {}
    return {
        "id": _resource_id.canonical(body["id"]),
        "name": body["name"],
        "os": _os_of(vmc),
        "vm_size": props.get("vmSize"),
        "dedicated_nodes": int(props.get("currentDedicatedNodes") or 0),
        "low_priority_nodes": int(props.get("currentLowPriorityNodes") or 0),
        "disk_encryption_targets": targets,
        "temporary_disk_encrypted": TEMPORARY_DISK in targets,
        "customer_managed_key": _own_key(own, body.get("identity")) if own else None,
        "disk_encryption_set": (managed.get("diskEncryptionSet") or {}).get("id"),
    }


def _os_of(vmc):
    """``windows`` or ``linux`` by the node agent (Batch's own word for the image's OS), None without one."""
    agent = (vmc.get("nodeAgentSkuId") or "").lower()
    if not agent:
        return None
    return "windows" if "windows" in agent else "linux"


def _own_key(own, identity):
    """The pool's own disk key: its url (always versioned), whether Batch follows the key's newest version, and
    the user-assigned identity (and its principal) the pool reaches it with."""
    reference = (own.get("identityReference") or {}).get("resourceId")
    assigned = (identity or {}).get("userAssignedIdentities") or {}
    entry = next((v for k, v in assigned.items() if reference and _resource_id.same(k, reference)), None)
    return {
        "key_url": own.get("keyUrl"),
        "rotation_to_latest_key_version": bool(own.get("rotationToLatestKeyVersionEnabled")),
        "identity": _resource_id.canonical(reference) if reference else None,
        "principal_id": (entry or {}).get("principalId"),
    }


def nodes(pool):
    return pool["dedicated_nodes"] + pool["low_priority_nodes"]


def account_of(pool_id):
    """The id of the Batch account a pool belongs to (its id without the last ``/pools/<name>``, in any case)."""
    return POOL_SEGMENT.sub("", pool_id)


def key_holder(pool, account):
    """The pool as the key audits and guards take an account (_audit, _estate_facts, _guards): its own key, reached
    with its identity - named as the pool of ``account``. A pool with ``rotationToLatestKeyVersionEnabled`` uses the
    key's newest version whatever version its url names (Batch requires one): it holds the versionless id."""
    own = pool["customer_managed_key"]
    url = own["key_url"]
    if url and own["rotation_to_latest_key_version"]:
        url = VERSION_SEGMENT.sub("", url)
    return dict(
        account,
        id=pool["id"],
        pool=pool["name"],
        pool_nodes=nodes(pool),
        key_source=KEY_VAULT,
        key_identifier=url,
        identity_type="UserAssigned" if own["identity"] else "None",
        user_assigned_identity=own["identity"],
        principal_id=own["principal_id"],
    )


def list_pools(ctx, resource_group, account_name):
    """The pools of an account, by name; listed once per run."""

    def fetch():
        operations = ctx.clients.batch.pool
        pages = operations.list_by_batch_account(resource_group, account_name)
        found = ctx.call("list pools of Batch account", account_name, list, pages)
        return sorted((normalize(rest_dict(p)) for p in found), key=lambda p: p["name"].lower())

    return ctx.once(("pools", resource_group.lower(), account_name.lower()), fetch)


def index_pools(ctx, resource_group=None):
    """The subscription's pools (of ``resource_group``'s accounts) by account id, lower-cased: one Resource Graph
    query, made once per run (Batch lists pools only per account)."""

    def fetch():
        text = pools_query(resource_group=resource_group)
        found = {}
        for row in graph.query(ctx, text, subscriptions=[ctx.subscription_id]).rows:
            found.setdefault(account_of(row["id"]).lower(), []).append(normalize(pool_body(row)))
        return {owner: sorted(pools, key=lambda p: p["name"].lower()) for owner, pools in found.items()}

    return ctx.once(("indexed pools", ctx.subscription_id.lower(), (resource_group or "").lower()), fetch)


VMC = "properties.deploymentConfiguration.virtualMachineConfiguration"
# The columns a report uses, not the pools' whole properties (start tasks, network settings...): smaller pages.
POOL_COLUMNS = (
    "id, name, identity, vmSize = tostring(properties.vmSize), "
    f"nodeAgentSkuId = tostring({VMC}.nodeAgentSkuId), diskEncryption = {VMC}.diskEncryptionConfiguration, "
    f"diskEncryptionSet = tostring({VMC}.osDisk.managedDisk.diskEncryptionSet.id), "
    "dedicated = toint(properties.currentDedicatedNodes), lowPriority = toint(properties.currentLowPriorityNodes)"
)


def pools_query(own_key_only=False, resource_group=None):
    """Batch pools (``batchresources``), the columns pool_body takes; ``own_key_only``: only those with their own
    disk key; only those of the accounts of ``resource_group``."""
    steps = ["batchresources", "where type =~ 'microsoft.batch/batchaccounts/pools'"]
    if resource_group:
        steps.append("where resourceGroup =~ " + kql_string(resource_group))
    if own_key_only:
        steps.append(f"where isnotempty({VMC}.diskEncryptionConfiguration.customerManagedKey)")
    steps += ["project " + POOL_COLUMNS, "order by id asc"]
    return " | ".join(steps)


def pool_body(row):
    """A row of pools_query as the pool's GET answers it (what normalize takes)."""
    vmc = {"nodeAgentSkuId": row.get("nodeAgentSkuId") or None}
    if row.get("diskEncryption"):
        vmc["diskEncryptionConfiguration"] = row["diskEncryption"]
    if row.get("diskEncryptionSet"):
        vmc["osDisk"] = {"managedDisk": {"diskEncryptionSet": {"id": row["diskEncryptionSet"]}}}
    props = {"vmSize": row.get("vmSize") or None, "deploymentConfiguration": {"virtualMachineConfiguration": vmc}}
    props.update(currentDedicatedNodes=row.get("dedicated"), currentLowPriorityNodes=row.get("lowPriority"))
    return {"id": row["id"], "name": row["name"], "identity": row.get("identity") or None, "properties": props}
