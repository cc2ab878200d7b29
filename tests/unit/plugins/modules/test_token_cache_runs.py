"""Module runs sharing the run's token cache (issue 19), in-process against the emulator: each run_module() is
what one task of a play does, with ``token_cache_dir`` as the collection's action plugin passes it. Counted in
the emulator's journal."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections import Counter
from pathlib import Path

from ansible_collections.azure_cmk.batch.plugins.modules import batch_account_cmk
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key_info
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_info
from ansible_collections.azure_cmk.batch.plugins.modules import user_identity

RG = "rg-cmk"
VAULT = {"vault_name": "kv-cached", "resource_group": RG}
OFFICER = ["get", "list", "create", "update", "recover", "rotate", "getrotationpolicy", "setrotationpolicy"]


def audience(entry):
    """The audience of the token an Entra ID answer carried (the journal keeps the answers in tests)."""
    payload = (entry.response or {}).get("access_token", "").split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["aud"]


def sign_ins(emulator, seq):
    """Discovery reads, token requests by audience, and Key Vault challenges (401s) since ``seq``."""
    made = Counter()
    for entry in emulator.journal.entries(seq):
        if entry.host.startswith("login."):
            made["token " + audience(entry) if entry.path.endswith("/token") else "discovery"] += 1
        elif entry.host.endswith(".vault.azure.net") and entry.status == 401:
            made["challenge"] += 1
    return made


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def six_tasks(run_module, cache):
    ok(run_module(keyvault.main, dict(cache, name="kv-cached", resource_group=RG, enable_purge_protection=True,
                                      enable_rbac_authorization=False)))  # fmt: skip
    ok(run_module(keyvault_access_policy.main, dict(cache, **VAULT, caller=True, key_permissions=OFFICER)))
    ok(run_module(keyvault_cmk_key.main, dict(cache, **VAULT, name="cmk")))
    ok(run_module(keyvault_info.main, dict(cache, name="kv-cached", resource_group=RG)))
    ok(run_module(keyvault_cmk_key_info.main, dict(cache, **VAULT, name="cmk")))
    ok(run_module(user_identity.main, dict(cache, name="id-cached", resource_group=RG)))


def test_six_tasks_on_one_credential_sign_in_once(run_module, emulator, run_dir):
    """Done-means 2 of issue 19: at most one tenant discovery and one token per audience for the whole play."""
    seq = emulator.journal.last_seq
    six_tasks(run_module, {"token_cache_dir": run_dir})
    made = sign_ins(emulator, seq)
    assert made["discovery"] <= 1, dict(made)
    assert made["token https://management.azure.com"] <= 1 and made["token https://vault.azure.net"] <= 1, dict(made)
    # The vault's tenant came with its Resource Manager read: Key Vault never had to name it with a 401.
    assert made["challenge"] == 0, dict(made)


def test_without_the_cache_every_task_signs_in(run_module, emulator, run_dir):
    """The same play with token_cache off (or no directory, a module run elsewhere) still works, as before."""
    seq = emulator.journal.last_seq
    six_tasks(run_module, {"token_cache_dir": run_dir, "token_cache": False})
    made = sign_ins(emulator, seq)
    assert made["discovery"] == 6 and made["challenge"] >= 1, dict(made)
    assert os.listdir(run_dir) == []


def test_the_cache_holds_no_secret_and_is_owner_only(run_module, emulator, run_dir, azure_credentials_env):
    six_tasks(run_module, {"token_cache_dir": run_dir})
    secret = azure_credentials_env["client_secret"]
    files = os.listdir(run_dir)
    assert any(name.endswith(".json") for name in files)
    for name in files:
        path = os.path.join(run_dir, name)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        content = Path(path).read_text()
        assert secret not in content and secret not in name
        assert "refresh_token" not in content


def test_a_wrong_secret_is_not_hidden_by_the_cache(run_module, emulator, run_dir, monkeypatch):
    """The run's tokens are the credential's: another secret for the same client finds none and is refused."""
    ok(run_module(user_identity.main, {"name": "id-cached", "resource_group": RG, "token_cache_dir": run_dir}))
    monkeypatch.setenv("AZURE_SECRET", "not-the-secret")
    result = run_module(user_identity.main, {"name": "id-cached", "resource_group": RG, "token_cache_dir": run_dir})
    assert result.get("failed") and "AADSTS7000215" in result["msg"], result


def test_a_directory_others_may_use_is_refused(run_module, emulator, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)  # noqa: S103 - the mode under test
    seq = emulator.journal.last_seq
    result = run_module(user_identity.main, {"name": "id-x", "resource_group": RG, "token_cache_dir": str(shared)})
    assert result.get("failed") and result["msg"].startswith("token_cache_dir:"), result
    assert "0755" in result["msg"]
    assert emulator.journal.entries(seq) == [] and os.listdir(shared) == []


def test_a_vault_challenge_learnt_by_one_task_serves_the_next(run_module, emulator, run_dir):
    """A task that meets Key Vault first (no Resource Manager read of the vault) answers its 401; the next task
    sends its first request with a token."""
    ok(run_module(keyvault.main, {"name": "kv-cached", "resource_group": RG, "enable_purge_protection": True,
                                  "enable_rbac_authorization": False}))  # fmt: skip
    ok(run_module(keyvault_access_policy.main, dict(VAULT, caller=True, key_permissions=OFFICER)))
    ok(run_module(keyvault_cmk_key.main, dict(VAULT, name="cmk")))
    seq = emulator.journal.last_seq
    ok(run_module(keyvault_cmk_key_info.main, dict(VAULT, name="cmk", token_cache_dir=run_dir)))
    first = sign_ins(emulator, seq)
    seq = emulator.journal.last_seq
    ok(run_module(keyvault_cmk_key_info.main, dict(VAULT, name="cmk", token_cache_dir=run_dir)))
    second = sign_ins(emulator, seq)
    assert first["challenge"] == 1 and second["challenge"] == 0, (dict(first), dict(second))
    assert sum(second.values()) == 0, dict(second)


def test_what_a_batch_task_reads_goes_beside_the_accounts_read(run_module, emulator, control, run_dir):
    """A Batch task reads the account first and then its vault and key; when the task names them (and the run
    knows the vault from an earlier task), their reads start beside the account's instead of after its answer: at
    Azure's latency their tunnels and round trips are hidden. With every Resource Manager answer a second late, a
    read sent after the account's answer would reach the emulator a second after it; these reach it at once.
    Each is made once."""
    cache = {"token_cache_dir": run_dir}
    ok(run_module(keyvault.main, dict(cache, name="kv-cached", resource_group=RG, enable_purge_protection=True,
                                      enable_rbac_authorization=False)))  # fmt: skip
    ok(run_module(keyvault_access_policy.main, dict(cache, **VAULT, caller=True, key_permissions=OFFICER)))
    key = ok(run_module(keyvault_cmk_key.main, dict(cache, **VAULT, name="cmk")))["key"]["versionless_id"]
    account = {"name": "batchahead", "resource_group": RG, "identity_type": "SystemAssigned"}
    ok(run_module(batch_account_cmk.main, dict(cache, **account)))
    grant = dict(cache, **VAULT, batch_account="batchahead")
    ok(run_module(keyvault_access_policy.main, grant))
    on_key = dict(cache, **account, key_source="Microsoft.KeyVault", key_identifier=key)
    ok(run_module(batch_account_cmk.main, on_key))
    control("PATCH", "settings", json={"latency_ms": {"arm": 1000}})

    def reads_beside_the_account(task, params, hosts):
        seq = emulator.journal.last_seq
        assert ok(run_module(task, params))["changed"] is False
        reads = [e for e in emulator.journal.entries(seq) if e.status == 200]
        (first,) = [e for e in reads if e.path.lower().endswith("/batchaccounts/batchahead")]
        for path in hosts:
            (read,) = [e for e in reads if path in (e.host + e.path).lower()]
            assert read.time - first.time < 0.9, (path, read.time - first.time)

    reads_beside_the_account(
        batch_account_cmk.main, on_key, ["/vaults/kv-cached", "kv-cached.vault.azure.net/keys/cmk"]
    )
    reads_beside_the_account(keyvault_access_policy.main, grant, ["/vaults/kv-cached"])


def test_a_vault_first_read_from_resource_manager_has_its_token_waiting(run_module, emulator, run_dir):
    """The task that reads a vault the run had not seen fetches its Key Vault token into the run's cache before it
    ends, so the task that uses the vault next signs in to nothing; a second such read fetches nothing more."""
    cache = {"token_cache_dir": run_dir}
    seq = emulator.journal.last_seq
    ok(run_module(keyvault.main, dict(cache, name="kv-cached", resource_group=RG, enable_purge_protection=True,
                                      enable_rbac_authorization=False)))  # fmt: skip
    first = sign_ins(emulator, seq)
    assert first["token https://vault.azure.net"] == 1, dict(first)
    ok(run_module(keyvault_access_policy.main, dict(cache, **VAULT, caller=True, key_permissions=OFFICER)))
    seq = emulator.journal.last_seq
    ok(run_module(keyvault_cmk_key.main, dict(cache, **VAULT, name="cmk")))
    ok(run_module(keyvault_info.main, dict(cache, name="kv-cached", resource_group=RG)))
    assert sum(sign_ins(emulator, seq).values()) == 0, dict(sign_ins(emulator, seq))
