"""Truthful runs: what a new ops user hit, each with the test that would have caught it.

Guards against taking an account down, exact check-mode predictions, writes decided by a re-read,
diffs that show what Azure holds, and messages that point the right way.
"""

from __future__ import annotations

import pytest
from conftest import writes_since
from seeded import AUTOMATION
from seeded import OFFICER
from seeded import RG

from ansible_collections.azure_cmk.batch.plugins.modules import batch_account_cmk
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key
from ansible_collections.azure_cmk.batch.plugins.modules import user_identity

VAULT = {"vault_name": "kv-truth", "resource_group": RG}
KEY = dict(VAULT, name="cmk")
ACCOUNT = {"name": "truthful", "resource_group": RG}


@pytest.fixture
def key(run_module, emulator):
    run_module(
        keyvault.main,
        {"name": "kv-truth", "resource_group": RG, "enable_purge_protection": True, "enable_rbac_authorization": False},
    )
    run_module(keyvault_access_policy.main, dict(VAULT, object_id=AUTOMATION, key_permissions=OFFICER))
    return run_module(keyvault_cmk_key.main, KEY)["key"]


@pytest.fixture
def on_cmk(run_module, key):
    """An account on the key through a user-assigned identity."""
    run_module(user_identity.main, {"name": "id-truth", "resource_group": RG})
    run_module(keyvault_access_policy.main, dict(VAULT, identity="id-truth"))
    args = dict(
        ACCOUNT,
        identity_type="UserAssigned",
        user_assigned_identity="id-truth",
        key_source="Microsoft.KeyVault",
        key_identifier=key["versionless_id"],
    )
    result = run_module(batch_account_cmk.main, args)
    assert not result.get("failed"), result.get("msg")
    return args


BREAKING = [
    ("revoke", keyvault_access_policy.main, dict(VAULT, identity="id-truth", state="absent"), "revoking the access"),
    (
        "narrow",
        keyvault_access_policy.main,
        dict(VAULT, identity="id-truth", key_permissions=["get"]),
        "narrowing the key permissions",
    ),
    ("delete-key", keyvault_cmk_key.main, dict(KEY, state="absent"), "deleting key 'cmk'"),
    ("disable-key", keyvault_cmk_key.main, dict(KEY, enabled=False), "setting enabled: false on key 'cmk'"),
    ("expire-key", keyvault_cmk_key.main, dict(KEY, expires="2020-01-01T00:00:00Z"), "setting expires: 2020-01-01"),
    ("future-key", keyvault_cmk_key.main, dict(KEY, not_before="2099-01-01T00:00:00Z"), "setting not_before: 2099"),
    (
        "vault-to-rbac",
        keyvault.main,
        {"name": "kv-truth", "resource_group": RG, "enable_rbac_authorization": True},
        "switching vault 'kv-truth' to RBAC",
    ),
    ("delete-vault", keyvault.main, {"name": "kv-truth", "resource_group": RG, "state": "absent"}, "deleting vault"),
    ("delete-identity", user_identity.main, {"name": "id-truth", "resource_group": RG, "state": "absent"}, "identity"),
]


@pytest.mark.parametrize(("main", "args", "what"), [case[1:] for case in BREAKING], ids=[c[0] for c in BREAKING])
def test_taking_an_account_down_is_refused_naming_it(run_module, emulator, on_cmk, main, args, what):
    for check in (True, False):
        seq = emulator.journal.last_seq
        refused = run_module(main, args, check=check)
        assert refused.get("failed"), refused
        assert what in refused["msg"] and "Batch account(s) truthful (resource group rg-cmk)" in refused["msg"]
        assert "set force: true" in refused["msg"]
        assert writes_since(emulator, seq) == []


def test_force_takes_it_down_with_a_warning(run_module, emulator, on_cmk):
    forced = run_module(keyvault_cmk_key.main, dict(KEY, enabled=False, force=True))
    assert forced["changed"] and forced["key"]["enabled"] is False
    assert any("unavailable" in w and "truthful" in w for w in forced["warnings"])
    broken = run_module(batch_account_cmk.main, on_cmk)
    assert broken["failed"] and "is disabled [key_disabled]" in broken["msg"]


def test_revoking_for_an_identity_that_is_gone_is_a_no_op(run_module, emulator, key):
    seq = emulator.journal.last_seq
    result = run_module(keyvault_access_policy.main, dict(VAULT, identity="id-never", state="absent"))
    assert result["changed"] is False and not result.get("failed")
    gone = run_module(keyvault_access_policy.main, dict(VAULT, batch_account="nosuchacct", state="absent"))
    assert gone["changed"] is False and not gone.get("failed")
    assert writes_since(emulator, seq) == []


def test_a_null_principal_is_predicted_in_check_mode(run_module, emulator, key):
    """The seed's "grant the principal id you just read": null in a check run, before the account exists."""
    seq = emulator.journal.last_seq
    predicted = run_module(keyvault_access_policy.main, dict(VAULT, object_id=None), check=True, diff=True)
    assert predicted["changed"] and predicted["access"]["principal_id"] is None
    assert any("null, empty or false" in w for w in predicted["warnings"])
    assert writes_since(emulator, seq) == []


