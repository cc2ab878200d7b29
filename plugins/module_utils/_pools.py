# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An account's pools in a report: listed from Batch (the info module: one list per account), from one Resource
Graph query over the subscription (a subscription's report) or from what an estate read (one query for all);
each judged by _pool_rules - a pool's own disk key by the account's key rules, for the pool's identity, through
the same reads (_audit) and facts (_estate_facts) as the account's key.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import principal_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import read_key_access
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate_facts import account_facts
from ansible_collections.azure_cmk.batch.plugins.module_utils._pool_rules import TEMPORARY_DISK_SEVERITIES
from ansible_collections.azure_cmk.batch.plugins.module_utils._pool_rules import WARNING
from ansible_collections.azure_cmk.batch.plugins.module_utils._pool_rules import pool_entry
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import UNKNOWN
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import finding
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_access_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import index_pools
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import key_holder
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import list_pools
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.subscription import subscription_tenant

# The options of a report's pools (cmk_compliance_info, the batch_accounts inventory): the pools doc fragment.
POOLS_ARGSPEC = dict(
    pools=dict(type="bool", default=True),
    temporary_disk_severity=dict(type="str", default=WARNING, choices=list(TEMPORARY_DISK_SEVERITIES)),
)


def indexed_pools(ctx, resource_group=None):
    """_services.pool.index_pools, or None when Resource Graph cannot answer (each account's pools are then listed
    from Batch)."""
    try:
        return index_pools(ctx, resource_group)
    except CmkError as error:
        ctx.note(f"pools listed per account: Resource Graph did not answer ({error.message})")
        return None


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
        own, facts = _own_key(ctx, key_holder(pool, account), target) if pool["customer_managed_key"] else ([], None)
        entries.append(pool_entry(pool, account, own, temporary_disk, facts))
    return entries, []


def _own_key(ctx, holder, target):
    """(the findings of a pool's own key, judged for its identity as an account's key is, the facts read)."""
    if not holder["key_identifier"]:
        return [], None
    principal_id, label = principal_of(holder)
    facts = read_key_access(ctx, principal_id, holder["key_identifier"], target)
    facts.update(principal=label, account_tenant=subscription_tenant(ctx), subscription_id=ctx.subscription_id)
    return key_access_findings(facts), facts


def estate_pools(ctx, estate, account, expiry_days, temporary_disk):
    """(the pool entries of an estate's ``account`` from what the estate read - no call but a role's permissions;
    or None and a finding that says why they could not be read)."""
    if estate.pools is None:
        return None, [unreadable_pools(account, estate.pools_error)]
    entries = []
    for pool in estate.pools.get(account["id"].lower(), []):
        facts = None
        if pool["customer_managed_key"]:
            facts = account_facts(ctx, estate, key_holder(pool, account), expiry_days)
        own = key_access_findings(facts) if facts else []
        entries.append(pool_entry(pool, account, own, temporary_disk, facts))
    return entries, []


def unreadable_pools(account, reason):
    subject = "Batch account '{}'".format(account["name"])
    return finding("pools_unreadable", UNKNOWN, subject, f"the pools of {subject} could not be read: {reason}")
