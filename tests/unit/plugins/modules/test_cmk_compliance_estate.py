"""cmk_compliance_info over an estate (issue 16): Resource Graph for the accounts, vaults and grants, each used vault's
key list in Resource Manager for key state - judged by the rules the single-subscription report uses. Counts come from
the emulator's journal."""

from __future__ import annotations

import copy
import json
from collections import Counter

import pytest
from seeded import AUTOMATION
from seeded import OFFICER
from seeded import RG
from test_cmk_compliance_info import _clone
from test_cmk_compliance_info import _kv

# A fixture, used by name.
from test_cmk_compliance_info import compliant  # noqa: F401 # pylint: disable=unused-import
from test_cmk_compliance_info import test_every_finding_is_reported_where_it_is as every_finding

from ansible_collections.azure_cmk.batch.plugins.modules import cmk_compliance_info
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy

from azure_emulator.seed import CONTOSO
from azure_emulator.seed import FABRIKAM
from azure_emulator.seed import MAIN_SUB
from azure_emulator.seed import PLATFORM_SUB
from azure_emulator.seed import RESTRICTED_SUB

GRAPH = "/providers/Microsoft.ResourceGraph/resources"


def _report(run_module, **args):
    result = run_module(cmk_compliance_info.main, args)
    assert not result.get("failed"), result.get("msg")
    return result


def _calls(emulator, seq):
    """The run's requests by kind: Resource Graph, Batch, key lists, vault reads, the data plane, everything."""
    kinds = Counter()
    for e in emulator.journal.entries(seq):
        if e.host.endswith(".vault.azure.net"):
            kinds["keyvault"] += 1
        elif e.path == GRAPH:
            kinds["graph"] += 1
        elif "/Microsoft.Batch/" in e.path:
            kinds["batch"] += 1
        elif e.path.endswith(("/keys", "/versions")):
            kinds["key lists"] += 1
        elif "/Microsoft.KeyVault/vaults/" in e.path:
            kinds["vaults"] += 1
        kinds["all"] += 1
    return kinds


def _without_origin(entry):
    """An entry as both paths give it: the estate's adds where its state came from, and where it looked for a
    vault is wider than the subscription (json round trip: the same text in both)."""
    found = {k: v for k, v in entry.items() if k not in ("subscription_id", "state")}
    text = json.dumps(found).replace(f"subscription {MAIN_SUB}", "the subscriptions the credential can read")
    return json.loads(text)


def test_one_judgment_for_both_paths(run_module, emulator, control, compliant):  # noqa: F811
    """Every finding of the single-subscription report, on the same state, through Resource Graph and the key
    lists: the same entries, the same summary - read with no Key Vault data-plane call where Resource Manager
    answers (only the vault no one can reach is asked for its challenge)."""
    every_finding(run_module, emulator, control, compliant)  # builds the cases, and checks the provider path
    provider = _report(run_module, resource_group=RG)
    seq = emulator.journal.last_seq
    estate = _report(run_module, subscriptions=[MAIN_SUB])
    by_id = sorted(provider["accounts"], key=lambda e: e["id"].lower())  # the estate's order: by id
    assert [_without_origin(e) for e in estate["accounts"]] == [_without_origin(e) for e in by_id]
    assert estate["summary"] == provider["summary"] and estate["unreadable"]["vaults"] == []
    for found in estate["accounts"]:
        assert found["state"]["source"] == "resource_graph" and found["subscription_id"] == MAIN_SUB
    calls = _calls(emulator, seq)
    assert calls["batch"] == 0 and calls["graph"] == 3 and calls["key lists"] == 1  # accounts, pools, vaults; kv-report
    assert calls["keyvault"] == 0  # the typo's challenge was tried: its name does not resolve (no journal entry)


@pytest.mark.emulator_settings(grant_propagation_seconds=0, account_recovery_seconds=0)
def test_rbac_grants_come_from_resource_graph(run_module, emulator, compliant):  # noqa: F811
    """On an RBAC vault the identity's role assignments are read from authorizationresources, and judged as the
    provider's list of them is."""
    vault = {"vault_name": "kv-report", "resource_group": RG}
    switched = run_module(
        keyvault.main, {"name": "kv-report", "resource_group": RG, "enable_rbac_authorization": True, "force": True}
    )
    assert not switched.get("failed"), switched.get("msg")
    officer = dict(vault, object_id=AUTOMATION, key_permissions=OFFICER, role="Key Vault Crypto Officer")
    assert not run_module(keyvault_access_policy.main, officer).get("failed")
    for granted in (False, True):
        if granted:
            assert not run_module(keyvault_access_policy.main, dict(vault, identity="id-report")).get("failed")
        (provider,) = _report(run_module, resource_group=RG)["accounts"]  # its read of the account also ends Invalid
        seq = emulator.journal.last_seq
        (found,) = _report(run_module, subscriptions=["all"])["accounts"]
        assert ("identity_lacks_access" in {f["code"] for f in found["findings"]}) is not granted
        assert found["compliant"] is granted, found["findings"]
        assert _calls(emulator, seq)["graph"] == 4  # accounts, pools, vaults, role assignments
        assert _without_origin(found) == _without_origin(provider)


