"""plugin_utils/_batch_hosts.py over an estate: host names, locations, and the report entry a host's variables carry
(the sliced drift report is made from them)."""

from __future__ import annotations

import pytest

from ansible_collections.azure_cmk.batch.plugins.plugin_utils import _batch_hosts as hosts

ENTRY = {
    "id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/a1",
    "name": "a1",
    "resource_group": "rg",
    "subscription_id": "s1",
    "key_source": "Microsoft.KeyVault",
    "key_identifier": "https://kv-one.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef",
    "key_version": "0123456789abcdef0123456789abcdef",
    "key_follows_newest": False,
    "identity_type": "UserAssigned",
    "user_assigned_identity": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u",
    "unavailable": False,
    "unavailable_reason": None,
    "recovering": True,
    "checked": True,
    "compliant": False,
    "by_severity": {"error": 0, "warning": 2, "unknown": 0},
    "findings": [
        {"code": "pinned_old_version", "severity": "warning", "subject": "k", "field": None, "message": "m"},
        {"code": "account_recovering", "severity": "warning", "subject": "a", "field": None, "message": "r"},
    ],
    "state": {"source": "resource_graph", "as_of": "2026-12-01T06:00:00Z"},
}


def test_a_hosts_variables_carry_its_report_entry_whole():
    account = {"location": "westeurope", "tags": {"env": "prod"}, "principal_id": "p"}
    variables = hosts.host_variables("s1", account, ENTRY)
    assert hosts.entry_of(variables) == ENTRY
    assert variables["cmk_vault_name"] == "kv-one" and variables["cmk_state"]["source"] == "resource_graph"
    assert variables["cmk_finding_codes"] == ["account_recovering", "pinned_old_version"]
    assert not [name for name in variables if not name.startswith(("batch_account_", "cmk_"))]


def test_host_names_stay_unique_across_groups_and_subscriptions():
    def account(name, group, subscription):
        return {
            "batch_account_name": name,
            "batch_account_resource_group": group,
            "batch_account_subscription_id": subscription,
        }

    found = [account("a", "rg", "s1"), account("a", "rg2", "s1"), account("a", "rg", "s2"), account("b", "rg", "s1")]
    assert hosts.host_names(found) == ["a", "a_rg2", "a_rg_s2", "b"]


@pytest.mark.parametrize(
    ("location", "wanted", "inside"),
    [("westeurope", None, True), ("westeurope", ["West Europe"], True), ("northeurope", ["westeurope"], False)],
)
def test_locations_compare_as_azure_spells_them(location, wanted, inside):
    assert hosts.in_locations(location, wanted) is inside
