"""Key Vault management plane: the one-way switches, RBAC default by api-version, atomic access policies."""

from __future__ import annotations

import flows
import pytest
from azure.core.exceptions import HttpResponseError

OTHER = "11111111-2222-3333-4444-555555555555"


def _policies(clients, name):
    return {
        p.object_id: p.permissions.keys_property
        for p in clients.vaults().vaults.get(clients.rg, name).properties.access_policies
    }


def test_purge_protection_cannot_be_turned_off(clients, emulator):
    flows.make_vault(clients, "kv-oneway")
    with pytest.raises(HttpResponseError) as caught:
        clients.vaults().vaults.update(clients.rg, "kv-oneway", {"properties": {"enablePurgeProtection": False}})
    assert caught.value.error.code == "BadRequest"
    assert "irreversible" in caught.value.error.message


def test_retention_days_are_set_once(clients, emulator):
    flows.make_vault(clients, "kv-retention", softDeleteRetentionInDays=30)
    with pytest.raises(HttpResponseError) as caught:
        clients.vaults().vaults.update(clients.rg, "kv-retention", {"properties": {"softDeleteRetentionInDays": 60}})
    assert "can't be modified" in caught.value.error.message


def test_new_vault_defaults_to_rbac_with_the_pinned_api_version(clients, emulator):
    body = {
        "location": "westeurope",
        "properties": {"tenantId": clients.tenant, "sku": {"family": "A", "name": "standard"}},
    }
    vault = clients.vaults().vaults.begin_create_or_update(clients.rg, "kv-default", body).result()
    assert vault.properties.enable_rbac_authorization is True
    assert vault.properties.enable_soft_delete is True
    assert vault.properties.soft_delete_retention_in_days == 90


def test_names_are_global_and_validated(clients, emulator):
    flows.make_vault(clients, "kv-global")
    with pytest.raises(HttpResponseError) as caught:
        flows.make_vault(clients, "kv--bad")
    assert caught.value.error.code == "VaultNameNotValid"


def test_deleted_vault_blocks_its_name_until_recovered(clients, emulator):
    flows.make_vault(clients, "kv-deleted")
    flows.rsa_key(clients, "kv-deleted")
    clients.vaults().vaults.delete(clients.rg, "kv-deleted")
    with pytest.raises(HttpResponseError) as caught:
        flows.make_vault(clients, "kv-deleted")
    assert caught.value.error.code == "ConflictError"
    deleted = clients.vaults().vaults.get_deleted("kv-deleted", "westeurope")
    assert deleted.properties.purge_protection_enabled is True
    body = {
        "location": "westeurope",
        "properties": {"tenantId": clients.tenant, "sku": {"family": "A", "name": "standard"}, "createMode": "recover"},
    }
    clients.vaults().vaults.begin_create_or_update(clients.rg, "kv-deleted", body).result()
    assert clients.keys("kv-deleted").get_key("cmk").name == "cmk"


def test_access_policy_add_keeps_other_principals(clients, emulator):
    flows.make_vault(clients, "kv-policies")
    flows.grant(clients, "kv-policies", OTHER, ["get"])
    flows.grant(clients, "kv-policies", OTHER, ["wrapKey", "Get"])  # add is a union, case-insensitive
    policies = _policies(clients, "kv-policies")
    assert policies[OTHER] == ["get", "wrapKey"]
    assert policies[flows.AUTOMATION_OID] == ["all"]


def test_access_policy_replace_and_remove(clients, emulator):
    flows.make_vault(clients, "kv-policies")
    flows.grant(clients, "kv-policies", OTHER, ["get", "wrapKey", "unwrapKey"])
    flows.grant(clients, "kv-policies", OTHER, ["get"], kind="replace")
    assert _policies(clients, "kv-policies")[OTHER] == ["get"]
    flows.grant(clients, "kv-policies", OTHER, ["get"], kind="remove")
    assert OTHER not in _policies(clients, "kv-policies")
    assert flows.AUTOMATION_OID in _policies(clients, "kv-policies")


def test_access_policy_remove_matches_case_exactly(clients, emulator):
    """As Azure does (azure-rest-api-specs#42963): a differently-cased name is silently kept."""
    flows.make_vault(clients, "kv-policies")
    flows.grant(clients, "kv-policies", OTHER, ["Get", "WrapKey"])
    flows.grant(clients, "kv-policies", OTHER, ["get", "wrapkey"], kind="remove")
    assert _policies(clients, "kv-policies")[OTHER] == ["Get", "WrapKey"]


def test_access_policy_tenant_must_match_the_vault(clients, emulator):
    flows.make_vault(clients, "kv-policies")
    body = {
        "properties": {"accessPolicies": [{"tenantId": OTHER, "objectId": OTHER, "permissions": {"keys": ["get"]}}]}
    }
    with pytest.raises(HttpResponseError) as caught:
        clients.vaults().vaults.update_access_policy(clients.rg, "kv-policies", "add", body)
    assert "does not match the tenant ID" in caught.value.error.message
