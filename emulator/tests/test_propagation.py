"""Azure's eventual consistency (issue 8): grants reach Key Vault and Batch late, in both directions; an
account whose key access returns recovers late; a new vault registers its DNS name before it is usable.

Sources: Key Vault RBAC guide, "Known limits and performance" (up to 600 s for a role assignment); Batch CMK
FAQ ("up to 10 minutes for the account to be accessible again"); a vault PUT answered RegisteringDns (az CLI
recording, 2022) and Terraform's azurerm provider polling a new vault's data plane.
"""

from __future__ import annotations

import time

import flows
import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.exceptions import ServiceRequestError

WINDOW = 1.5  # seconds: long enough to observe, short enough for a test


def _until(deadline_from: float, seconds: float) -> None:
    time.sleep(max(0.0, deadline_from + seconds - time.time()) + 0.1)


def _cmk_ready(clients, account="cmkprop", vault="kv-prop"):
    """An account with a system identity, a vault and a key; the identity not yet granted."""
    batch = clients.batch()
    created = batch.batch_account.begin_create(
        clients.rg, account, {"location": "westeurope", "identity": {"type": "SystemAssigned"}}
    ).result()
    flows.make_vault(clients, vault)
    key = flows.rsa_key(clients, vault)
    return batch, created.identity.principal_id, key


def _grant_by_put(clients, vault_name, principal):
    """As `az keyvault set-policy` does: GET the vault, PUT it back with one more entry."""
    vaults = clients.vaults().vaults
    vault = vaults.get(clients.rg, vault_name)
    entry = {"tenantId": clients.tenant, "objectId": principal, "permissions": {"keys": flows.CMK_PERMISSIONS}}
    policies = [p.as_dict() for p in vault.properties.access_policies] + [entry]
    body = {"location": vault.location, "properties": {**vault.properties.as_dict(), "accessPolicies": policies}}
    vaults.begin_create_or_update(clients.rg, vault_name, body).result()


GRANTS = {"policy-add": flows.grant, "vault-put": _grant_by_put}


@pytest.mark.emulator_settings(grant_propagation_seconds=WINDOW)
@pytest.mark.parametrize("how", sorted(GRANTS))
def test_an_access_policy_grant_reaches_batch_only_after_the_delay(how, clients, emulator):
    batch, principal, key = _cmk_ready(clients)
    GRANTS[how](clients, "kv-prop", principal)
    granted_at = time.time()
    # Resource Manager shows the grant at once, as Azure's does...
    policies = clients.vaults().vaults.get(clients.rg, "kv-prop").properties.access_policies
    assert principal in {p.object_id for p in policies}
    # ...but Batch does not see it yet.
    with pytest.raises(HttpResponseError) as caught:
        batch.batch_account.update(clients.rg, "cmkprop", flows.encryption(key.id))
    assert caught.value.status_code == 400 and caught.value.error.code == "KeyVaultAccessForbidden"
    _until(granted_at, WINDOW)
    updated = batch.batch_account.update(clients.rg, "cmkprop", flows.encryption(key.id))
    assert updated.encryption.key_source == "Microsoft.KeyVault"


@pytest.mark.emulator_settings(grant_propagation_seconds=WINDOW, account_recovery_seconds=WINDOW)
def test_a_revoke_lags_too_and_a_restored_account_recovers_late(clients, emulator):
    batch, principal, key = _cmk_ready(clients)
    flows.grant(clients, "kv-prop", principal)
    _until(time.time(), WINDOW)
    batch.batch_account.update(clients.rg, "cmkprop", flows.encryption(key.id))

    flows.grant(clients, "kv-prop", principal, kind="remove")
    revoked_at = time.time()
    assert batch.batch_account.get(clients.rg, "cmkprop").provisioning_state == "Succeeded"  # not yet seen
    _until(revoked_at, WINDOW)
    assert batch.batch_account.get(clients.rg, "cmkprop").provisioning_state == "Invalid"

    flows.grant(clients, "kv-prop", principal)
    restored_at = time.time()
    assert batch.batch_account.get(clients.rg, "cmkprop").provisioning_state == "Invalid"  # not propagated
    _until(restored_at, WINDOW)
    # Access is back; the account recovers for account_recovery_seconds from the read that finds it back.
    assert batch.batch_account.get(clients.rg, "cmkprop").provisioning_state == "Invalid"
    seen_back_at = time.time()
    with pytest.raises(HttpResponseError) as caught:
        batch.batch_account.update(clients.rg, "cmkprop", {"tags": {"a": "b"}})
    assert caught.value.status_code == 409 and "recovering" in caught.value.error.message
    _until(seen_back_at, WINDOW)
    assert batch.batch_account.get(clients.rg, "cmkprop").provisioning_state == "Succeeded"
    assert batch.batch_account.update(clients.rg, "cmkprop", {"tags": {"a": "b"}}).tags == {"a": "b"}


