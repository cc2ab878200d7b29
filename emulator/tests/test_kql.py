"""The KQL subset (resource_graph/kql): a table of queries and what they give, and of what is refused."""

from __future__ import annotations

import json

import pytest

from azure_emulator.contract import SPEC_ROOT
from azure_emulator.resource_graph.kql import KqlError
from azure_emulator.resource_graph.kql import parse
from azure_emulator.resource_graph.kql import run

SCHEMA = {"id": "string", "name": "string", "type": "string", "location": "string", "properties": "dynamic"}
ROWS = [
    {"id": "/s/1/a", "name": "alpha", "type": "microsoft.batch/batchaccounts", "location": "westeurope",
     "properties": {"encryption": {"keySource": "Microsoft.KeyVault"}, "tags": ["x", "y"]}},
    {"id": "/s/1/b", "name": "beta-test", "type": "microsoft.batch/batchaccounts", "location": "eastus",
     "properties": {"encryption": {"keySource": "Microsoft.Batch"}}},
    {"id": "/s/2/c", "name": "gamma", "type": "microsoft.keyvault/vaults", "location": "westeurope",
     "properties": {"odata.type": "v", "accessPolicies": [{"objectId": "o1"}, {"objectId": "o2"}]}},
]  # fmt: skip


def tables(name):
    return (dict(SCHEMA), [dict(r) for r in ROWS]) if name in ("resources", "authorizationresources") else None


def rows(query):
    return run(parse(query), tables).rows


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "resources | where type =~ 'Microsoft.Batch/batchAccounts' | project name",
            [{"name": "alpha"}, {"name": "beta-test"}],
        ),
        ("where name == 'gamma' | project id", [{"id": "/s/2/c"}]),
        ("resources | where name != 'alpha' and location in~ ('WESTEUROPE') | project name", [{"name": "gamma"}]),
        ("resources | where name in ('Alpha') | count", [{"Count": 0}]),
        ("resources | where name has 'test' | project name", [{"name": "beta-test"}]),
        (
            "resources | where name contains 'ET' or name startswith 'gam' | project name",
            [{"name": "beta-test"}, {"name": "gamma"}],
        ),
        (
            "resources | where name endswith 'A' and not(name has 'beta') | project name",
            [{"name": "alpha"}, {"name": "gamma"}],
        ),
        ("resources | where isnotempty(properties.encryption) | count", [{"Count": 2}]),
        ("resources | where isempty(properties.encryption) | project name", [{"name": "gamma"}]),
        (
            "resources | project k=tostring(properties.encryption.keySource), n=tolower(name) | take 1",
            [{"k": "Microsoft.KeyVault", "n": "alpha"}],
        ),
        ("resources | where type has 'vaults' | project properties.['odata.type']", [{"properties_odata.type": "v"}]),
        (
            "resources | extend l = strlen(name) | order by l asc | project name, l | limit 2",
            [{"name": "alpha", "l": 5}, {"name": "gamma", "l": 5}],
        ),
        ("resources | sort by name | project name | take 1", [{"name": "gamma"}]),
        (
            "resources | summarize count() by location | order by location asc",
            [{"location": "eastus", "count_": 1}, {"location": "westeurope", "count_": 2}],
        ),
        ("resources | summarize n = dcount(location)", [{"n": 2}]),
        (
            "resources | mv-expand p = properties.accessPolicies | where isnotnull(p) | project o = tostring(p.objectId)",
            [{"o": "o1"}, {"o": "o2"}],
        ),
        (
            "resources | project id, name | join kind=leftouter (resources | where location == 'eastus' | project id, loc=location) on id | where isnotempty(loc) | project name",
            [{"name": "beta-test"}],
        ),
        ("resources | distinct location | order by location asc", [{"location": "eastus"}, {"location": "westeurope"}]),
        ("resources | project-away properties, id, type, location | top 1 by name asc", [{"name": "alpha"}]),
    ],
)
def test_queries(query, expected):
    assert rows(query) == expected


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("resources | where where", "ParserFailure"),
        ("resources | parse id with * '/' x", "InvalidQueryLanguage"),
        ("resources | union resources", "InvalidQueryLanguage"),
        ("resources | where cout(1) == 1", "UnknownFunction"),
        ("resources | project nosuch", "FailedToResolveScalarExpression"),
        ("nosuchtable | count", "UnknownTable"),
        ("resources | where name == 'unterminated", "ParserFailure"),
        ("resources | join kind=fullouter (resources) on id", "InvalidQueryLanguage"),
    ],
)
def test_refusals(query, code):
    with pytest.raises(KqlError) as refused:
        rows(query)
    assert refused.value.detail["code"] == code


def test_a_parser_failure_says_where():
    with pytest.raises(KqlError) as refused:
        parse("where where")  # Azure's answer (azure-powershell's recorded test): line 1, position 11, <EOF>
    assert {k: refused.value.detail[k] for k in ("line", "characterPositionInLine", "token")} == {
        "line": 1,
        "characterPositionInLine": 11,
        "token": "<EOF>",
    }


def test_the_spec_examples_queries_parse():
    examples = (SPEC_ROOT / "resourcegraph").rglob("examples/*.json")
    queries = [json.loads(p.read_text())["parameters"]["query"]["query"] for p in examples]
    assert len(queries) >= 7
    for query in queries:
        parse(query)


def test_limits_stop_paging():
    assert parse("resources | take 3").limits_rows() and not parse("resources | project id").limits_rows()
