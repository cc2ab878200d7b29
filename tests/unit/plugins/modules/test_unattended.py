"""Safe to leave unattended (issue 18): a refusal whose cause the checks before the write can name fails at
once, a refused write that may be a grant on its way is tried again a handful of times (never more than six
writes, whatever wait_timeout says), and a key in another tenant's vault is refused before any write."""

from __future__ import annotations

import datetime

import pytest
from conftest import writes_since
from seeded import FABRIKAM
from seeded import OFFICER
from seeded import RG

from ansible_collections.azure_cmk.batch.plugins.module_utils import _wait
from ansible_collections.azure_cmk.batch.plugins.modules import batch_account_cmk
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key
from ansible_collections.azure_cmk.batch.plugins.modules import user_identity


def _ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def _vault_and_key(run_module, name, group=RG, rbac=False, auth=None):
    auth = auth or {}
    vault = dict(auth, vault_name=name, resource_group=group)
    _ok(
        run_module(
            keyvault.main,
            dict(auth, name=name, resource_group=group, enable_purge_protection=True, enable_rbac_authorization=rbac),
        )
    )
    _ok(
        run_module(
            keyvault_access_policy.main,
            dict(vault, caller=True, key_permissions=OFFICER, role="Key Vault Crypto Officer"),
        )
    )
    return _ok(run_module(keyvault_cmk_key.main, dict(vault, name="cmk")))["key"]


def _account(key, name="unattended", identity="id-unattended"):
    return dict(
        name=name,
        resource_group=RG,
        identity_type="UserAssigned",
        user_assigned_identity=identity,
        key_source="Microsoft.KeyVault",
        key_identifier=key["versionless_id"],
    )


def _account_writes(emulator, seq):
    """The writes sent to Batch accounts since ``seq`` - refused, faulted or done."""
    return [
        f"{e.method} {e.path}"
        for e in emulator.journal.entries(seq)
        if e.method in ("PUT", "PATCH") and "/batchAccounts/" in e.path
    ]


@pytest.fixture
def fake_clock(monkeypatch):
    """``start()`` makes the modules' waits run on a clock that moves only when they sleep: a 900 s
    wait_timeout passes in no time (the emulator keeps real time, so what it delays stays delayed); it
    returns the list of pauses."""
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    def start():
        monkeypatch.setattr(_wait, "pause", sleep)
        monkeypatch.setattr(_wait, "monotonic", lambda: now[0])
        return slept

    return start


def test_a_key_in_another_tenants_vault_is_refused_before_any_write(run_module, emulator):
    """The vault is not in the caller's subscription, so Resource Manager cannot say its tenant: Key Vault's
    challenge does. Batch would refuse it (KeyVaultTenantMismatch), for as long as anyone retried."""
    key = _vault_and_key(run_module, "kv-fabrikam", group="rg-fabrikam", auth=FABRIKAM)
    _ok(run_module(user_identity.main, {"name": "id-unattended", "resource_group": RG}))
    seq = emulator.journal.last_seq
    for check in (True, False):
        refused = run_module(batch_account_cmk.main, _account(key), check=check)
        assert refused.get("failed"), refused
        assert "[vault_tenant_mismatch]" in refused["msg"] and "a3d9b1c7-8e2f-4b6a-9d5c-0f1e2a3b4c5d" in refused["msg"]
    assert writes_since(emulator, seq) == []


