# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An estate's Batch accounts, and what their keys depend on, read into facts for _rules to judge.

Reads, in this order: the subscriptions the credential may read (to name those it may not); the accounts from
Resource Graph (one query over every subscription, 1,000 rows a page), then their pools (one more query); the
vaults they and their pools' own disk keys use, from Resource Graph (by name), and their role assignments where
a vault authorizes by RBAC; then the keys from each used vault's key list in Resource Manager - once per vault,
side by side - and the versions of a key some account or pool is pinned to when it is not the newest. The cost
grows with vaults, not accounts. The providers are read only where the index cannot answer: a vault it does not
show (the account's subscription, then Key Vault's challenge and data plane, as _audit reads them) and a grant at
a management group, whose reach the index does not say.

_estate_facts turns what was read into the facts _rules judges, account by account.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import Target
from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import principal_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import read_key_access
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import resource_graph as graph
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.access import above_subscriptions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import normalize as account
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import account_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import key_holder
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import normalize as pool
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import pool_body
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.pool import pools_query
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.subscription import list_subscriptions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import normalize as vault_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault_keys import list_key_versions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault_keys import list_vault_keys
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import guid_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import require

ALL = "all"
RESOURCE_GRAPH = "resource_graph"
PROVIDER = "resource_provider"
# The options an estate's report takes (cmk_compliance_info, the batch_accounts inventory): the estate doc fragment.
ESTATE_ARGSPEC = dict(
    subscriptions=dict(type="list", elements="str"),
    management_groups=dict(type="list", elements="str"),
    confirm_errors=dict(type="bool", default=False),
    confirm_limit=dict(type="int", default=500),
    wait_timeout=dict(type="int", default=300),
)
# Where an estate's report looks for a vault: Resource Graph over the caller's tenant, by the vault's name.
SEARCHED = "the subscriptions the credential can read"


class Scope:
    """What a report covers: ``subscriptions`` (a list, or ``all`` the credential can read) or
    ``management_groups``, narrowed in the query by ``resource_groups``, ``names``, ``locations`` and ``tags``;
    ``vault_group``: the resource group the keys' vaults must be in (key_vault_resource_group)."""

    def __init__(self, subscriptions=None, management_groups=None, **narrowed):
        self.subscriptions = subscriptions
        self.management_groups = management_groups or []
        self.resource_groups = narrowed.get("resource_groups") or []
        self.names = narrowed.get("names") or []
        self.locations = narrowed.get("locations") or []
        self.tags = narrowed.get("tags") or {}
        self.vault_group = narrowed.get("vault_group")
        self.pools = narrowed.get("pools", True)  # also read the accounts' pools

    @property
    def label(self):
        every = self.subscriptions == ALL or (not self.subscriptions and not self.management_groups)
        return graph.scope_label(None if every else self.subscriptions, self.management_groups)


class Estate:
    """What was read: ``accounts`` (normalized, with ``subscription_id``, ``subscription_tenant`` and ``state``),
    ``vaults`` by name, each vault's ``keys`` (or the CmkError that kept them), ``versions`` of pinned keys,
    ``grants`` per principal (scope, role definition), principals with a ``broad`` grant, what the provider
    answered for accounts whose vault the index does not show (``fallback``), what was ``unreadable``, and each
    account's ``pools`` (by the account's lower-cased id; None, with ``pools_error`` saying why, when they could
    not be read)."""

    def __init__(self, scope):
        self.scope = scope
        self.accounts, self.vaults, self.keys, self.versions = [], {}, {}, {}
        self.grants, self.broad, self.fallback, self.pools, self.pools_error = {}, set(), {}, {}, None
        self.unreadable = {"subscriptions": [], "management_groups": [], "vaults": []}
        self.graph_pages = 0

    def unreadable_vault(self, name, reason):
        if name not in {v["name"] for v in self.unreadable["vaults"]}:
            self.unreadable["vaults"].append({"name": name, "reason": reason})


