"""Pools (issue 20): a fleet's pools in the compliance report, through Resource Graph and through Batch, judged by
one set of rules; and the force guards naming the pools a key or grant change would stop. The fleet
(emulator/src/azure_emulator/fleet.py): 5 accounts in 2 subscriptions on 2 vaults, each with pool00 (Linux,
temporary disk encrypted) and pool01 (Linux, not encrypted); fleet0000 also has win-cmk, a Windows pool whose OS
disk uses its own key, pool-cmk in fleetkv00, through the first subscription's identity."""

from __future__ import annotations

import time

import pytest

from ansible_collections.azure_cmk.batch.plugins.modules import batch_account_cmk_info
from ansible_collections.azure_cmk.batch.plugins.modules import cmk_compliance_info
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key

FLEET = {"accounts": 5, "vaults": 2, "key_size": 2048, "subscriptions": 2, "pools_per_account": 2}
GROUP = "rg-fleet"
UNENCRYPTED = [(f"fleet000{i}", "pool01", "pool_temp_disk_unencrypted", "warning") for i in range(5)]
# pool j of account i: 1 + (i + j) % 3 dedicated nodes, j % 2 low-priority ones; win-cmk: 1 dedicated.
NODES = {(i, j): 1 + (i + j) % 3 + j % 2 for i in range(5) for j in range(2)}


def _ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def _pool_findings(entries):
    return sorted(
        (e["name"], f["pool"], f["code"], f["severity"]) for e in entries for f in e["findings"] if "pool" in f
    )


def _disable_pool_key(run_module, fleet, force):
    args = {"vault_name": "fleetkv00", "resource_group": GROUP, "name": "pool-cmk", "enabled": False, "force": force}
    return run_module(keyvault_cmk_key.main, dict(args, subscription_id=fleet["subscriptions"][0]))


@pytest.fixture
def fleet(control):
    return control("POST", "fleet", json=FLEET)


def test_the_fleets_pools_give_exactly_the_expected_findings(run_module, emulator, control, fleet):
    """Every account's unencrypted pool01 (a warning, naming the policy), then the Windows pool's own key disabled:
    an error on that pool alone, whose node the report counts as unavailable - as Batch's node counts show it."""
    estate = _ok(run_module(cmk_compliance_info.main, {"subscriptions": fleet["subscriptions"]}))
    assert _pool_findings(estate["accounts"]) == UNENCRYPTED
    assert estate["summary"]["pools"] == {
        "pools": 11,
        "nodes": sum(NODES.values()) + 1,
        "temporary_disk_unencrypted": 5,
        "own_key": 1,
        "unavailable": 0,
        "unavailable_nodes": 0,
    }
    _ok(_disable_pool_key(run_module, fleet, force=True))
    entries = {e["name"]: e for e in _ok(run_module(cmk_compliance_info.main, {"subscriptions": ["all"]}))["accounts"]}
    assert _pool_findings(entries.values()) == sorted(
        [*UNENCRYPTED, ("fleet0000", "win-cmk", "pool_key_disabled", "error")]
    )
    windows = {p["name"]: p for p in entries["fleet0000"]["pools"]}["win-cmk"]
    assert windows["os"] == "windows" and windows["disk_encryption_targets"] == ["OsDisk", "TemporaryDisk"]
    assert windows["customer_managed_key"]["identity"].lower() == fleet["identity"].lower()
    assert windows["nodes_unavailable"] and "its own disk key cannot be used" in windows["reason"]
    assert entries["fleet0000"]["pools_unavailable"] == {"pools": 1, "nodes": 1}
    assert not entries["fleet0001"]["pools_unavailable"]["pools"]
    counts = control("GET", "nodecounts", params={"account": fleet_account(fleet, 0)})["value"]
    unusable = {c["poolId"] for c in counts if c["dedicated"]["unusable"] + c["lowPriority"]["unusable"]}
    assert unusable == {"win-cmk"}


def fleet_account(fleet, i):
    sub = fleet["subscriptions"][i % len(fleet["subscriptions"])]
    return f"/subscriptions/{sub}/resourceGroups/{GROUP}/providers/Microsoft.Batch/batchAccounts/fleet{i:04d}"


