"""The cmk_report filter's work (plugin_utils/_batch_hosts.merged_report): parts merged are the whole report; hosts'
variables and report entries alike. The filter module itself is not imported: Ansible's controller code would change
how in-process module runs warn."""

from __future__ import annotations

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils._compliance import summary
from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import host_variables
from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import merged_report as cmk_report


def _entry(name, *codes, severity="error"):
    findings = [{"code": c, "severity": severity, "subject": name, "field": None, "message": c} for c in codes]
    return {
        "id": f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/{name}",
        "name": name,
        "resource_group": "rg",
        "subscription_id": "s",
        "key_source": "Microsoft.Batch" if codes else "Microsoft.KeyVault",
        "key_identifier": None,
        "key_version": None,
        "key_follows_newest": None,
        "identity_type": "None",
        "user_assigned_identity": None,
        "unavailable": False,
        "unavailable_reason": None,
        "recovering": False,
        "checked": True,
        "compliant": not codes,
        "by_severity": {"error": len(codes), "warning": 0, "unknown": 0},
        "findings": findings,
        "state": {"source": "resource_graph", "as_of": "2026-12-01T06:00:00Z"},
    }


ENTRIES = [_entry("c"), _entry("a", "not_on_cmk"), _entry("b")]


def test_the_merged_parts_are_the_whole_report():
    whole = cmk_report(ENTRIES)
    parts = [cmk_report(ENTRIES[:1]), cmk_report(ENTRIES[1:])]
    assert cmk_report([a for p in parts for a in p["accounts"]]) == whole
    assert [a["name"] for a in whole["accounts"]] == ["a", "b", "c"] and whole["summary"] == summary(whole["accounts"])


def test_hosts_variables_make_the_same_report_as_their_entries():
    hostvars = [host_variables("s", {}, e) for e in ENTRIES]
    assert cmk_report(hostvars) == cmk_report(ENTRIES)


def test_what_could_not_be_read_is_merged_once():
    first = {"subscriptions": ["S2"], "management_groups": [], "vaults": [{"name": "kv-b", "reason": "r"}]}
    second = {
        "subscriptions": ["s2", "s3"],
        "vaults": [{"name": "kv-a", "reason": "r"}, {"name": "KV-B", "reason": "r"}],
    }
    merged = cmk_report(ENTRIES, unreadable=[first, second, None])["unreadable"]
    assert merged == {
        "subscriptions": ["S2", "s3"],
        "management_groups": [],
        "vaults": [{"name": "kv-a", "reason": "r"}, {"name": "kv-b", "reason": "r"}],
    }
    assert "unreadable" not in cmk_report(ENTRIES)


@pytest.mark.parametrize("item", ["fleet0001", {"name": "no id", "findings": []}])
def test_what_is_not_an_account_is_refused(item):
    with pytest.raises(ValueError):
        cmk_report([item])


def test_pools_carried_by_hosts_make_the_same_report():
    """A host carries its pools without their findings (cmk_findings has them, each naming its pool): the report
    made from hosts' variables puts them back."""
    entry = _entry("p")
    unencrypted = {"code": "pool_temp_disk_unencrypted", "severity": "warning", "subject": "s", "field": None}
    unencrypted.update(message="m", pool="pool01")
    entry["findings"] = [unencrypted]
    entry["by_severity"] = {"error": 0, "warning": 1, "unknown": 0}
    pools = [{"name": "pool00", "dedicated_nodes": 1, "low_priority_nodes": 0, "temporary_disk_encrypted": True}]
    pools.append({"name": "pool01", "dedicated_nodes": 2, "low_priority_nodes": 1, "temporary_disk_encrypted": False})
    for found in pools:
        found.update(customer_managed_key=None, nodes_unavailable=False)
    entry["pools"] = [dict(pools[0], findings=[]), dict(pools[1], findings=[unencrypted])]
    entry["pools_unavailable"] = {"pools": 0, "nodes": 0}
    variables = host_variables("s", {}, entry)
    assert variables["cmk_pools"] == pools and variables["cmk_pool_nodes"] == 4
    assert cmk_report([variables]) == cmk_report([entry])
    assert cmk_report([entry])["summary"]["pools"]["temporary_disk_unencrypted"] == 1
