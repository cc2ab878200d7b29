# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An account's pools in a report: listed from Batch (the info module: one list per account), from one Resource
Graph query over the subscription (a subscription's report) or from what an estate read (one query for all);
each judged by _pool_rules - a pool's own disk key by the account's key rules, for the pool's identity, through
the same reads (_audit) and facts (_estate_facts) as the account's key.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import account_key_access
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate_facts import account_facts
from ansible_collections.azure_cmk.batch.plugins.module_utils._pool_rules import TEMPORARY_DISK_SEVERITIES
from ansible_collections.azure_cmk.batch.plugins.module_utils._pool_rules import WARNING
from ansible_collections.azure_cmk.batch.plugins.module_utils._pool_rules import pool_entry
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import UNKNOWN
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import finding
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_access_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import resource_graph as graph
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import account_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import key_holder
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import list_pools
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import normalize
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import pools_query

# The options of a report's pools (cmk_compliance_info, the batch_accounts inventory): the pools doc fragment.
POOLS_ARGSPEC = dict(
    pools=dict(type="bool", default=True),
    temporary_disk_severity=dict(type="str", default=WARNING, choices=list(TEMPORARY_DISK_SEVERITIES)),
)


def indexed_pools(ctx, resource_group=None):
    """The pools of the subscription's accounts (of ``resource_group``), by account id, from one Resource Graph
    query - or None when it cannot answer (each account's pools are then listed from Batch)."""
    try:
        rows = graph.query(ctx, pools_query(resource_group=resource_group), subscriptions=[ctx.subscription_id]).rows
    except CmkError as error:
        ctx.note(f"pools listed per account: Resource Graph did not answer ({error.message})")
        return None
    found = {}
    for row in rows:
        found.setdefault(account_of(row["id"]).lower(), []).append(normalize(row))
    return {owner: sorted(pools, key=lambda p: p["name"].lower()) for owner, pools in found.items()}


def provider_pools(ctx, account, target, temporary_disk, indexed=None):
    """(the pool entries of ``account`` - its key already audited - from ``indexed`` (indexed_pools) or read from
    Batch, their own keys from the providers; or None and a finding that says why they could not be read)."""
    try:
        if indexed is not None:
            pools = indexed.get(account["id"].lower(), [])
        else:
            pools = list_pools(ctx, account["resource_group"], account["name"])
    except CmkError as error:
        return None, [unreadable_pools(account, error.message)]
    entries = []
    for pool in pools:
        own = account_key_access(ctx, key_holder(pool, account), target) if pool["customer_managed_key"] else None
        entries.append(pool_entry(pool, account, own, temporary_disk))
    return entries, []


def estate_pools(ctx, estate, account, expiry_days, temporary_disk):
    """The pool entries of an estate's ``account``, from what the estate read (no call but a role's permissions)."""
    entries = []
    for pool in estate.pools.get(account["id"].lower(), []):
        own = None
        if pool["customer_managed_key"]:
            own = key_access_findings(account_facts(ctx, estate, key_holder(pool, account), expiry_days))
        entries.append(pool_entry(pool, account, own, temporary_disk))
    return entries


def unreadable_pools(account, reason):
    subject = "Batch account '{}'".format(account["name"])
    return finding("pools_unreadable", UNKNOWN, subject, f"the pools of {subject} could not be read: {reason}")
