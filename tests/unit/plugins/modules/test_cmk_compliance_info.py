"""cmk_compliance_info: each finding on a state built to contain it, nothing on a compliant account."""

from __future__ import annotations

import copy
import time
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


@pytest.fixture
def compliant(run_module, emulator):
    """A compliant account: user-assigned identity granted on a protected vault, versionless key id."""
    run_module(
        keyvault.main,
        {
            "name": "kv-report",
            "resource_group": RG,
            "enable_purge_protection": True,
            "enable_rbac_authorization": False,
        },
    )
    run_module(
        keyvault_access_policy.main,
        {"vault_name": "kv-report", "resource_group": RG, "object_id": AUTOMATION, "key_permissions": OFFICER},
    )
    key = run_module(keyvault_cmk_key.main, {"vault_name": "kv-report", "resource_group": RG, "name": "cmk"})["key"]
    run_module(user_identity.main, {"name": "id-report", "resource_group": RG})
    run_module(keyvault_access_policy.main, {"vault_name": "kv-report", "resource_group": RG, "identity": "id-report"})
    args = {
        "name": "good",
        "resource_group": RG,
        "identity_type": "UserAssigned",
        "user_assigned_identity": "id-report",
        "key_source": "Microsoft.KeyVault",
        "key_identifier": key["versionless_id"],
    }
    account = run_module(batch_account_cmk.main, args)["batch_account"]
    return account, key


def _clone(emulator, account, name, **encryption):
    """A copy of the compliant account under another name, with its encryption (or identity) changed."""
    body = copy.deepcopy(emulator.store.resource(account["id"]))
    body["id"] = body["id"].rsplit("/", 1)[0] + "/" + name
    body["name"] = name
    if "identity" in encryption:
        body["identity"] = encryption.pop("identity")
    if encryption:
        body["properties"]["encryption"] = encryption
    emulator.store.put_resource(body)


def _kv(key_id):
    return {"keySource": "Microsoft.KeyVault", "keyVaultProperties": {"keyIdentifier": key_id}}


def _key_versions(emulator, name):
    return emulator.store.data["vaultData"]["kv-report"]["keys"][name]


