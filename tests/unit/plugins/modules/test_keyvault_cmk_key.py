"""keyvault_cmk_key and keyvault_cmk_key_info against the emulator."""

from __future__ import annotations

import pytest
from conftest import four_steps
from conftest import writes_since
from seeded import AUTOMATION
from seeded import OFFICER

from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key_info

KEY = {"vault_name": "kv-keys", "resource_group": "rg-cmk", "name": "batch-cmk"}


@pytest.fixture
def vault(run_module, emulator):
    args = {
        "name": "kv-keys",
        "resource_group": "rg-cmk",
        "enable_purge_protection": True,
        "enable_rbac_authorization": False,
    }
    created = run_module(keyvault.main, args)["vault"]
    grant = {
        "vault_name": "kv-keys",
        "resource_group": "rg-cmk",
        "object_id": AUTOMATION,
        "key_permissions": [*OFFICER, "purge"],
    }
    run_module(keyvault_access_policy.main, grant)
    return created


def _versions(emulator):
    return emulator.store.data["vaultData"]["kv-keys"]["keys"]["batch-cmk"]["order"]


def test_four_steps_with_a_rotation_policy(run_module, emulator, vault):
    args = dict(
        KEY,
        key_size=3072,
        rotation_policy={"expires_in": "P1Y", "rotate_after_create": "P90D", "notify_before_expiry": "P30D"},
    )
    results = four_steps(run_module, emulator, keyvault_cmk_key.main, args)
    check, key = results[0]["key"], results[1]["key"]
    assert check["id"] is None and check["versionless_id"] == "https://kv-keys.vault.azure.net/keys/batch-cmk"
    assert key["id"].startswith(key["versionless_id"] + "/") and key["version"] == key["id"].rsplit("/", 1)[1]
    assert (key["key_type"], key["key_size"], key["key_ops"]) == ("RSA", 3072, ["unwrapKey", "wrapKey"])
    assert key["rotation_policy"] == {
        "expires_in": "P1Y",
        "rotate_after_create": "P90D",
        "rotate_before_expiry": None,
        "notify_before_expiry": "P30D",
    }
    assert key["recovery_level"] == "Recoverable"


def test_attributes_update_in_place_without_a_new_version(run_module, emulator, vault):
    run_module(keyvault_cmk_key.main, KEY)
    before = list(_versions(emulator))
    result = run_module(
        keyvault_cmk_key.main,
        dict(KEY, key_ops=["wrapKey", "unwrapKey", "encrypt"], tags={"t": "1"}, enabled=False),
        diff=True,
    )
    assert result["changed"]
    assert result["diff"]["after"]["key_ops"] == ["encrypt", "unwrapKey", "wrapKey"]
    assert result["key"]["enabled"] is False and result["key"]["tags"] == {"t": "1"}
    assert _versions(emulator) == before


def test_size_change_needs_rotate(run_module, emulator, vault):
    run_module(keyvault_cmk_key.main, KEY)
    seq = emulator.journal.last_seq
    refused = run_module(keyvault_cmk_key.main, dict(KEY, key_size=4096))
    assert refused["failed"] and refused["msg"].startswith("key_size: key 'batch-cmk' is 2048")
    assert writes_since(emulator, seq) == []
    rotated = run_module(keyvault_cmk_key.main, dict(KEY, key_size=4096, rotate=True))
    assert rotated["changed"] and rotated["key"]["key_size"] == 4096
    assert len(_versions(emulator)) == 2


def test_rotate_makes_exactly_one_version_each_time(run_module, emulator, vault):
    first = run_module(keyvault_cmk_key.main, KEY)["key"]
    check = run_module(keyvault_cmk_key.main, dict(KEY, rotate=True), check=True, diff=True)
    assert check["changed"] and check["key"]["version"] is None
    assert check["diff"]["before"] == {"version": first["version"]} and check["diff"]["after"] == {"version": None}
    assert len(_versions(emulator)) == 1
    second = run_module(keyvault_cmk_key.main, dict(KEY, rotate=True))["key"]
    assert second["version"] != first["version"] and len(_versions(emulator)) == 2


