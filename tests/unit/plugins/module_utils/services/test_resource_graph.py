"""_services/resource_graph.py: the queries and their rows, the quota's headers, and paging on a fake client."""

from __future__ import annotations

from datetime import datetime
from datetime import timezone

import pytest
from fakes import Namespace
from fakes import Operations
from fakes import context
from fakes import graph_answering

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkTimeout
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import batch_account
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import resource_graph as api

ACCOUNT = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/a1"


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("rg-batch", "'rg-batch'"),
        ("it's", "'it\\'s'"),  # a quote cannot end the string
        ("a\\b", "'a\\\\b'"),
        ("x' or 1 == 1 or name == '", "'x\\' or 1 == 1 or name == \\''"),
        (3, "'3'"),  # YAML numbers compare as Azure's string values
    ],
)
def test_kql_string(value, literal):
    assert api.kql_string(value) == literal


@pytest.mark.parametrize(
    ("headers", "pause"),
    [
        ({}, 0),
        ({"x-ms-user-quota-remaining": "3", "x-ms-user-quota-resets-after": "00:00:04"}, 0),
        ({"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:04"}, 4),
        ({"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:01:02.5"}, 62.5),
        ({"x-ms-user-quota-remaining": "0"}, 1),  # none left and no reset said: a second
        ({"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "soon"}, 1),
        ({"x-ms-user-quota-remaining": "many"}, 0),
    ],
)
def test_quota_pause(headers, pause):
    assert api.quota_pause(headers) == pause


def test_answered_at_is_azures_date_else_now():
    assert api.answered_at({"Date": "Tue, 01 Dec 2026 06:00:02 GMT"}) == "2026-12-01T06:00:02Z"
    now = datetime(2026, 12, 1, 7, 0, tzinfo=timezone.utc)
    assert api.answered_at({"Date": "not a date"}, now=now) == "2026-12-01T07:00:00Z"
    assert api.answered_at({}, now=now) == "2026-12-01T07:00:00Z"


def test_the_accounts_query_carries_the_filters():
    text = api.accounts_query(["rg-a", "rg-b"], ["a1"], ["West Europe"], {"env": "prod", "team": None})
    assert text.startswith("resources | where type =~ 'microsoft.batch/batchaccounts' | ")
    assert "where resourceGroup in~ ('rg-a', 'rg-b')" in text and "where name in~ ('a1')" in text
    assert "where location in~ ('westeurope')" in text  # as Resource Graph spells locations
    assert "where tostring(tags['env']) == 'prod'" in text and "where isnotnull(tags['team'])" in text
    assert " project id, " in text and text.endswith("order by id asc")  # pages need id, and a stable order
    assert api.accounts_query().count("| where ") == 1  # no filter: only the type


def test_a_row_is_normalized_as_the_account_get_would_be():
    identity = {"type": "UserAssigned", "userAssignedIdentities": {"/subscriptions/s1/x/uai": {"principalId": "p"}}}
    row = {
        "id": ACCOUNT,
        "name": "a1",
        "location": "westeurope",
        "tags": {"env": "prod"},
        "identity": identity,
        "keySource": "Microsoft.KeyVault",
        "keyIdentifier": "https://kv.vault.azure.net/keys/cmk",
        "provisioningState": "Invalid",
        "poolAllocationMode": "BatchService",
        "publicNetworkAccess": "",
    }
    account = batch_account.normalize(api.account_body(row))
    assert account["key_source"] == "Microsoft.KeyVault" and account["key_identifier"].endswith("/keys/cmk")
    assert (account["principal_id"], account["identity_type"], account["provisioning_state"]) == (
        "p",
        "UserAssigned",
        "Invalid",
    )
    assert account["resource_group"] == "rg" and account["public_network_access"] == "Enabled"
    platform = batch_account.normalize(api.account_body(dict(row, keySource="", keyIdentifier="", identity=None)))
    assert (platform["key_source"], platform["key_identifier"], platform["identity_type"]) == (
        "Microsoft.Batch",
        None,
        "None",
    )


def test_the_vault_and_assignment_queries():
    vaults = api.vaults_query(["kv-b", "kv-a"], "rg-keys")
    assert "where name in~ ('kv-b', 'kv-a')" in vaults and "where resourceGroup =~ 'rg-keys'" in vaults
    assignments = api.assignments_query(["/subscriptions/s1"])
    assert assignments.startswith("authorizationresources | where type =~ 'microsoft.authorization/roleassignments'")
    assert "target in~ ('/subscriptions/s1')" in assignments and "project id, scope" in assignments


def test_chunks_sort_and_split():
    assert api.chunks(["b", "a", "c", "a"], size=2) == [["a", "b"], ["c"]]


class Clock:
    def __init__(self):
        self.now, self.slept = 100.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_pages_are_followed_and_paced_by_the_quota():
    left = {"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:03"}
    graph = graph_answering([([{"id": "a"}], "t1", left), ([{"id": "b"}], "t2", {}), ([{"id": "c"}], None, {})])
    ctx, clock = context(resource_graph=graph), Clock()
    answer = api.query(ctx, "resources | project id", subscriptions=["s1", "s2"], sleep=clock.sleep, clock=clock)
    assert [r["id"] for r in answer.rows] == ["a", "b", "c"] and answer.pages == 3
    bodies = [call[1][0] for call in graph.calls]
    assert bodies[0] == {
        "subscriptions": ["s1", "s2"],
        "query": "resources | project id",
        "options": {"$top": 1000, "resultFormat": "objectArray"},
    }
    assert [b["options"].get("$skipToken") for b in bodies] == [None, "t1", "t2"]
    assert clock.slept == [3]  # the second page waited for the window to reset, the third did not wait
    assert ctx.notes == ["waited 3.0 s for Resource Graph's quota to reset"]


def test_a_quota_that_resets_after_the_timeout_fails_naming_it():
    left = {"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:10:00"}
    ctx, clock = context(resource_graph=graph_answering([([{"id": "a"}], "t1", left)])), Clock()
    with pytest.raises(CmkTimeout, match="quota"):
        api.query(ctx, "q", management_groups=["mg"], sleep=clock.sleep, clock=clock)
    assert clock.slept == []


def test_a_truncated_answer_is_an_error():
    def resources(body, cls):
        page = Namespace(data=[{"x": 1}], skip_token=None, result_truncated="true")
        return cls(Namespace(http_response=Namespace(headers={})), page, {})

    with pytest.raises(CmkError, match="truncated"):
        api.query(context(resource_graph=Operations(resources=resources)), "q")