def test_every_finding_is_reported_where_it_is(run_module, emulator, control, compliant):
    account, key = compliant
    base = key["versionless_id"].rsplit("/", 1)[0]
    now = int(time.time())
    control("POST", "seed", json={"keys": [
        {"vault": "kv-report", "name": "ec", "kty": "EC"},
        {"vault": "kv-report", "name": "small", "key_size": 1024, "key_ops": ["wrapKey", "unwrapKey"]},
        {"vault": "kv-report", "name": "nowrap", "key_ops": ["encrypt"]},
        {"vault": "kv-report", "name": "off", "enabled": False, "key_ops": ["wrapKey", "unwrapKey"]},
        {"vault": "kv-report", "name": "old", "key_ops": ["wrapKey", "unwrapKey"]},
        {"vault": "kv-report", "name": "soon", "key_ops": ["wrapKey", "unwrapKey"]},
        {"vault": "kv-report", "name": "later", "key_ops": ["wrapKey", "unwrapKey"]},
    ]})  # fmt: skip
    with emulator.store.lock:
        _key_versions(emulator, "old")["versions"][_key_versions(emulator, "old")["order"][-1]]["attributes"]["exp"] = (
            now - 60
        )
        _key_versions(emulator, "soon")["versions"][_key_versions(emulator, "soon")["order"][-1]]["attributes"][
            "exp"
        ] = now + 5 * 86400
        _key_versions(emulator, "later")["versions"][_key_versions(emulator, "later")["order"][-1]]["attributes"][
            "nbf"
        ] = now + 86400
        _key_versions(emulator, "cmk")["rotationPolicy"] = {
            "id": base + "/cmk/rotationpolicy",
            "lifetimeActions": [{"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "Rotate"}}],
            "attributes": {"expiryTime": "P1Y"},
        }
        cases = {
            "platform": ({"keySource": "Microsoft.Batch"}, "not_on_cmk"),
            "ec": (_kv(base + "/ec"), "key_type_unsupported"),
            "small": (_kv(base + "/small"), "key_size_unsupported"),
            "nowrap": (_kv(base + "/nowrap"), "key_ops_missing"),
            "off": (_kv(base + "/off"), "key_disabled"),
            "old": (_kv(base + "/old"), "key_expired"),
            "soon": (_kv(base + "/soon"), "key_expiring"),
            "later": (_kv(base + "/later"), "key_not_yet_active"),
            "gone": (_kv(base + "/nosuchkey"), "key_missing"),
            "pinned": (_kv(key["id"]), "pinned_version_with_rotation_policy"),
            "badid": (_kv("https://kv-report.vault.azure.net/secrets/x"), "key_identifier_invalid"),
            "nowhere": (_kv("https://kv-nowhere.vault.azure.net/keys/cmk"), "vault_unreachable"),  # a typo
        }
        for name, (encryption, _code) in cases.items():
            _clone(emulator, account, name, **encryption)
        _clone(emulator, account, "noidentity", identity={"type": "None"})
        cases["noidentity"] = (None, "no_identity")
    entries = _entries(run_module)
    findings = {name: {f["code"] for f in entry["findings"]} for name, entry in entries.items()}
    assert findings["good"] == set()
    for name, (_encryption, code) in cases.items():
        assert code in findings[name], (name, findings[name])
    for name in ("off", "old", "gone", "noidentity", "ec", "small", "nowrap", "later"):
        assert entries[name]["unavailable"] is True and not entries[name]["compliant"], name
    # A risk, not a loss of access: reported, but the account stays compliant.
    assert findings["soon"] == {"key_expiring"} and entries["soon"]["compliant"] and not entries["soon"]["unavailable"]
    assert entries["pinned"]["compliant"] and entries["pinned"]["by_severity"] == {
        "error": 0,
        "warning": 1,
        "unknown": 0,
    }
    (disabled,) = entries["off"]["findings"]
    version = _key_versions(emulator, "off")["order"][-1]
    assert disabled["message"] == f"key 'off' (version {version}) in vault 'kv-report' is disabled"
    (missing,) = [f for f in entries["noidentity"]["findings"] if f["code"] == "no_identity"]
    assert missing["message"] == "Batch account 'noidentity' has no managed identity to reach the key with"


def test_vault_and_grant_findings(run_module, emulator, compliant):
    account, _key = compliant
    vault = emulator.store.resource(
        account["id"].split("/providers/")[0] + "/providers/Microsoft.KeyVault/vaults/kv-report"
    )
    with emulator.store.lock:
        del vault["properties"]["enablePurgeProtection"]
        vault["properties"]["enableSoftDelete"] = False
    run_module(
        keyvault_access_policy.main,
        {"vault_name": "kv-report", "resource_group": RG, "identity": "id-report", "state": "absent", "force": True},
    )
    good = _entries(run_module)["good"]
    findings = {f["code"] for f in good["findings"]}
    assert {"vault_purge_protection_disabled", "vault_soft_delete_disabled", "identity_lacks_access"} <= findings
    assert good["unavailable"] is True
    (grant,) = [f for f in good["findings"] if f["code"] == "identity_lacks_access"]
    # Named by what a person knows, not by a GUID.
    assert grant["subject"] == "user-assigned identity 'id-report' of Batch account 'good'"
    assert grant["message"].startswith("user-assigned identity 'id-report' of Batch account 'good' lacks get, wrapKey")
    with emulator.store.lock:
        vault["properties"]["tenantId"] = "a3d9b1c7-8e2f-4b6a-9d5c-0f1e2a3b4c5d"
    assert "vault_tenant_mismatch" in {f["code"] for f in _entries(run_module)["good"]["findings"]}


def test_named_accounts_and_the_summary(run_module, emulator, compliant):
    result = run_module(cmk_compliance_info.main, {"names": ["good", "missing"], "resource_group": RG})
    assert [(a["name"], a["compliant"]) for a in result["accounts"]] == [("good", True), ("missing", False)]
    assert result["summary"] == {
        "accounts": 2,
        "compliant": 1,
        "non_compliant": 1,
        "not_checked": 0,
        "by_severity": {"error": 1, "warning": 0, "unknown": 0},
        "findings": {"account_missing": 1},
        "pools": {
            "pools": 0,
            "nodes": 0,
            "temporary_disk_unencrypted": 0,
            "own_key": 0,
            "unavailable": 0,
            "unavailable_nodes": 0,
        },
    }
    good = result["accounts"][0]
    assert good["key_follows_newest"] is True and good["key_version"] == compliant[1]["version"]


def test_an_account_pinned_to_an_old_version_is_reported(run_module, emulator, compliant):
    account, key = compliant
    with emulator.store.lock:
        _clone(emulator, account, "pinned", **_kv(key["id"]))
    rotated = run_module(
        keyvault_cmk_key.main, {"vault_name": "kv-report", "resource_group": RG, "name": "cmk", "rotate": True}
    )["key"]
    pinned = _entries(run_module)["pinned"]
    assert [f["code"] for f in pinned["findings"]] == ["pinned_old_version"]
    assert rotated["version"] in pinned["findings"][0]["message"] and pinned["compliant"]
    assert pinned["key_version"] == key["version"] and pinned["key_follows_newest"] is False


def test_info_module_shows_the_same_fields(run_module, emulator, compliant):
    (found,) = run_module(batch_account_cmk_info.main, {"name": "good", "resource_group": RG})["batch_accounts"]
    assert found["key_access"] == [] and found["unavailable"] is False
    assert len(run_module(batch_account_cmk_info.main, {})["batch_accounts"]) == 1


def _entries(run_module):
    result = run_module(cmk_compliance_info.main, {"resource_group": RG, "expiry_warning_days": 30})
    assert not result.get("failed"), result.get("msg")
    # A vault Resource Manager does not know is asked once, not retried for minutes.
    assert not [note for note in result.get("absorbed", []) if "kv-nowhere" in note], result["absorbed"]
    return {a["name"]: a for a in result["accounts"]}


def test_workers_report_what_one_worker_reports(run_module, emulator, compliant):
    """Accounts checked side by side: the same entries, in the same order, as one after the other."""
    account, key = compliant
    for index in range(6):
        encryption = {"keySource": "Microsoft.Batch"} if index % 3 == 0 else _kv(key["versionless_id"])
        _clone(emulator, account, f"side{index}", **encryption)
    one = run_module(cmk_compliance_info.main, {"resource_group": RG, "max_workers": 1})
    many = run_module(cmk_compliance_info.main, {"resource_group": RG, "max_workers": 4})
    assert not many.get("failed"), many.get("msg")
    assert many["accounts"] == one["accounts"] and many["summary"] == one["summary"]
    assert many["summary"]["accounts"] == 7 and many["summary"]["non_compliant"] == 2


def test_max_workers_below_one_is_refused_before_any_call(run_module, emulator):
    seq = emulator.journal.last_seq
    result = run_module(cmk_compliance_info.main, {"resource_group": RG, "max_workers": 0})
    assert result["failed"] and result["msg"].startswith("max_workers:"), result
    assert list(emulator.journal.entries(seq)) == []


def test_workers_read_each_vault_and_key_once(run_module, emulator, control):
    """60 accounts on 4 vaults, 8 workers: one sign-in per audience, one challenge per vault, and Key Vault reads
    that grow with the vaults and keys (newest version, pinned version, rotation policy), not with the accounts."""
    fleet = control("POST", "fleet", json={"accounts": 60, "vaults": 4, "key_size": 2048})
    for vault in fleet["vaults"]:  # the fleet's caller may not read rotation policies: let it, so each is read
        granted = run_module(
            keyvault_access_policy.main,
            {"vault_name": vault, "resource_group": fleet["resource_group"], "caller": True,
             "key_permissions": ["get", "list", "getrotationpolicy"]},
        )  # fmt: skip
        assert not granted.get("failed"), granted.get("msg")
    seq = emulator.journal.last_seq
    report = run_module(cmk_compliance_info.main, {"resource_group": fleet["resource_group"], "max_workers": 8})
    assert report["summary"]["accounts"] == 60 and report["summary"]["findings"]["pinned_old_version"] == 16
    entries = emulator.journal.entries(seq)
    challenges = Counter(e.host for e in entries if e.host.endswith(".vault.azure.net") and e.status == 401)
    assert challenges == {f"{v}.vault.azure.net": 1 for v in fleet["vaults"]}
    assert sum(1 for e in entries if e.path.endswith("/token")) == 2  # Resource Manager, Key Vault
    reads = Counter(e.host for e in entries if e.host.endswith(".vault.azure.net") and e.status != 401)
    assert reads == {f"{v}.vault.azure.net": 3 for v in fleet["vaults"]}, reads


@pytest.mark.emulator_settings(grant_propagation_seconds=0)
def test_an_account_the_report_could_not_check_is_not_compliant(run_module, emulator, compliant):
    """Issue 18: a key the caller may not read leaves the account not checked - never counted compliant."""
    run_module(
        keyvault_access_policy.main,
        {"vault_name": "kv-report", "resource_group": RG, "caller": True, "state": "absent", "force": True},
    )
    result = run_module(cmk_compliance_info.main, {"resource_group": RG})
    (good,) = result["accounts"]
    assert [f["code"] for f in good["findings"]] == ["key_unreadable"]
    assert good["checked"] is False and good["compliant"] is False and good["unavailable"] is False
    assert result["summary"]["not_checked"] == 1 and result["summary"]["compliant"] == 0
