"""Done-means 6: each role's argument spec refuses bad input before any task runs (the emulator's journal
stays empty), and ansible-doc shows every entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from playbook_runner import REPO

# Per role (entry point): variables that its spec refuses, and the words ansible-core's refusal names.
BAD_INPUT = {
    ("cmk_vault_key", "main"): ({"cmk_vault_key_resource_group": "rg-cmk"}, "cmk_vault_key_vault_name"),
    ("cmk_vault_key", "main#size"): (
        {"cmk_vault_key_resource_group": "rg-cmk", "cmk_vault_key_vault_name": "kv", "cmk_vault_key_size": 1024},
        "cmk_vault_key_size",
    ),
    ("cmk_batch_account", "main"): (
        {
            "cmk_batch_account_name": "batchcmk01",
            "cmk_batch_account_resource_group": "rg-cmk",
            "cmk_batch_account_vault_name": "kv",
            "cmk_batch_account_identity_type": "None",
        },
        "cmk_batch_account_identity_type",
    ),
    ("cmk_batch_account", "revert"): ({"cmk_batch_account_name": "batchcmk01"}, "cmk_batch_account_resource_group"),
    ("cmk_key_rotation", "main"): (
        {
            "cmk_key_rotation_vault_name": "kv",
            "cmk_key_rotation_resource_group": "rg-cmk",
            "cmk_key_rotation_max_age_days": "a month",
        },
        "cmk_key_rotation_max_age_days",
    ),
    ("cmk_drift_report", "main"): (
        {"cmk_drift_report_dir": "/tmp/x", "cmk_drift_report_fail_on": "critical"},
        "cmk_drift_report_fail_on",
    ),
}


def _play(role: str, entry: str, variables: dict) -> str:
    return json.dumps(
        [
            {
                "name": "bad input",
                "hosts": "localhost",
                "connection": "local",
                "gather_facts": False,
                "tasks": [
                    {
                        "ansible.builtin.include_role": {"name": f"azure_cmk.batch.{role}", "tasks_from": entry},
                        "vars": variables,
                    }
                ],
            }
        ]
    )


@pytest.mark.parametrize(("role", "entry"), list(BAD_INPUT), ids=["-".join(k) for k in BAD_INPUT])
def test_argument_spec_refuses_bad_input_before_any_task(playbook, emulator, tmp_path, role, entry):
    variables, named = BAD_INPUT[(role, entry)]
    path = tmp_path / "bad.yml"
    path.write_text(_play(role, entry.split("#")[0], variables))
    seq = emulator.journal.last_seq
    run = playbook(str(path))
    assert run.rc != 0 and run.failed == 1, run
    assert "Validating arguments against arg spec" in run.output and named in run.output, run
    assert run.ok == 1  # the include itself: the validation is the first task of the role, and it failed
    assert not list(emulator.journal.entries(seq))  # nothing reached "Azure"


def test_ansible_doc_shows_every_entry_point():
    ansible_doc = Path(sys.executable).parent / "ansible-doc"
    done = subprocess.run(
        [str(ansible_doc), "-t", "role", "--json", "-l", "azure_cmk.batch"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**__import__("os").environ, "ANSIBLE_COLLECTIONS_PATH": str(REPO / "build" / "collections")},
    )
    listed = json.loads(done.stdout)
    entry_points = {role: sorted(info["entry_points"]) for role, info in listed.items()}
    assert entry_points == {
        "azure_cmk.batch.cmk_batch_account": ["main", "revert"],
        "azure_cmk.batch.cmk_drift_report": ["main"],
        "azure_cmk.batch.cmk_key_rotation": ["main"],
        "azure_cmk.batch.cmk_vault_key": ["main"],
    }
