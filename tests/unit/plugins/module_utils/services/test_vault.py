"""_services/vault.py: the vault as modules return it, the properties sent, and its reads, on a fake."""

from __future__ import annotations

import pytest
from fakes import Model
from fakes import Namespace
from fakes import Operations
from fakes import context
from fakes import groups as fake_groups
from fakes import not_found

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import vault as api

ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"


def vault_body(name="kv", group="rg", **props):
    rid = f"/subscriptions/s/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{name}"
    return {"id": rid, "name": name, "location": "westeurope", "tags": {"t": "1"}, "properties": props}


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({}, {"enable_soft_delete": True, "enable_purge_protection": False, "enable_rbac_authorization": False}),
        ({"enableSoftDelete": False}, {"enable_soft_delete": False}),
        (
            {"enablePurgeProtection": True, "enableRbacAuthorization": True},
            {"enable_purge_protection": True, "enable_rbac_authorization": True},
        ),
        ({"sku": {"family": "A", "name": "Premium"}}, {"sku": "premium"}),
        ({}, {"sku": None, "soft_delete_retention_days": 90, "public_network_access": "Enabled"}),
        (
            {"softDeleteRetentionInDays": 7, "publicNetworkAccess": "Disabled"},
            {"soft_delete_retention_days": 7, "public_network_access": "Disabled"},
        ),
        (
            {"tenantId": "t", "vaultUri": "https://kv.vault.azure.net/"},
            {"tenant_id": "t", "vault_uri": "https://kv.vault.azure.net/"},
        ),
    ],
)
def test_normalize(props, expected):
    vault = api.normalize(vault_body(**props))
    assert {k: vault[k] for k in expected} == expected
    assert (vault["name"], vault["resource_group"], vault["tags"]) == ("kv", "rg", {"t": "1"})


def test_access_policies_by_category():
    entry = {"tenantId": "t", "objectId": "o", "permissions": {"keys": ["get"], "secrets": ["list"]}}
    (policy,) = api.normalize(vault_body(accessPolicies=[entry]))["access_policies"]
    assert policy == {
        "tenant_id": "t",
        "object_id": "o",
        "application_id": None,
        "key_permissions": ["get"],
        "secret_permissions": ["list"],
        "certificate_permissions": [],
    }


@pytest.mark.parametrize(
    ("fields", "full", "expected"),
    [
        ({"enable_purge_protection": False}, False, {}),  # purge protection is only ever sent to turn it on
        ({"enable_purge_protection": True}, False, {"enablePurgeProtection": True}),
        ({"sku": "premium", "tags": {"x": "y"}}, False, {"sku": {"family": "A", "name": "premium"}}),
        ({"tenant_id": "t"}, True, {"tenantId": "t", "enableSoftDelete": True, "accessPolicies": []}),
        ({"enable_rbac_authorization": False}, False, {"enableRbacAuthorization": False}),
    ],
)
def test_properties(fields, full, expected):
    assert api.properties(fields, full=full) == expected


def _ctx(vaults, groups=("rg",), check_mode=False):
    by_name = {(v["id"].split("/")[4].lower(), v["name"]): v for v in vaults}
    operations = Operations(
        get=lambda group, name: (
            Model(by_name[(group.lower(), name)]) if (group.lower(), name) in by_name else not_found()
        ),
        list_by_subscription=lambda: iter([Model(v) for v in vaults]),
    )
    ctx = context(check_mode, keyvault=Namespace(vaults=operations))
    ctx.clients.resource_group = fake_groups(*groups)
    return ctx, operations


def test_find_vault_looks_in_the_group_given_near_then_everywhere():
    ctx, operations = _ctx([vault_body(group="rg-kv")], groups=("rg", "rg-kv"))
    assert api.find_vault(ctx, "kv", "rg") is None  # the group given: nowhere else
    assert api.find_vault(ctx, "kv", near="rg")["resource_group"] == "rg-kv"
    assert api.find_vault(ctx, "KV")["resource_group"] == "rg-kv"
    assert [c[0] for c in operations.calls].count("list_by_subscription") == 1  # listed once


def test_a_vault_in_another_group_is_a_plain_mistake_in_check_mode_too():
    ctx, _operations = _ctx([vault_body(group="rg-kv")], groups=("rg", "rg-kv"), check_mode=True)
    with pytest.raises(CmkValidationError, match="vault 'kv' is in resource group 'rg-kv', not 'rg'"):
        api.vault_or_prediction(ctx, "kv", "rg")


def test_a_vault_an_earlier_task_creates_is_predicted_in_check_mode_only():
    ctx, _operations = _ctx([], check_mode=True)
    predicted = api.vault_or_prediction(ctx, "kv", "rg", rbac=False, assumed="; as an access policy")
    assert predicted["unknown"] and predicted["enable_rbac_authorization"] is False
    assert predicted["vault_uri"] == "https://kv.vault.azure.net/"
    assert ctx.warnings == [
        "vault 'kv' does not exist in resource group 'rg'; as an access policy (check mode: assuming an earlier task creates it)"
    ]
    real, _operations = _ctx([])
    with pytest.raises(CmkValidationError, match="vault_name: vault 'kv' does not exist"):
        api.vault_or_prediction(real, "kv", "rg")
