"""Issue 16: Resource Graph through the real azure-mgmt-resourcegraph SDK - paging past 1,000 rows, a 429
absorbed by the SDK's retry, a subscription refused, management groups, and the index's lag. Counts come
from the journal, never from times."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity import ClientSecretCredential
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest
from azure.mgmt.resourcegraph.models import QueryRequestOptions

from azure_emulator import seed

ACCOUNTS = "resources | where type =~ 'microsoft.batch/batchaccounts' | project id, name, subscriptionId"
AUDITOR = seed.DEFAULT_SEED["principals"][1]


def _client(info, principal=None):
    if principal is None:
        return ResourceGraphClient(ClientSecretCredential(info["tenant_id"], info["client_id"], info["client_secret"]))
    credential = ClientSecretCredential(principal["tenant_id"], principal["client_id"], principal["secret"])
    return ResourceGraphClient(credential)


def _graph_calls(emulator, since=0):
    return [e for e in emulator.journal.entries(since) if e.path.endswith("/Microsoft.ResourceGraph/resources")]


def _all_pages(client, request):
    rows, token = [], None
    while True:
        request.options.skip_token = token
        page = client.resources(request)
        rows += page.data
        token = page.skip_token
        if not token:
            return rows, page


def test_paging_past_1000_rows_over_several_subscriptions(azure_env, control, emulator):
    made = control("POST", "fleet", json={"accounts": 1050, "vaults": 1, "subscriptions": 3})
    client = _client(azure_env)
    seq = emulator.journal.last_seq
    options = QueryRequestOptions(top=1000)
    rows, last = _all_pages(client, QueryRequest(query=ACCOUNTS + " | order by id asc", options=options))
    assert len(rows) == 1050 == len({r["id"] for r in rows}) == last.total_records
    assert {r["subscriptionId"] for r in rows} == set(made["subscriptions"])
    assert [e.status for e in _graph_calls(emulator, seq)] == [200, 200]  # 1,000 rows, then 50
    # Without an id column Resource Graph cannot page: the first 1,000 and resultTruncated.
    first = client.resources(QueryRequest(query=ACCOUNTS + " | project name", options=QueryRequestOptions(top=1000)))
    assert (first.count, first.total_records, first.result_truncated, first.skip_token) == (1000, 1050, "true", None)


def test_a_throttled_query_is_retried_by_the_sdk(azure_env, emulator):
    emulator.settings.update(
        {"resource_graph_throttling": True, "resource_graph_quota": {"queries": 2, "window_seconds": 1}}
    )
    client = _client(azure_env)
    for _ in range(3):
        assert client.resources(QueryRequest(query="resources | count")).data == [{"Count": 0}]
    statuses = [e.status for e in _graph_calls(emulator)]
    assert statuses.count(429) == 1 and statuses.count(200) == 3
    limited = next(e for e in _graph_calls(emulator) if e.status == 429)
    assert limited.response["error"]["code"] == "RateLimiting"


def test_quota_headers_count_down(azure_env, emulator):
    emulator.settings.update({"resource_graph_throttling": True})
    seen = []
    client = _client(azure_env)
    for _ in range(2):
        client.resources(
            QueryRequest(query="resources | count"),
            cls=lambda r, d, h: seen.append(r.http_response.headers["x-ms-user-quota-remaining"]),
        )
    assert seen == ["14", "13"]


def test_a_refused_subscription_adds_no_rows_and_alone_is_access_denied(azure_env, control, emulator):
    made = control("POST", "fleet", json={"accounts": 4, "vaults": 1, "subscriptions": 2})
    main, other = made["subscriptions"]
    auditor = _client(azure_env, AUDITOR)  # Reader on the main subscription only
    both = auditor.resources(QueryRequest(subscriptions=[main, other], query=ACCOUNTS))
    assert {r["subscriptionId"] for r in both.data} == {main} and both.total_records == 2
    with pytest.raises(HttpResponseError) as refused:
        auditor.resources(QueryRequest(subscriptions=[other], query=ACCOUNTS))
    assert refused.value.status_code == 403 and refused.value.error.code == "AccessDenied"


def test_management_groups_scope_the_query(azure_env, control):
    client = _client(azure_env)  # owns the main subscription, reads the platform one, not the restricted one
    query = "resourcecontainers | count"
    with pytest.raises(HttpResponseError):
        client.resources(QueryRequest(query=query))  # not a table the emulator serves
    rows = client.resources(QueryRequest(management_groups=["mg-cmk-platform"], query="resources | count"))
    assert rows.data == [{"Count": 0}]
    with pytest.raises(HttpResponseError) as other_tenant:
        client.resources(QueryRequest(management_groups=[seed.FABRIKAM], query="resources | count"))
    assert other_tenant.value.status_code == 403


def test_the_index_lags_the_provider(azure_env, clients, emulator):
    import flows

    flows.make_vault(clients, "kv-seen")
    emulator.settings.update({"resource_graph_lag_seconds": 600})
    flows.make_vault(clients, "kv-late")
    clients.vaults().vaults.update(
        clients.rg, "kv-seen", {"properties": {"enabledForDeployment": True}, "tags": {"stage": "new"}}
    )
    client = _client(azure_env)
    query = "resources | where type =~ 'microsoft.keyvault/vaults' | project id, name, stage=tostring(tags.stage)"
    lagging = {r["name"]: r["stage"] for r in client.resources(QueryRequest(query=query)).data}
    assert lagging == {"kv-seen": ""}  # the new vault is not indexed yet, the change not either
    emulator.settings.update({"resource_graph_lag_seconds": 0})
    fresh = {r["name"]: r["stage"] for r in client.resources(QueryRequest(query=query)).data}
    assert fresh == {"kv-seen": "new", "kv-late": ""}


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("resources | where where", "ParserFailure"),
        ("resources | parse id with x", "InvalidQueryLanguage"),
        ("resources | where cout(1) == 1", "UnknownFunction"),
    ],
)
def test_a_bad_query_is_refused_as_resource_graph_refuses_it(azure_env, query, detail):
    with pytest.raises(HttpResponseError) as refused:
        _client(azure_env).resources(QueryRequest(query=query))
    assert refused.value.status_code == 400 and refused.value.error.code == "BadRequest"
    codes = [d.code for d in refused.value.error.details]
    assert codes == ["InvalidQuery", detail]


def test_table_format_and_role_assignments(azure_env):
    client = _client(azure_env)
    query = (
        "authorizationresources | where type =~ 'microsoft.authorization/roleassignments' "
        "| project id, principalId=tostring(properties.principalId)"
    )
    table = client.resources(QueryRequest(query=query, options=QueryRequestOptions(result_format="table"))).data
    assert [c["name"] for c in table["columns"]] == ["id", "principalId"]
    # The first principal's two grants (main, platform) and the auditor's on the main subscription.
    assert len(table["rows"]) == 3
    assert client.resources(QueryRequest(query="batchresources | count")).data == [{"Count": 0}]