@pytest.mark.emulator_settings(resource_graph_throttling=True, resource_graph_quota={"queries": 2, "window_seconds": 2})
def test_past_1000_rows_paced_by_the_quota_and_a_429_absorbed(run_module, emulator, control, azure_credentials_env):
    """1,003 accounts in 2 subscriptions on 2 vaults: two pages of accounts (1,000 a page), one of vaults, then one
    key list per vault and the versions of the keys pinned accounts use - no call per account, no data-plane call.
    The quota (2 queries in 2 s, spent by another job of the same principal first) answers 429, which is waited
    out as its Retry-After says; then the quota's headers pace the pages."""
    fleet = control("POST", "fleet", json={"accounts": 1003, "vaults": 2, "key_size": 2048, "subscriptions": 2})
    _spend_the_quota(azure_credentials_env, 2)
    seq = emulator.journal.last_seq
    result = _report(run_module, subscriptions=fleet["subscriptions"], max_workers=4)
    assert result["summary"]["accounts"] == 1003 and result["summary"]["findings"]["not_on_cmk"] == 201
    calls = _calls(emulator, seq)
    graph = [e.status for e in emulator.journal.entries(seq) if e.path == GRAPH]
    assert graph == [429, 200, 200, 200, 200]  # the refused one, then accounts (2 pages), pools and vaults
    assert calls["key lists"] == 4 and calls["batch"] == 0 and calls["keyvault"] == 0 and calls["vaults"] == 0
    assert any(": 429" in note for note in result["absorbed"])
    assert any("quota to reset" in note for note in result["absorbed"])


def _spend_the_quota(info, queries):
    from azure.identity import ClientSecretCredential
    from azure.mgmt.resourcegraph import ResourceGraphClient

    client = ResourceGraphClient(ClientSecretCredential(info["tenant_id"], info["client_id"], info["client_secret"]))
    for _query in range(queries):
        client.resources({"query": "resources | project id | limit 1"})


def test_what_cannot_be_read_is_listed_and_strict_fails(run_module, emulator, compliant):  # noqa: F811
    """A subscription the credential may not read, a management group of another tenant, and a vault in the
    restricted subscription: listed, its account not checked; strict fails naming them."""
    account, _key = compliant
    vault_id = account["id"].split("/providers/")[0] + "/providers/Microsoft.KeyVault/vaults/kv-report"
    hidden = copy.deepcopy(emulator.store.resource(vault_id))
    hidden["id"] = (
        f"/subscriptions/{RESTRICTED_SUB}/resourceGroups/rg-restricted/providers/Microsoft.KeyVault/vaults/kv-hidden"
    )
    hidden["name"], hidden["properties"]["vaultUri"] = "kv-hidden", "https://kv-hidden.vault.azure.net/"
    emulator.store.put_resource(hidden)
    _clone(emulator, account, "elsewhere", **_kv("https://kv-hidden.vault.azure.net/keys/cmk"))
    mine = _report(run_module, subscriptions=[MAIN_SUB, PLATFORM_SUB, RESTRICTED_SUB])
    assert mine["unreadable"]["subscriptions"] == [RESTRICTED_SUB]
    assert mine["unreadable"]["vaults"] == [
        {"name": "kv-hidden", "reason": "not in the subscriptions the credential can read"}
    ]
    entries = {e["name"]: e for e in mine["accounts"]}
    assert entries["elsewhere"]["checked"] is False and entries["elsewhere"]["compliant"] is False
    assert entries["good"]["compliant"] is True and mine["summary"]["not_checked"] == 1
    groups = _report(run_module, management_groups=[CONTOSO, FABRIKAM])
    assert groups["unreadable"]["management_groups"] == [FABRIKAM]
    assert {e["name"] for e in groups["accounts"]} == {"good", "elsewhere"}
    strict = run_module(cmk_compliance_info.main, {"subscriptions": [MAIN_SUB, RESTRICTED_SUB], "strict": True})
    assert strict["failed"] and RESTRICTED_SUB in strict["msg"] and "vault kv-hidden" in strict["msg"]


