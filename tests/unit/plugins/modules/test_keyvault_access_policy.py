"""keyvault_access_policy: one principal's entry, atomic, on access-policy and RBAC vaults."""

from __future__ import annotations

from conftest import four_steps
from seeded import AUTOMATION

from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import user_identity

OTHER = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def _vault(run_module, rbac=False, name="kv-access"):
    args = {
        "name": name,
        "resource_group": "rg-cmk",
        "enable_purge_protection": True,
        "enable_rbac_authorization": rbac,
    }
    return run_module(keyvault.main, args)["vault"]


def _entries(emulator, vault_id):
    body = emulator.store.resource(vault_id)
    return {p["objectId"]: p["permissions"] for p in body["properties"]["accessPolicies"]}


def test_four_steps_on_an_access_policy_vault(run_module, emulator):
    vault = _vault(run_module)
    args = {"vault_name": "kv-access", "resource_group": "rg-cmk", "object_id": OTHER}
    results = four_steps(run_module, emulator, keyvault_access_policy.main, args)
    assert results[0]["diff"]["after"] == {"key_permissions": ["get", "unwrapKey", "wrapKey"]}
    assert _entries(emulator, vault["id"])[OTHER] == {"keys": ["get", "unwrapKey", "wrapKey"]}


def test_two_principals_keep_both_and_removing_one_keeps_the_other(run_module, emulator):
    vault = _vault(run_module)
    base = {"vault_name": "kv-access", "resource_group": "rg-cmk"}
    run_module(keyvault_access_policy.main, dict(base, object_id=OTHER))
    run_module(keyvault_access_policy.main, dict(base, object_id=AUTOMATION, key_permissions=["get", "list", "create"]))
    assert set(_entries(emulator, vault["id"])) == {OTHER, AUTOMATION}
    removed = run_module(keyvault_access_policy.main, dict(base, object_id=OTHER, state="absent"))
    assert removed["changed"]
    assert set(_entries(emulator, vault["id"])) == {AUTOMATION}
    assert _entries(emulator, vault["id"])[AUTOMATION] == {"keys": ["create", "get", "list"]}


def test_permissions_compare_as_a_case_insensitive_set(run_module, emulator):
    _vault(run_module)
    base = {"vault_name": "kv-access", "resource_group": "rg-cmk", "object_id": OTHER}
    run_module(keyvault_access_policy.main, dict(base, key_permissions=["WrapKey", "get", "unwrapkey"]))
    again = run_module(
        keyvault_access_policy.main, dict(base, key_permissions=["unwrapKey", "GET", "wrapKey", "wrapKey"])
    )
    assert not again["changed"]


def test_replace_keeps_secret_permissions(run_module, emulator, azure_env):
    vault = _vault(run_module)
    body = emulator.store.resource(vault["id"])
    body["properties"]["accessPolicies"].append(
        {"tenantId": vault["tenant_id"], "objectId": OTHER, "permissions": {"keys": ["Get"], "secrets": ["Get"]}}
    )
    result = run_module(
        keyvault_access_policy.main, {"vault_name": "kv-access", "resource_group": "rg-cmk", "object_id": OTHER}
    )
    assert result["changed"]
    assert _entries(emulator, vault["id"])[OTHER] == {"keys": ["get", "unwrapKey", "wrapKey"], "secrets": ["Get"]}
    removed = run_module(
        keyvault_access_policy.main,
        {"vault_name": "kv-access", "resource_group": "rg-cmk", "object_id": OTHER, "state": "absent"},
    )
    assert removed["changed"]
    assert _entries(emulator, vault["id"])[OTHER] == {"keys": [], "secrets": ["Get"]}