def test_caller_false_beside_an_object_id_is_not_a_conflict(run_module, emulator, key):
    granted = run_module(keyvault_access_policy.main, dict(VAULT, caller=False, object_id=AUTOMATION))
    assert not granted.get("failed") and granted["access"]["principal_id"] == AUTOMATION


def test_a_grant_on_a_vault_the_run_creates_is_predicted_as_rbac(run_module, emulator):
    """A new vault is RBAC unless told otherwise: the grant is a role assignment, not an access policy."""
    predicted = run_module(
        keyvault_access_policy.main,
        {"vault_name": "kv-later", "resource_group": RG, "object_id": AUTOMATION, "key_permissions": OFFICER,
         "role": "Key Vault Crypto Officer"},
        check=True,
    )  # fmt: skip
    assert predicted["access"]["authorization"] == "rbac" and predicted["access"]["role"] == "Key Vault Crypto Officer"
    assert any("predicted as a role assignment on an RBAC vault" in w for w in predicted["warnings"])
    policies = run_module(
        keyvault_access_policy.main, {"vault_name": "kv-later", "resource_group": RG, "caller": True, "key_permissions": OFFICER},
        check=True,
    )  # fmt: skip
    assert policies["access"]["authorization"] == "access_policy"
    assert any(
        "predicted as an access policy (on an RBAC vault it is a role assignment)" in w for w in policies["warnings"]
    )


def test_both_permissions_and_role_give_no_warning(run_module, emulator, key):
    args = dict(VAULT, caller=True, key_permissions=OFFICER, role="Key Vault Crypto Officer")
    for run in ("first", "second"):
        assert run_module(keyvault_access_policy.main, args)["warnings"] == [], run


def test_a_null_key_identifier_is_known_after_apply_in_check_mode(run_module, emulator, on_cmk):
    """The rotate playbook pins the account to the new version, whose id the check run cannot know."""
    args = dict(ACCOUNT, key_source="Microsoft.KeyVault", key_identifier=None)
    predicted = run_module(batch_account_cmk.main, args, check=True, diff=True)
    assert predicted["changed"] and predicted["diff"]["after"] == {"key_identifier": "(known after apply)"}
    refused = run_module(batch_account_cmk.main, args)
    assert refused["failed"] and "key_identifier: is null or empty" in refused["msg"]


def test_a_lost_answer_to_the_switch_is_decided_by_a_re_read(run_module, emulator, control, key, on_cmk):
    """The PATCH is applied, its answer lost: the task reports the change (and the fault), once."""
    other = run_module(keyvault_cmk_key.main, dict(KEY, name="cmk2"))["key"]
    control("POST", "faults", json={"kind": "lost", "method": "PATCH", "path": "batchAccounts/truthful$"})
    seq = emulator.journal.last_seq
    result = run_module(batch_account_cmk.main, dict(on_cmk, key_identifier=other["versionless_id"]))
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] and result["batch_account"]["key_identifier"] == other["versionless_id"]
    assert any("re-read shows the change was made" in note for note in result["absorbed"])
    assert [w for w in writes_since(emulator, seq) if w.startswith("PATCH")] == [
        f"PATCH management.azure.com{result['batch_account']['id']}"
    ]
    again = run_module(batch_account_cmk.main, dict(on_cmk, key_identifier=other["versionless_id"]))
    assert again["changed"] is False


def test_a_rotation_diff_shows_the_new_version(run_module, emulator, key):
    rotated = run_module(keyvault_cmk_key.main, dict(KEY, rotate=True), diff=True)
    assert rotated["diff"]["before"]["version"] == key["version"]
    assert rotated["diff"]["after"]["version"] == rotated["key"]["version"] != key["version"]


def test_recovering_a_deleted_key_is_an_update_without_a_needless_patch(run_module, emulator, key):
    run_module(keyvault_cmk_key.main, dict(KEY, state="absent"))
    predicted = run_module(keyvault_cmk_key.main, KEY, check=True, diff=True)
    seq = emulator.journal.last_seq
    recovered = run_module(keyvault_cmk_key.main, KEY, diff=True)
    assert (
        recovered["diff"]
        == predicted["diff"]
        == {
            "before": {"deleted": True},
            "after": {"deleted": False},
            "before_header": key["versionless_id"],
            "after_header": key["versionless_id"],
        }
    )
    writes = writes_since(emulator, seq)
    assert len(writes) == 1 and writes[0].endswith("/deletedkeys/cmk/recover"), writes
    assert recovered["key"]["version"] == key["version"]


def test_identity_ids_are_spelled_alike_by_every_module(run_module, emulator, on_cmk):
    identity = run_module(user_identity.main, {"name": "id-truth", "resource_group": RG})["identity"]
    account = run_module(batch_account_cmk.main, on_cmk)["batch_account"]
    assert account["user_assigned_identity"] == identity["id"]
    assert "/resourceGroups/" in identity["id"]