def test_a_refusal_the_checks_named_is_not_tried_again(run_module, emulator):
    """allow_unavailable on an account whose key is disabled: the module tries once, as asked, and stops at
    Azure's refusal, naming what it had found - no retries (an earlier trial saw 67 PATCHes in 900 s)."""
    key = _vault_and_key(run_module, "kv-named")
    _ok(run_module(user_identity.main, {"name": "id-unattended", "resource_group": RG}))
    _ok(
        run_module(
            keyvault_access_policy.main, {"vault_name": "kv-named", "resource_group": RG, "identity": "id-unattended"}
        )
    )
    args = _account(key)
    _ok(run_module(batch_account_cmk.main, args))
    _ok(
        run_module(
            keyvault_cmk_key.main,
            {"vault_name": "kv-named", "resource_group": RG, "name": "cmk", "enabled": False, "force": True},
        )
    )
    run_module(batch_account_cmk.main, args)  # Batch notices the loss on a read
    seq = emulator.journal.last_seq
    closed = run_module(batch_account_cmk.main, dict(args, public_network_access="Disabled", allow_unavailable=True))
    assert closed.get("failed"), closed
    assert "the checks before the write found" in closed["msg"] and "is disabled" in closed["msg"]
    assert len(_account_writes(emulator, seq)) == 1


@pytest.mark.emulator_settings(grant_propagation_seconds=0)
def test_a_grant_that_never_arrives_gets_a_handful_of_writes(run_module, emulator, fake_clock):
    """Resource Manager shows the grant, Batch never sees it: the write is tried again with growing pauses,
    six writes at most, and the task fails naming Azure's documented delay and its last answer."""
    key = _vault_and_key(run_module, "kv-never")
    _ok(run_module(user_identity.main, {"name": "id-unattended", "resource_group": RG}))
    emulator.settings.update({"grant_propagation_seconds": 3600})  # from now on, grants take an hour
    _ok(
        run_module(
            keyvault_access_policy.main, {"vault_name": "kv-never", "resource_group": RG, "identity": "id-unattended"}
        )
    )
    seq = emulator.journal.last_seq
    slept = fake_clock()
    refused = run_module(batch_account_cmk.main, _account(key))
    assert refused.get("failed") and "Azure's last answer" in refused["msg"] and "up to 10 minutes" in refused["msg"]
    writes = _account_writes(emulator, seq)
    assert 1 < len(writes) <= 6, writes
    pauses = [p for p in slept if p >= 1.5]  # the module's other waits are shorter
    assert pauses == sorted(pauses) and pauses[-1] > 4 * pauses[0], pauses  # spaced out, growing


@pytest.mark.emulator_settings(grant_propagation_seconds=0)
@pytest.mark.parametrize("status", [None, 409], ids=["batch-refusal", "refused-409"])
def test_a_refusal_despite_a_role_older_than_azures_delay_fails_at_once(run_module, emulator, control, status):
    """On an RBAC vault a role assignment carries its date: granted longer ago than Azure's documented ten
    minutes, it is not on its way, and a refusal is not waited out - whatever its status (a 409 is also what
    a write repeated after a lost answer meets: that one the flow re-reads, this one it must not retry)."""
    key = _vault_and_key(run_module, "kv-aged", rbac=True)
    identity = _ok(run_module(user_identity.main, {"name": "id-unattended", "resource_group": RG}))["identity"]
    emulator.settings.update({"grant_propagation_seconds": 3600})  # Batch does not see the role (yet)
    _ok(
        run_module(
            keyvault_access_policy.main, {"vault_name": "kv-aged", "resource_group": RG, "identity": "id-unattended"}
        )
    )
    hour_ago = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).isoformat()
    with emulator.store.lock:
        for assignment in emulator.store.resources(rtype="Microsoft.Authorization/roleAssignments"):
            if assignment["properties"]["principalId"] == identity["principal_id"]:
                assignment["properties"].update(createdOn=hour_ago, updatedOn=hour_ago)
    if status:  # Batch says no with 409 (Azure documents no status for these refusals)
        control(
            "POST",
            "faults",
            json={"kind": "status", "status": status, "method": "PUT", "path": "/batchAccounts/", "count": 100},
        )
    seq = emulator.journal.last_seq
    refused = run_module(batch_account_cmk.main, _account(key))
    assert refused.get("failed") and "longer ago than the 600 s Azure documents" in refused["msg"], refused
    assert len(_account_writes(emulator, seq)) == 1


