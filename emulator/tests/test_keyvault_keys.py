"""Key Vault data plane: challenge authentication, key lifecycle, soft delete, rotation, limits."""

from __future__ import annotations

import flows
import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.core.exceptions import ResourceExistsError
from azure.core.exceptions import ResourceNotFoundError
from azure.keyvault.keys import KeyRotationLifetimeAction
from azure.keyvault.keys import KeyRotationPolicyAction


@pytest.fixture
def keys(clients, emulator):
    flows.make_vault(clients, "kv-keys")
    return clients.keys("kv-keys")


def test_unknown_vault_name_does_not_resolve(azure_env, emulator):
    """The proxy answers 502 for a vault that does not exist, as a corporate proxy does for a failed lookup."""
    with pytest.raises(requests.exceptions.ProxyError):
        requests.get("https://nosuchvault.vault.azure.net/keys?api-version=2025-07-01", timeout=5)
    (entry,) = emulator.journal.entries()
    assert entry.refused and entry.status == 502


def test_challenge_names_tenant_and_resource(clients, keys, azure_env):
    session = requests.Session()
    response = session.get("https://kv-keys.vault.azure.net/keys?api-version=2025-07-01", timeout=5)
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert f'authorization="https://login.windows.net/{clients.tenant}"' in challenge
    assert 'resource="https://vault.azure.net"' in challenge
    assert response.json()["error"]["code"] == "Unauthorized"


def test_create_get_versions_and_update(keys):
    first = keys.create_rsa_key("cmk", size=3072, key_operations=["wrapKey", "unwrapKey"], tags={"a": "1"})
    second = keys.create_rsa_key("cmk", size=3072, key_operations=["wrapKey", "unwrapKey"])

    assert first.properties.version != second.properties.version
    assert keys.get_key("cmk").properties.version == second.properties.version
    assert keys.get_key("cmk", first.properties.version).properties.tags == {"a": "1"}
    versions = [p.version for p in keys.list_properties_of_key_versions("cmk")]
    assert versions == [first.properties.version, second.properties.version]
    updated = keys.update_key_properties("cmk", enabled=False, key_operations=["wrapKey", "unwrapKey", "encrypt"])
    assert updated.properties.enabled is False
    assert updated.key_operations == ["wrapKey", "unwrapKey", "encrypt"]
    assert updated.properties.recovery_level == "Recoverable"  # purge protection, 90 days


def test_default_key_operations_for_rsa(keys):
    key = keys.create_rsa_key("plain")
    assert set(key.key_operations) == {"encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"}


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"size": 1024}, "1024 is not supported"),
        ({"size": 2048, "hardware_protected": True}, "requires a premium vault"),
    ],
)
def test_unsupported_keys_are_refused(keys, kwargs, needle):
    with pytest.raises(HttpResponseError) as caught:
        keys.create_rsa_key("bad", **kwargs)
    assert caught.value.status_code == 400
    assert needle in caught.value.message


def test_delete_recover_and_name_reuse(keys):
    keys.create_rsa_key("cmk")
    deleted = keys.begin_delete_key("cmk").result()
    assert deleted.recovery_id.endswith("/deletedkeys/cmk")
    assert keys.get_deleted_key("cmk").name == "cmk"
    with pytest.raises(ResourceNotFoundError):
        keys.get_key("cmk")
    with pytest.raises(ResourceExistsError) as caught:
        keys.create_rsa_key("cmk")
    assert "deleted but recoverable" in caught.value.message
    recovered = keys.begin_recover_deleted_key("cmk").result()
    assert recovered.name == "cmk" and keys.get_key("cmk").properties.enabled


def test_purge_is_refused_under_purge_protection(keys):
    keys.create_rsa_key("cmk")
    keys.begin_delete_key("cmk").result()
    with pytest.raises(HttpResponseError) as caught:
        keys.purge_deleted_key("cmk")
    assert caught.value.status_code == 403
    assert "purge protection" in caught.value.message


def test_purge_works_without_purge_protection(clients, emulator):
    flows.make_vault(clients, "kv-purgeable", purge_protection=False)
    keys = clients.keys("kv-purgeable")
    keys.create_rsa_key("cmk")
    assert keys.get_key("cmk").properties.recovery_level == "Recoverable+Purgeable"
    keys.begin_delete_key("cmk").result()
    keys.purge_deleted_key("cmk")
    assert [k.name for k in keys.list_deleted_keys()] == []


def test_rotate_creates_a_version_and_policy_sets_expiry(keys):
    keys.create_rsa_key("cmk", size=2048, key_operations=["wrapKey", "unwrapKey"])
    default = keys.get_key_rotation_policy("cmk")
    assert [a.action for a in default.lifetime_actions] == ["Notify"]
    policy = keys.update_key_rotation_policy(
        "cmk",
        keys.get_key_rotation_policy("cmk"),
        lifetime_actions=[KeyRotationLifetimeAction(KeyRotationPolicyAction.rotate, time_after_create="P90D")],
        expires_in="P1Y",
    )
    assert policy.expires_in == "P1Y"
    rotated = keys.rotate_key("cmk")
    assert rotated.key_operations == ["wrapKey", "unwrapKey"]
    assert rotated.properties.expires_on is not None
    assert len(list(keys.list_properties_of_key_versions("cmk"))) == 2


@pytest.mark.parametrize(
    ("actions", "expires_in", "needle"),
    [
        ([KeyRotationLifetimeAction(KeyRotationPolicyAction.rotate, time_after_create="P3D")], None, "at least 7 days"),
        ([], "P10D", "at least 28 days"),
        (
            [KeyRotationLifetimeAction(KeyRotationPolicyAction.notify, time_before_expiry="P30D")],
            None,
            "needs the policy's expiryTime",
        ),
    ],
)
def test_rotation_policy_limits(keys, actions, expires_in, needle):
    keys.create_rsa_key("cmk")
    with pytest.raises(HttpResponseError) as caught:
        keys.update_key_rotation_policy(
            "cmk", keys.get_key_rotation_policy("cmk"), lifetime_actions=actions, expires_in=expires_in
        )
    assert needle in caught.value.message


def test_access_policy_vault_enforces_permissions(clients, keys, emulator):
    keys.create_rsa_key("cmk")
    flows.grant(clients, "kv-keys", flows.AUTOMATION_OID, ["all"], kind="remove")
    flows.grant(clients, "kv-keys", flows.AUTOMATION_OID, ["list"])
    with pytest.raises(HttpResponseError) as caught:
        keys.get_key("cmk")
    assert caught.value.status_code == 403
    assert "does not have keys get permission" in caught.value.message
    assert [k.name for k in keys.list_properties_of_keys()] == ["cmk"]


def test_rbac_vault_enforces_data_actions(clients, emulator):
    flows.make_vault(clients, "kv-rbac-only", rbac=True)
    keys = clients.keys("kv-rbac-only")
    keys.create_rsa_key("cmk")  # the automation principal holds Key Vault Crypto Officer
    vault = clients.vaults().vaults.get(clients.rg, "kv-rbac-only")
    for assignment in clients.authorization().role_assignments.list_for_scope(vault.id, filter="atScope()"):
        if assignment.principal_id == flows.AUTOMATION_OID and assignment.scope == vault.id:
            clients.authorization().role_assignments.delete(vault.id, assignment.name)
    with pytest.raises(HttpResponseError) as caught:
        keys.get_key("cmk")
    assert caught.value.status_code == 403
    assert "Caller is not authorized" in caught.value.message