def test_a_bug_keeps_its_traceback(run_module, emulator, key, monkeypatch):
    """Only Azure's errors are translated: a bug in our code is not dressed up as an Azure failure."""
    from ansible_collections.azure_cmk.batch.plugins.module_utils._services import key as key_service

    def broken(*_args, **_kwargs):
        raise TypeError("a bug")

    monkeypatch.setattr(key_service, "normalize", broken)
    result = run_module(keyvault_cmk_key.main, KEY)
    assert result["failed"] and result["msg"] == "Unexpected error: TypeError: a bug"


def test_a_new_accounts_location_says_where_it_comes_from_in_check_mode(run_module, emulator):
    """An earlier task may create the account elsewhere: the prediction from the group says so."""
    account = {"name": "placed", "resource_group": RG, "identity_type": "SystemAssigned"}
    predicted = run_module(batch_account_cmk.main, account, check=True)
    assert predicted["changed"] and predicted["batch_account"]["location"]
    (said,) = [w for w in predicted["warnings"] if w.startswith("location: ")]
    assert predicted["batch_account"]["location"] in said and "an earlier task that creates the account" in said
    told = run_module(
        batch_account_cmk.main, dict(account, location=predicted["batch_account"]["location"]), check=True
    )
    assert not [w for w in told["warnings"] if w.startswith("location: ")]


@pytest.mark.parametrize("check", [True, False])
def test_switching_a_cmk_accounts_identity_type_is_refused_in_both_modes(run_module, emulator, on_cmk, check):
    seq = emulator.journal.last_seq
    switched = dict(on_cmk, identity_type="SystemAssigned", user_assigned_identity=None)
    refused = run_module(batch_account_cmk.main, switched, check=check)
    assert refused["failed"] and refused["msg"].startswith("identity_type: Batch account 'truthful' reaches its key")
    assert "Use two steps" in refused["msg"]
    assert writes_since(emulator, seq) == []


@pytest.mark.parametrize("check", [True, False])
def test_a_wrong_vault_group_on_a_healthy_account_names_the_option(run_module, emulator, on_cmk, check):
    seq = emulator.journal.last_seq
    refused = run_module(batch_account_cmk.main, dict(on_cmk, key_vault_resource_group="rg-nope"), check=check)
    assert refused["failed"] and refused["msg"].startswith("key_vault_resource_group: "), refused.get("msg")
    assert writes_since(emulator, seq) == []


def test_only_what_an_account_relies_on_is_guarded(run_module, emulator, on_cmk):
    """Disabling the newest version leaves an account pinned to an older one alone; on an RBAC vault,
    removing a role that gives no use of keys takes nothing down."""
    first = run_module(keyvault_cmk_key.main, KEY)["key"]
    pinned = run_module(batch_account_cmk.main, dict(on_cmk, key_identifier=first["id"]))
    assert not pinned.get("failed"), pinned.get("msg")
    run_module(keyvault_cmk_key.main, dict(KEY, rotate=True))
    disabled = run_module(keyvault_cmk_key.main, dict(KEY, enabled=False))
    assert disabled["changed"] and not disabled.get("failed"), disabled.get("msg")
    assert run_module(batch_account_cmk.main, dict(on_cmk, key_identifier=first["id"]))["changed"] is False

    run_module(keyvault.main, {"name": "kv-roles", "resource_group": RG, "enable_purge_protection": True})
    rbac = {"vault_name": "kv-roles", "resource_group": RG}
    run_module(keyvault_access_policy.main, dict(rbac, object_id=AUTOMATION, role="Key Vault Crypto Officer"))
    key = run_module(keyvault_cmk_key.main, dict(rbac, name="cmk"))["key"]
    run_module(keyvault_access_policy.main, dict(rbac, identity="id-truth"))
    run_module(keyvault_access_policy.main, dict(rbac, identity="id-truth", role="Key Vault Reader"))
    moved = run_module(batch_account_cmk.main, dict(on_cmk, key_identifier=key["versionless_id"]))
    assert not moved.get("failed"), moved.get("msg")
    reader_gone = run_module(
        keyvault_access_policy.main, dict(rbac, identity="id-truth", role="Key Vault Reader", state="absent")
    )
    assert not reader_gone.get("failed"), reader_gone.get("msg")
    assert reader_gone["changed"]
    refused = run_module(keyvault_access_policy.main, dict(rbac, identity="id-truth", state="absent"))
    assert refused["failed"] and "Batch account(s) truthful (resource group rg-cmk)" in refused["msg"]


def test_an_expiry_within_the_warning_window_warns_naming_the_accounts(run_module, emulator, on_cmk):
    """Issue 18: allowed (the key is still usable), but the accounts go down in 36 hours unless it rotates."""
    import datetime

    soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=36)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = run_module(keyvault_cmk_key.main, dict(KEY, expires=soon))
    assert result["changed"] and not result.get("failed"), result
    assert any(
        "within 30 days" in w and "Batch account(s) truthful (resource group rg-cmk) become unavailable" in w
        for w in result["warnings"]
    ), result["warnings"]
    later = run_module(keyvault_cmk_key.main, dict(KEY, expires="2099-01-01T00:00:00Z"))
    assert later["changed"] and not [w for w in later["warnings"] if "within 30 days" in w]
