"""Azure is eventually consistent (issue 8): grants reach Key Vault and Batch late, a new vault's name
resolves late, an account recovers late. The flows still converge in one run: the modules wait by reading
(or, for Batch, by trying a refused write again - a refusal writes nothing), bounded by wait_timeout,
and say what they waited for when the bound is reached."""

from __future__ import annotations

import pytest
from conftest import writes_since
from seeded import OFFICER
from seeded import RG

from ansible_collections.azure_cmk.batch.plugins.modules import batch_account_cmk
from ansible_collections.azure_cmk.batch.plugins.modules import cmk_compliance_info
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key
from ansible_collections.azure_cmk.batch.plugins.modules import user_identity

AZURE_LIKE = dict(
    grant_propagation_seconds=2, vault_registering_seconds=1, vault_dns_seconds=2, account_recovery_seconds=1
)


def _ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def _vault_and_key(run_module, rbac):
    vault = {"vault_name": "kv-late", "resource_group": RG}
    _ok(
        run_module(
            keyvault.main,
            {
                "name": "kv-late",
                "resource_group": RG,
                "enable_purge_protection": True,
                "enable_rbac_authorization": rbac,
            },
        )
    )
    _ok(
        run_module(
            keyvault_access_policy.main,
            dict(vault, caller=True, key_permissions=OFFICER, role="Key Vault Crypto Officer"),
        )
    )
    return _ok(run_module(keyvault_cmk_key.main, dict(vault, name="cmk")))["key"]  # fmt: skip


def _waits(result):
    return [note for note in result.get("absorbed", []) if note.startswith("waited")]


@pytest.mark.emulator_settings(**AZURE_LIKE)
@pytest.mark.parametrize("rbac", [False, True], ids=["access-policy", "rbac"])
def test_user_assigned_flow_converges_in_one_run(run_module, emulator, rbac):
    start = emulator.journal.last_seq
    key = _vault_and_key(run_module, rbac)
    _ok(run_module(user_identity.main, {"name": "id-late", "resource_group": RG}))
    _ok(run_module(keyvault_access_policy.main, {"vault_name": "kv-late", "resource_group": RG, "identity": "id-late"}))
    args = dict(
        name="latecmk",
        resource_group=RG,
        identity_type="UserAssigned",
        user_assigned_identity="id-late",
        key_source="Microsoft.KeyVault",
        key_identifier=key["versionless_id"],
    )
    created = _ok(run_module(batch_account_cmk.main, args))
    assert created["changed"] and created["batch_account"]["key_source"] == "Microsoft.KeyVault"
    assert _waits(created), created.get("absorbed")  # Batch saw the grant only after its delay
    # Every write took effect once: refused attempts wrote nothing, and no key version was made twice.
    accepted = [e for e in emulator.journal.entries(start) if e.write and e.status < 300]
    assert len([e for e in accepted if e.method == "PUT" and e.path.endswith("/batchAccounts/latecmk")]) == 1
    assert len(emulator.store.data["vaultData"]["kv-late"]["keys"]["cmk"]["order"]) == 1
    seq = emulator.journal.last_seq
    assert not _ok(run_module(batch_account_cmk.main, args))["changed"]
    assert writes_since(emulator, seq) == []


@pytest.mark.emulator_settings(**AZURE_LIKE)
def test_system_assigned_flow_converges_in_one_run(run_module, emulator):
    key = _vault_and_key(run_module, rbac=True)
    account = {"name": "latesys", "resource_group": RG}
    _ok(run_module(batch_account_cmk.main, dict(account, identity_type="SystemAssigned")))
    _ok(
        run_module(
            keyvault_access_policy.main, {"vault_name": "kv-late", "resource_group": RG, "batch_account": "latesys"}
        )
    )
    switched = _ok(
        run_module(batch_account_cmk.main, dict(account, key_source="Microsoft.KeyVault", key_identifier=key["id"]))
    )
    assert switched["changed"] and switched["batch_account"]["key_identifier"] == key["id"]  # fmt: skip


@pytest.mark.emulator_settings(vault_registering_seconds=1, vault_dns_seconds=5)
def test_a_new_vault_is_waited_for_until_its_name_resolves(run_module, emulator):
    created = _ok(run_module(keyvault.main, {"name": "kv-dns", "resource_group": RG, "enable_purge_protection": True}))
    assert created["vault"]["provisioning_state"] == "Succeeded"
    assert any("kv-dns.vault.azure.net to resolve" in note for note in _waits(created)), created.get("absorbed")


