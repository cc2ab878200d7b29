"""_guards.py (who depends on a key, vault, grant or identity; the force guard) and _compliance.py's summary,
over accounts a fake subscription lists - no emulator."""

from __future__ import annotations

import pytest
from fakes import Model
from fakes import Namespace
from fakes import Operations
from fakes import context
from fakes import graph_answering
from fakes import not_found
from fakes import pool_row

from ansible_collections.azure_cmk.batch.plugins.module_utils import _compliance
from ansible_collections.azure_cmk.batch.plugins.module_utils import _guards
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError

V1 = "a" * 32
UAI = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-a"


def account(name, key=None, principal="p", identity=None):
    body = {
        "id": f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/{name}",
        "name": name,
        "location": "westeurope",
        "identity": {"type": "SystemAssigned", "principalId": principal},
        "properties": {},
    }
    if identity:
        body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {identity: {"principalId": principal}}}
    if key:
        body["properties"]["encryption"] = {
            "keySource": "Microsoft.KeyVault",
            "keyVaultProperties": {"keyIdentifier": key},
        }
    return body


def pool(name, account="follows", dedicated=1, low=0, key=None, identity=None, follows=False):
    vmc = {"nodeAgentSkuId": "batch.node.windows amd64" if key else "batch.node.ubuntu 22.04"}
    body = {"id": ACCOUNT_ID.format(account) + f"/pools/{name}", "name": name}
    if key:
        own = {"keyUrl": key, "identityReference": {"resourceId": identity}}
        own["rotationToLatestKeyVersionEnabled"] = follows
        vmc["diskEncryptionConfiguration"] = {"targets": ["OsDisk", "TemporaryDisk"], "customerManagedKey": own}
        body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {identity: {"principalId": "q"}}}
    props = {"currentDedicatedNodes": dedicated, "currentLowPriorityNodes": low}
    props["deploymentConfiguration"] = {"virtualMachineConfiguration": vmc}
    return dict(body, properties=props)


ACCOUNTS = [
    account("follows", "https://kv-one.vault.azure.net/keys/cmk"),
    account("pinned", f"https://kv-one.vault.azure.net/keys/cmk/{V1}", principal="q"),
    account("other", "https://kv-two.vault.azure.net/keys/cmk", identity=UAI),
    account("platform"),
    account("typo", "not a key id"),
]


ACCOUNT_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/{}"
DISK = f"https://kv-one.vault.azure.net/keys/disk/{V1}"
# Each account's pools, as Resource Graph (one query) or Batch (a list per account) shows them.
POOLS = {
    "follows": [pool("p1", dedicated=2, low=1), pool("p2", dedicated=1)],
    "platform": [pool("win", account="platform", key=DISK, identity=UAI)],
}


def ctx(pools=None, graph=None):
    pools = POOLS if pools is None else pools
    operations = Operations(list=lambda: iter([Model(a) for a in ACCOUNTS]))
    listed = Operations(list_by_batch_account=lambda rg, name: iter([Model(p) for p in pools.get(name, [])]))
    rows = [pool_row(p) for name in sorted(pools) for p in pools[name]]
    graph = graph or graph_answering([(rows, None, {})])
    return context(batch=Namespace(batch_account=operations, pool=listed), resource_graph=graph)


@pytest.mark.parametrize(
    ("criteria", "names"),
    [
        ({"vault_name": "kv-one"}, ["follows", "pinned"]),
        ({"vault_name": "KV-ONE", "key_name": "CMK"}, ["follows", "pinned"]),
        ({"vault_name": "kv-one", "version": V1}, ["follows", "pinned"]),  # the versionless one follows V1 if newest
        ({"vault_name": "kv-one", "version": "b" * 32}, ["follows"]),
        ({"principal_id": "Q"}, ["pinned"]),
        ({"identity_id": UAI.lower()}, ["other"]),
        ({"vault_name": "kv-three"}, []),
    ],
)
def test_accounts_using(criteria, names):
    labels = [f"{n} (resource group rg)" for n in names]
    if "follows" in names:  # its pools stop with it
        labels[0] = "follows (resource group rg; pools p1 (3 nodes), p2 (1 node))"
    assert _guards.accounts_using(ctx(), **criteria).accounts == labels


WIN = "pool 'win' of Batch account 'platform' (resource group rg; 1 node, on its own disk key)"


