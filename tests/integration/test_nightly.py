"""The nightly job (issue 18): the shipped enable playbooks, run unattended after out-of-band drift, either
repair it in one run - the check run predicting exactly those changes - or fail fast naming the cause and
what to do; the run after a repair is green with no write. Counts come from the emulator's journal.

Each test drifts one converged estate several times in turn (a fresh estate per drift would cost a converging
run each); the drifts are made through Azure's APIs with the automation's own credentials, as an operator
would make them."""

from __future__ import annotations

import time

import pytest
from test_playbooks import INVENTORY
from test_playbooks import SYSTEM
from test_playbooks import USER
from test_playbooks import _diffed_fields
from test_playbooks import _writes

pytestmark = pytest.mark.nightly

RG = "rg-cmk"
VAULT = "kv-batch-cmk"
KEY = "batch-cmk"
ACCOUNTS = {SYSTEM: "batchcmk01", USER: "batchcmk02"}


class Azure:
    """The SDK clients an operator would use, signed in as the automation."""

    def __init__(self, info):
        from azure.identity import ClientSecretCredential

        self.info = info
        self.credential = ClientSecretCredential(info["tenant_id"], info["client_id"], info["client_secret"])

    def keys(self):
        from azure.keyvault.keys import KeyClient

        return KeyClient(f"https://{VAULT}.vault.azure.net", self.credential)

    def vaults(self):
        from azure.mgmt.keyvault import KeyVaultManagementClient

        return KeyVaultManagementClient(self.credential, self.info["subscription_id"]).vaults

    def accounts(self):
        from azure.mgmt.batch import BatchManagementClient

        return BatchManagementClient(self.credential, self.info["subscription_id"]).batch_account

    def role_assignments(self):
        from azure.mgmt.authorization import AuthorizationManagementClient

        return AuthorizationManagementClient(self.credential, self.info["subscription_id"]).role_assignments


def _principal(emulator, account):
    found = next(a for a in emulator.store.resources(rtype="Microsoft.Batch/batchAccounts") if a["name"] == account)
    identity = found["identity"]
    return identity.get("principalId") or next(iter(identity["userAssignedIdentities"].values()))["principalId"]


def remove_grant(azure, emulator, account):
    principal = _principal(emulator, account)
    vault = azure.vaults().get(RG, VAULT).as_dict()  # REST JSON: camelCase
    entry = next(p for p in vault["properties"]["accessPolicies"] if p["objectId"] == principal)
    body = {"properties": {"accessPolicies": [entry]}}
    azure.vaults().update_access_policy(RG, VAULT, "remove", body)


def remove_role(azure, emulator, account):
    principal = _principal(emulator, account)
    operations = azure.role_assignments()
    vault_id = f"/subscriptions/{azure.info['subscription_id']}/resourceGroups/{RG}/providers/Microsoft.KeyVault/vaults/{VAULT}"
    for assignment in operations.list_for_scope(vault_id, filter=f"principalId eq '{principal}'"):
        operations.delete_by_id(assignment.id)


def revert(azure, emulator, account):
    azure.accounts().update(RG, account, {"properties": {"encryption": {"keySource": "Microsoft.Batch"}}})


def retag(azure, emulator, account):
    azure.accounts().update(RG, account, {"tags": {"cost-center": "finance"}})
    azure.vaults().update(RG, VAULT, {"tags": {"policy": "added-by-azure-policy"}})


def disable_key(azure, emulator, account):
    azure.keys().update_key_properties(KEY, enabled=False)


def expire_key(azure, emulator, account):
    from datetime import datetime
    from datetime import timezone

    azure.keys().update_key_properties(KEY, expires_on=datetime(2021, 1, 1, tzinfo=timezone.utc))


def unexpire_key(azure, emulator, account):
    from datetime import datetime
    from datetime import timezone

    azure.keys().update_key_properties(KEY, expires_on=datetime(2099, 1, 1, tzinfo=timezone.utc))


def delete_key(azure, emulator, account):
    """By an operator who may delete keys (the automation may not: it gets one more permission for it)."""
    me = {"tenantId": azure.info["tenant_id"], "objectId": _automation(emulator), "permissions": {"keys": ["delete"]}}
    azure.vaults().update_access_policy(RG, VAULT, "add", {"properties": {"accessPolicies": [me]}})
    time.sleep(emulator.settings.grant_propagation_seconds + 0.5)  # the grant reaches Key Vault late
    azure.keys().begin_delete_key(KEY).wait()
    azure.vaults().update_access_policy(RG, VAULT, "remove", {"properties": {"accessPolicies": [me]}})


