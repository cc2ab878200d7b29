"""Issue 9: every transient fault is absorbed in the same run. Each kind of fault the emulator injects
(429 with and without Retry-After, 503, a dropped connection, a lost answer, a slow answer, an outage) is
put on the writes, and on the reads that decide, of both enable flows and the rotation flow; then a seeded
chaos run faults about one call in three. The first run must succeed, with no duplicate key version,
no unexpected error, and each absorbed fault visible in the results."""

from __future__ import annotations

import pytest
from seeded import OFFICER
from seeded import RG

from ansible_collections.azure_cmk.batch.plugins.modules import batch_account_cmk
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key
from ansible_collections.azure_cmk.batch.plugins.modules import user_identity

# Long (a few minutes): run by `make faults`, once, not by `make unit` on every end of the matrix.
pytestmark = pytest.mark.faults
VAULT = {"vault_name": "kv-faulty", "resource_group": RG}
# Every request the collection makes that is not Entra ID's (its token client retries on its own).
AZURE = r"management\.azure\.com|.*\.vault\.azure\.net"
WRITES = "PUT|PATCH|POST|DELETE"

FAULTS = {
    "429-retry-after": {"kind": "status", "status": 429, "retry_after": 1},
    "429-no-retry-after": {"kind": "status", "status": 429},
    "503": {"kind": "status", "status": 503},
    "drop": {"kind": "drop"},
    "lost": {"kind": "lost"},
    "delay": {"kind": "delay", "delay": 2},
}


def _setup(run_module):
    vault = {"name": "kv-faulty", "resource_group": RG, "enable_purge_protection": True}
    _ok(run_module(keyvault.main, dict(vault, enable_rbac_authorization=False)))
    _ok(run_module(keyvault_access_policy.main, dict(VAULT, caller=True, key_permissions=OFFICER)))
    return _ok(run_module(keyvault_cmk_key.main, dict(VAULT, name="cmk")))["key"]


def _ok(result):
    assert not result.get("failed"), result.get("msg")
    assert "Unexpected error" not in str(result.get("msg"))
    return result


def user_assigned(run_module):
    results = []
    key = _setup(run_module)
    results.append(_ok(run_module(user_identity.main, {"name": "id-faulty", "resource_group": RG})))
    results.append(_ok(run_module(keyvault_access_policy.main, dict(VAULT, identity="id-faulty"))))
    account = dict(
        name="faultyuser",
        resource_group=RG,
        identity_type="UserAssigned",
        user_assigned_identity="id-faulty",
        key_source="Microsoft.KeyVault",
        key_identifier=key["versionless_id"],
    )
    results.append(_ok(run_module(batch_account_cmk.main, account)))
    return results, {"cmk": 1}


def system_assigned(run_module):
    results = []
    key = _setup(run_module)
    account = {"name": "faultysys", "resource_group": RG}
    results.append(_ok(run_module(batch_account_cmk.main, dict(account, identity_type="SystemAssigned"))))
    results.append(_ok(run_module(keyvault_access_policy.main, dict(VAULT, batch_account="faultysys"))))
    switch = dict(account, key_source="Microsoft.KeyVault", key_identifier=key["id"])
    results.append(_ok(run_module(batch_account_cmk.main, switch)))
    return results, {"cmk": 1}


def rotation(run_module):
    results, versions = system_assigned(run_module)
    rotated = _ok(run_module(keyvault_cmk_key.main, dict(VAULT, name="cmk", rotate=True)))
    pinned = dict(
        name="faultysys", resource_group=RG, key_source="Microsoft.KeyVault", key_identifier=rotated["key"]["id"]
    )
    results += [rotated, _ok(run_module(batch_account_cmk.main, pinned))]
    return results, {"cmk": versions["cmk"] + 1}


FLOWS = {"user-assigned": user_assigned, "system-assigned": system_assigned, "rotation": rotation}


def _run(run_module, emulator, flow):
    results, versions = FLOWS[flow](run_module)
    made = {
        name: len(record["order"]) for name, record in emulator.store.data["vaultData"]["kv-faulty"]["keys"].items()
    }
    assert made == versions, made  # no key version made twice
    return [note for result in results for note in result.get("absorbed", [])]


def _faulted(emulator):
    return [e for e in emulator.journal.entries() if e.fault]


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("flow", list(FLOWS))
def test_a_fault_on_every_write_is_absorbed(run_module, emulator, control, flow, fault):
    # Every other write is faulted: each write meets the fault once, its retry (or re-read) gets through.
    control("POST", "faults", json=dict(FAULTS[fault], host=AZURE, method=WRITES, count=1000, every=2))
    absorbed = _run(run_module, emulator, flow)
    assert _faulted(emulator), "no fault was injected"
    if fault != "delay":  # a slow answer is no fault to absorb
        assert absorbed, "the absorbed faults do not show in the results"


@pytest.mark.parametrize("fault", ["429-no-retry-after", "503", "drop"])
@pytest.mark.parametrize("flow", list(FLOWS))
def test_a_fault_on_every_read_is_absorbed(run_module, emulator, control, flow, fault):
    control("POST", "faults", json=dict(FAULTS[fault], host=AZURE, method="GET", count=1000, every=2))
    absorbed = _run(run_module, emulator, flow)
    assert _faulted(emulator) and absorbed


def test_an_outage_of_several_seconds_is_ridden_out(run_module, emulator, control):
    """Twelve refused connections in a row: more than the SDKs' own connection retries, fewer than wait_timeout."""
    _setup(run_module)
    control("POST", "faults", json={"kind": "drop", "host": AZURE, "count": 12})
    result = _ok(run_module(user_identity.main, {"name": "id-outage", "resource_group": RG}))
    assert result["changed"] and len(result["absorbed"]) >= 12


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_chaos_run_succeeds_first_time(run_module, emulator, control, seed):
    """About one call in three faulted, of every kind, at random (seeded, so a failure can be replayed)."""
    kinds = ["429-no-retry-after", "503", "drop", "lost"]
    for index, fault in enumerate(kinds):
        plan = dict(FAULTS[fault], host=AZURE, count=1000, rate=1 / 3 / len(kinds), seed=seed * 10 + index)
        control("POST", "faults", json=plan)
    absorbed = _run(run_module, emulator, "rotation")
    assert len(_faulted(emulator)) >= 5 and absorbed