def test_both_paths_judge_pools_alike(run_module, fleet):
    """The first subscription's accounts read from the providers (the pools from one Resource Graph query, their
    own keys from Key Vault), one of them with its pools listed by Batch (the info module), and over the estate:
    the same pool entries; temporary_disk_severity error makes the unencrypted pools' accounts non-compliant."""
    provider = _ok(run_module(cmk_compliance_info.main, {"resource_group": GROUP}))["accounts"]
    estate = _ok(run_module(cmk_compliance_info.main, {"subscriptions": fleet["subscriptions"][:1]}))["accounts"]
    assert [e["pools"] for e in provider] == [e["pools"] for e in estate]
    for name in ("fleet0000", "fleet0002"):
        (listed,) = _ok(run_module(batch_account_cmk_info.main, {"name": name, "resource_group": GROUP}))[
            "batch_accounts"
        ]
        assert listed["pools"] == next(e["pools"] for e in estate if e["name"] == name)
    strict = {"resource_group": GROUP, "temporary_disk_severity": "error"}
    assert not any(e["compliant"] for e in _ok(run_module(cmk_compliance_info.main, strict))["accounts"])
    ignored = _ok(run_module(cmk_compliance_info.main, dict(strict, temporary_disk_severity="ignore")))
    assert _pool_findings(ignored["accounts"]) == []
    skipped = _ok(run_module(cmk_compliance_info.main, {"resource_group": GROUP, "pools": "false"}))
    assert "pools" not in skipped["summary"] and all("pools" not in e for e in skipped["accounts"])


def test_an_account_cut_off_its_key_counts_its_pools_and_nodes(run_module, control, emulator, fleet):
    """Revoking the second subscription's identity on fleetkv01 (its accounts fleet0001 and fleet0003): the guard
    names both accounts with their pools and nodes; forced, the report counts those pools and nodes unavailable."""
    principal = emulator.store.resource(fleet["identities"][1])["properties"]["principalId"]
    revoke = {"vault_name": "fleetkv01", "resource_group": GROUP, "object_id": principal, "state": "absent"}
    revoke["subscription_id"] = fleet["subscriptions"][1]
    refused = run_module(keyvault_access_policy.main, revoke)
    assert refused.get("failed")
    nodes = {i: (NODES[(i, 0)], NODES[(i, 1)]) for i in (1, 3)}
    for i in (1, 3):
        listed = "pools pool00 ({} nodes), pool01 ({} nodes)".format(*nodes[i]).replace("(1 nodes)", "(1 node)")
        assert f"fleet000{i} (resource group {GROUP}; {listed})" in refused["msg"], refused["msg"]
    _ok(run_module(keyvault_access_policy.main, dict(revoke, force=True)))
    entries = {e["name"]: e for e in _ok(run_module(cmk_compliance_info.main, {"subscriptions": ["all"]}))["accounts"]}
    for i in (1, 3):
        assert entries[f"fleet000{i}"]["unavailable"]
        assert entries[f"fleet000{i}"]["pools_unavailable"] == {"pools": 2, "nodes": sum(nodes[i])}
        assert all("requeued" in p["reason"] for p in entries[f"fleet000{i}"]["pools"])
        assert _nodes_go_unusable(control, fleet_account(fleet, i))
    summary = _ok(run_module(cmk_compliance_info.main, {"subscriptions": ["all"]}))["summary"]["pools"]
    assert (summary["unavailable"], summary["unavailable_nodes"]) == (4, sum(map(sum, nodes.values())))


