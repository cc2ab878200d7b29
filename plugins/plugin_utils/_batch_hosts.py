# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The batch_accounts inventory plugin's side of the module_utils reads: the accounts as hosts - read through
Resource Graph over an estate, or through the providers in one subscription - their host variables, their names,
and the report entry a host's variables carry (the drift report's parts are made from them). Free of Ansible's
controller code, so tests can import it beside module runs.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping

from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import Clients
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._compliance import account_entries
from ansible_collections.azure_cmk.batch.plugins.module_utils._compliance import estate_report
from ansible_collections.azure_cmk.batch.plugins.module_utils._compliance import summary
from ansible_collections.azure_cmk.batch.plugins.module_utils._context import RunContext
from ansible_collections.azure_cmk.batch.plugins.module_utils._credential import authority_host
from ansible_collections.azure_cmk.batch.plugins.module_utils._credential import credential_identity
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate import PROVIDER
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate import scope_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import by_severity
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import list_accounts
from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import RunCache
from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import credential_digest
from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import unsafe
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier

# The report entry's fields and the host variables that carry them (entry_of turns them back).
ENTRY_VARIABLES = (
    ("id", "batch_account_id"),
    ("name", "batch_account_name"),
    ("resource_group", "batch_account_resource_group"),
    ("subscription_id", "batch_account_subscription_id"),
    ("key_source", "cmk_key_source"),
    ("key_identifier", "cmk_key_identifier"),
    ("key_version", "cmk_key_version"),
    ("key_follows_newest", "cmk_key_follows_newest"),
    ("identity_type", "cmk_identity_type"),
    ("user_assigned_identity", "cmk_user_assigned_identity"),
    ("unavailable", "cmk_unavailable"),
    ("unavailable_reason", "cmk_unavailable_reason"),
    ("checked", "cmk_checked"),
    ("compliant", "cmk_compliant"),
    ("findings", "cmk_findings"),
    ("state", "cmk_state"),
)
# Carried only when the report read the pools.
POOL_VARIABLES = (("pools", "cmk_pools"), ("pools_unavailable", "cmk_pools_unavailable"))


def run_command(args, handle_exceptions=True):
    """AnsibleModule.run_command's shape, for cli_default_subscription (``az account show``)."""
    done = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603 - az, a fixed command
    return done.returncode, done.stdout, done.stderr


def reader(auth, credential, subscription_id, warn, timeout=None, cache=None):
    """The run context of the reads (one subscription's, or an estate's: ``subscription_id`` may be None), through
    the run's token ``cache``, if any. The inventory only reads: check mode is off, so findings describe Azure as
    it is."""
    cloud = get_cloud(auth.get("cloud_environment"))
    clients = Clients(credential, subscription_id, cloud, timeout, cache=cache, authority_host=authority_host(auth))
    context = RunContext(clients, cloud, False, warn)
    context.notes = clients.notes  # the retries the clients absorbed, beside the waits
    return context


def run_cache(params, auth, directory):
    """The run's token cache for the inventory's credential in ``directory``, or None (off, or unsafe)."""
    if not params.get("token_cache") or not directory or unsafe(directory):
        return None
    parts = credential_identity(auth, get_cloud(auth.get("cloud_environment")))
    return None if parts is None else RunCache(directory, credential_digest(directory, parts))


def matches_tags(tags, wanted):
    """Whether ``tags`` carries every tag of ``wanted`` (a None value: the tag only has to be there)."""
    tags = tags or {}
    return all(name in tags and (value is None or tags[name] == str(value)) for name, value in (wanted or {}).items())


def in_locations(location, wanted):
    """Whether ``location`` is one of ``wanted`` (compared as Azure compares them: no case, no spaces)."""
    spelled = {w.replace(" ", "").lower() for w in wanted or []}
    return not spelled or (location or "").replace(" ", "").lower() in spelled


def estate_hosts(ctx, options):
    """(the host variables of every account of the estate the options name, what could not be read)."""
    scope = scope_of(
        options["subscriptions"],
        options["management_groups"],
        resource_groups=options["resource_groups"],
        locations=options["locations"],
        tags=options["include_tags"],
        vault_group=options["key_vault_resource_group"],
        pools=options["pools"],
    )
    confirm = (options["confirm_errors"], options["confirm_limit"], _temporary_disk(options))
    entries, _summary, estate, _confirmed = estate_report(
        ctx, scope, options["expiry_warning_days"], options["max_workers"], *confirm
    )
    return [host_variables(e["subscription_id"], a, e) for a, e in zip(estate.accounts, entries)], estate.unreadable


