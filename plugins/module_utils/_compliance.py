# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CMK compliance report: each account's findings, and a summary for scheduled drift jobs.

Findings come from the same rules batch_account_cmk enforces (_rules.py, via _audit.account_key_access);
vaults, keys, policies and role definitions are read once per run however many accounts share them.
Accounts are audited by a bounded pool of threads: on Azure each read is a round trip of 100-200 ms.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import Target
from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import account_key_access
from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import key_version
from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import with_key_access
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate import ESTATE_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate import read_estate
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate import scope_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate import side_by_side
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate_facts import account_facts
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate_facts import confirm_facts
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate_facts import key_version as estate_key_version
from ansible_collections.azure_cmk.batch.plugins.module_utils._pool_rules import pools_summary
from ansible_collections.azure_cmk.batch.plugins.module_utils._pool_rules import unavailable_pools
from ansible_collections.azure_cmk.batch.plugins.module_utils._pools import estate_pools
from ansible_collections.azure_cmk.batch.plugins.module_utils._pools import indexed_pools
from ansible_collections.azure_cmk.batch.plugins.module_utils._pools import provider_pools
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import ERROR
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import UNKNOWN
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import WARNING
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import account_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import by_severity
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_access_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import get_account
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import list_accounts
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier

# How many accounts with errors a confirmation reads again at most (cmk_compliance_info's confirm_limit default).
CONFIRM_LIMIT = ESTATE_ARGSPEC["confirm_limit"]["default"]


def audited(ctx, account, vault_group=None, expiry_days=None, temporary_disk=WARNING, indexed=None):
    """``account`` with its key's findings and its ``pools``, judged (the info module's and the report's view);
    ``temporary_disk``: the severity of a pool's unencrypted temporary disk (None: pools not read); ``indexed``:
    the pools Resource Graph showed (_pools.indexed_pools), else they are listed from Batch."""
    target = Target(vault_group, near=account["resource_group"], expiry_days=expiry_days, deep=True)
    account = with_key_access(account, account_key_access(ctx, account, target))
    if temporary_disk is not None:
        found = provider_pools(ctx, account, target, temporary_disk, indexed)
        account["pools"], account["pool_problems"] = found
    return account


def report(ctx, names, resource_group, expiry_days, vault_group=None, max_workers=1, temporary_disk=WARNING):
    """(one entry per account, a summary): findings with codes and severities, for AWX drift jobs."""
    if names:
        accounts = [get_account(ctx, resource_group, name) or _missing(name, resource_group) for name in names]
    else:
        accounts = list_accounts(ctx, resource_group)
    entries = account_entries(ctx, accounts, vault_group, expiry_days, max_workers, temporary_disk)
    return entries, summary(entries)


def estate_report(
    ctx, scope, expiry_days, max_workers=8, confirm=False, confirm_limit=CONFIRM_LIMIT, temporary_disk=WARNING
):
    """(one entry per account of the estate ``scope`` (an _estate.Scope) covers, a summary, the Estate read - its
    ``accounts`` in the entries' order, what was ``unreadable`` - and the confirmation's counts, None unless
    ``confirm``): read through Resource Graph and the vaults' key lists, judged by the same rules as report();
    ``confirm`` reads the accounts with errors again from the providers (at most ``confirm_limit`` of them, side by
    side) before reporting them. ``temporary_disk``: as audited() takes it; pools are read when ``scope.pools``."""
    estate = read_estate(ctx, scope, max_workers)
    judge = (expiry_days, temporary_disk)
    entries = [_judged(ctx, estate, a, account_facts(ctx, estate, a, expiry_days), *judge) for a in estate.accounts]
    confirmation = None
    if confirm:
        entries, confirmation = _confirmed(ctx, estate, entries, judge, max_workers, confirm_limit)
    return entries, summary(entries), estate, confirmation


def unread(unreadable):
    """What could not be read, as one line per thing (for failures and warnings); empty when all was read."""
    return [
        "{} {}".format(kind[:-1].replace("_", " "), _named(item))
        for kind, items in unreadable.items()
        for item in items
    ]


def _named(item):
    return "{} ({})".format(item["name"], item["reason"]) if isinstance(item, dict) else item