@pytest.mark.parametrize(
    ("criteria", "found"),
    [
        ({"vault_name": "kv-one", "key_name": "disk"}, True),
        ({"vault_name": "kv-one", "key_name": "cmk"}, False),
        ({"vault_name": "kv-one", "key_name": "disk", "version": V1}, True),
        ({"vault_name": "kv-one", "key_name": "disk", "version": "b" * 32}, False),  # pinned to V1, not following
        ({"principal_id": "Q"}, True),  # the pool's identity (and account 'pinned', whose principal is q too)
        ({"identity_id": UAI.upper()}, True),
        ({"vault_name": "kv-two"}, False),
    ],
)
def test_pools_on_their_own_disk_key_are_named_too(criteria, found):
    """A pool's own disk key stops the pool's nodes when it goes: the guard names the pool."""
    assert _guards.accounts_using(ctx(), **criteria).pools == ([WIN] if found else [])


def test_a_pool_following_the_newest_version_is_on_every_version():
    following = dict(POOLS, platform=[pool("win", account="platform", key=DISK, identity=UAI, follows=True)])
    assert _guards.accounts_using(ctx(following), vault_name="kv-one", version="b" * 32).pools == [WIN]


def test_one_resource_graph_query_else_a_batch_list_per_account():
    """Pools from one query; when Resource Graph does not answer, from Batch - the same dependents, noted."""
    run = ctx()
    found = _guards.accounts_using(run, vault_name="kv-one")
    assert run.clients.batch.pool.calls == []

    def refused(body, cls):
        from azure.core.exceptions import HttpResponseError

        raise HttpResponseError(message="AuthorizationFailed")

    fallback = ctx(graph=Operations(resources=refused))
    again = _guards.accounts_using(fallback, vault_name="kv-one")
    assert (again.accounts, again.pools) == (found.accounts, found.pools)
    assert len(fallback.clients.batch.pool.calls) == len(ACCOUNTS)
    assert any("pools listed per account" in note for note in fallback.notes), fallback.notes


def test_an_account_whose_pools_cannot_be_listed_is_named_with_why():
    def refused(body, cls):
        from azure.core.exceptions import HttpResponseError

        raise HttpResponseError(message="AuthorizationFailed")

    def listed(rg, name):  # a pager: the SDK raises when it is read
        if name == "follows":
            raise not_found("pools of follows")
        yield from [Model(p) for p in POOLS.get(name, [])]

    run = ctx(graph=Operations(resources=refused))
    run.clients.batch.pool.answers["list_by_batch_account"] = listed
    found = _guards.accounts_using(run, vault_name="kv-one")
    assert found.accounts[0].startswith("follows (resource group rg; its pools could not be read: ")
    _guards.accounts_using(run, vault_name="kv-one")
    assert len(run.clients.batch.pool.calls) == len(ACCOUNTS)  # read once per run, the failure too


def test_a_version_known_not_to_be_the_newest_is_kept_only_by_what_pins_it():
    """settle_doubles asks which accounts keep a double enabled: not those following the newest version."""
    assert _guards.accounts_using(ctx(), vault_name="kv-one", version="b" * 32, pinned_only=True).accounts == []
    pinned = _guards.accounts_using(ctx(), vault_name="kv-one", version=V1, pinned_only=True)
    assert pinned.accounts == ["pinned (resource group rg)"] and pinned.pools == [WIN]


def test_the_guard_names_the_pools_it_would_stop():
    run = ctx()
    with pytest.raises(CmkValidationError) as refused:
        _guards.refuse_breaking("deleting vault 'kv-one'", _guards.accounts_using(run, vault_name="kv-one"), False, run)
    assert str(refused.value).startswith(
        "deleting vault 'kv-one' would make Batch account(s) follows (resource group rg; pools p1 (3 nodes), p2 "
        f"(1 node)), pinned (resource group rg) and {WIN} unavailable: they use it"
    )


def test_the_guard_refuses_unless_forced():
    run = ctx()
    _guards.refuse_breaking("deleting x", [], False, run)  # no account: nothing to refuse
    with pytest.raises(
        CmkValidationError, match=r"deleting x would make Batch account\(s\) a, b unavailable.*force: true"
    ):
        _guards.refuse_breaking("deleting x", ["a", "b"], False, run)
    _guards.refuse_breaking("deleting x", ["a"], True, run)
    assert run.warnings == [
        "deleting x would make Batch account(s) a unavailable: they use it to reach their customer-managed key (force: true)"
    ]


def entry(compliant=True, checked=True, findings=()):
    return {"compliant": compliant, "checked": checked, "findings": list(findings)}


def test_the_summary_counts_what_was_not_checked():
    found = [{"code": "key_unreadable", "severity": "unknown"}]
    summary = _compliance.summary([entry(), entry(False, False, found), entry(False)])
    assert summary == {
        "accounts": 3,
        "compliant": 1,
        "non_compliant": 2,
        "not_checked": 1,
        "by_severity": {"error": 0, "warning": 0, "unknown": 1},
        "findings": {"key_unreadable": 1},
    }
