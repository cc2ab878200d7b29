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
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import account_label
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import list_accounts
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import index_pools
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import key_holder
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import list_pools
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import nodes
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier


class Dependents:
    """What a change would cut off its key: ``accounts`` (labels, each with its pools and their nodes, which stop
    with it) and ``pools`` on their own disk key (labels); false when there is none."""

    def __init__(self, accounts=(), pools=()):
        self.accounts, self.pools = list(accounts), list(pools)

    def __bool__(self):
        return bool(self.accounts or self.pools)

    def __str__(self):
        parts = ["Batch account(s) " + ", ".join(self.accounts)] if self.accounts else []
        return " and ".join(parts + ([", ".join(self.pools)] if self.pools else []))  # each "pool 'p' of ..."


def holders_on(ctx, vault_name=None, key_name=None, principal_id=None, identity_id=None):
    """(holder, its parsed key id) for what in the subscription uses a customer-managed key - each account, each
    pool on its own disk key (_services.pool.key_holder) - and matches every criterion given: the key's vault and
    name, the principal or user-assigned identity it reaches the key with."""
    found = []
    for holder in _holders(ctx):
        if identity_id and not _resource_id.same(identity_id, holder["user_assigned_identity"]):
            continue
        if holder["key_source"] != KEY_VAULT or not holder["key_identifier"]:
            continue
        if principal_id and (holder["principal_id"] or "").lower() != principal_id.lower():
            continue
        try:
            key_id = parse_key_identifier(holder["key_identifier"], ctx.cloud)
        except CmkValidationError:
            continue
        if vault_name and key_id.vault_name != vault_name.lower():
            continue
        if key_name and key_id.name.lower() != key_name.lower():
            continue
        found.append((holder, key_id))
    return found


def _holders(ctx):
    accounts = list_accounts(ctx)
    pools = ctx.once(("guarded pools", ctx.subscription_id.lower()), lambda: _pools_by_account(ctx, accounts))
    own_keys = [
        key_holder(pool, account)
        for account in accounts
        if not isinstance(pools.get(account["id"].lower()), CmkError)
        for pool in pools.get(account["id"].lower(), [])
        if pool["customer_managed_key"]
    ]
    return [dict(account, pools=pools.get(account["id"].lower(), [])) for account in accounts] + own_keys


def _pools_by_account(ctx, accounts):
    """Every account's pools: from Resource Graph (one query, which may miss a pool made minutes ago), else listed
    from Batch account by account (an account whose list fails: the CmkError, said in its label)."""
    try:
        return index_pools(ctx)
    except CmkError as error:
        ctx.note(f"pools listed per account: Resource Graph did not answer ({error.message})")
    found = {}
    for account in accounts:
        try:
            found[account["id"].lower()] = list_pools(ctx, account["resource_group"], account["name"])
        except CmkError as error:
            found[account["id"].lower()] = error
    return found


def dependents(pairs, version=None, pinned_only=False):
    """The Dependents of holders_on's ``pairs``; with ``version``, only those on that version: pinned to it, or
    following the newest (when it is the newest; ``pinned_only``: a version known not to be the newest)."""
    accounts, pools = [], []
    for holder, key_id in pairs:
        if version is not None and key_id.version is None and pinned_only:
            continue
        if version is not None and key_id.version is not None and key_id.version.lower() != version.lower():
            continue
        if holder.get("pool"):
            pools.append(
                "pool '{}' of Batch account '{}' (resource group {}; {}, on its own disk key)".format(
                    holder["pool"], holder["name"], holder["resource_group"], _nodes(holder["pool_nodes"])
                )
            )
        elif isinstance(holder.get("pools"), CmkError):
            why = holder["pools"].message
            accounts.append(
                f"{holder['name']} (resource group {holder['resource_group']}; its pools could not be read: {why})"
            )
        elif holder.get("pools"):
            listed = ", ".join("{} ({})".format(p["name"], _nodes(nodes(p))) for p in holder["pools"])
            accounts.append("{} (resource group {}; pools {})".format(holder["name"], holder["resource_group"], listed))
        else:
            accounts.append(account_label(holder))
    return Dependents(accounts, pools)


def _nodes(count):
    return f"{count} node" + ("" if count == 1 else "s")


def accounts_using(
    ctx, vault_name=None, key_name=None, principal_id=None, identity_id=None, version=None, pinned_only=False
):
    """The Dependents that would lose their key if the vault, the key, the principal's grant or the identity went
    away (see dependents for ``version`` and ``pinned_only``)."""
    return dependents(holders_on(ctx, vault_name, key_name, principal_id, identity_id), version, pinned_only)


def refuse_breaking(what, found, force, ctx, remedy=None):
    """Refuse a change that cuts ``found`` (Dependents, or account labels) off their key, unless ``force`` (then
    only warn); ``remedy``: what to do first, when it is not moving them to another key."""
    if not found:
        return
    found = found if isinstance(found, Dependents) else Dependents(found)
    text = f"{what} would make {found} unavailable: they use it to reach their customer-managed key"
    if force:
        ctx.warn(text + " (force: true)")
        return
    moves = ["move the account(s) to another key or to Microsoft.Batch"] if found.accounts else []
    moves += ["give the pool(s) another disk key (scaled to zero and updated, or recreated)"] if found.pools else []
    first = remedy or " and ".join(moves)
    raise CmkValidationError(f"{text}. {first[0].upper()}{first[1:]} first, or set force: true to do it anyway")
