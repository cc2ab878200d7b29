"""Issue 20: what the Batch CMK FAQ says of pools while their account cannot use its key (they keep running,
their nodes go unavailable, and come back after the account does), a pool whose own disk key is lost, pools
in Resource Graph's ``batchresources``, and the fleet's pools. Node states are read from the emulator's node
view (``GET /_emulator/nodecounts``: Resource Manager shows none); counts come from state, never from times."""

from __future__ import annotations

import flows
import pool_bodies as bodies
import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity import ClientSecretCredential
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest

POOLS = (
    "batchresources | where type =~ 'microsoft.batch/batchaccounts/pools' | project id, name, "
    "targets=properties.deploymentConfiguration.virtualMachineConfiguration.diskEncryptionConfiguration.targets, "
    "keyUrl=tostring(properties.deploymentConfiguration.virtualMachineConfiguration.diskEncryptionConfiguration"
    ".customerManagedKey.keyUrl), dedicated=toint(properties.currentDedicatedNodes), identity | order by id asc"
)


def _states(control, account_id):
    """{pool: (state of its dedicated nodes, how many)} from the node view."""
    counts = control("GET", "nodecounts", params={"account": account_id})["value"]
    return {
        c["poolId"]: next((s, n) for s, n in c["dedicated"].items() if n and s != "total")
        if c["dedicated"]["total"]
        else None
        for c in counts
    }


@pytest.fixture
def cmk_account(clients, emulator):
    """A system-assigned account on a key it is granted, with a Linux pool of two dedicated nodes."""
    account, _key = flows.system_assigned_flow(clients, account="poolcmk", vault="kv-acct")
    clients.batch().pool.create(clients.rg, "poolcmk", "linux", bodies.linux(["TemporaryDisk"], dedicated=2))
    return account


@pytest.mark.emulator_settings(account_recovery_seconds=3600)
def test_nodes_go_unusable_and_recover_after_the_account(clients, cmk_account, control, emulator):
    batch = clients.batch()
    assert _states(control, cmk_account.id) == {"linux": ("idle", 2)}

    flows.grant(clients, "kv-acct", cmk_account.identity.principal_id, kind="remove")
    assert batch.batch_account.get(clients.rg, "poolcmk").provisioning_state == "Invalid"
    assert _states(control, cmk_account.id) == {"linux": ("unusable", 2)}
    pool = batch.pool.get(clients.rg, "poolcmk", "linux")
    assert (pool.current_dedicated_nodes, pool.provisioning_state) == (2, "Succeeded")  # the pool keeps running
    with pytest.raises(HttpResponseError) as caught:
        batch.pool.update(clients.rg, "poolcmk", "linux", {"properties": {"metadata": []}})
    assert caught.value.status_code == 409 and caught.value.error.code == "AccountKeyAccessLost"

    flows.grant(clients, "kv-acct", cmk_account.identity.principal_id)
    assert _states(control, cmk_account.id) == {"linux": ("unusable", 2)}  # the account is recovering
    emulator.settings.update({"account_recovery_seconds": 0})
    assert _states(control, cmk_account.id) == {"linux": ("idle", 2)}
    assert batch.batch_account.get(clients.rg, "poolcmk").provisioning_state == "Succeeded"
    assert batch.pool.update(clients.rg, "poolcmk", "linux", {"properties": {"metadata": []}}).metadata == []


def test_a_pool_whose_own_key_is_disabled_has_unusable_nodes(clients, emulator, control):
    account = bodies.account(clients)
    identity, key = bodies.pool_key(clients)
    batch = clients.batch()
    batch.pool.create(clients.rg, "poolacct", "win", bodies.windows(key_url=key.id, identity_id=identity.id))
    batch.pool.create(clients.rg, "poolacct", "linux", bodies.linux(["TemporaryDisk"], dedicated=3))

    clients.keys("kv-pool").update_key_properties("disk", enabled=False)

    assert _states(control, account.id) == {"linux": ("idle", 3), "win": ("unusable", 1)}
    assert batch.batch_account.get(clients.rg, "poolacct").provisioning_state == "Succeeded"
    clients.keys("kv-pool").update_key_properties("disk", enabled=True)
    assert _states(control, account.id)["win"] == ("idle", 1)


@pytest.mark.emulator_settings(account_recovery_seconds=3600)
def test_a_pool_following_its_keys_newest_version_uses_that_one(clients, emulator, control):
    """rotationToLatestKeyVersionEnabled: the version keyUrl names may be disabled once a newer one exists."""
    account = bodies.account(clients)
    identity, key = bodies.pool_key(clients)
    clients.batch().pool.create(
        clients.rg, "poolacct", "win", bodies.windows(key_url=key.id, identity_id=identity.id, follow_newest=True)
    )
    keys = clients.keys("kv-pool")
    newest = keys.create_rsa_key("disk", size=2048, key_operations=["wrapKey", "unwrapKey"])
    keys.update_key_properties("disk", version=key.properties.version, enabled=False)
    assert _states(control, account.id) == {"win": ("idle", 1)}
    keys.update_key_properties("disk", version=newest.properties.version, enabled=False)
    assert _states(control, account.id) == {"win": ("unusable", 1)}


def test_pools_are_rows_of_batchresources(clients, azure_env, emulator):
    bodies.account(clients)
    identity, key = bodies.pool_key(clients)
    batch = clients.batch()
    batch.pool.create(clients.rg, "poolacct", "linux", bodies.linux(["TemporaryDisk"], dedicated=2))
    batch.pool.create(clients.rg, "poolacct", "win", bodies.windows(key_url=key.id, identity_id=identity.id))
    graph = ResourceGraphClient(
        ClientSecretCredential(azure_env["tenant_id"], azure_env["client_id"], azure_env["client_secret"])
    )

    rows = graph.resources(QueryRequest(subscriptions=[clients.sub], query=POOLS)).data

    assert [(r["name"], r["targets"], r["dedicated"]) for r in rows] == [
        ("linux", ["TemporaryDisk"], 2),
        ("win", ["OsDisk", "TemporaryDisk"], 1),
    ]
    assert rows[1]["keyUrl"] == key.id and rows[1]["identity"]["type"] == "UserAssigned"
    assert rows[0]["id"] == batch.pool.get(clients.rg, "poolacct", "linux").id


def test_the_fleet_makes_pools_of_each_kind(clients, control, emulator):
    made = control("POST", "fleet", json={"accounts": 5, "vaults": 2, "key_size": 2048, "pools_per_account": 2})
    pools = made["pools"]

    assert (pools["linux_temporary_disk"], pools["linux_unencrypted"]) == (5, 5)
    stored = [
        r for r in emulator.store.data["resources"].values() if r["type"] == "Microsoft.Batch/batchAccounts/pools"
    ]
    assert len(stored) == 11
    assert sum(p["properties"]["currentDedicatedNodes"] for p in stored) == pools["dedicated_nodes"]
    win = clients.batch().pool.get("rg-fleet", "fleet0000", "win-cmk")
    key = win.deployment_configuration.virtual_machine_configuration.disk_encryption_configuration.customer_managed_key
    assert key.key_url == pools["pool_key"] and "/keys/pool-cmk/" in key.key_url
    assert _states(control, win.id.split("/pools/")[0])["win-cmk"] == ("idle", 1)