@pytest.mark.emulator_settings(grant_propagation_seconds=0, account_recovery_seconds=WINDOW)
def test_an_account_only_written_to_recovers_too(clients, emulator):
    """Recovery runs on Azure's clock, from the first request that finds access back - a refused write counts
    (its rollback keeps what it saw), so a client that only writes is not refused for ever."""
    batch, principal, key = _cmk_ready(clients)
    flows.grant(clients, "kv-prop", principal)
    batch.batch_account.update(clients.rg, "cmkprop", flows.encryption(key.id))
    flows.grant(clients, "kv-prop", principal, kind="remove")
    assert batch.batch_account.get(clients.rg, "cmkprop").provisioning_state == "Invalid"
    flows.grant(clients, "kv-prop", principal)
    seen_back_at = time.time()
    with pytest.raises(HttpResponseError) as caught:  # no read in between: only writes
        batch.batch_account.update(clients.rg, "cmkprop", {"tags": {"a": "b"}})
    assert "recovering" in caught.value.error.message
    _until(seen_back_at, WINDOW)
    assert batch.batch_account.update(clients.rg, "cmkprop", {"tags": {"a": "b"}}).tags == {"a": "b"}


@pytest.mark.emulator_settings(grant_propagation_seconds=WINDOW)
def test_a_role_assignment_reaches_the_key_vault_data_plane_only_after_the_delay(clients, emulator):
    vault = flows.make_vault(clients, "kv-prop-rbac", rbac=True)  # assigns Crypto Officer to the automation SP
    assigned_at = time.time()
    keys = clients.keys("kv-prop-rbac")
    with pytest.raises(HttpResponseError) as caught:
        keys.create_rsa_key("cmk", size=2048)
    assert caught.value.status_code == 403 and "observe propagation time" in caught.value.message
    _until(assigned_at, WINDOW)
    assert keys.create_rsa_key("cmk", size=2048).name == "cmk"
    # A deleted assignment keeps working for the same window.
    auth = clients.authorization()
    assignment = next(a for a in auth.role_assignments.list_for_scope(vault.id) if a.scope == vault.id)
    auth.role_assignments.delete(vault.id, assignment.name)
    deleted_at = time.time()
    assert keys.get_key("cmk").name == "cmk"
    _until(deleted_at, WINDOW)
    with pytest.raises(HttpResponseError) as caught:
        keys.get_key("cmk")
    assert caught.value.status_code == 403


def test_with_no_delay_grants_apply_at_once(clients, emulator):
    """The dataclass default: instant, the emulator's behaviour before issue 8."""
    assert emulator.settings.grant_propagation_seconds == 0
    account, _key = flows.system_assigned_flow(clients)
    assert account.encryption.key_source == "Microsoft.KeyVault"
    assert "grantChanges" not in emulator.store.data


@pytest.mark.emulator_settings(vault_registering_seconds=0.5, vault_dns_seconds=WINDOW)
def test_a_new_vault_registers_dns_before_its_data_plane_resolves(clients, emulator):
    body = {
        "location": "westeurope",
        "properties": {
            "tenantId": clients.tenant,
            "sku": {"family": "A", "name": "standard"},
            "enableRbacAuthorization": False,
            "enablePurgeProtection": True,
            "accessPolicies": [
                {"tenantId": clients.tenant, "objectId": flows.AUTOMATION_OID, "permissions": {"keys": ["all"]}}
            ],
        },
    }
    poller = clients.vaults().vaults.begin_create_or_update(clients.rg, "kv-dns", body, polling_interval=0.1)
    created_at = time.time()
    put = next(e for e in emulator.journal.entries() if e.method == "PUT" and "kv-dns" in e.path)
    # Azure's answer to a new vault (az CLI recording, 2022): 200, RegisteringDns, no trailing slash, and the
    # booleans the request did not set left out.
    assert put.status == 200
    props = put.response["properties"]
    assert props["provisioningState"] == "RegisteringDns"
    assert not props["vaultUri"].endswith("/")
    assert "enabledForDiskEncryption" not in props and "enabledForTemplateDeployment" not in props
    assert props["enablePurgeProtection"] is True and props["enableRbacAuthorization"] is False
    vault = poller.result()  # the SDK polls the vault until Succeeded
    assert vault.properties.provisioning_state == "Succeeded"
    assert time.time() < created_at + WINDOW, "the test ran too slowly to see the DNS window"
    # Resource Manager says Succeeded, yet the name does not resolve: the proxy refuses the tunnel (502).
    host = "kv-dns.vault.azure.net"
    assert emulator.connect_refusal(host, "443") == (502, f"{host} does not resolve")
    keys = clients.keys("kv-dns")
    with pytest.raises(ServiceRequestError):
        keys.create_rsa_key("cmk", size=2048, retry_total=0)
    _until(created_at, WINDOW)
    assert emulator.connect_refusal(host, "443") is None
    assert keys.create_rsa_key("cmk", size=2048).name == "cmk"


def test_with_no_delay_a_new_vault_is_ready_at_once(clients, emulator):
    flows.make_vault(clients, "kv-instant")
    put = next(e for e in emulator.journal.entries() if e.method == "PUT" and "kv-instant" in e.path)
    assert put.status == 201 and put.response["properties"]["provisioningState"] == "Succeeded"
    assert flows.rsa_key(clients, "kv-instant").name == "cmk"
