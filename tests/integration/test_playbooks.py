"""The playbooks over the roles, run by ansible-playbook against the in-process emulator with the example
inventory: both flows on access-policy and RBAC vaults, check mode's prediction against the real run,
rotation, switch, revert, and the drift report; verified through the emulator's state and journal."""

from __future__ import annotations

import json
import re

import pytest

SYSTEM = "playbooks/enable_cmk_system_assigned.yml"
USER = "playbooks/enable_cmk_user_assigned.yml"
ROTATE = "playbooks/rotate_key.yml"
REPORT = "playbooks/drift_report.yml"
INVENTORY = ("-i", "playbooks/inventory")
VERSIONLESS = "https://kv-batch-cmk.vault.azure.net/keys/batch-cmk"
DIFF_HEADER = re.compile(r"^--- before: (?P<what>.+)$")
TOP_KEY = re.compile(r'^[ +-]    "(?P<key>[^"]+)":')


def _writes(emulator, seq):
    return [f"{e.method} {e.path}" for e in emulator.journal.entries(seq) if e.write]


def _account(emulator, name):
    return next(a for a in emulator.store.resources(rtype="Microsoft.Batch/batchAccounts") if a["name"] == name)


def _encryption(emulator, name):
    encryption = _account(emulator, name)["properties"]["encryption"]
    return encryption["keySource"], (encryption.get("keyVaultProperties") or {}).get("keyIdentifier")


def _versions(emulator, key="batch-cmk"):
    return emulator.store.data["vaultData"]["kv-batch-cmk"]["keys"][key]["order"]


def _untouched(emulator):
    """The vault, its keys, the identities and the grants (what a revert or a report must leave alone)."""
    kept = ("Microsoft.KeyVault/vaults", "Microsoft.Authorization/roleAssignments", "Microsoft.ManagedIdentity/")
    resources = [r for r in emulator.store.data["resources"].values() if r["type"].startswith(kept)]
    return json.dumps([resources, emulator.store.data["vaultData"]], sort_keys=True)


def _diffed_fields(output):
    """{(resource, top-level field)} that the diffs of a run show changing."""
    fields, what, key = set(), None, None
    for line in output.splitlines():
        header = DIFF_HEADER.match(line)
        if header:
            what, key = header["what"], None
            continue
        if what is None:
            continue
        top = TOP_KEY.match(line)
        if top:
            key = top["key"]
        if line[:1] in "+-" and not line.startswith(("+++", "---")) and line[1:].strip() not in ("{", "}", "{}"):
            fields.add((what, key))
        if line.startswith(("TASK [", "PLAY RECAP")):
            what = None
    return fields


def _run(playbook, path, *args, **extra):
    return playbook(path, *INVENTORY, *args, **extra)


def _check_apply_check_apply(playbook, emulator, path, **extra):
    """--check --diff, apply, --check, apply: changed, changed, unchanged, unchanged; writes only in the first apply.
    The check run's diff names the same resources and fields as the real run's."""
    runs = []
    for args, expect_changes in (
        (("--check", "--diff"), True),
        (("--diff",), True),
        (("--check",), False),
        ((), False),
    ):
        seq = emulator.journal.last_seq
        run = _run(playbook, path, *args, **extra)
        assert run.rc == 0 and run.failed == 0, run
        assert (run.changed > 0) is expect_changes, run
        writes = _writes(emulator, seq)
        assert bool(writes) is (args == ("--diff",)), (args, writes)
        runs.append(run)
    predicted, done = _diffed_fields(runs[0].output), _diffed_fields(runs[1].output)
    assert predicted and predicted == done, predicted ^ done
    return runs


@pytest.mark.parametrize("rbac", [False, True], ids=["access-policy", "rbac"])
def test_system_assigned_flow(playbook, emulator, rbac):
    runs = _check_apply_check_apply(playbook, emulator, SYSTEM, cmk_vault_rbac=rbac)
    assert runs[1].changed == 6
    assert _encryption(emulator, "batchcmk01") == ("Microsoft.KeyVault", VERSIONLESS)
    vault = next(iter(emulator.store.resources(rtype="Microsoft.KeyVault/vaults")))
    principal = _account(emulator, "batchcmk01")["identity"]["principalId"]
    assignments = [r["properties"] for r in emulator.store.resources(rtype="Microsoft.Authorization/roleAssignments")]
    granted_by_role = any(a["principalId"] == principal for a in assignments)
    granted_by_policy = any(p["objectId"] == principal for p in vault["properties"].get("accessPolicies") or [])
    assert (granted_by_role, granted_by_policy) == (rbac, not rbac)
    if rbac:  # check mode predicted a role assignment, not an access policy
        assert "role_definition" in runs[0].output or "Key Vault Crypto Service Encryption User" in runs[0].output