def test_a_lost_rotate_response_is_not_repeated(run_module, emulator, vault, control):
    run_module(keyvault_cmk_key.main, KEY)
    control("POST", "faults", json={"kind": "lost", "method": "POST", "path": "/keys/batch-cmk/rotate$"})
    result = run_module(keyvault_cmk_key.main, dict(KEY, rotate=True))
    assert result["changed"] and not result.get("failed")
    assert len(_versions(emulator)) == 2  # the lost rotation happened once; the module found it, did not redo it
    rotations = [e for e in emulator.journal.entries() if e.path.endswith("/rotate")]
    assert len(rotations) == 1


def test_a_throttled_create_is_retried_after_reading(run_module, emulator, vault, control):
    control(
        "POST",
        "faults",
        json={"kind": "status", "status": 429, "retry_after": 0, "method": "POST", "path": "/keys/batch-cmk/create$"},
    )
    result = run_module(keyvault_cmk_key.main, KEY)
    assert result["changed"] and len(_versions(emulator)) == 1
    creates = [e.status for e in emulator.journal.entries() if e.path.endswith("/create")]
    assert creates == [429, 200]


def test_soft_deleted_key_is_recovered(run_module, emulator, vault):
    created = run_module(keyvault_cmk_key.main, KEY)["key"]
    assert run_module(keyvault_cmk_key.main, dict(KEY, state="absent"))["changed"]
    assert not run_module(keyvault_cmk_key.main, dict(KEY, state="absent"))["changed"]
    recovered = run_module(keyvault_cmk_key.main, KEY)
    assert recovered["changed"] and recovered["key"]["id"] == created["id"]


def test_soft_deleted_key_without_recover_or_purge_is_refused(run_module, emulator, vault):
    run_module(keyvault_cmk_key.main, KEY)
    run_module(keyvault_cmk_key.main, dict(KEY, state="absent"))
    refused = run_module(keyvault_cmk_key.main, dict(KEY, recover=False))
    assert refused["failed"] and "is soft-deleted in vault 'kv-keys'" in refused["msg"]
    purged = run_module(keyvault_cmk_key.main, dict(KEY, recover=False, purge_deleted=True))
    assert purged["failed"] and "purge protection" in purged["msg"]


def test_vault_without_purge_protection_is_refused_before_writing(run_module, emulator, vault):
    del emulator.store.resource(vault["id"])["properties"]["enablePurgeProtection"]
    seq = emulator.journal.last_seq
    result = run_module(keyvault_cmk_key.main, KEY)
    assert result["failed"] and "vault 'kv-keys' does not have purge protection enabled" in result["msg"]
    assert writes_since(emulator, seq) == []


def test_info_reports_fitness(run_module, emulator, vault, control):
    run_module(keyvault_cmk_key.main, KEY)
    control(
        "POST",
        "seed",
        json={"keys": [{"vault": "kv-keys", "name": "legacy", "key_size": 1024, "key_ops": ["encrypt"]}]},
    )
    found = run_module(keyvault_cmk_key_info.main, {"vault_name": "kv-keys", "resource_group": "rg-cmk"})
    keys = {k["name"]: k for k in found["vault_keys"]}
    assert keys["batch-cmk"]["cmk_ready"]
    legacy = "key 'legacy' (version {}) in vault 'kv-keys'".format(keys["legacy"]["version"])
    assert keys["legacy"]["cmk_problems"] == [
        f"{legacy} has 1024 bits; Batch customer-managed keys must have 2048, 3072 or 4096",
        f"{legacy}'s permitted operations must include wrapKey and unwrapKey (missing wrapKey, unwrapKey)",
    ]
    one = run_module(keyvault_cmk_key_info.main, KEY)
    assert [k["name"] for k in one["vault_keys"]] == ["batch-cmk"]


def test_a_rotation_policy_is_removed_with_an_empty_one(run_module, emulator, vault):
    policy = {"expires_in": "P1Y", "rotate_after_create": "P90D"}
    run_module(keyvault_cmk_key.main, dict(KEY, rotation_policy=policy))
    results = four_steps(run_module, emulator, keyvault_cmk_key.main, dict(KEY, rotation_policy={}))
    assert results[1]["diff"]["before"]["rotation_policy"]["expires_in"] == "P1Y"
    assert results[1]["key"]["rotation_policy"] == dict.fromkeys(
        policy | {"rotate_before_expiry": 0, "notify_before_expiry": 0}
    )
    stored = emulator.store.data["vaultData"]["kv-keys"]["keys"]["batch-cmk"]["rotationPolicy"]
    assert stored["lifetimeActions"] == [] and "expiryTime" not in stored["attributes"]