@pytest.mark.emulator_settings(grant_propagation_seconds=30)
def test_a_grant_slower_than_wait_timeout_fails_saying_what_it_waited_for(run_module, emulator):
    _ok(run_module(keyvault.main, {"name": "kv-slow", "resource_group": RG, "enable_purge_protection": True}))
    granted = run_module(
        keyvault_access_policy.main,
        {"vault_name": "kv-slow", "resource_group": RG, "caller": True, "role": "Key Vault Crypto Officer", "wait_timeout": 2},
    )  # fmt: skip
    assert granted["failed"]
    message = granted["msg"]
    assert message.startswith("Timed out after 2 s (wait_timeout) waiting for Key Vault to let the caller read keys")
    assert "grants take up to 10 minutes" in message
    # The grant itself was made: once it has arrived, a rerun converges without writing.
    emulator.settings.update({"grant_propagation_seconds": 0})
    seq = emulator.journal.last_seq
    grant = {"vault_name": "kv-slow", "resource_group": RG, "caller": True, "role": "Key Vault Crypto Officer"}
    again = _ok(run_module(keyvault_access_policy.main, grant))
    assert not again["changed"] and writes_since(emulator, seq) == []


def test_batch_refusing_past_wait_timeout_names_the_documented_delay(run_module, emulator):
    key = _vault_and_key(run_module, rbac=False)  # the automation's own access, before grants turn slow
    emulator.settings.update({"grant_propagation_seconds": 30})
    _ok(run_module(user_identity.main, {"name": "id-slow", "resource_group": RG}))
    _ok(run_module(keyvault_access_policy.main, {"vault_name": "kv-late", "resource_group": RG, "identity": "id-slow"}))
    args = dict(
        name="slowcmk",
        resource_group=RG,
        identity_type="UserAssigned",
        user_assigned_identity="id-slow",
        key_source="Microsoft.KeyVault",
        key_identifier=key["versionless_id"],
        wait_timeout=2,
    )
    refused = run_module(batch_account_cmk.main, args)
    assert refused["failed"]
    assert "waiting for Batch to accept the key for account 'slowcmk'" in refused["msg"]
    assert "up to 10 minutes" in refused["msg"] and "Azure's last answer" in refused["msg"]
    emulator.settings.update({"grant_propagation_seconds": 0})  # the grant has arrived: a rerun converges
    assert _ok(run_module(batch_account_cmk.main, args))["changed"]


def _lost_and_restored(run_module):
    """An account on its key through a user-assigned identity whose grant was revoked - Batch noticed - and
    given back: the account's task arguments."""
    key = _vault_and_key(run_module, rbac=False)
    _ok(run_module(user_identity.main, {"name": "id-back", "resource_group": RG}))
    grant = {"vault_name": "kv-late", "resource_group": RG, "identity": "id-back"}
    _ok(run_module(keyvault_access_policy.main, grant))
    args = dict(
        name="backcmk",
        resource_group=RG,
        identity_type="UserAssigned",
        user_assigned_identity="id-back",
        key_source="Microsoft.KeyVault",
        key_identifier=key["versionless_id"],
    )
    _ok(run_module(batch_account_cmk.main, args))
    _ok(run_module(keyvault_access_policy.main, dict(grant, state="absent", force=True)))
    assert run_module(batch_account_cmk.main, args)["failed"]  # lost: Batch notices on its next read
    _ok(run_module(keyvault_access_policy.main, grant))
    return args


@pytest.mark.emulator_settings(grant_propagation_seconds=0, account_recovery_seconds=60)
def test_an_account_whose_access_returned_is_reported_recovering(run_module, emulator):
    """Batch makes an account available up to 10 minutes after its key access returns: not an error, not
    compliant yet. Only Azure's Invalid state tells; where it does not say so (generic errors), nothing does."""
    args = _lost_and_restored(run_module)
    # Access restored, not waited for (wait: false): green, with a warning while recovering.
    back = _ok(run_module(batch_account_cmk.main, dict(args, wait=False)))
    report = _ok(run_module(cmk_compliance_info.main, {"names": ["backcmk"], "resource_group": RG}))["accounts"][0]
    if emulator.settings.generic_errors:
        assert back["batch_account"]["recovering"] is False and report["compliant"]
        return
    assert back["batch_account"]["recovering"] is True and back["batch_account"]["unavailable"] is True
    assert any("Batch still reports the account Invalid" in w and "up to 10 minutes" in w for w in back["warnings"])
    assert report["recovering"] is True and report["compliant"] is False
    assert [(f["code"], f["severity"]) for f in report["findings"]] == [("account_recovering", "warning")]


@pytest.mark.emulator_settings(grant_propagation_seconds=0, account_recovery_seconds=2)
def test_a_run_that_restores_access_waits_until_the_account_is_available(run_module, emulator):
    """Green means usable: the task that ensures the key waits (bounded) for Batch to make the account
    available again, saying so in ``absorbed``; it writes nothing to do so."""
    args = _lost_and_restored(run_module)
    seq = emulator.journal.last_seq
    back = _ok(run_module(batch_account_cmk.main, args))
    assert back["changed"] is False and writes_since(emulator, seq) == []
    assert back["batch_account"]["unavailable"] is False and back["batch_account"]["recovering"] is False
    if not emulator.settings.generic_errors:
        assert any("to become available again" in note for note in _waits(back)), back.get("absorbed")
