"""A greenfield check run says each assumption once (issue 18): the tasks of one run share ansible-playbook's run
directory (the action plugins hand it to them as ``token_cache_dir``), where a check run keeps what it has said."""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.modules import batch_account_cmk
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key

VAULT = {"vault_name": "kv-not-yet", "resource_group": "rg-cmk"}
ASSUMED = "vault 'kv-not-yet' does not exist in resource group 'rg-cmk'"


def _said(result):
    assert not result.get("failed"), result.get("msg")
    return [w for w in result.get("warnings", []) if ASSUMED in w]


def test_an_assumption_is_said_by_the_first_task_of_the_run_only(run_module, emulator, run_dir):
    seq = emulator.journal.last_seq
    grant = dict(VAULT, caller=True, key_permissions=["get", "create"], token_cache_dir=run_dir)
    assert len(_said(run_module(keyvault_access_policy.main, grant, check=True))) == 1
    key = dict(VAULT, name="cmk", token_cache_dir=run_dir)
    assert _said(run_module(keyvault_cmk_key.main, key, check=True)) == []  # said already, in other words
    assert _said(run_module(keyvault_access_policy.main, grant, check=True)) == []
    # Another run (its own directory), or a task without one, says it again.
    assert len(_said(run_module(keyvault_cmk_key.main, dict(key, token_cache_dir=None), check=True))) == 1
    assert emulator.journal.writes(seq) == []


def test_a_finding_that_assumes_the_same_vault_is_not_said_again(run_module, emulator, run_dir):
    """The Batch task's audit finds the vault missing ([vault_not_found]): in a run that has said the vault is
    assumed created, that is the same assumption."""
    grant = dict(VAULT, caller=True, key_permissions=["get", "create"], token_cache_dir=run_dir)
    assert len(_said(run_module(keyvault_access_policy.main, grant, check=True))) == 1
    account = {"name": "batchnotyet", "resource_group": "rg-cmk", "identity_type": "SystemAssigned",
               "key_source": "Microsoft.KeyVault", "key_vault_resource_group": "rg-cmk",
               "key_identifier": "https://kv-not-yet.vault.azure.net/keys/cmk", "token_cache_dir": run_dir}  # fmt: skip
    result = run_module(batch_account_cmk.main, account, check=True)
    assert not result.get("failed"), result.get("msg")
    assert not [w for w in result.get("warnings", []) if "vault_not_found" in w], result["warnings"]
    alone = run_module(batch_account_cmk.main, dict(account, token_cache_dir=None), check=True)
    assert [w for w in alone.get("warnings", []) if "vault_not_found" in w], alone.get("warnings")
