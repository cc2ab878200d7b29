"""Round trips on a converged run: only the reads a decision needs, each once (counted in the emulator's
journal, not timed). On Azure every call costs 100-200 ms, so these counts, not Python, decide a job's time."""

from __future__ import annotations

from collections import Counter

import pytest
from seeded import AUTOMATION
from seeded import OFFICER
from seeded import RG

from ansible_collections.azure_cmk.batch.plugins.modules import batch_account_cmk
from ansible_collections.azure_cmk.batch.plugins.modules import batch_account_cmk_info
from ansible_collections.azure_cmk.batch.plugins.modules import cmk_compliance_info
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key
from ansible_collections.azure_cmk.batch.plugins.modules import user_identity

VAULT = {"vault_name": "kv-trips", "resource_group": RG}
ROTATION = {"expires_in": "P1Y", "rotate_after_create": "P90D", "notify_before_expiry": "P30D"}


def calls(emulator, seq):
    """Every call a run made, by kind: token, discovery, challenge (Key Vault's 401), arm, keyvault."""
    kinds = Counter()
    for entry in emulator.journal.entries(seq):
        if entry.host.startswith("login."):
            kinds["token" if entry.path.endswith("/token") else "discovery"] += 1
        elif entry.host.endswith(".vault.azure.net"):
            kinds["challenge" if entry.status == 401 else "keyvault"] += 1
        else:
            kinds["arm"] += 1
    return kinds


@pytest.fixture
def converged(run_module, emulator):
    def ok(main, args):
        result = run_module(main, args)
        assert not result.get("failed"), result.get("msg")
        return result

    ok(
        keyvault.main,
        {"name": "kv-trips", "resource_group": RG, "enable_purge_protection": True, "enable_rbac_authorization": False},
    )
    ok(keyvault_access_policy.main, dict(VAULT, object_id=AUTOMATION, key_permissions=OFFICER))
    key = ok(keyvault_cmk_key.main, dict(VAULT, name="cmk", rotation_policy=ROTATION))["key"]
    ok(user_identity.main, {"name": "id-trips", "resource_group": RG})
    ok(keyvault_access_policy.main, dict(VAULT, identity="id-trips"))
    account = dict(
        name="trips",
        resource_group=RG,
        identity_type="UserAssigned",
        user_assigned_identity="id-trips",
        key_source="Microsoft.KeyVault",
        key_identifier=key["versionless_id"],
    )
    ok(batch_account_cmk.main, account)
    return {
        "user_identity": (user_identity.main, {"name": "id-trips", "resource_group": RG}, 3),
        "keyvault": (keyvault.main, {"name": "kv-trips", "resource_group": RG, "enable_purge_protection": True}, 3),
        "grant by object id": (keyvault_access_policy.main, dict(VAULT, object_id=AUTOMATION, key_permissions=OFFICER), 3),
        "grant by identity": (keyvault_access_policy.main, dict(VAULT, identity="id-trips"), 4),
        "keyvault_cmk_key": (keyvault_cmk_key.main, dict(VAULT, name="cmk", rotation_policy=ROTATION), 5),
        "batch_account_cmk": (batch_account_cmk.main, account, 7),
        "batch_account_cmk_info": (batch_account_cmk_info.main, {"name": "trips", "resource_group": RG}, 8),  # + pools
    }  # fmt: skip


@pytest.mark.parametrize(
    "task",
    [
        "user_identity",
        "keyvault",
        "grant by object id",
        "grant by identity",
        "keyvault_cmk_key",
        "batch_account_cmk",
        "batch_account_cmk_info",
    ],
)
def test_a_converged_run_makes_only_the_reads_it_needs(run_module, emulator, converged, task):
    main, args, most = converged[task]
    seq = emulator.journal.last_seq
    result = run_module(main, args)
    assert not result.get("failed") and not result["changed"], result
    made = calls(emulator, seq)
    assert sum(made.values()) <= most, dict(made)
    assert made["discovery"] <= 1 and made["challenge"] <= 1, dict(made)


def test_a_report_reads_each_shared_key_once(run_module, emulator, converged, control):
    """Ten accounts on one key: the key, its policy and its vault are read once, not ten times."""
    _main, account, _most = converged["batch_account_cmk"]
    for index in range(9):
        run_module(batch_account_cmk.main, dict(account, name=f"trips{index}"))
    seq = emulator.journal.last_seq
    report = run_module(cmk_compliance_info.main, {"resource_group": RG})
    assert report["summary"]["accounts"] == 10 and report["summary"]["compliant"] == 10
    keyvault_reads = [
        e.path for e in emulator.journal.entries(seq) if e.host.endswith(".vault.azure.net") and e.status != 401
    ]
    assert len(keyvault_reads) <= 2, keyvault_reads  # the key (and, for pinned ids, its newest version and policy)
    assert sum(calls(emulator, seq).values()) <= 11, dict(calls(emulator, seq))  # the pools: one query for all


@pytest.mark.emulator_settings(principal_replication_seconds=0)  # reads counted here, not the directory's delay
@pytest.mark.parametrize(
    ("rbac", "most"),
    [(False, 6), (True, 8)],
    ids=["access-policy", "rbac"],
)
def test_a_grant_that_writes_reads_the_principal_and_the_role_once(run_module, emulator, rbac, most):
    """A write does not change who is granted or what a role is: after it, only the vault is read again."""
    vault = {
        "name": "kv-grant",
        "resource_group": RG,
        "enable_purge_protection": True,
        "enable_rbac_authorization": rbac,
    }
    assert not run_module(keyvault.main, vault).get("failed")
    assert not run_module(user_identity.main, {"name": "id-grant", "resource_group": RG}).get("failed")
    seq = emulator.journal.last_seq
    granted = run_module(
        keyvault_access_policy.main, {"vault_name": "kv-grant", "resource_group": RG, "identity": "id-grant"}
    )
    assert granted["changed"] and not granted.get("failed"), granted.get("msg")
    made = calls(emulator, seq)
    assert sum(made.values()) <= most, dict(made)