@pytest.mark.parametrize("rbac", [False, True], ids=["access-policy", "rbac"])
def test_user_assigned_flow(playbook, emulator, rbac):
    _check_apply_check_apply(playbook, emulator, USER, cmk_vault_rbac=rbac)
    account = _account(emulator, "batchcmk02")
    assert account["identity"]["type"] == "UserAssigned"
    assert _encryption(emulator, "batchcmk02") == ("Microsoft.KeyVault", VERSIONLESS)


def test_rotation_moves_the_pinned_account_and_leaves_the_versionless_one(playbook, emulator):
    assert _run(playbook, USER).rc == 0  # batchcmk02 on the versionless id
    first = f"{VERSIONLESS}/{_versions(emulator)[0]}"
    assert _run(playbook, SYSTEM, cmk_batch_account_key_identifier=first).rc == 0  # batchcmk01 pinned

    seq = emulator.journal.last_seq
    check = _run(playbook, ROTATE, "--check", "--diff")
    assert check.rc == 0 and not _writes(emulator, seq), check
    assert '+    "key_identifier": "(known after apply)"' in check.output
    assert '-    "key_identifier": "' + first + '"' in check.output

    seq = emulator.journal.last_seq
    rotated = _run(playbook, ROTATE)
    assert rotated.rc == 0 and rotated.changed == 2, rotated
    newest = _versions(emulator)[-1]
    assert len(_versions(emulator)) == 2
    assert _encryption(emulator, "batchcmk01") == ("Microsoft.KeyVault", f"{VERSIONLESS}/{newest}")
    assert _encryption(emulator, "batchcmk02") == ("Microsoft.KeyVault", VERSIONLESS)
    assert not [w for w in _writes(emulator, seq) if w.endswith("/batchcmk02")]
    report = re.search(r'"name": "batchcmk02"', rotated.output) and rotated.output
    assert f'"follows": "newest",\n            "key_version": "{newest}",\n            "name": "batchcmk02"' in report

    seq = emulator.journal.last_seq
    scheduled = _run(playbook, ROTATE, cmk_key_rotation_max_age_days=30)
    assert scheduled.rc == 0 and scheduled.changed == 0 and not _writes(emulator, seq), scheduled
    assert len(_versions(emulator)) == 2


def test_switch_key_then_revert_leaves_vault_key_and_grants(playbook, emulator):
    assert _run(playbook, SYSTEM).rc == 0
    switched = _run(playbook, "playbooks/switch_key.yml", cmk_target="batchcmk01")
    assert switched.rc == 0, switched
    assert _encryption(emulator, "batchcmk01") == (
        "Microsoft.KeyVault",
        "https://kv-batch-cmk.vault.azure.net/keys/batch-cmk-2",
    )
    again = _run(playbook, "playbooks/switch_key.yml", cmk_target="batchcmk01")
    assert again.rc == 0 and again.changed == 0, again.output[-4000:]  # the failed task's message, when one fails

    before = _untouched(emulator)
    reverted = _run(playbook, "playbooks/revert_to_microsoft_managed.yml", cmk_target="batchcmk01")
    assert reverted.rc == 0 and reverted.changed == 1, reverted
    assert _encryption(emulator, "batchcmk01") == ("Microsoft.Batch", None)
    assert _untouched(emulator) == before


def _disable_key(emulator):
    """Out of band, as an operator would: Key Vault's API with the automation's own credentials."""
    from azure.identity import ClientSecretCredential
    from azure.keyvault.keys import KeyClient

    info = emulator.ready_info()
    credential = ClientSecretCredential(info["tenant_id"], info["client_id"], info["client_secret"])
    KeyClient("https://kv-batch-cmk.vault.azure.net", credential).update_key_properties("batch-cmk", enabled=False)


def test_disabled_key_fails_provisioning_and_is_the_one_finding(playbook, emulator, azure_env, tmp_path):
    assert _run(playbook, SYSTEM).rc == 0
    clean = _run(playbook, REPORT, cmk_drift_report_dir=str(tmp_path))
    assert clean.rc == 0, clean
    report = json.loads((tmp_path / "cmk-drift-report.json").read_text())
    assert [a["findings"] for a in report["accounts"]] == [[]]
    table = (tmp_path / "cmk-drift-report.md").read_text().splitlines()
    header = table.index(
        "| account | resource group | key | version in use | identity | pools | errors | unknown | warnings | findings |"
    )
    assert table[header + 1] == "| --- " * 10 + "|" and table[header + 2].startswith(
        "| batchcmk01 | rg-cmk | " + VERSIONLESS
    )
    assert "| 0 | 0 | 0 | 0 |" in table[header + 2]  # no pools; no error, unknown or warning
    assert any(line.startswith("0 pool(s) with 0 node(s): 0 without an encrypted temporary disk") for line in table)

    _disable_key(emulator)
    failed = _run(playbook, SYSTEM)
    assert failed.rc != 0 and failed.failed == 1, failed
    assert re.search(r"batch-cmk.* is disabled", failed.output), failed

    drifted = _run(playbook, REPORT, cmk_drift_report_dir=str(tmp_path))
    assert drifted.rc != 0 and "key_disabled" in drifted.output, drifted
    assert "Batch account batchcmk01 (rg-cmk): [error] key_disabled" in drifted.output  # the account, named
    report = json.loads((tmp_path / "cmk-drift-report.json").read_text())
    assert [(f["code"], f["severity"]) for f in report["accounts"][0]["findings"]] == [("key_disabled", "error")]
    assert "error `key_disabled`" in (tmp_path / "cmk-drift-report.md").read_text()
    report_only = _run(playbook, REPORT, cmk_drift_report_dir=str(tmp_path), cmk_drift_report_fail_on="never")
    assert report_only.rc == 0, report_only


