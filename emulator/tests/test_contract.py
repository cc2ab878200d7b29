"""Done-means 3: response bodies meet the official specifications.

Every test's responses are checked by the ``emulator`` fixture; here the checker itself is shown to
accept Azure's own examples and to catch what breaks a schema, and a broad scenario is checked with a
count of what was validated (so "no violations" cannot mean "nothing checked").
"""

from __future__ import annotations

import json

import flows
import pytest
from azure.core.exceptions import HttpResponseError

from azure_emulator.contract import SPEC_ROOT
from azure_emulator.testing import UNSPECIFIED
from azure_emulator.testing import contract_violations
from azure_emulator.testing import specs


def _examples():
    index, _ = specs()
    by_id = {}
    for op in index.operations:
        for ref in (op.spec.get("x-ms-examples") or {}).values():
            path = (op.file.parent / ref["$ref"]).resolve()
            if path.exists():
                by_id[path] = op
    return sorted(by_id.items())


@pytest.mark.parametrize(("example", "op"), _examples(), ids=lambda v: getattr(v, "name", ""))
def test_spec_examples_pass_the_checker(example, op):
    index, validator = specs()
    data = json.loads(example.read_text())
    checked = 0
    for status, response in data["responses"].items():
        if "body" not in response:
            continue
        schema, file = index.response_schema(op, 500 if status == "default" else int(status))
        errors = validator.validate(response["body"], schema, file)
        assert not errors, f"{example.name} {status}: {errors}"
        checked += 1
    assert checked or not any("body" in r for r in data["responses"].values())


def test_examples_were_found():
    assert len(_examples()) >= 20


def test_checker_catches_undeclared_wrong_and_missing_members():
    index, validator = specs()
    op = next(o for o in index.operations if o.operation_id == "BatchAccount_Get")
    schema, file = index.response_schema(op, 200)
    body = {
        "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a",
        "location": "westeurope",
        "identity": {},  # "type" is required
        "properties": {
            "provisioningState": "Sleeping",
            "encryption": {"keySource": "Microsoft.Batch", "keyVaultproperties": {}},
        },
    }
    errors = validator.validate(body, schema, file)
    assert any("'type' is missing" in e for e in errors)
    assert any("'Sleeping' is not one of" in e for e in errors)
    assert any("'keyVaultproperties' is not declared" in e for e in errors)


def test_a_broad_scenario_meets_the_specs(clients, emulator):
    flows.system_assigned_flow(clients)
    flows.user_assigned_flow(clients)
    batch, vaults = clients.batch(), clients.vaults()
    list(batch.batch_account.list_by_resource_group(clients.rg))
    list(batch.batch_account.list())
    list(vaults.vaults.list_by_resource_group(clients.rg))
    list(clients.msi().user_assigned_identities.list_by_resource_group(clients.rg))
    keys = clients.keys("kv-sys-cmk")
    list(keys.list_properties_of_key_versions("cmk"))
    keys.update_key_properties("cmk", enabled=True, tags={"team": "ops"})
    keys.get_key_rotation_policy("cmk")
    with pytest.raises(HttpResponseError):
        batch.batch_account.get(clients.rg, "missing")
    with pytest.raises(HttpResponseError):
        vaults.vaults.get(clients.rg, "missing-vault")
    batch.batch_account.begin_delete(clients.rg, "cmkuser").result()

    index, _ = specs()
    versions = {op.api_version for op in index.operations}
    checked = [
        e
        for e in emulator.journal.entries()
        if e.response is not None and e.api_version in versions and not UNSPECIFIED.search(e.path)
    ]
    assert len(checked) >= 15
    assert {e.status for e in checked} >= {200, 201, 404}
    assert contract_violations(emulator) == []


def test_specs_are_vendored_beside_the_tests():
    assert (SPEC_ROOT / "batch").is_dir() and (SPEC_ROOT / "keyvault").is_dir()


def test_pool_responses_meet_the_spec(clients, emulator):
    """Every pool operation's answer is checked against the 2025-06-01 spec (Pool_Create/Get/Update/List/Delete)."""
    import pool_bodies

    pool_bodies.account(clients)
    identity, key = pool_bodies.pool_key(clients)
    batch = clients.batch()
    batch.pool.create(clients.rg, "poolacct", "win", pool_bodies.windows(key_url=key.id, identity_id=identity.id))
    batch.pool.create(clients.rg, "poolacct", "linux", pool_bodies.linux(["TemporaryDisk"]))
    batch.pool.update(
        clients.rg,
        "poolacct",
        "linux",
        {"properties": {"scaleSettings": {"autoScale": {"formula": "$TargetDedicatedNodes=2"}}}},
    )
    list(batch.pool.list_by_batch_account(clients.rg, "poolacct"))
    with pytest.raises(HttpResponseError):
        batch.pool.create(clients.rg, "poolacct", "bad", pool_bodies.linux(["OsDisk"]))
    batch.pool.begin_delete(clients.rg, "poolacct", "win").result()

    index, _ = specs()
    checked = {
        index.find(e.method, e.host, e.path, e.api_version).operation_id
        for e in emulator.journal.entries()
        if "/pools" in e.path and e.response is not None and not UNSPECIFIED.search(e.path)
    }
    assert checked >= {"Pool_Create", "Pool_Update", "Pool_ListByBatchAccount"}
    assert contract_violations(emulator) == []
