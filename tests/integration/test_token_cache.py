"""Issue 19 through ansible-playbook: the collection's action plugin hands every module the run's own temporary
directory, so the tasks of one run - forks included - sign in once per credential and audience; with the cache
off every task signs in, as before; the tokens go when ansible-playbook ends. Counted in the emulator's journal."""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from collections import Counter

PLAYBOOK = "tests/integration/playbooks/token_cache.yml"
READERS = 10


def audience(entry):
    payload = (entry.response or {}).get("access_token", "").split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["aud"]


def sign_ins(emulator):
    made = Counter()
    for entry in emulator.journal.entries():
        if entry.host.startswith("login."):
            made["token " + audience(entry) if entry.path.endswith("/token") else "discovery"] += 1
        elif entry.host.endswith(".vault.azure.net") and entry.status == 401:
            made["challenge"] += 1
    return made


def run(playbook, tmp_path, **env):
    inventory = tmp_path / "readers.ini"
    python = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
    inventory.write_text("[readers]\n" + "".join(f"reader{i} {python}\n" for i in range(READERS)))
    local = tmp_path / "local-tmp"
    local.mkdir(exist_ok=True)
    result = playbook(PLAYBOOK, "-i", str(inventory), "--forks", "5", _env=dict(env, ANSIBLE_LOCAL_TEMP=str(local)))
    assert result.rc == 0 and result.failed == 0, result
    return result, local


def test_a_run_signs_in_once_per_credential_and_audience(playbook, emulator, tmp_path):
    """Done-means 2: six tasks on one credential, then 20 more on 5 forks: one tenant discovery, one token per
    audience, and no Key Vault challenge (the vault's tenant came with its Resource Manager read)."""
    _result, local = run(playbook, tmp_path)
    made = sign_ins(emulator)
    assert made["discovery"] == 1, dict(made)
    assert made["token https://management.azure.com"] == 1 and made["token https://vault.azure.net"] == 1, dict(made)
    assert made["challenge"] == 0, dict(made)
    # ansible-playbook removed its directory, and the tokens with it.
    assert [name for _root, _dirs, files in os.walk(local) for name in files] == []


def test_with_the_cache_off_every_task_signs_in(playbook, emulator, tmp_path):
    """AZURE_CMK_TOKEN_CACHE=false (an AWX job template can set it): the run works as before the cache."""
    run(playbook, tmp_path, AZURE_CMK_TOKEN_CACHE="false")
    made = sign_ins(emulator)
    assert made["discovery"] == 6 + 2 * READERS, dict(made)


def test_a_drift_run_over_the_inventory_signs_in_once(playbook, emulator, control, tmp_path):
    """The nightly drift job of issue 19 in small: the batch_accounts inventory lists a fleet of 20 accounts and
    a --check play over the 16 on a customer-managed key runs on 5 forks. The inventory's sign-in serves every
    task: one discovery and one Resource Manager token for the run, one Key Vault token, no challenge; each host
    costs only the reads its decision needs."""
    fleet = control("POST", "fleet", json={"accounts": 20, "vaults": 2, "key_size": 2048})
    inventory = tmp_path / "fleet.batch_accounts.yml"
    inventory.write_text(
        json.dumps(
            {
                "plugin": "azure_cmk.batch.batch_accounts",
                "resource_groups": [fleet["resource_group"]],
                "groups": {"on_cmk": "cmk_key_source == 'Microsoft.KeyVault'"},
            }
        )
    )
    drift = "tests/integration/playbooks/drift_by_inventory.yml"
    result = playbook(drift, "-i", str(inventory), "--check", "--forks", "5")
    assert result.rc == 0 and result.failed == 0, result
    assert len(re.findall(r"^fleet\d+\s+: ok=1 ", result.output, re.M)) == 16, result
    made = sign_ins(emulator)
    assert made["discovery"] == 1, dict(made)
    assert made["token https://management.azure.com"] == 1 and made["token https://vault.azure.net"] == 1, dict(made)
    assert made["challenge"] == 0, dict(made)
    tasks = [e for e in emulator.journal.entries() if not e.host.startswith("login.")]
    assert len(tasks) <= 16 * 4 + 20, len(tasks)  # the reads of each host's decision, and the inventory's
