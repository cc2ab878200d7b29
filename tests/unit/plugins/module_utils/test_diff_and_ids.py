"""Diff helpers and Resource Manager ids."""

from __future__ import annotations

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._diff import canonical_set
from ansible_collections.azure_cmk.batch.plugins.module_utils._diff import compare


@pytest.mark.parametrize(
    ("current", "desired", "expected"),
    [
        ({"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 2}}, (False, {}, {})),
        ({"a": 1, "b": {"c": 2, "d": 3}}, {"a": 1, "b": {"c": 5, "d": 3}}, (True, {"b": {"c": 2}}, {"b": {"c": 5}})),
        (None, {"a": 1}, (True, {}, {"a": 1})),
        ({"a": 1}, None, (True, {"a": 1}, {})),
        ({"tags": {"x": "1"}}, {"tags": {}}, (True, {"tags": {"x": "1"}}, {"tags": {}})),
    ],
)
def test_compare(current, desired, expected):
    assert compare(current, desired) == expected


def test_compare_ignores_server_fields():
    changed, before, after = compare(
        {"a": 1, "meta": {"etag": "x"}}, {"a": 1, "meta": {"etag": "y"}}, ignore=("meta.etag",)
    )
    assert not changed and before == after == {}


def test_canonical_set():
    assert canonical_set(["WrapKey", "get", "wrapkey", "UnwrapKey"]) == ["get", "unwrapkey", "wrapkey"]


def test_parse_and_compare_ids():
    rid = "/subscriptions/S/resourcegroups/RG/providers/Microsoft.KeyVault/vaults/kv/keys/cmk"
    parsed = _resource_id.parse(rid)
    assert (parsed["subscription"], parsed["resource_group"], parsed["namespace"], parsed["type"], parsed["name"]) == (
        "S", "RG", "Microsoft.KeyVault", "vaults", "kv"
    )  # fmt: skip
    assert parsed["children"] == [("keys", "cmk")]
    assert _resource_id.same(
        _resource_id.build("S", "rg", "Microsoft.KeyVault", "vaults", "KV") + "/",
        "/subscriptions/s/resourceGroups/RG/providers/microsoft.keyvault/vaults/kv",
    )
    with pytest.raises(ValueError, match="is not an Azure resource id"):
        _resource_id.parse("kv-one")