def test_drift_report_names_a_missing_grant(playbook, emulator, tmp_path):
    assert _run(playbook, SYSTEM).rc == 0
    revoke = playbook(
        "tests/integration/playbooks/revoke_account_grant.yml",
        cmk_account_name="batchcmk01",
        cmk_vault_name="kv-batch-cmk",
    )
    assert revoke.rc == 0, revoke
    drifted = _run(playbook, REPORT, cmk_drift_report_dir=str(tmp_path))
    assert drifted.rc != 0 and drifted.failed == 1
    assert "identity_lacks_access" in drifted.output and "lacks get, wrapKey, unwrapKey" in drifted.output


@pytest.mark.parametrize("verbosity", ["-vvv"])
def test_secrets_never_reach_the_output(playbook, emulator, verbosity):
    info = emulator.ready_info()
    auth = {
        "client_id": info["client_id"],
        "secret": info["client_secret"],
        "tenant": info["tenant_id"],
        "subscription_id": info["subscription_id"],
    }
    # ansible-core 2.21 shows a task's invocation (its masked arguments) only with INJECT_INVOCATION on;
    # 2.19 always shows it at -vvv and ignores the setting.
    show = {"ANSIBLE_INJECT_INVOCATION": "true"}
    identity = "tests/integration/playbooks/identity_with_explicit_auth.yml"
    run = playbook(identity, verbosity, azure_cmk_auth=auth, _env=show)
    assert run.rc == 0, run
    assert info["client_secret"] not in run.output
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.output
    wrong = dict(auth, secret="Wr0ng-S3cret-For-Test")
    failed = playbook(identity, verbosity, azure_cmk_auth=wrong, _env=show)
    assert failed.rc != 0 and "AADSTS7000215" in failed.output
    assert "Wr0ng-S3cret-For-Test" not in failed.output


@pytest.mark.parametrize(
    "path",
    [SYSTEM, USER, ROTATE, "playbooks/switch_key.yml", "playbooks/revert_to_microsoft_managed.yml", REPORT],
)
def test_every_playbook_in_check_mode_on_an_empty_subscription_fails_nothing_and_writes_nothing(
    playbook, emulator, path, tmp_path
):
    seq = emulator.journal.last_seq
    run = _run(playbook, path, "--check", "--diff", cmk_drift_report_dir=str(tmp_path))
    assert run.rc == 0 and run.failed == 0, run
    assert not _writes(emulator, seq)


def test_revert_and_rotation_refuse_what_does_not_exist(playbook, emulator):
    revert = _run(playbook, "playbooks/revert_to_microsoft_managed.yml", cmk_target="batchcmk01")
    assert revert.rc != 0 and "Batch account batchcmk01 not found in rg-cmk: nothing to revert" in revert.output
    rotate = _run(playbook, ROTATE)
    assert rotate.rc != 0 and "vault 'kv-batch-cmk' does not exist" in rotate.output, rotate
    assert not _writes(emulator, 0)


def test_role_booleans_given_as_strings_mean_what_they_say(playbook, emulator):
    """``-e name=false`` and AWX surveys pass "false" as a string, which Jinja takes for true: every boolean a
    role reads is read with ``| bool`` (issue 18)."""
    automation = emulator.ready_info()["client_id"]
    assert _run(playbook, USER).rc == 0
    first = f"{VERSIONLESS}/{_versions(emulator)[0]}"
    pinned = _run(playbook, SYSTEM, "-e", "cmk_vault_rbac=false", cmk_batch_account_key_identifier=first)
    assert pinned.rc == 0, pinned
    vault = next(iter(emulator.store.resources(rtype="Microsoft.KeyVault/vaults")))["properties"]
    assert vault["enableRbacAuthorization"] is False
    caller = next(
        p for p in vault["accessPolicies"] if (emulator.store.principal(p["objectId"]) or {}).get("appId") == automation
    )
    assert "create" in caller["permissions"]["keys"]  # not narrowed to a CMK identity's three permissions
    kept = _run(playbook, ROTATE, "-e", "cmk_key_rotation_move_pinned=false")
    assert kept.rc == 0, kept
    assert len(_versions(emulator)) == 2
    assert _encryption(emulator, "batchcmk01") == ("Microsoft.KeyVault", first)  # pinned, and not moved