def _automation(emulator):
    return next(
        p["objectId"] for p in emulator.store.data["principals"].values() if p["displayName"] == "cmk-automation"
    )


# (drift, the writes its repair makes: method and path suffix)
REPAIRED = [
    ("grant-removed", remove_grant, [("PUT", "/accessPolicies/add")]),
    ("reverted-to-microsoft-managed", revert, [("PATCH", "/batchAccounts/{account}")]),
    ("tags-changed", retag, []),
    # A soft-deleted key is recovered (keyvault_cmk_key's recover defaults to true): soft delete is there to
    # undo a deletion, and the delete guard refuses deleting a key in use unless forced.
    ("key-deleted", delete_key, [("POST", "/deletedkeys/batch-cmk/recover")]),
]
# (drift, words the failure names: the cause and what to do, how the operator undoes it). A disabled or expired
# key is never made usable unasked: it is how a key's owner revokes access.
# The undo is the operator's (None: the run itself, told so with the role's option - as a string, as "-e"
# passes it), then a run that is green writing only that.
REFUSED = [
    ("key-disabled", disable_key, ("is disabled", "enabled: true"), None, ("-e", "cmk_vault_key_enabled=true")),
    ("key-expired", expire_key, ("expired at 2021-01-01", "rotate: true"), unexpire_key, ()),
]


def _run(playbook, path, *args, **extra):
    return playbook(path, *INVENTORY, "--limit", ACCOUNTS[path], *args, **extra)


def _repaired(playbook, emulator, path, writes, account, **extra):
    seq = emulator.journal.last_seq
    check = _run(playbook, path, "--check", "--diff", **extra)
    assert check.rc == 0 and not _writes(emulator, seq), check
    seq = emulator.journal.last_seq
    apply = _run(playbook, path, "--diff", **extra)
    assert apply.rc == 0, apply
    made = [(w.split()[0], w) for w in _writes(emulator, seq)]
    expected = [(method, suffix.format(account=account)) for method, suffix in writes]
    assert len(made) == len(expected) and all(w.endswith(s) and m == wm for (m, s), (wm, w) in zip(expected, made)), (
        made
    )
    assert check.changed == apply.changed == len(writes), (check, apply)
    assert _diffed_fields(check.output) == _diffed_fields(apply.output)
    seq = emulator.journal.last_seq
    again = _run(playbook, path, **extra)
    assert again.rc == 0 and again.changed == 0 and not _writes(emulator, seq), again


def _refused(playbook, emulator, path, words, **extra):
    for args in (("--check",), ()):
        seq, start = emulator.journal.last_seq, time.monotonic()
        run = _run(playbook, path, *args, **extra)
        assert run.rc != 0 and run.failed == 1, run.output
        assert all(w in run.output for w in words), (words, run)
        assert not _writes(emulator, seq), _writes(emulator, seq)
        assert time.monotonic() - start < 60, "a cause the preflight names fails at once, without waiting"


@pytest.mark.parametrize("path", [SYSTEM, USER], ids=["system-assigned", "user-assigned"])
def test_the_nightly_run_repairs_or_names_each_drift(playbook, emulator, azure_env, path):
    account = ACCOUNTS[path]
    assert _run(playbook, path).rc == 0
    azure = Azure(emulator.ready_info())
    for _name, drift, writes in REPAIRED:
        drift(azure, emulator, account)
        _repaired(playbook, emulator, path, writes, account)
    tags = next(a for a in emulator.store.resources(rtype="Microsoft.Batch/batchAccounts") if a["name"] == account)
    assert tags["tags"] == {"cost-center": "finance"}  # tags the playbook does not manage are kept
    for _name, drift, words, undo, told in REFUSED:
        drift(azure, emulator, account)
        _refused(playbook, emulator, path, words)
        if undo is not None:
            undo(azure, emulator, account)
        seq = emulator.journal.last_seq
        back = _run(playbook, path, *told)
        assert back.rc == 0, back
        assert [w.split()[0] for w in _writes(emulator, seq)] == (["PATCH"] if told else []), _writes(emulator, seq)


@pytest.mark.parametrize("path", [SYSTEM, USER], ids=["system-assigned", "user-assigned"])
def test_the_nightly_run_restores_a_removed_role_assignment(playbook, emulator, azure_env, path):
    account = ACCOUNTS[path]
    assert _run(playbook, path, cmk_vault_rbac=True).rc == 0
    remove_role(Azure(emulator.ready_info()), emulator, account)
    writes = [("PUT", "")]  # the role assignment, by its deterministic name
    _repaired(playbook, emulator, path, writes, account, cmk_vault_rbac=True)