def compliance(ctx, params):
    """cmk_compliance_info's result for its ``params``: the subscription's accounts read from the providers, or
    (``subscriptions`` or ``management_groups``) an estate's through Resource Graph."""
    for option, least in (("max_workers", 1), ("wait_timeout", 1), ("confirm_limit", 0)):
        if params[option] < least:
            raise CmkValidationError(f"{option}: must be {least} or more, not {params[option]}")
    temporary_disk = params["temporary_disk_severity"] if params["pools"] else None
    if not (params["subscriptions"] or params["management_groups"]):
        names, group, vault_group = params["names"], params["resource_group"], params["key_vault_resource_group"]
        options = (vault_group, params["max_workers"], temporary_disk)
        found = report(ctx, names, group, params["expiry_warning_days"], *options)
        return {"changed": False, "accounts": found[0], "summary": found[1]}
    scope = scope_of(
        params["subscriptions"],
        params["management_groups"],
        resource_groups=[params["resource_group"]] if params["resource_group"] else None,
        names=params["names"],
        vault_group=params["key_vault_resource_group"],
        pools=params["pools"],
    )
    options = (params["max_workers"], params["confirm_errors"], params["confirm_limit"], temporary_disk)
    accounts, totals, estate, confirmation = estate_report(ctx, scope, params["expiry_warning_days"], *options)
    unreadable = estate.unreadable
    problems = unread(unreadable) + ([f"the pools ({estate.pools_error})"] if estate.pools_error else [])
    if params["strict"] and problems:
        raise CmkError("strict: the credential could not read " + "; ".join(problems))
    result = {"changed": False, "accounts": accounts, "summary": totals, "unreadable": unreadable}
    return dict(result, confirmation=confirmation) if confirmation is not None else result


def _judged(ctx, estate, account, facts, expiry_days, temporary_disk):
    account = with_key_access(account, key_access_findings(facts) if facts else [])
    account["key_version"], account["key_follows_newest"] = estate_key_version(ctx, estate, account)
    if estate.scope.pools and temporary_disk is not None:
        account["pools"], account["pool_problems"] = estate_pools(ctx, estate, account, expiry_days, temporary_disk)
    return entry(account)


def _confirmed(ctx, estate, entries, judge, max_workers, limit):
    """The entries, those with errors (the first ``limit`` of them) read again from the providers; and the counts:
    ``asked``, ``cleared`` (no error any more), ``still_failing``, ``gone`` (deleted since the index saw them: left
    out), ``skipped`` (over the limit: as the index has them)."""
    # The accounts' own errors: a pool's are judged from what the estate read, which a confirmation does not re-read.
    failing = [index for index, found in enumerate(entries) if _account_errors(found)]
    asked = failing[:limit]

    def one(index):
        fresh, facts = confirm_facts(ctx, estate, estate.accounts[index], judge[0])
        return None if fresh is None else dict(_judged(ctx, estate, fresh, facts, *judge), account=fresh)

    confirmed = dict(zip(asked, side_by_side(one, asked, max_workers)))
    kept = [index for index in range(len(entries)) if confirmed.get(index, entries[index]) is not None]
    for index, found in confirmed.items():
        if found is not None:
            estate.accounts[index] = found.pop("account")
    estate.accounts = [estate.accounts[index] for index in kept]
    still = sum(1 for found in confirmed.values() if found and _account_errors(found))
    gone = sum(1 for found in confirmed.values() if found is None)
    counts = {"asked": len(asked), "cleared": len(asked) - still - gone, "still_failing": still, "gone": gone}
    counts["skipped"] = len(failing) - len(asked)
    return [confirmed.get(index, entries[index]) for index in kept], counts


def _account_errors(entry):
    return [f for f in entry["findings"] if f["severity"] == ERROR and "pool" not in f]


def summary(entries):
    every = [f for entry in entries for f in entry["findings"]]
    pools = {"pools": pools_summary(entries)} if any("pools" in e for e in entries) else {}
    return {
        **pools,
        "accounts": len(entries),
        "compliant": sum(1 for e in entries if e["compliant"]),
        "non_compliant": sum(1 for e in entries if not e["compliant"]),
        "not_checked": sum(1 for e in entries if not e["checked"]),
        "by_severity": by_severity(every),
        "findings": dict(sorted(Counter(f["code"] for f in every).items())),
    }