def test_a_key_id_spelled_differently_is_the_same_key_and_never_rewritten(run_module, emulator):
    """Two schedules spelling one id differently (case, a trailing slash) must not rewrite the account's
    encryption every night: ids compare as Azure compares them."""
    key = _vault_and_key(run_module, "kv-spelling")
    _ok(run_module(user_identity.main, {"name": "id-unattended", "resource_group": RG}))
    grant = {"vault_name": "kv-spelling", "resource_group": RG, "identity": "id-unattended"}
    _ok(run_module(keyvault_access_policy.main, grant))
    args = dict(_account(key), key_identifier=key["id"])
    _ok(run_module(batch_account_cmk.main, args))
    seq = emulator.journal.last_seq
    for spelled in (key["id"].upper().replace("HTTPS://", "https://") + "/", key["id"].replace("/keys/", "/KEYS/")):
        same = _ok(run_module(batch_account_cmk.main, dict(args, key_identifier=spelled), diff=True))
        assert same["changed"] is False and same["batch_account"]["key_identifier"] == key["id"], spelled
    assert writes_since(emulator, seq) == []


@pytest.mark.emulator_settings(principal_replication_seconds=2)
def test_a_new_identity_is_granted_once_the_directory_knows_it(run_module, emulator):
    """PrincipalNotFound on a new identity's role assignment names a replication delay: waited for, bounded."""
    _vault_and_key(run_module, "kv-replica", rbac=True)
    _ok(run_module(user_identity.main, {"name": "id-fresh", "resource_group": RG}))
    granted = _ok(
        run_module(
            keyvault_access_policy.main, {"vault_name": "kv-replica", "resource_group": RG, "identity": "id-fresh"}
        )
    )
    assert granted["changed"] and granted["access"]["role_assignment_id"]
    assert any("the directory to know" in note for note in granted.get("absorbed", [])), granted.get("absorbed")
    refusals = [
        e for e in emulator.journal.entries() if e.method == "PUT" and "roleAssignments" in e.path and e.status == 400
    ]
    assert refusals  # the emulator did refuse it first


def test_a_version_another_job_made_meanwhile_is_reported_and_on_request_disabled(run_module, emulator, control):
    """Two AWX jobs do not share the per-key lock (each has its own /tmp): both may rotate at once. The run
    that sees the other's version says so; with disable_concurrent_versions the older one of the moment is
    disabled, so both runs agree that the newest stays."""
    import threading
    import time

    from azure.identity import ClientSecretCredential
    from azure.keyvault.keys import KeyClient

    _vault_and_key(run_module, "kv-doubles")
    # Our rotation's answer comes late; meanwhile "another job" rotates the same key.
    control("POST", "faults", json={"kind": "delay", "delay": 2, "method": "POST", "path": "/keys/cmk/rotate$"})
    info = emulator.ready_info()
    other = KeyClient(
        "https://kv-doubles.vault.azure.net",
        ClientSecretCredential(info["tenant_id"], info["client_id"], info["client_secret"]),
    )

    def another_job():
        while control("GET", "faults")["value"][0]["count"]:  # until our rotation is being answered
            time.sleep(0.05)
        other.rotate_key("cmk")

    racer = threading.Thread(target=another_job)
    racer.start()
    ours = _ok(
        run_module(
            keyvault_cmk_key.main,
            {
                "vault_name": "kv-doubles",
                "resource_group": RG,
                "name": "cmk",
                "rotate": True,
                "disable_concurrent_versions": True,
            },
        )
    )
    racer.join()
    record = emulator.store.data["vaultData"]["kv-doubles"]["keys"]["cmk"]
    first, theirs, newest = record["order"]
    assert ours["key"]["version"] == newest
    assert any(theirs in w and "another writer" in w for w in ours["warnings"]), ours["warnings"]
    assert record["versions"][theirs]["attributes"]["enabled"] is False
    assert (
        record["versions"][newest]["attributes"]["enabled"] is True
        and record["versions"][first]["attributes"]["enabled"] is True
    )
