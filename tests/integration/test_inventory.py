"""The azure_cmk.batch.batch_accounts inventory: accounts as hosts grouped by CMK state (ansible-inventory), and a
drift play over one group run by ansible-runner - the engine AWX runs jobs with - reading its job events."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from playbook_runner import REPO
from playbook_runner import playbook_environment

COLLECTIONS = REPO / "build" / "collections"
BIN = Path(sys.executable).parent
GROUPS = {
    "on_cmk": "cmk_key_source == 'Microsoft.KeyVault'",
    "not_on_cmk": "cmk_key_source != 'Microsoft.KeyVault'",
    "on_pinned_version": "cmk_key_source == 'Microsoft.KeyVault' and not cmk_key_follows_newest",
    "unavailable": "cmk_unavailable",
    "not_compliant": "not cmk_compliant",
}
# The fleet (azure_emulator/fleet.py), 10 accounts on 2 vaults: every fifth on Microsoft.Batch; the others on
# vault i % 2's key, pinned to its old version when i % 3 == 0.
PLATFORM = {"fleet0000", "fleet0005"}
PINNED = {"fleet0003", "fleet0006", "fleet0009"}
ON_VAULT_1 = {"fleet0001", "fleet0003", "fleet0007", "fleet0009"}
EVERY = {f"fleet{i:04d}" for i in range(10)}


@pytest.fixture
def fleet(control: Any) -> dict[str, Any]:
    return control("POST", "fleet", json={"accounts": 10, "vaults": 2, "key_size": 2048})


def _inventory_file(tmp_path: Path, **options: Any) -> Path:
    config = {"plugin": "azure_cmk.batch.batch_accounts", "groups": GROUPS}
    config.update(options)
    path = tmp_path / "fleet.batch_accounts.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def _environment(emulator: Any) -> dict[str, str]:
    env = playbook_environment(emulator.ready_info(), COLLECTIONS)
    env["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "True"  # a plugin that fails must fail the run, not empty it
    return env


def _inventory(emulator: Any, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(path), "--list"],
        env=_environment(emulator),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout, object_hook=_trusted)


def _trusted(value: dict[str, Any]) -> Any:
    """Values from Azure are marked unsafe (never templated); --list shows them wrapped: unwrap to compare."""
    return value["__ansible_unsafe"] if set(value) == {"__ansible_unsafe"} else value


def _members(listing: dict[str, Any], group: str) -> set[str]:
    return set(listing.get(group, {}).get("hosts", []))


def _revoke_identity(emulator: Any, vault: str, identity_id: str) -> None:
    """Take the fleet identity's grant off one vault, straight in the emulator's state."""
    principal = emulator.store.resource(identity_id)["properties"]["principalId"]
    body = next(v for v in emulator.store.resources(rtype="Microsoft.KeyVault/vaults") if v["name"] == vault)
    body = copy.deepcopy(body)
    policies = body["properties"]["accessPolicies"]
    body["properties"]["accessPolicies"] = [p for p in policies if p["objectId"] != principal]
    emulator.store.put_resource(body)


def test_accounts_are_grouped_by_cmk_state(emulator, fleet, tmp_path):
    _revoke_identity(emulator, fleet["vaults"][1], fleet["identity"])
    seq = emulator.journal.last_seq
    listing = _inventory(emulator, _inventory_file(tmp_path, resource_groups=[fleet["resource_group"]]))
    assert not [e for e in emulator.journal.entries(seq) if e.write]
    hostvars = listing["_meta"]["hostvars"]
    assert set(hostvars) == EVERY
    assert _members(listing, "not_on_cmk") == PLATFORM
    assert _members(listing, "on_cmk") == EVERY - PLATFORM
    assert _members(listing, "on_pinned_version") == PINNED
    assert _members(listing, "unavailable") == ON_VAULT_1
    assert _members(listing, "not_compliant") == PLATFORM | ON_VAULT_1

    pinned = hostvars["fleet0003"]
    assert pinned["cmk_key_identifier"].endswith("/keys/cmk/" + pinned["cmk_key_version"])
    assert pinned["cmk_key_follows_newest"] is False
    assert "pinned_old_version" in pinned["cmk_finding_codes"]
    assert "identity_lacks_access" in pinned["cmk_finding_codes"]
    assert pinned["cmk_unavailable_reason"] and pinned["cmk_identity_type"] == "UserAssigned"
    following = hostvars["fleet0002"]
    assert following["cmk_key_follows_newest"] is True and following["cmk_compliant"] is True
    assert following["cmk_key_identifier"] == fleet["keys"][0]
    assert len(following["cmk_key_version"]) == 32  # resolved to the key's newest version
    assert following["batch_account_resource_group"] == fleet["resource_group"]
    assert following["batch_account_subscription_id"] == emulator.ready_info()["subscription_id"]
    platform = hostvars["fleet0000"]
    assert platform["cmk_key_source"] == "Microsoft.Batch" and platform["cmk_finding_codes"] == ["not_on_cmk"]


def test_tag_filters_keyed_groups_and_compose(emulator, fleet, tmp_path):
    for name in ("fleet0001", "fleet0002"):
        body = next(a for a in emulator.store.resources(rtype="Microsoft.Batch/batchAccounts") if a["name"] == name)
        emulator.store.put_resource(dict(copy.deepcopy(body), tags={"environment": "production", "team": name}))
    path = _inventory_file(
        tmp_path,
        include_tags={"environment": "production", "team": None},
        keyed_groups=[{"prefix": "source", "key": "cmk_key_source"}],
        compose={"account_label": "batch_account_name ~ '@' ~ batch_account_location"},
        max_workers=1,
    )
    listing = _inventory(emulator, path)
    assert set(listing["_meta"]["hostvars"]) == {"fleet0001", "fleet0002"}
    assert _members(listing, "source_Microsoft_KeyVault") == {"fleet0001", "fleet0002"}
    assert listing["_meta"]["hostvars"]["fleet0001"]["account_label"].startswith("fleet0001@")


def test_a_failing_read_fails_the_inventory_naming_the_option(emulator, fleet, tmp_path):
    path = _inventory_file(tmp_path, max_workers=0)
    done = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(path), "--list"],
        env=_environment(emulator),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode != 0 and "max_workers: must be 1 or more" in done.stderr


def test_drift_play_through_ansible_runner(emulator, fleet, tmp_path, monkeypatch):
    """As AWX runs a job: ansible-runner, the inventory plugin as inventory, the AZURE_* credential in its env;
    the per-host results come from the job events."""
    import ansible_runner

    env = _environment(emulator)
    for name in set(os.environ) - set(env):  # ansible-runner starts from this process's environment
        monkeypatch.delenv(name)
    job = tmp_path / "job"  # AWX's private data dir: runner writes env/envvars (the credential) and artifacts here
    job.mkdir(mode=0o700)
    seq = emulator.journal.last_seq
    run = ansible_runner.run(
        private_data_dir=str(job),
        playbook=str(REPO / "tests" / "integration" / "playbooks" / "drift_by_inventory.yml"),
        inventory=str(_inventory_file(tmp_path, resource_groups=[fleet["resource_group"]])),
        envvars=env,
        cmdline="--check --diff",
        forks=4,
        quiet=True,
    )
    assert run.rc == 0 and run.status == "successful", run.stdout.read()
    results: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in run.events:
        if event["event"] in ("runner_on_ok", "runner_on_failed", "runner_on_unreachable"):
            results[event["event_data"]["host"]].append(event)
    assert set(results) == EVERY - PLATFORM
    assert all(len(events) == 1 and events[0]["event"] == "runner_on_ok" for events in results.values())
    changed = {host for host, events in results.items() if events[0]["event_data"]["res"]["changed"]}
    assert changed == PINNED  # only the pinned accounts would move to the versionless id
    assert run.stats["changed"].keys() == PINNED
    assert not [e for e in emulator.journal.entries(seq) if e.write]  # a check run writes nothing