def side_by_side(work, items, max_workers):
    """``work`` of each item, in order, by up to ``max_workers`` threads."""
    items = list(items)
    if max_workers <= 1 or len(items) < 2:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items))) as pool:
        return list(pool.map(work, items))


def key_id_of(ctx, acct):
    """The parsed key identifier of an account on a customer-managed key, or None."""
    if acct.get("key_source") != KEY_VAULT or not acct.get("key_identifier"):
        return None
    try:
        return parse_key_identifier(acct["key_identifier"], ctx.cloud)
    except CmkValidationError:
        return None


def read_estate(ctx, scope, max_workers=8):
    estate = Estate(scope)
    _read_accounts(ctx, estate)
    if scope.pools:
        try:
            _read_pools(ctx, estate)
        except CmkError as error:  # said in each account's entry; the accounts are still judged
            estate.pools, estate.pools_error = None, error.message
    used = {}
    for acct in estate.accounts + _pool_holders(estate):
        key_id = key_id_of(ctx, acct)
        if key_id is not None:
            used.setdefault(key_id.vault_name, []).append((acct, key_id))
    _read_vaults(ctx, estate, sorted(used))
    found = [name for name in sorted(used) if name in estate.vaults]
    elsewhere = [pair for name, pairs in sorted(used.items()) if name not in estate.vaults for pair in pairs]
    # Side by side: each vault's keys (then the versions its accounts pin), the role assignments, and the accounts
    # whose vault the index does not show.
    jobs = [lambda name=name: _read_keys(ctx, estate, name, [k for _a, k in used[name] if k.version]) for name in found]
    jobs.append(lambda: _read_grants(ctx, estate, [estate.vaults[name] for name in found]))
    jobs += [lambda pair=pair: _read_from_provider(ctx, estate, *pair) for pair in elsewhere]
    side_by_side(lambda job: job(), jobs, max_workers)
    return estate


def _read_accounts(ctx, estate):
    scope, subscriptions = estate.scope, None
    if scope.subscriptions and scope.subscriptions != ALL:
        readable = {s["subscriptionId"].lower() for s in list_subscriptions(ctx)}
        subscriptions = [s for s in scope.subscriptions if s.lower() in readable]
        estate.unreadable["subscriptions"] = sorted(s for s in scope.subscriptions if s.lower() not in readable)
        if not subscriptions:
            return
    text = graph.accounts_query(scope.resource_groups, scope.names, scope.locations, scope.tags)
    groups = [[g] for g in scope.management_groups] if len(scope.management_groups) > 1 else [scope.management_groups]
    for part in graph.chunks(subscriptions) if subscriptions else [None]:
        for mgs in groups:
            try:
                answer = graph.query(ctx, text, subscriptions=part, management_groups=mgs)
            except CmkError as error:
                if error.status != 403 or not mgs:
                    raise
                estate.unreadable["management_groups"] += mgs
                continue
            estate.graph_pages += answer.pages
            state = {"source": RESOURCE_GRAPH, "as_of": answer.as_of}
            estate.accounts += [_account(row, state) for row in answer.rows]
    estate.accounts.sort(key=lambda a: a["id"].lower())


def _read_pools(ctx, estate):
    """The pools of the estate's accounts: one query over their subscriptions (``batchresources``)."""
    owners = {a["id"].lower() for a in estate.accounts}
    for part in graph.chunks({a["subscription_id"].lower() for a in estate.accounts}):
        answer = graph.query(ctx, pools_query(), subscriptions=part)
        estate.graph_pages += answer.pages
        for row in answer.rows:
            owner = account_of(row["id"]).lower()
            if owner in owners:
                estate.pools.setdefault(owner, []).append(pool(pool_body(row)))
    for found in estate.pools.values():
        found.sort(key=lambda p: p["name"].lower())


def _pool_holders(estate):
    """The pools with their own disk key, as the key reads take an account (_services.pool.key_holder)."""
    return [
        key_holder(found, acct)
        for acct in estate.accounts
        for found in (estate.pools or {}).get(acct["id"].lower(), [])
        if found["customer_managed_key"]
    ]


