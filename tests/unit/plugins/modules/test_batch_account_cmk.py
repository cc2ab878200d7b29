"""batch_account_cmk against the emulator: both identity flows, key changes, revert, preflight, unavailability."""

from __future__ import annotations

import pytest
from conftest import four_steps
from conftest import writes_since
from seeded import AUTOMATION
from seeded import OFFICER
from seeded import RG

from ansible_collections.azure_cmk.batch.plugins.modules import batch_account_cmk
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key
from ansible_collections.azure_cmk.batch.plugins.modules import user_identity


@pytest.fixture
def key(run_module, emulator):
    run_module(
        keyvault.main,
        {"name": "kv-batch", "resource_group": RG, "enable_purge_protection": True, "enable_rbac_authorization": False},
    )
    run_module(
        keyvault_access_policy.main,
        {"vault_name": "kv-batch", "resource_group": RG, "object_id": AUTOMATION, "key_permissions": OFFICER},
    )
    return run_module(keyvault_cmk_key.main, {"vault_name": "kv-batch", "resource_group": RG, "name": "cmk"})["key"]


def _grant(run_module, **principal):
    return run_module(keyvault_access_policy.main, dict({"vault_name": "kv-batch", "resource_group": RG}, **principal))


def test_user_assigned_flow_sets_the_key_at_creation(run_module, emulator, key):
    run_module(user_identity.main, {"name": "id-batch", "resource_group": RG})
    _grant(run_module, identity="id-batch")
    args = {
        "name": "batchuser",
        "resource_group": RG,
        "identity_type": "UserAssigned",
        "user_assigned_identity": "id-batch",
        "key_source": "Microsoft.KeyVault",
        "key_identifier": key["versionless_id"],
    }
    results = four_steps(run_module, emulator, batch_account_cmk.main, args)
    account = results[1]["batch_account"]
    assert account["key_source"] == "Microsoft.KeyVault" and account["key_identifier"] == key["versionless_id"]
    assert account["identity_type"] == "UserAssigned" and account["user_assigned_identity"].lower().endswith(
        "/id-batch"
    )
    assert account["key_access"] == [] and account["unavailable"] is False
    assert results[0]["batch_account"]["provisioning_state"] is None  # a prediction


def test_system_assigned_takes_two_phases_and_says_so(run_module, emulator, key):
    one_step = {
        "name": "batchsys",
        "resource_group": RG,
        "identity_type": "SystemAssigned",
        "key_source": "Microsoft.KeyVault",
        "key_identifier": key["id"],
    }
    seq = emulator.journal.last_seq
    refused = run_module(batch_account_cmk.main, one_step)
    assert refused["failed"] and "Use two steps" in refused["msg"]
    assert writes_since(emulator, seq) == []
    check = run_module(batch_account_cmk.main, one_step, check=True)
    # In check mode step 1 may be an earlier task of the same run: a warning, not a failure.
    assert check["changed"] and any("has no system-assigned identity yet" in w for w in check["warnings"])

    account = run_module(
        batch_account_cmk.main, {"name": "batchsys", "resource_group": RG, "identity_type": "SystemAssigned"}
    )["batch_account"]
    assert account["principal_id"] and account["key_source"] == "Microsoft.Batch"
    not_granted = run_module(
        batch_account_cmk.main,
        {"name": "batchsys", "resource_group": RG, "key_source": "Microsoft.KeyVault", "key_identifier": key["id"]},
    )
    assert not_granted["failed"] and "[identity_lacks_access]" in not_granted["msg"]
    _grant(run_module, batch_account="batchsys")
    on = run_module(
        batch_account_cmk.main,
        {"name": "batchsys", "resource_group": RG, "key_source": "Microsoft.KeyVault", "key_identifier": key["id"]},
        diff=True,
    )
    assert on["changed"] and on["batch_account"]["key_source"] == "Microsoft.KeyVault"
    assert on["diff"]["before"] == {"key_source": "Microsoft.Batch", "key_identifier": None}


@pytest.fixture
def on_cmk(run_module, key):
    run_module(batch_account_cmk.main, {"name": "batchsys", "resource_group": RG, "identity_type": "SystemAssigned"})
    _grant(run_module, batch_account="batchsys")
    base = {"name": "batchsys", "resource_group": RG}
    run_module(batch_account_cmk.main, dict(base, key_source="Microsoft.KeyVault", key_identifier=key["id"]))
    return base


def test_new_version_other_key_versionless_and_revert(run_module, emulator, key, on_cmk):
    rotated = run_module(
        keyvault_cmk_key.main, {"vault_name": "kv-batch", "resource_group": RG, "name": "cmk", "rotate": True}
    )["key"]
    version = run_module(
        batch_account_cmk.main, dict(on_cmk, key_source="Microsoft.KeyVault", key_identifier=rotated["id"])
    )
    assert version["changed"] and version["batch_account"]["key_identifier"] == rotated["id"]

    other = run_module(
        keyvault_cmk_key.main, {"vault_name": "kv-batch", "resource_group": RG, "name": "cmk2", "key_size": 4096}
    )["key"]
    switched = run_module(
        batch_account_cmk.main, dict(on_cmk, key_source="Microsoft.KeyVault", key_identifier=other["versionless_id"])
    )
    assert switched["changed"] and switched["batch_account"]["key_identifier"] == other["versionless_id"]

    reverted = run_module(batch_account_cmk.main, dict(on_cmk, key_source="Microsoft.Batch"), diff=True)
    assert reverted["changed"] and reverted["batch_account"]["key_source"] == "Microsoft.Batch"
    assert reverted["diff"]["after"] == {"key_source": "Microsoft.Batch", "key_identifier": None}
    assert not run_module(batch_account_cmk.main, dict(on_cmk, key_source="Microsoft.Batch"))["changed"]


