"""The batch_accounts inventory over an estate (issue 16): Resource Graph with the filters in the query, rich host
variables, partial access said, and a cached rerun that makes no call (the emulator's journal)."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml
from test_inventory import BIN
from test_inventory import _environment
from test_inventory import _members
from test_inventory import _trusted

from azure_emulator.seed import MAIN_SUB
from azure_emulator.seed import RESTRICTED_SUB

GRAPH = "/providers/Microsoft.ResourceGraph/resources"


def _file(tmp_path: Path, name: str = "estate", **options: Any) -> Path:
    path = tmp_path / f"{name}.batch_accounts.yml"
    path.write_text(yaml.safe_dump({"plugin": "azure_cmk.batch.batch_accounts", **options}))
    return path


def _run(emulator: Any, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "ansible-inventory"), "-i", str(path), "--list", *args]
    return subprocess.run(command, env=_environment(emulator), capture_output=True, text=True, timeout=300, check=False)


def _listing(emulator: Any, path: Path) -> dict[str, Any]:
    done = _run(emulator, path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout, object_hook=_trusted)


def test_an_estate_grouped_by_what_the_query_found(emulator, control, tmp_path):
    """Two subscriptions through Resource Graph: the tag and location filters in the query, keyed groups on the
    host variables, each account's subscription and where its state came from, and its pools (issue 20)."""
    shape = {"accounts": 10, "vaults": 2, "key_size": 2048, "subscriptions": 2, "pools_per_account": 2}
    fleet = control("POST", "fleet", json=shape)
    for name in ("fleet0001", "fleet0002", "fleet0004"):
        body = next(a for a in emulator.store.resources(rtype="Microsoft.Batch/batchAccounts") if a["name"] == name)
        emulator.store.put_resource(dict(copy.deepcopy(body), tags={"environment": "production"}))
    seq = emulator.journal.last_seq
    path = _file(
        tmp_path,
        subscriptions=["all"],
        locations=["West Europe"],
        include_tags={"environment": "production"},
        keyed_groups=[{"prefix": "vault", "key": "cmk_vault_name"}],
        groups={
            "follows_newest": "cmk_key_follows_newest",
            "temp_disk_unencrypted": "'pool_temp_disk_unencrypted' in cmk_finding_codes",
            "big": "cmk_pool_nodes > 5",
        },
    )
    listing = _listing(emulator, path)
    hostvars = listing["_meta"]["hostvars"]
    assert set(hostvars) == {"fleet0001", "fleet0002", "fleet0004"}
    assert _members(listing, "vault_fleetkv01") == {"fleet0001"}
    assert _members(listing, "vault_fleetkv00") == {"fleet0002", "fleet0004"}
    assert _members(listing, "follows_newest") == {"fleet0001", "fleet0002", "fleet0004"}
    assert _members(listing, "temp_disk_unencrypted") == {"fleet0001", "fleet0002", "fleet0004"}  # each pool01
    # pool j of account i: 1 + (i + j) % 3 dedicated nodes and j % 2 low-priority ones
    assert _members(listing, "big") == {"fleet0001", "fleet0004"} and hostvars["fleet0001"]["cmk_pool_nodes"] == 6
    one = hostvars["fleet0001"]
    assert one["batch_account_subscription_id"] == fleet["subscriptions"][1]
    assert one["cmk_state"]["source"] == "resource_graph" and one["cmk_compliant"] is True
    assert one["cmk_vault_name"] == "fleetkv01" and one["cmk_checked"] is True
    assert [p["name"] for p in one["cmk_pools"]] == ["pool00", "pool01"]
    assert one["cmk_pools_unavailable"] == {"pools": 0, "nodes": 0}
    graph = [e for e in emulator.journal.entries(seq) if e.path == GRAPH]
    assert len(graph) == 3  # the accounts (the filters in the query: 3 rows), their pools, the vaults
    assert not [e for e in emulator.journal.entries(seq) if "/Microsoft.Batch/" in e.path]  # no call per account


def test_a_cached_rerun_makes_no_call(emulator, control, tmp_path):
    control("POST", "fleet", json={"accounts": 6, "vaults": 2, "key_size": 2048})
    cache = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache")}
    path = _file(tmp_path, subscriptions=[MAIN_SUB], **cache)
    seq = emulator.journal.last_seq
    first = _listing(emulator, path)
    assert len(first["_meta"]["hostvars"]) == 6 and emulator.journal.last_seq > seq
    seq = emulator.journal.last_seq
    assert _listing(emulator, path) == first
    assert list(emulator.journal.entries(seq)) == []  # not even a sign-in
    narrowed = _file(tmp_path, subscriptions=[MAIN_SUB], resource_groups=["rg-other"], **cache)
    assert _listing(emulator, narrowed)["_meta"]["hostvars"] == {}  # another scope: another cache entry, read
    assert emulator.journal.last_seq > seq
    seq = emulator.journal.last_seq
    done = _run(emulator, path, "--flush-cache")  # asked to refresh: read again
    assert done.returncode == 0 and emulator.journal.last_seq > seq


def test_partial_access_is_said_and_strict_permissions_fail(emulator, control, tmp_path):
    control("POST", "fleet", json={"accounts": 3, "vaults": 1, "key_size": 2048})
    path = _file(tmp_path, subscriptions=[MAIN_SUB, RESTRICTED_SUB])
    done = _run(emulator, path, "--export")  # as AWX imports it: the group's variables on the group
    assert done.returncode == 0, done.stderr
    assert "could not read subscription " + RESTRICTED_SUB in " ".join(done.stderr.split())
    listing = json.loads(done.stdout, object_hook=_trusted)
    assert listing["all"]["vars"]["cmk_unreadable"]["subscriptions"] == [RESTRICTED_SUB]
    assert len(listing["_meta"]["hostvars"]) == 3
    strict = _run(
        emulator, _file(tmp_path, "strict", subscriptions=[MAIN_SUB, RESTRICTED_SUB], strict_permissions=True)
    )
    assert strict.returncode != 0 and "strict_permissions" in strict.stderr and RESTRICTED_SUB in strict.stderr


def test_the_pools_options(emulator, control, tmp_path):
    """temporary_disk_severity: error makes an account with an unencrypted pool non-compliant; pools: false leaves
    the pools out (no pool variable, no pool finding, no query for them)."""
    control("POST", "fleet", json={"accounts": 4, "vaults": 1, "key_size": 2048, "pools_per_account": 2})
    strict = _listing(emulator, _file(tmp_path, "strict", subscriptions=[MAIN_SUB], temporary_disk_severity="error"))
    for name, found in strict["_meta"]["hostvars"].items():
        assert "pool_temp_disk_unencrypted" in found["cmk_finding_codes"] and not found["cmk_compliant"], name
    seq = emulator.journal.last_seq
    lean = _listing(emulator, _file(tmp_path, "lean", subscriptions=[MAIN_SUB], pools=False))
    assert all("cmk_pools" not in found for found in lean["_meta"]["hostvars"].values())
    assert not any(c.startswith("pool") for f in lean["_meta"]["hostvars"].values() for c in f["cmk_finding_codes"])
    assert len([e for e in emulator.journal.entries(seq) if e.path == GRAPH]) == 2  # accounts, vaults
