"""_services/pool.py: a pool's REST body (its GET, or a batchresources row) as reports give it, the pool as the key
audits take an account, the list of an account's pools (once per run), and the Resource Graph query - no emulator."""

from __future__ import annotations

from fakes import Model
from fakes import Namespace
from fakes import Operations
from fakes import context
from fakes import pool_row

from ansible_collections.azure_cmk.batch.plugins.module_utils._services import pool as api

ACCOUNT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/acct"
UAI = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-pool"
KEY = "https://kv-pool.vault.azure.net/keys/disk/" + "a" * 32


def body(name="p", agent="batch.node.ubuntu 22.04", targets=None, own=None, identity=None, **props):
    vmc = {"nodeAgentSkuId": agent}
    if targets is not None or own:
        vmc["diskEncryptionConfiguration"] = dict(
            {"targets": targets or []}, **({"customerManagedKey": own} if own else {})
        )
    found = {
        "id": f"{ACCOUNT}/pools/{name}",
        "name": name,
        "properties": dict(props, deploymentConfiguration={"virtualMachineConfiguration": vmc}),
    }
    if identity:
        found["identity"] = identity
    return found


def test_a_linux_pool_without_disk_encryption():
    found = api.normalize(body(vmSize="STANDARD_D2S_V3", currentDedicatedNodes=2, currentLowPriorityNodes=1))
    assert found == {
        "id": f"{ACCOUNT}/pools/p",
        "name": "p",
        "os": "linux",
        "vm_size": "STANDARD_D2S_V3",
        "dedicated_nodes": 2,
        "low_priority_nodes": 1,
        "disk_encryption_targets": [],
        "temporary_disk_encrypted": False,
        "customer_managed_key": None,
        "disk_encryption_set": None,
    }
    assert api.nodes(found) == 3


def test_a_windows_pool_on_its_own_key_reached_with_its_identity():
    own = {"keyUrl": KEY, "rotationToLatestKeyVersionEnabled": True, "identityReference": {"resourceId": UAI.lower()}}
    identity = {"type": "UserAssigned", "userAssignedIdentities": {UAI: {"principalId": "pid", "clientId": "cid"}}}
    found = api.normalize(
        body(agent="batch.node.windows amd64", targets=["OsDisk", "TemporaryDisk"], own=own, identity=identity)
    )
    assert found["os"] == "windows" and found["temporary_disk_encrypted"]
    assert found["customer_managed_key"] == {
        "key_url": KEY,
        "rotation_to_latest_key_version": True,
        "identity": UAI.lower().replace("resourcegroups", "resourceGroups"),  # Azure's usual spelling of the segment
        "principal_id": "pid",  # the identity the reference names, whatever its spelling
    }


def test_a_reference_to_no_identity_of_the_pool_has_no_principal():
    own = {"keyUrl": KEY, "identityReference": {"resourceId": UAI}}
    found = api.normalize(body(targets=["OsDisk"], own=own))
    assert found["customer_managed_key"]["principal_id"] is None
    assert found["customer_managed_key"]["rotation_to_latest_key_version"] is False


def test_a_pool_is_audited_as_an_account_on_its_own_key():
    own = {"keyUrl": KEY, "identityReference": {"resourceId": UAI}}
    identity = {"type": "UserAssigned", "userAssignedIdentities": {UAI: {"principalId": "pid"}}}
    account = {
        "id": ACCOUNT,
        "name": "acct",
        "resource_group": "rg",
        "key_source": "Microsoft.Batch",
        "identity_type": "SystemAssigned",
    }
    holder = api.key_holder(api.normalize(body(targets=["OsDisk"], own=own, identity=identity)), account)
    assert holder["pool"] == "p" and holder["name"] == "acct" and holder["id"] == f"{ACCOUNT}/pools/p"
    assert (holder["key_source"], holder["key_identifier"], holder["principal_id"]) == (
        "Microsoft.KeyVault",
        KEY,
        "pid",
    )
    assert (holder["identity_type"], holder["user_assigned_identity"]) == ("UserAssigned", UAI)
    assert api.account_of(holder["id"]) == ACCOUNT


def test_an_accounts_pools_are_listed_once_per_run_by_name():
    pools = Operations(list_by_batch_account=lambda rg, name: iter([Model(body("b")), Model(body("A"))]))
    ctx = context(batch=Namespace(pool=pools))
    assert [p["name"] for p in api.list_pools(ctx, "rg", "acct")] == ["A", "b"]
    api.list_pools(ctx, "RG", "ACCT")
    assert pools.calls == [("list_by_batch_account", ("rg", "acct"), {})]


def test_the_query_projects_id_and_can_keep_only_pools_on_their_own_key():
    assert api.pools_query().startswith("batchresources | where type =~ 'microsoft.batch/batchaccounts/pools'")
    assert "project id, name, identity, vmSize = tostring(properties.vmSize)" in api.pools_query()
    assert "where resourceGroup =~ 'rg-a'" in api.pools_query(resource_group="rg-a")
    assert "customerManagedKey" in api.pools_query(own_key_only=True)
    assert "customerManagedKey" not in api.pools_query()


def test_a_pool_batch_keeps_on_the_newest_version_holds_the_versionless_id():
    """rotationToLatestKeyVersionEnabled: Batch uses the newest version, whatever version the url names."""
    own = {"keyUrl": KEY, "rotationToLatestKeyVersionEnabled": True, "identityReference": {"resourceId": UAI}}
    found = api.normalize(body(targets=["OsDisk"], own=own))
    holder = api.key_holder(found, {"id": ACCOUNT, "name": "acct", "resource_group": "rg"})
    assert holder["key_identifier"] == "https://kv-pool.vault.azure.net/keys/disk"
    assert found["customer_managed_key"]["key_url"] == KEY  # the report shows the url as Batch has it


def test_the_account_of_a_pool_whatever_the_ids_case_and_names():
    assert api.account_of(ACCOUNT + "/POOLS/p") == ACCOUNT
    named = "/subscriptions/s/resourceGroups/pools/providers/Microsoft.Batch/batchAccounts/pools"
    assert api.account_of(named + "/pools/pools") == named


def test_a_row_is_normalized_as_the_pools_get_would_be():
    """Resource Graph's projected columns and Batch's whole body give the same pool."""
    own = {"keyUrl": KEY, "identityReference": {"resourceId": UAI}}
    identity = {"type": "UserAssigned", "userAssignedIdentities": {UAI: {"principalId": "pid"}}}
    whole = body(agent="batch.node.windows amd64", targets=["OsDisk", "TemporaryDisk"], own=own, identity=identity)
    whole["properties"].update(vmSize="STANDARD_D4DS_V5", currentDedicatedNodes=2, startTask={"commandLine": "x"})
    whole["properties"]["deploymentConfiguration"]["virtualMachineConfiguration"]["osDisk"] = {
        "managedDisk": {"diskEncryptionSet": {"id": "/subscriptions/s/des"}}
    }
    assert api.normalize(api.pool_body(pool_row(whole))) == api.normalize(whole)
    assert api.normalize(api.pool_body(pool_row(body()))) == api.normalize(body())