def test_an_expiry_is_removed_by_a_new_version_without_one(run_module, emulator, vault):
    later = "2040-01-01T00:00:00Z"
    run_module(keyvault_cmk_key.main, dict(KEY, expires=later))
    seq = emulator.journal.last_seq
    for check in (True, False):
        refused = run_module(keyvault_cmk_key.main, dict(KEY, expires=""), check=check)
        assert refused["failed"] and refused["msg"].startswith("expires: Key Vault cannot remove the expiry")
        assert "set rotate: true" in refused["msg"] and later in refused["msg"]
    assert writes_since(emulator, seq) == []
    predicted = run_module(keyvault_cmk_key.main, dict(KEY, expires="", rotate=True), check=True, diff=True)
    assert predicted["diff"]["after"] == {"version": None, "expires": None}
    rotated = run_module(keyvault_cmk_key.main, dict(KEY, expires="", rotate=True), diff=True)
    assert rotated["changed"] and rotated["key"]["expires"] is None and rotated["diff"]["after"]["expires"] is None
    assert len(_versions(emulator)) == 2
    seq = emulator.journal.last_seq
    again = run_module(keyvault_cmk_key.main, dict(KEY, expires=""))
    assert not again["changed"] and writes_since(emulator, seq) == []


def test_a_rotated_version_keeps_the_expiry_its_policy_gives_it(run_module, emulator, vault):
    run_module(keyvault_cmk_key.main, dict(KEY, rotation_policy={"expires_in": "P1Y"}))
    seq = emulator.journal.last_seq
    rotated = run_module(keyvault_cmk_key.main, dict(KEY, rotation_policy={"expires_in": "P1Y"}, rotate=True))
    assert rotated["changed"] and rotated["key"]["expires"] is not None  # from the policy, not patched away
    assert [w.split(" ")[0] for w in writes_since(emulator, seq)] == ["POST"]  # the rotation; no PATCH after it
    refused = run_module(
        keyvault_cmk_key.main, dict(KEY, rotation_policy={"expires_in": "P1Y"}, rotate=True, expires="")
    )
    assert refused["failed"] and "rotation policy's expires_in (P1Y)" in refused["msg"]


def test_an_info_module_returns_the_faults_it_rode_out(run_module, emulator, vault, control):
    run_module(keyvault_cmk_key.main, KEY)
    control(
        "POST",
        "faults",
        json={"kind": "status", "status": 429, "retry_after": 0, "method": "GET", "path": "/keys/batch-cmk/?$"},
    )
    found = run_module(keyvault_cmk_key_info.main, KEY)
    assert [k["name"] for k in found["vault_keys"]] == ["batch-cmk"]
    assert found["absorbed"] == ["retried GET https://kv-keys.vault.azure.net/keys/batch-cmk/: 429"]


def test_a_lost_answer_to_a_deletion_is_a_deletion(run_module, emulator, vault, control):
    """The SDK sends the DELETE again; Key Vault's 404 to the repeat means the first one worked."""
    run_module(keyvault_cmk_key.main, KEY)
    control("POST", "faults", json={"kind": "lost", "method": "DELETE", "path": "/keys/batch-cmk$"})
    deleted = run_module(keyvault_cmk_key.main, dict(KEY, state="absent"))
    assert deleted["changed"] and not deleted.get("failed"), deleted.get("msg")
    assert deleted["absorbed"][-1].endswith("but a re-read shows it is gone")
    assert not run_module(keyvault_cmk_key.main, dict(KEY, state="absent"))["changed"]


def test_a_key_in_a_vault_an_earlier_task_creates_is_predicted_without_retries(run_module, emulator):
    """Check mode on an empty subscription: the vault does not resolve, and is not asked again (a deleted key
    of that name cannot exist in a vault that does not)."""
    predicted = run_module(keyvault_cmk_key.main, KEY, check=True)
    assert not predicted.get("failed") and predicted["changed"], predicted.get("msg")
    refused = [e for e in emulator.journal.entries() if e.host.startswith("kv-keys.")]
    assert len(refused) == 1 and not predicted.get("absorbed"), (refused, predicted.get("absorbed"))
    info = run_module(keyvault_cmk_key_info.main, dict(KEY), check=True)
    assert not info.get("failed") and info["vault_keys"] == []