def test_absent_removes_differently_cased_permissions(run_module, emulator):
    """Azure's remove matches case-sensitively; the module sends the stored spelling."""
    vault = _vault(run_module)
    emulator.store.resource(vault["id"])["properties"]["accessPolicies"].append(
        {"tenantId": vault["tenant_id"], "objectId": OTHER, "permissions": {"keys": ["Get", "WrapKey", "UnwrapKey"]}}
    )
    result = run_module(
        keyvault_access_policy.main,
        {"vault_name": "kv-access", "resource_group": "rg-cmk", "object_id": OTHER, "state": "absent"},
    )
    assert result["changed"]
    assert OTHER not in _entries(emulator, vault["id"])


def test_identity_by_name(run_module, emulator):
    _vault(run_module)
    identity = run_module(user_identity.main, {"name": "id-batch-cmk", "resource_group": "rg-cmk"})["identity"]
    result = run_module(
        keyvault_access_policy.main, {"vault_name": "kv-access", "resource_group": "rg-cmk", "identity": "id-batch-cmk"}
    )
    assert result["access"]["principal_id"] == identity["principal_id"]


def test_identity_not_created_yet_in_check_mode(run_module, emulator):
    _vault(run_module)
    args = {"vault_name": "kv-access", "resource_group": "rg-cmk", "identity": "id-later"}
    check = run_module(keyvault_access_policy.main, args, check=True, diff=True)
    assert check["changed"] and check["access"]["principal_id"] is None
    assert any("does not exist" in w for w in check["warnings"])
    real = run_module(keyvault_access_policy.main, args)
    assert (
        real["failed"]
        and real["msg"] == "identity: user-assigned identity 'id-later' does not exist in resource group 'rg-cmk'"
    )


def test_rbac_vault_gets_a_role_assignment(run_module, emulator, control):
    vault = _vault(run_module, rbac=True, name="kv-rbac")
    args = {"vault_name": "kv-rbac", "resource_group": "rg-cmk", "object_id": OTHER}
    results = four_steps(run_module, emulator, keyvault_access_policy.main, args)
    access = results[1]["access"]
    assert access["authorization"] == "rbac"
    assert access["role"] == "Key Vault Crypto Service Encryption User"
    assert access["scope"] == vault["id"]
    control("POST", "seed", json={"keys": [{"vault": "kv-rbac", "name": "cmk", "key_size": 2048}]})
    key_scoped = run_module(keyvault_access_policy.main, dict(args, key_name="cmk", role="Key Vault Crypto User"))
    assert key_scoped["changed"]
    assert key_scoped["access"]["scope"] == vault["id"] + "/keys/cmk"
    assert key_scoped["access"]["role"] == "Key Vault Crypto User"


def test_rbac_absent_removes_the_assignment(run_module, emulator):
    _vault(run_module, rbac=True, name="kv-rbac")
    args = {"vault_name": "kv-rbac", "resource_group": "rg-cmk", "object_id": OTHER}
    run_module(keyvault_access_policy.main, args)
    assert run_module(keyvault_access_policy.main, dict(args, state="absent"))["changed"]
    assert not run_module(keyvault_access_policy.main, dict(args, state="absent"))["changed"]


def test_caller_grants_the_principal_running_the_module(run_module, emulator):
    vault = _vault(run_module)
    result = run_module(
        keyvault_access_policy.main,
        {"vault_name": "kv-access", "resource_group": "rg-cmk", "caller": True, "key_permissions": ["get", "create"]},
    )
    assert result["access"]["principal_id"] == AUTOMATION
    assert _entries(emulator, vault["id"])[AUTOMATION] == {"keys": ["create", "get"]}


def test_vault_created_earlier_in_the_same_check_run(run_module, emulator):
    check = run_module(
        keyvault_access_policy.main,
        {"vault_name": "kv-later", "resource_group": "rg-cmk", "caller": True},
        check=True,
        diff=True,
    )
    assert check["changed"] and any("vault 'kv-later' does not exist" in w for w in check["warnings"])
    real = run_module(
        keyvault_access_policy.main, {"vault_name": "kv-later", "resource_group": "rg-cmk", "caller": True}
    )
    assert real["failed"] and real["msg"] == "vault_name: vault 'kv-later' does not exist in resource group 'rg-cmk'"