def account_entries(ctx, accounts, vault_group=None, expiry_days=None, max_workers=1, temporary_disk=WARNING):
    """The report's entry of each account, in order, audited by up to ``max_workers`` threads; their pools from
    one Resource Graph query (for more than one account: one Batch list each would cost more)."""
    indexed = None
    if temporary_disk is not None and sum(1 for a in accounts if not a.get("missing")) > 1:
        groups = {a["resource_group"].lower() for a in accounts}
        indexed = indexed_pools(ctx, groups.pop() if len(groups) == 1 else None)

    def one(index):
        return _entry(ctx, accounts[index], vault_group, expiry_days, temporary_disk, indexed)

    # The first account on a customer-managed key alone (it signs in to Key Vault), then the first account of each
    # other vault (each meets its vault's challenge), then the rest: no two threads race for one token or challenge.
    firsts, seen = [], set()
    for index, account in enumerate(accounts):
        vault = _vault_host(ctx, account)
        if vault and vault not in seen:
            seen.add(vault)
            firsts.append(index)
    rest = [index for index in range(len(accounts)) if index not in set(firsts)]
    entries = {}
    for phase in (firsts[:1], firsts[1:], rest):
        if max_workers <= 1 or len(phase) < 2:
            entries.update((index, one(index)) for index in phase)
            continue
        with ThreadPoolExecutor(max_workers=min(max_workers, len(phase))) as pool:
            entries.update(zip(phase, pool.map(one, phase)))
    return [entries[index] for index in range(len(accounts))]


def _vault_host(ctx, account):
    """The vault an account's key is in, or None (not on a customer-managed key, or an id that does not parse)."""
    if account.get("key_source") != KEY_VAULT or not account.get("key_identifier"):
        return None
    try:
        return parse_key_identifier(account["key_identifier"], ctx.cloud).vault_name
    except CmkValidationError:
        return None


def _missing(name, resource_group):
    return {"id": None, "name": name, "resource_group": resource_group, "missing": True}


def _entry(ctx, account, vault_group, expiry_days, temporary_disk, indexed):
    if account.get("missing"):
        account = dict(account, unavailable=None, unavailable_reason=None, key_access=[])
    else:
        account = audited(ctx, account, vault_group, expiry_days, temporary_disk, indexed)
        account["key_version"], account["key_follows_newest"] = key_version(ctx, account)
    return entry(account)


def entry(account):
    """The report's entry of ``account``: as with_key_access gives it, with ``key_version`` and ``key_follows_newest``;
    an estate's account also says its ``subscription_id`` and where its ``state`` came from, and when; with its
    ``pools``, their findings are the account's too, after its own."""
    pools = account.get("pools")
    findings = account_findings(account, account["key_access"]) + account.get("pool_problems", [])
    findings += [f for found in pools or [] for f in found["findings"]]
    found = {
        "id": account["id"],
        "name": account["name"],
        "resource_group": account["resource_group"],
        "key_source": account.get("key_source"),
        "key_identifier": account.get("key_identifier"),
        "key_version": account.get("key_version"),
        "key_follows_newest": account.get("key_follows_newest"),
        "identity_type": account.get("identity_type"),
        "user_assigned_identity": account.get("user_assigned_identity"),
        "unavailable": account["unavailable"],
        "unavailable_reason": account["unavailable_reason"],
        "recovering": account.get("recovering", False),
        # What could not be read (an unreachable vault, a key the caller may not read) leaves the account not
        # checked - never compliant.
        "checked": not any(f["severity"] == UNKNOWN for f in findings),
        # A warning is a risk to watch, not a breach: only errors make an account non-compliant - and a
        # recovering account, not usable yet, though nothing is wrong any more; and one not fully checked.
        "compliant": not any(f["severity"] in (ERROR, UNKNOWN) for f in findings) and not account.get("recovering"),
        "by_severity": by_severity(findings),
        "findings": findings,
    }
    if pools is not None:
        found.update(pools=pools, pools_unavailable=unavailable_pools(pools))
    for optional in ("subscription_id", "state"):
        if optional in account:
            found[optional] = account[optional]
    return found
