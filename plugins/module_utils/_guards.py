# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who depends on a key, vault, grant or identity, and the ``force`` guard: a change that would cut Batch
accounts off their key (their pools' nodes then stop) or pools off their own disk key is refused, naming them,
unless the task forces it (then it warns).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import resource_graph as graph
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import account_label
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import list_accounts
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import account_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import list_pools
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import nodes
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import normalize
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import pools_query
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier


def accounts_on(ctx, vault_name=None, key_name=None, principal_id=None, identity_id=None):
    """(account, its parsed key id) for the subscription's accounts on a customer-managed key that match every
    criterion given: the key's vault and name, the principal or user-assigned identity they reach it with."""
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


class PoolLabel(str):
    """How the guard names a pool whose own disk key a change would cut off (told apart from accounts)."""


def accounts_using(ctx, vault_name=None, key_name=None, principal_id=None, identity_id=None, version=None):
    """Labels of what would stop if the vault, the key, the principal's grant or the identity went away: the
    accounts (each with its pools and their nodes, which stop with it), then the pools whose own disk key it is
    (PoolLabel); with ``version``, only those on that version: pinned to it, or following the newest (when it is
    the newest)."""
    labels = [
        _with_pools(ctx, account)
        for account, key_id in accounts_on(ctx, vault_name, key_name, principal_id, identity_id)
        if version is None or key_id.version is None or key_id.version.lower() == version.lower()
    ]
    criteria = (vault_name, key_name, principal_id, identity_id, version)
    return labels + [PoolLabel(label) for label in pools_using(ctx, *criteria)]


def _with_pools(ctx, account):
    """The account's label, with its pools and their nodes: ``a (resource group rg; pools p1 (2 nodes))``."""
    name, group = account["name"], account["resource_group"]
    try:
        pools = list_pools(ctx, group, name)
    except CmkError as error:
        return f"{name} (resource group {group}; its pools could not be read: {error.message})"
    if not pools:
        return account_label(account)
    listed = ", ".join(f"{p['name']} ({_nodes(p)})" for p in pools)
    return f"{name} (resource group {group}; pools {listed})"


def _nodes(pool):
    count = nodes(pool)
    return f"{count} node" + ("" if count == 1 else "s")


def pools_using(ctx, vault_name=None, key_name=None, principal_id=None, identity_id=None, version=None):
    """Labels of the subscription's pools whose own disk key is the one named, or reached with that principal or
    identity - from Resource Graph (Batch lists pools only per account), which may lag a pool made minutes ago."""
    try:
        rows = graph.query(ctx, pools_query(own_key_only=True), subscriptions=[ctx.subscription_id]).rows
    except CmkError as error:
        ctx.warn(f"the pools with their own disk key could not be looked up in Resource Graph: {error.message}")
        return []
    found = []
    for pool in (normalize(row) for row in rows):
        own = pool["customer_managed_key"]
        if identity_id and not _resource_id.same(identity_id, own["identity"]):
            continue
        if principal_id and (own["principal_id"] or "").lower() != principal_id.lower():
            continue
        try:
            key_id = parse_key_identifier(own["key_url"], ctx.cloud)
        except CmkValidationError:
            continue
        if vault_name and key_id.vault_name != vault_name.lower():
            continue
        if key_name and key_id.name.lower() != key_name.lower():
            continue
        follows = own["rotation_to_latest_key_version"]
        if version and not follows and (key_id.version or "").lower() != version.lower():
            continue
        account = _resource_id.parse(account_of(pool["id"]))
        found.append(
            "pool '{}' of Batch account '{}' (resource group {}; {}, on its own disk key)".format(
                pool["name"], account["name"], account["resource_group"], _nodes(pool)
            )
        )
    return found


def refuse_breaking(what, accounts, force, ctx):
    """Refuse a change that cuts ``accounts`` (accounts_using's labels) off their key, unless ``force`` (then
    only warn)."""
    if not accounts:
        return
    pools = [label for label in accounts if isinstance(label, PoolLabel)]
    accounts = [label for label in accounts if not isinstance(label, PoolLabel)]
    parts = ["make Batch account(s) {} unavailable".format(", ".join(accounts))] if accounts else []
    parts += ["stop pool(s) {}".format(", ".join(pools))] if pools else []
    text = "{} would {}: they use it to reach their customer-managed key".format(what, " and ".join(parts))
    if force:
        ctx.warn(text + " (force: true)")
        return
    raise CmkValidationError(
        text + ". Move them to another key or to Microsoft.Batch first, or set force: true to do it anyway"
    )
