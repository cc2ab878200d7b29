"""Parallel runs on one resource. Issue 9 item 4: Key Vault has no conditional create, so runs that both find
no key both make one. Ten forks of one playbook on one controller ensuring the same key leave one version, and
only one task reports a change. Issue 18: forks adding tags to one vault at once keep every tag."""

from __future__ import annotations

import sys

PLAYBOOK = "tests/integration/playbooks/parallel_key.yml"


def test_ten_forks_make_one_version(playbook, emulator, tmp_path):
    inventory = tmp_path / "racers.ini"
    python = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
    inventory.write_text("[racers]\n" + "".join(f"racer{i} {python}\n" for i in range(10)))
    run = playbook(PLAYBOOK, "-i", str(inventory), "--forks", "10")  # the vault play runs on the implicit localhost
    assert run.rc == 0 and run.failed == 0, run
    versions = emulator.store.data["vaultData"]["kv-race"]["keys"]["raced"]["order"]
    assert len(versions) == 1, versions
    creates = [e for e in emulator.journal.entries() if e.method == "POST" and e.path.endswith("/keys/raced/create")]
    assert len(creates) == 1, [e.path for e in creates]
    assert run.output.count("changed: [racer") == 1, run


def test_forks_adding_tags_to_one_vault_keep_every_tag(playbook, emulator, tmp_path):
    inventory = tmp_path / "racers.ini"
    python = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
    inventory.write_text("[racers]\n" + "".join(f"racer{i} {python}\n" for i in range(6)))
    run = playbook("tests/integration/playbooks/parallel_tags.yml", "-i", str(inventory), "--forks", "6")
    assert run.rc == 0 and run.failed == 0, run
    vault = next(v for v in emulator.store.resources(rtype="Microsoft.KeyVault/vaults") if v["name"] == "kv-tags")
    assert vault["tags"] == {f"owner-racer{i}": "yes" for i in range(6)}, vault["tags"]
