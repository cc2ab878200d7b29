"""batch_account_cmk against the emulator: both identity flows, key changes, revert, preflight, unavailability."""

from __future__ import annotations

import pytest
from conftest import four_steps
from conftest import writes_since

from ansible_collections.azure_cmk.batch.plugins.modules import batch_account_cmk
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key
from ansible_collections.azure_cmk.batch.plugins.modules import user_identity

AUTOMATION = "9c4b2a1d-6e5f-4a3b-8c7d-2e1f0a9b8c6d"
OFFICER = ["get", "list", "create", "update", "delete", "recover", "rotate", "getrotationpolicy", "setrotationpolicy"]
RG = "rg-cmk"


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


def test_lost_access_is_reported_and_blocks_changes(run_module, emulator, key, on_cmk):
    _grant(run_module, batch_account="batchsys", state="absent")
    current = run_module(batch_account_cmk.main, on_cmk)
    assert current["changed"] is False
    account = current["batch_account"]
    assert account["unavailable"] is True and account["provisioning_state"] == "Invalid"
    assert "lacks get, wrapKey, unwrapKey" in account["unavailable_reason"]
    seq = emulator.journal.last_seq
    blocked = run_module(batch_account_cmk.main, dict(on_cmk, key_source="Microsoft.Batch"))
    assert blocked["failed"] and "is unavailable" in blocked["msg"] and "restore the grant" in blocked["msg"]
    assert writes_since(emulator, seq) == []
    _grant(run_module, batch_account="batchsys")
    assert run_module(batch_account_cmk.main, on_cmk)["batch_account"]["unavailable"] is False


def test_absent_deletes_even_an_unavailable_account(run_module, emulator, key, on_cmk):
    _grant(run_module, batch_account="batchsys", state="absent")
    assert run_module(batch_account_cmk.main, dict(on_cmk, state="absent"))["changed"]
    assert not run_module(batch_account_cmk.main, dict(on_cmk, state="absent"))["changed"]
