"""A drift report under AWX job slicing (issue 16): the slice playbook run by ansible-runner - the engine AWX runs
jobs with - in 4 slices at once (--limit by slice, round-robin over the hosts as AWX splits an inventory), on the
inventory as AWX imports it (ansible-inventory --list --export, then served as a static inventory); the merged
report equals the unsliced one, and the one task over the estate gives the same accounts."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import yaml
from playbook_runner import REPO
from test_inventory import BIN
from test_inventory import _environment
from test_inventory import _revoke_identity

SLICES = 4


def _imported(emulator: Any, tmp_path: Path) -> Path:
    """The estate's inventory as AWX imports it, as a script that prints it (what a slice job gets)."""
    source = tmp_path / "estate.batch_accounts.yml"
    source.write_text(yaml.safe_dump({"plugin": "azure_cmk.batch.batch_accounts", "subscriptions": ["all"]}))
    command = [str(BIN / "ansible-inventory"), "-i", str(source), "--list", "--export"]
    done = subprocess.run(command, env=_environment(emulator), capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    (tmp_path / "inventory.json").write_text(done.stdout)
    script = tmp_path / "inventory.sh"
    script.write_text(f"#!/bin/sh\ncat {tmp_path / 'inventory.json'}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def _run(emulator: Any, job: Path, playbook: str, inventory: Path | None, limit: str | None, **extravars: Any) -> Any:
    import ansible_runner

    job.mkdir(mode=0o700)
    if inventory is None:  # a play on localhost
        inventory = job / "localhost.ini"
        inventory.write_text("localhost ansible_connection=local\n")
    return ansible_runner.run_async(
        private_data_dir=str(job),
        playbook=str(REPO / "playbooks" / playbook),
        inventory=str(inventory),
        envvars=_environment(emulator),
        extravars=dict(extravars, ansible_python_interpreter=str(BIN / "python")),
        limit=limit,
        quiet=True,
    )


def _done(started: Any) -> Any:
    thread, run = started
    thread.join(timeout=300)
    assert run.rc == 0 and run.status == "successful", run.stdout.read()
    return run


def test_the_merged_slices_are_the_unsliced_report(emulator, control, tmp_path, monkeypatch):
    fleet = control("POST", "fleet", json={"accounts": 10, "vaults": 2, "key_size": 2048, "subscriptions": 2})
    _revoke_identity(emulator, fleet["vaults"][1], fleet["identities"][1])  # errors to report, beside not_on_cmk
    inventory = _imported(emulator, tmp_path)
    for name in set(os.environ) - set(_environment(emulator)):  # ansible-runner starts from this environment
        monkeypatch.delenv(name)
    hosts = sorted(json.loads((tmp_path / "inventory.json").read_text())["_meta"]["hostvars"])
    sliced, whole = tmp_path / "sliced", tmp_path / "whole"
    seq = emulator.journal.last_seq
    report = {"cmk_drift_report_fail_on": "never"}
    slices = [
        _run(emulator, tmp_path / f"slice{n}", "drift_report_slice.yml", inventory, ",".join(hosts[n::SLICES]),
             cmk_drift_report_dir=str(sliced))
        for n in range(SLICES)
    ]  # fmt: skip
    unsliced = _run(
        emulator, tmp_path / "unsliced", "drift_report_slice.yml", inventory, None, cmk_drift_report_dir=str(whole)
    )
    for started in [*slices, unsliced]:
        _done(started)
    assert len(list((sliced / "parts").glob("*.json"))) == SLICES
    assert list(emulator.journal.entries(seq)) == []  # the parts are the inventory's host variables
    for directory in (sliced, whole):
        _done(
            _run(
                emulator,
                directory / "merge",
                "drift_report_merge.yml",
                None,
                None,
                cmk_drift_report_dir=str(directory),
                **report,
            )
        )
    merged = (sliced / "cmk-drift-report.json").read_text()
    assert merged == (whole / "cmk-drift-report.json").read_text()
    assert (sliced / "cmk-drift-report.md").read_text() == (whole / "cmk-drift-report.md").read_text()
    found = json.loads(merged)
    assert sorted(a["name"] for a in found["accounts"]) == hosts and found["summary"]["accounts"] == 10
    assert (
        found["summary"]["findings"]["not_on_cmk"] == 2 and found["summary"]["findings"]["identity_lacks_access"] == 4
    )

    # The report as one task over the estate: the same accounts and findings (read later: its own state times).
    one = tmp_path / "one"
    estate = dict(report, cmk_drift_report_subscriptions=["all"], cmk_drift_report_dir=str(one))
    _done(_run(emulator, one, "drift_report.yml", None, None, **estate))
    direct = json.loads((one / "cmk-drift-report.json").read_text())
    assert direct["summary"] == found["summary"] and direct["unreadable"] == found["unreadable"]
    assert [{k: v for k, v in a.items() if k != "state"} for a in direct["accounts"]] == [
        {k: v for k, v in a.items() if k != "state"} for a in found["accounts"]
    ]
