"""_pool_rules.py: what a pool's disk encryption and its account's key mean for the pool - pure, no emulator."""

from __future__ import annotations

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils import _pool_rules as rules
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import finding
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier

ACCOUNT = {"name": "acct", "unavailable": False}
KEY = "https://kv-pool.vault.azure.net/keys/disk/" + "a" * 32


def pool(name="p", encrypted=True, own_key=False, follows=False, dedicated=2, low=1):
    return {
        "id": f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/acct/pools/{name}",
        "name": name,
        "os": "linux",
        "vm_size": "STANDARD_D2S_V3",
        "dedicated_nodes": dedicated,
        "low_priority_nodes": low,
        "disk_encryption_targets": ["TemporaryDisk"] if encrypted else [],
        "temporary_disk_encrypted": encrypted,
        "customer_managed_key": {
            "key_url": KEY,
            "rotation_to_latest_key_version": follows,
            "identity": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
            "principal_id": "pid",
        }
        if own_key
        else None,
        "disk_encryption_set": None,
    }


@pytest.mark.parametrize("severity", ["warning", "error"])
def test_an_unencrypted_temporary_disk_names_the_policy_and_the_fix(severity):
    (found,) = rules.pool_entry(pool(encrypted=False), ACCOUNT, temporary_disk=severity)["findings"]
    assert (found["code"], found["severity"], found["pool"]) == ("pool_temp_disk_unencrypted", severity, "p")
    assert "1760f9d4-7206-436e-a28f-d9f3a5c8a227" in found["message"] and "scale the pool to zero" in found["message"]
    assert found["subject"] == "pool 'p' of Batch account 'acct'"


def test_ignored_or_encrypted_temporary_disks_have_no_finding():
    assert rules.pool_entry(pool(encrypted=False), ACCOUNT, temporary_disk="ignore")["findings"] == []
    assert rules.pool_entry(pool(), ACCOUNT)["findings"] == []


def test_the_own_keys_findings_become_the_pools_and_a_lost_key_stops_its_nodes():
    disabled = finding("key_disabled", "error", "key 'disk'", "key 'disk' is disabled", "enabled")
    entry = rules.pool_entry(pool(own_key=True), ACCOUNT, [disabled])
    (found,) = entry["findings"]
    assert (found["code"], found["pool"], found["field"]) == ("pool_key_disabled", "p", "enabled")
    assert found["message"] == "pool 'p' of Batch account 'acct': key 'disk' is disabled"
    assert entry["nodes_unavailable"] and "its own disk key cannot be used" in entry["reason"]
    assert "principal_id" not in entry["customer_managed_key"]  # not a report field
    assert rules.unavailable_pools([entry]) == {"pools": 1, "nodes": 3}


def test_a_warning_on_the_own_key_does_not_stop_the_nodes():
    expiring = finding("key_expiring", "warning", "key 'disk'", "expires in 3 days")
    entry = rules.pool_entry(pool(own_key=True), ACCOUNT, [expiring])
    assert [f["code"] for f in entry["findings"]] == ["pool_key_expiring"] and not entry["nodes_unavailable"]


PINNED = [
    finding(
        "pinned_old_version", "warning", "key", "key is pinned, but ...; use the versionless id https://kv/keys/disk"
    ),
    finding("pinned_version_with_rotation_policy", "warning", "key", "key is pinned; use the versionless id ..."),
]
NEWER = "b" * 32


def facts(newest=None, auto=False):
    key_id = parse_key_identifier(KEY, get_cloud("AzureCloud"))
    return {"key_id": key_id, "key": {"version": key_id.version}, "newest_version": newest, "auto_rotates": auto}


@pytest.mark.parametrize(
    ("read", "why"),
    [(facts(newest=NEWER), f"the key's newest version is {NEWER}"), (facts(auto=True), "the key rotates itself")],
)
def test_a_pinned_pool_key_says_what_a_pool_can_do(read, why):
    """Not the account's advice (a versionless id: a pool's keyUrl must stay versioned) - the pool's own."""
    (found,) = rules.pool_entry(pool(own_key=True), ACCOUNT, PINNED, facts=read)["findings"]
    assert (found["code"], found["severity"], found["pool"]) == ("pool_key_pinned", "warning", "p")
    assert why in found["message"] and "rotationToLatestKeyVersionEnabled is false" in found["message"]
    assert "versionless" not in found["message"] and "scale the pool to zero" in found["message"]


def test_a_pool_key_on_its_newest_version_or_followed_by_batch_is_not_pinned():
    assert rules.pool_entry(pool(own_key=True), ACCOUNT, [], facts=facts(newest="a" * 32))["findings"] == []
    following = rules.pool_entry(pool(own_key=True, follows=True), ACCOUNT, PINNED, facts=facts(newest=NEWER))
    assert following["findings"] == []


def test_an_unavailable_account_stops_every_pool_of_it():
    down = dict(ACCOUNT, unavailable=True)
    entries = [rules.pool_entry(pool("a"), down), rules.pool_entry(pool("b", dedicated=0, low=0), down)]
    assert all(e["nodes_unavailable"] and "requeued" in e["reason"] for e in entries)
    assert rules.unavailable_pools(entries) == {"pools": 2, "nodes": 3}


def test_the_summary_over_accounts():
    first = [rules.pool_entry(pool("a", encrypted=False), ACCOUNT), rules.pool_entry(pool("b", own_key=True), ACCOUNT)]
    second = [rules.pool_entry(pool("c"), dict(ACCOUNT, unavailable=True))]
    assert rules.pools_summary([{"pools": first}, {"pools": second}, {"pools": None}, {}]) == {
        "pools": 3,
        "nodes": 9,
        "temporary_disk_unencrypted": 1,
        "own_key": 1,
        "unavailable": 1,
        "unavailable_nodes": 3,
    }