def test_options_are_checked_before_any_call(run_module, emulator):
    seq = emulator.journal.last_seq
    for args, problem in (
        ({"subscriptions": ["all", MAIN_SUB]}, "'all' stands alone"),
        ({"subscriptions": ["not-a-guid"]}, "subscriptions:"),
        ({"subscriptions": ["all"], "confirm_limit": -1}, "confirm_limit:"),
    ):
        refused = run_module(cmk_compliance_info.main, args)
        assert refused["failed"] and problem in refused["msg"], refused
    both = run_module(cmk_compliance_info.main, {"subscriptions": ["all"], "management_groups": [CONTOSO]})
    assert both["failed"] and "mutually exclusive" in both["msg"]
    assert list(emulator.journal.entries(seq)) == []


@pytest.mark.emulator_settings(grant_propagation_seconds=0)
def test_confirmation_reads_the_failing_accounts_from_the_providers(run_module, emulator, control):
    """Inside Resource Graph's lag: a key disabled out of band is reported (its key list is Resource Manager's,
    read now) and confirmed from the provider; a grant given back is still missing in the index - an error the
    provider's read clears. One Batch read per failing account, one vault read per vault, no data-plane call."""
    fleet = control("POST", "fleet", json={"accounts": 10, "vaults": 2, "key_size": 2048})
    vaults = {v["name"]: v for v in emulator.store.resources(rtype="Microsoft.KeyVault/vaults")}
    identity = emulator.store.resource(fleet["identity"])["properties"]["principalId"]
    body = copy.deepcopy(vaults["fleetkv01"])
    body["properties"]["accessPolicies"] = [
        p for p in body["properties"]["accessPolicies"] if p["objectId"] != identity
    ]
    emulator.store.put_resource(body)  # revoked while the index keeps up (no lag yet)
    control("PATCH", "settings", json={"resource_graph_lag_seconds": 600})
    grant = {"vault_name": "fleetkv01", "resource_group": "rg-fleet", "object_id": identity}
    assert run_module(keyvault_access_policy.main, grant)["changed"]  # given back: the index shows it late
    with emulator.store.lock:
        record = emulator.store.data["vaultData"]["fleetkv00"]["keys"]["cmk"]
        record["versions"][record["order"][-1]]["attributes"]["enabled"] = False  # versionless accounts on kv00
    stale = {e["name"]: e for e in _report(run_module, subscriptions=["all"])["accounts"]}
    codes = {name: {f["code"] for f in e["findings"]} for name, e in stale.items()}
    assert codes["fleet0002"] == {"key_disabled"} and codes["fleet0001"] == {"identity_lacks_access"}
    assert stale["fleet0001"]["state"]["source"] == "resource_graph"
    failing = sorted(n for n, e in stale.items() if e["by_severity"]["error"])
    seq = emulator.journal.last_seq
    result = _report(run_module, subscriptions=["all"], confirm_errors=True)
    fresh = {e["name"]: e for e in result["accounts"]}
    assert {n for n, e in fresh.items() if e["state"]["source"] == "resource_provider"} == set(failing)
    assert {f["code"] for f in fresh["fleet0002"]["findings"]} == {"key_disabled"}
    assert fresh["fleet0001"]["compliant"] and fresh["fleet0007"]["compliant"]  # the grant is back
    cleared = [n for n in failing if not fresh[n]["by_severity"]["error"]]
    assert result["confirmation"] == {
        "asked": len(failing),
        "cleared": len(cleared),
        "still_failing": len(failing) - len(cleared),
        "gone": 0,
        "skipped": 0,
    }
    assert cleared == ["fleet0001", "fleet0003", "fleet0007", "fleet0009"]  # vault 1's
    reads = Counter(e.path.rsplit("/", 1)[-1] for e in emulator.journal.entries(seq) if "/batchAccounts/" in e.path)
    assert reads == Counter({name: 1 for name in failing})
    calls = _calls(emulator, seq)
    assert calls["vaults"] == 2 and calls["keyvault"] == 0
    limited = _report(run_module, subscriptions=["all"], confirm_errors=True, confirm_limit=1)
    assert limited["confirmation"]["asked"] == 1 and limited["confirmation"]["skipped"] == len(failing) - 1