def subscription_hosts(ctx, subscription_id, options):
    """The host variables of the accounts of one subscription, read through the providers (as before estates)."""
    if options["max_workers"] < 1:
        raise CmkValidationError("max_workers: must be 1 or more, not {}".format(options["max_workers"]))
    accounts = []
    for group in options["resource_groups"] or [None]:
        accounts += list_accounts(ctx, group)
    accounts = [
        a
        for a in accounts
        if matches_tags(a.get("tags"), options["include_tags"])
        and in_locations(a.get("location"), options["locations"])
    ]
    state = {"source": PROVIDER, "as_of": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    vault_group, expiry_days = options["key_vault_resource_group"], options["expiry_warning_days"]
    workers = options["max_workers"]
    entries = account_entries(ctx, accounts, vault_group, expiry_days, workers, _temporary_disk(options))
    return [
        host_variables(subscription_id, a, dict(e, subscription_id=subscription_id, state=state))
        for a, e in zip(accounts, entries)
    ]


def _temporary_disk(options):
    """The severity of a pool's unencrypted temporary disk; None: pools not read."""
    return options["temporary_disk_severity"] if options["pools"] else None


def host_variables(subscription_id, account, entry):
    """The host's variables: the account's place, then its CMK state as the compliance report has it."""
    variables = {name: entry.get(field) for field, name in ENTRY_VARIABLES}
    if "pools" in entry:
        variables.update((name, entry.get(field)) for field, name in POOL_VARIABLES)
        if entry["pools"] is not None:  # a pool's findings are in cmk_findings (naming the pool): not carried twice
            variables["cmk_pools"] = [{k: v for k, v in p.items() if k != "findings"} for p in entry["pools"]]
        listed = entry["pools"]
        variables["cmk_pool_nodes"] = (
            None if listed is None else sum(p["dedicated_nodes"] + p["low_priority_nodes"] for p in listed)
        )
    key = _key_id(entry.get("key_identifier"))
    variables.update(
        batch_account_subscription_id=subscription_id,
        batch_account_location=account.get("location"),
        batch_account_tags=account.get("tags") or {},
        cmk_principal_id=account.get("principal_id"),
        cmk_vault_name=key.vault_name if key else None,
        cmk_finding_codes=sorted({f["code"] for f in entry["findings"]}),
    )
    return variables


def _key_id(identifier):
    if not identifier:
        return None
    try:
        return parse_key_identifier(identifier, get_cloud("AzureCloud"))
    except CmkValidationError:
        return None


def entry_of(variables):
    """The report entry a host's variables carry (as cmk_compliance_info returns it over an estate); what the
    findings tell is not carried twice."""
    entry = {field: variables.get(name) for field, name in ENTRY_VARIABLES}
    entry.update((field, variables[name]) for field, name in POOL_VARIABLES if name in variables)
    if entry.get("pools"):
        entry["pools"] = [
            dict(p, findings=[f for f in entry["findings"] or [] if f.get("pool") == p["name"]]) for p in entry["pools"]
        ]
    findings = entry["findings"] or []
    entry["recovering"] = any(f["code"] == "account_recovering" for f in findings)
    entry["by_severity"] = by_severity(findings)
    return entry


def host_names(found):
    """A name per host: its account's; when taken, ``<name>_<resource group>``; when an account of that name and
    group is in another subscription too, ``<name>_<resource group>_<subscription>``."""
    names, taken, placed = [], set(), set()
    for variables in found:
        name, group = variables["batch_account_name"], variables["batch_account_resource_group"]
        if name not in taken:
            chosen = name
        elif (name, group.lower()) not in placed:
            chosen = f"{name}_{group}"
        else:
            chosen = "{}_{}_{}".format(name, group, variables["batch_account_subscription_id"])
        taken.add(chosen)
        placed.add((name, group.lower()))
        names.append(chosen)
    return names


UNREADABLE = ("subscriptions", "management_groups", "vaults")


def merged_report(items, unreadable=None):
    """{accounts (one per account id, sorted by it), summary, and unreadable when any part said what it could not
    read}: ``items`` are report entries or hosts' variables; ``unreadable`` one such dict or a list of them. The
    cmk_report filter; ValueError for what is not an account."""
    entries = {}
    for item in items or []:
        if not isinstance(item, Mapping):
            raise ValueError(f"expected a report entry or a host's variables, not {item!r}")
        entry = dict(item) if "findings" in item else entry_of(dict(item))
        if not entry.get("id"):
            raise ValueError("an item without an account id (batch_account_id or id)")
        entries[entry["id"].lower()] = entry
    accounts = [entries[key] for key in sorted(entries)]
    report = {"accounts": accounts, "summary": summary(accounts)}
    parts = [unreadable] if isinstance(unreadable, Mapping) else [p for p in unreadable or [] if p]
    if parts:
        report["unreadable"] = {kind: _union(part.get(kind) or [] for part in parts) for kind in UNREADABLE}
    return report


def _union(lists):
    found = {}
    for item in (i for listed in lists for i in listed):
        key = item["name"].lower() if isinstance(item, Mapping) else str(item).lower()
        found.setdefault(key, dict(item) if isinstance(item, Mapping) else item)
    return [found[key] for key in sorted(found)]
