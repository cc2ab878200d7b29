"""Done-means 1: both CMK walkthroughs of DESIGN.md through the real SDKs, and a real wrap/unwrap."""

from __future__ import annotations

import os

import flows
from azure.core.rest import HttpRequest
from azure.keyvault.keys.crypto import CryptographyClient
from azure.keyvault.keys.crypto import KeyWrapAlgorithm


def test_system_assigned_flow_ends_on_customer_managed_key(clients, emulator):
    account, key = flows.system_assigned_flow(clients)

    assert account.identity.type == "SystemAssigned"
    assert account.encryption.key_source == "Microsoft.KeyVault"
    assert account.encryption.key_vault_properties.key_identifier == key.id
    again = clients.batch().batch_account.get(clients.rg, "cmksys")
    assert again.provisioning_state == "Succeeded"
    assert again.encryption.key_source == "Microsoft.KeyVault"


def test_user_assigned_flow_sets_cmk_at_creation(clients, emulator):
    account, key, identity = flows.user_assigned_flow(clients)

    assert account.identity.type == "UserAssigned"
    (assigned,) = account.identity.user_assigned_identities.values()
    assert assigned.principal_id == identity.principal_id
    assert account.encryption.key_source == "Microsoft.KeyVault"
    assert account.encryption.key_vault_properties.key_identifier == key.id
    assert key.key.n and len(key.key.n) * 8 == 4096


def test_versionless_key_identifier_is_accepted(clients, emulator):
    _account, key = flows.system_assigned_flow(clients)
    versionless = key.id.rsplit("/", 1)[0]

    updated = clients.batch().batch_account.update(clients.rg, "cmksys", flows.encryption(versionless))

    assert updated.encryption.key_vault_properties.key_identifier == versionless


def test_revert_to_microsoft_managed_key(clients, emulator):
    flows.system_assigned_flow(clients)

    updated = clients.batch().batch_account.update(clients.rg, "cmksys", flows.encryption(None))

    assert updated.encryption.key_source == "Microsoft.Batch"
    assert updated.encryption.key_vault_properties is None


def test_wrap_and_unwrap_round_trip_through_the_vault(clients, emulator):
    _account, key = flows.system_assigned_flow(clients)
    secret = os.urandom(32)
    keys = clients.keys("kv-sys-cmk")

    # Wrap in the vault (the SDK would wrap locally with the public key), unwrap in the vault too.
    request = HttpRequest(
        "POST",
        f"/keys/cmk/{key.properties.version}/wrapkey",
        params={"api-version": "2025-07-01"},
        json={"alg": "RSA-OAEP-256", "value": _b64url(secret)},
    )
    wrapped = keys.send_request(request)
    wrapped.raise_for_status()
    unwrapped = CryptographyClient(key, clients.credential).unwrap_key(
        KeyWrapAlgorithm.rsa_oaep_256, _unb64url(wrapped.json()["value"])
    )

    assert unwrapped.key == secret
    wraps = [e for e in emulator.journal.entries() if e.path.endswith(("/wrapkey", "/unwrapkey")) and e.status == 200]
    assert [e.path.rsplit("/", 1)[1] for e in wraps] == ["wrapkey", "unwrapkey"]


def test_sdk_wrap_with_public_key_unwraps_in_the_vault(clients, emulator):
    _account, key = flows.system_assigned_flow(clients)
    crypto = CryptographyClient(key, clients.credential)

    wrapped = crypto.wrap_key(KeyWrapAlgorithm.rsa_oaep, b"k" * 32)
    assert crypto.unwrap_key(KeyWrapAlgorithm.rsa_oaep, wrapped.encrypted_key).key == b"k" * 32


def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