def _nodes_go_unusable(control, account, within=30):
    """Batch's node counts: every node unusable, once the revocation has reached the service."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        counts = control("GET", "nodecounts", params={"account": account})["value"]
        if all(c["dedicated"]["unusable"] == c["dedicated"]["total"] for c in counts):
            return True
        time.sleep(0.5)
    return False


def test_a_guard_names_the_pool_on_its_own_key_and_refuses_before_writing(run_module, emulator, fleet):
    seq = emulator.journal.last_seq
    refused = _disable_pool_key(run_module, fleet, force=False)
    assert refused.get("failed") and emulator.journal.writes(seq) == []
    assert (
        "would make pool 'win-cmk' of Batch account 'fleet0000' (resource group rg-fleet; 1 node, on its own "
        "disk key) unavailable" in refused["msg"]
    ), refused["msg"]
    forced = _ok(_disable_pool_key(run_module, fleet, force=True))
    assert any("win-cmk" in w and "force: true" in w for w in forced["warnings"]), forced.get("warnings")


def test_a_pool_pinned_behind_its_keys_newest_version(run_module, fleet):
    """pool-cmk rotated: win-cmk stays on the version it names - rotationToLatestKeyVersionEnabled is false."""
    rotate = {"vault_name": "fleetkv00", "resource_group": GROUP, "name": "pool-cmk", "rotate": True}
    newest = _ok(run_module(keyvault_cmk_key.main, rotate))["key"]["version"]
    entries = {e["name"]: e for e in _ok(run_module(cmk_compliance_info.main, {"subscriptions": ["all"]}))["accounts"]}
    (pinned,) = [f for f in entries["fleet0000"]["findings"] if f.get("pool") == "win-cmk"]
    assert (pinned["code"], pinned["severity"]) == ("pool_key_pinned", "warning")
    assert newest in pinned["message"] and "rotationToLatestKeyVersionEnabled" in pinned["message"]
    assert entries["fleet0000"]["pools_unavailable"]["pools"] == 0
    provider = _ok(run_module(cmk_compliance_info.main, {"resource_group": GROUP, "names": ["fleet0000"]}))
    assert [f for f in provider["accounts"][0]["findings"] if f.get("pool") == "win-cmk"] == [pinned]


def test_the_account_info_module_returns_the_pools(run_module, fleet):
    (found,) = _ok(run_module(batch_account_cmk_info.main, {"name": "fleet0002", "resource_group": GROUP}))[
        "batch_accounts"
    ]
    assert [p["name"] for p in found["pools"]] == ["pool00", "pool01"]
    assert [p["temporary_disk_encrypted"] for p in found["pools"]] == [True, False]
    assert found["pools_unavailable"] == {"pools": 0, "nodes": 0}
    assert "pool_problems" not in found


def test_confirmation_asks_only_accounts_with_errors_of_their_own(run_module, fleet):
    """Pool errors are judged from what the estate read, which a confirmation does not read again: only accounts
    with an error of their own are asked (fleet0000, on Microsoft-managed keys), not every account with an
    unencrypted pool (errors here)."""
    args = {"subscriptions": ["all"], "temporary_disk_severity": "error", "confirm_errors": True, "confirm_limit": 3}
    result = _ok(run_module(cmk_compliance_info.main, args))
    assert result["confirmation"] == {"asked": 1, "cleared": 0, "still_failing": 1, "gone": 0, "skipped": 0}
    assert result["summary"]["non_compliant"] == 5  # every account has an unencrypted pool, an error here


def test_switching_a_vault_to_rbac_names_the_pool_on_its_own_key(run_module, emulator, fleet):
    """Access policies stop counting: the accounts on fleetkv00 and win-cmk (its pool-cmk) would lose their keys."""
    seq = emulator.journal.last_seq
    switch = {"name": "fleetkv00", "resource_group": GROUP, "enable_rbac_authorization": True}
    refused = run_module(keyvault.main, dict(switch, subscription_id=fleet["subscriptions"][0]))
    assert refused.get("failed") and emulator.journal.writes(seq) == []
    assert "and pool 'win-cmk' of Batch account 'fleet0000'" in refused["msg"], refused["msg"]
    assert "Grant their identities the role 'Key Vault Crypto Service Encryption User'" in refused["msg"]
    assert "fleet0002 (resource group rg-fleet; pools pool00 (3 nodes), pool01 (2 nodes))" in refused["msg"]


def test_pools_an_account_cannot_list_are_said_not_hidden(run_module, control, fleet):
    control("POST", "faults", json={"kind": "status", "status": 403, "code": "AuthorizationFailed", "path": "/pools$"})
    one = {"name": "fleet0002", "resource_group": GROUP}
    result = _ok(run_module(batch_account_cmk_info.main, one))
    control("DELETE", "faults")
    (found,) = result["batch_accounts"]
    assert found["pools"] is None and "pools_unavailable" not in found
    assert any("the pools of Batch account 'fleet0002' could not be read" in w for w in result["warnings"])


def test_the_info_module_without_pools_lists_none(run_module, emulator, fleet):
    seq = emulator.journal.last_seq
    args = {"name": "fleet0002", "resource_group": GROUP, "pools": "false"}
    (found,) = _ok(run_module(batch_account_cmk_info.main, args))["batch_accounts"]
    assert "pools" not in found
    assert not [e for e in emulator.journal.entries(seq) if "/pools" in e.path.lower()]