def _account(row, state):
    found = account(graph.account_body(row))
    found["subscription_id"] = _resource_id.parse(found["id"])["subscription"]
    return dict(found, subscription_tenant=row.get("tenantId"), state=dict(state))


def _read_vaults(ctx, estate, names):
    for part in graph.chunks(names) if names else []:
        answer = graph.query(ctx, graph.vaults_query(part, estate.scope.vault_group))
        estate.graph_pages += answer.pages
        for row in answer.rows:
            found = vault_of(row)
            found["subscription_id"] = _resource_id.parse(found["id"])["subscription"]
            estate.vaults[found["name"].lower()] = found


def vault_ctx(ctx, found):
    return ctx.for_subscription(found["subscription_id"])


def _read_keys(ctx, estate, name, pinned):
    """The vault's key list, then the versions of each key that an account pins to an older version."""
    found = estate.vaults[name]
    vctx = vault_ctx(ctx, found)
    try:
        estate.keys[name] = listed = list_vault_keys(vctx, found["resource_group"], found["name"])
    except CmkError as error:
        estate.keys[name] = error
        estate.unreadable_vault(found["name"], error.message)
        return
    older = {k.name.lower() for k in pinned if k.name.lower() in listed}
    older = {key for key in older if any(_older(listed[key], k) for k in pinned if k.name.lower() == key)}
    for key in sorted(older):
        try:
            estate.versions[(name, key)] = list_key_versions(vctx, found["resource_group"], found["name"], key)
        except CmkError as error:
            estate.versions[(name, key)] = error


def _older(newest, key_id):
    return newest["version"].lower() != key_id.version.lower()


def _read_grants(ctx, estate, vaults):
    """The role assignments that may grant the keys of the RBAC vaults in use, from Resource Graph."""
    rbac = [v for v in vaults if v["enable_rbac_authorization"]]
    targets = set()
    for found in rbac:
        parts = _resource_id.parse(found["id"])
        targets |= {found["id"].lower(), f"/subscriptions/{parts['subscription']}".lower()}
        targets.add(f"/subscriptions/{parts['subscription']}/resourcegroups/{parts['resource_group']}".lower())
    for part in graph.chunks(targets) if targets else []:
        answer = graph.query(ctx, graph.assignments_query(part))
        estate.graph_pages += answer.pages
        for row in answer.rows:
            principal = (row.get("principalId") or "").lower()
            estate.grants.setdefault(principal, []).append((row.get("scope") or "", row.get("roleDefinitionId")))
            if above_subscriptions(row.get("scope")):
                estate.broad.add(principal)


def _read_from_provider(ctx, estate, acct, key_id):
    """An account whose vault the index does not show: read as the single-subscription report reads it."""
    actx = ctx.for_subscription(acct["subscription_id"])
    principal_id, _label = principal_of(acct)
    target = Target(estate.scope.vault_group, near=acct["resource_group"], expiry_days=None, deep=True)
    facts = read_key_access(actx, principal_id, acct["key_identifier"], target)
    estate.fallback[acct["id"].lower()] = facts
    if facts.get("vault") is None and not facts.get("unresolved"):
        estate.unreadable_vault(key_id.vault_name, "not in " + SEARCHED)


def scope_of(subscriptions=None, management_groups=None, **narrowed):
    """The Scope of a report's options, checked offline: ``subscriptions`` is ``[all]`` (or ``all``) or GUIDs, and
    not given with ``management_groups``."""
    if isinstance(subscriptions, str):
        subscriptions = [subscriptions]
    every = [s for s in subscriptions or [] if str(s).lower() == ALL]
    problems = []
    if every and len(subscriptions) > 1:
        problems.append("subscriptions: 'all' stands alone (every subscription the credential can read)")
    elif not every:
        for subscription in subscriptions or []:
            problems += guid_problems(subscription, "subscriptions")
    if subscriptions and management_groups:
        problems.append("subscriptions, management_groups: give one of them (a group's subscriptions are read)")
    require(problems)
    return Scope(ALL if every else list(subscriptions or []) or None, management_groups, **narrowed)
