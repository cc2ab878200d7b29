"""keyvault and keyvault_info against the emulator."""

from __future__ import annotations

import pytest
from conftest import four_steps
from conftest import writes_since

from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_info

ARGS = {
    "name": "kv-batch-cmk",
    "resource_group": "rg-cmk",
    "enable_purge_protection": True,
    "enable_rbac_authorization": False,
}


def test_four_steps(run_module, emulator):
    results = four_steps(run_module, emulator, keyvault.main, ARGS)

    assert results[0]["vault"]["vault_uri"] == "https://kv-batch-cmk.vault.azure.net/"
    assert results[0]["diff"]["after"]["enable_purge_protection"] is True
    vault = results[1]["vault"]
    assert vault["enable_rbac_authorization"] is False
    assert vault["enable_soft_delete"] and vault["soft_delete_retention_days"] == 90
    body = emulator.store.resource(vault["id"])
    assert body["properties"]["enableRbacAuthorization"] is False  # sent explicitly, not Azure's default


def test_new_vault_without_the_option_is_rbac_and_says_so(run_module, emulator):
    args = {"name": "kv-rbac", "resource_group": "rg-cmk", "enable_purge_protection": True}
    result = run_module(keyvault.main, args, check=True, diff=True)
    assert result["diff"]["after"]["enable_rbac_authorization"] is True
    assert run_module(keyvault.main, args)["vault"]["enable_rbac_authorization"] is True


def test_purge_protection_is_required_and_one_way(run_module, emulator):
    seq = emulator.journal.last_seq
    refused = run_module(keyvault.main, dict(ARGS, enable_purge_protection=None))
    assert refused["failed"] and refused["msg"].startswith(
        "enable_purge_protection: vault 'kv-batch-cmk' would have no purge protection"
    )
    run_module(keyvault.main, ARGS)
    off = run_module(keyvault.main, dict(ARGS, enable_purge_protection=False))
    assert "can never be turned off" in off["msg"]
    vault_writes = [w for w in writes_since(emulator, seq) if "vaults/kv-batch-cmk" in w]
    assert len(vault_writes) == 1 and vault_writes[0].startswith("PUT ")  # the create; both refusals wrote nothing


def test_retention_is_set_once(run_module, emulator):
    run_module(keyvault.main, dict(ARGS, soft_delete_retention_days=30))
    result = run_module(keyvault.main, dict(ARGS, soft_delete_retention_days=60))
    assert result["failed"] and result["msg"].startswith(
        "soft_delete_retention_days: vault 'kv-batch-cmk' keeps deleted objects 30 days"
    )


def test_update_patches_only_what_changed(run_module, emulator):
    run_module(keyvault.main, ARGS)
    seq = emulator.journal.last_seq
    result = run_module(keyvault.main, dict(ARGS, tags={"a": "b"}, public_network_access="Disabled"), diff=True)
    assert result["diff"]["before"] == {"tags": {}, "public_network_access": "Enabled"}
    writes = [(e.method, e.path.rsplit("/providers/", 1)[-1]) for e in emulator.journal.entries(seq) if e.write]
    # The properties in one PATCH; the tags merged by the Tags API (so a writer adding tags meanwhile keeps its own).
    assert writes == [
        ("PATCH", "Microsoft.KeyVault/vaults/kv-batch-cmk"),
        ("PATCH", "Microsoft.Resources/tags/default"),
    ]
    tags_only = run_module(keyvault.main, dict(ARGS, tags={"c": "d"}, public_network_access="Disabled"))
    assert tags_only["vault"]["tags"] == {"a": "b", "c": "d"}


def test_soft_deleted_vault_is_recovered(run_module, emulator):
    run_module(keyvault.main, ARGS)
    assert run_module(keyvault.main, dict(ARGS, state="absent"))["changed"]
    recovered = run_module(keyvault.main, dict(ARGS, tags={"back": "yes"}))
    assert recovered["changed"] and recovered["vault"]["tags"] == {"back": "yes"}
    assert recovered["vault"]["enable_purge_protection"]


def test_soft_deleted_name_without_recover_is_refused(run_module, emulator):
    run_module(keyvault.main, ARGS)
    run_module(keyvault.main, dict(ARGS, state="absent"))
    result = run_module(keyvault.main, dict(ARGS, recover=False))
    assert result["failed"] and "is soft-deleted in this subscription" in result["msg"]


@pytest.mark.parametrize(
    "scope", [{"name": "kv-batch-cmk", "resource_group": "rg-cmk"}, {"resource_group": "rg-cmk"}, {}]
)
def test_info_reports_cmk_readiness(run_module, emulator, scope):
    run_module(keyvault.main, ARGS)
    (vault,) = run_module(keyvault_info.main, scope)["vaults"]
    assert vault["cmk_ready"] and vault["cmk_problems"] == []