def test_lost_access_fails_the_run_and_blocks_changes(run_module, emulator, key, on_cmk):
    _grant(run_module, batch_account="batchsys", state="absent", force=True)
    # Green would be a lie: nothing changes, but the account cannot use its key.
    broken = run_module(batch_account_cmk.main, on_cmk)
    assert broken["failed"] and "cannot use its key" in broken["msg"], broken
    assert "the system-assigned identity of Batch account 'batchsys' lacks get, wrapKey, unwrapKey" in broken["msg"]
    # Check mode cannot tell whether an earlier task of the run restores the grant: it says so.
    predicted = run_module(batch_account_cmk.main, on_cmk, check=True)
    assert not predicted.get("failed") and predicted["changed"] is False
    assert any("lacks get, wrapKey, unwrapKey" in w and "earlier task" in w for w in predicted["warnings"])
    glass = run_module(batch_account_cmk.main, dict(on_cmk, allow_unavailable=True))
    account = glass["batch_account"]
    assert glass["changed"] is False and account["unavailable"] is True
    assert "lacks get, wrapKey, unwrapKey on vault 'kv-batch'" in account["unavailable_reason"]
    assert [f["code"] for f in account["key_access"]] == ["identity_lacks_access"]
    assert any("cannot use its key" in w for w in glass["warnings"])
    seq = emulator.journal.last_seq
    blocked = run_module(batch_account_cmk.main, dict(on_cmk, key_source="Microsoft.Batch"))
    assert blocked["failed"] and "is unavailable" in blocked["msg"] and "restore the grant" in blocked["msg"]
    assert writes_since(emulator, seq) == []
    _grant(run_module, batch_account="batchsys")
    healthy = run_module(batch_account_cmk.main, on_cmk)["batch_account"]
    # Every rule holds again; Batch may still take a while to see it (recovering), which is no failure.
    assert healthy["key_access"] == [] and healthy["unavailable"] is healthy["recovering"]


def test_the_identity_step_goes_on_so_that_a_rerun_can_restore_the_grant(run_module, emulator, key, on_cmk):
    """Issue 18: the system-assigned flow's first step sets only the identity; failing there on the lost grant
    would keep the next step, the grant, from ever running. It warns instead, in check mode alike."""
    _grant(run_module, batch_account="batchsys", state="absent", force=True)
    step = dict(on_cmk, identity_type="SystemAssigned")
    seq = emulator.journal.last_seq
    for check in (True, False):
        result = run_module(batch_account_cmk.main, step, check=check)
        assert not result.get("failed") and result["changed"] is False, result
        assert any("lacks get, wrapKey, unwrapKey" in w and "sets only the identity" in w for w in result["warnings"])
    assert writes_since(emulator, seq) == []
    assert run_module(batch_account_cmk.main, dict(on_cmk, key_source="Microsoft.KeyVault", key_identifier=key["id"]))[
        "failed"
    ]  # the step that sets the key still fails until the grant is back


@pytest.mark.parametrize(
    ("attributes", "code", "words"),
    [
        ({"enabled": False}, "key_disabled", "is disabled"),
        ({"exp": 1_000_000_000}, "key_expired", "expired at 2001-09-09T01:46:40Z"),
    ],
)
def test_a_disabled_or_expired_key_is_never_green(run_module, emulator, key, on_cmk, attributes, code, words):
    """Changed out of band (the emulator's state): the account cannot use the key, in check and apply mode."""
    _set_key_attributes(emulator, "cmk", attributes)
    seq = emulator.journal.last_seq
    for check in (True, False):
        result = run_module(batch_account_cmk.main, on_cmk, check=check)
        assert result["failed"], result
        assert f"key 'cmk' (version {key['version']}) in vault 'kv-batch' {words}" in result["msg"]
        assert f"[{code}]" in result["msg"]
    assert writes_since(emulator, seq) == []


def _set_key_attributes(emulator, name, attributes):
    with emulator.store.lock:
        for version in emulator.store.data["vaultData"]["kv-batch"]["keys"][name]["versions"].values():
            version["attributes"].update(attributes)


def test_absent_deletes_even_an_unavailable_account(run_module, emulator, key, on_cmk):
    _grant(run_module, batch_account="batchsys", state="absent", force=True)
    assert run_module(batch_account_cmk.main, dict(on_cmk, state="absent"))["changed"]
    assert not run_module(batch_account_cmk.main, dict(on_cmk, state="absent"))["changed"]
