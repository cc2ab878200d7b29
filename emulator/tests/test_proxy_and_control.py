"""The proxy never dials out; the control API seeds, inspects and clears; ARM checks api-versions and RBAC."""

from __future__ import annotations

import socket
import uuid

import flows
import pytest
import requests
from azure.core.exceptions import HttpResponseError


def test_connect_to_an_unknown_host_is_refused_and_logged(azure_env, emulator):
    with pytest.raises(requests.exceptions.ProxyError):
        requests.get("https://example.com/", timeout=5)
    (entry,) = emulator.journal.entries()
    assert entry.refused and entry.status == 403 and entry.host == "example.com:443"


def test_connect_to_another_port_is_refused(azure_env, emulator):
    with pytest.raises(requests.exceptions.ProxyError):
        requests.get("https://management.azure.com:8443/", timeout=5)


def test_plain_http_through_the_proxy_is_refused(azure_env, emulator):
    response = requests.get("http://example.com/", timeout=5)
    assert response.status_code == 403
    assert emulator.journal.entries()[-1].refused


def test_listens_on_loopback_only(emulator):
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=2):
        pass
    assert emulator._server.server_address[0] == "127.0.0.1"


def test_control_health_state_and_journal(clients, control, emulator):
    assert control("GET", "health")["status"] == "ok"
    flows.make_vault(clients, "kv-control")
    state = control("GET", "state")
    assert any(r["name"] == "kv-control" for r in state["resources"].values())
    assert all(
        "secret" not in key.lower() or not value
        for p in state["principals"].values()
        for key, value in p.items()
        if key != "secretHashes"
    )
    writes = control("GET", "requests", params={"write": "true"})["value"]
    assert [(w["method"], w["api_version"], w["principal"]) for w in writes] == [
        ("PUT", "2026-05-15", flows.AUTOMATION_OID)
    ]
    control("DELETE", "requests")
    assert control("GET", "requests")["value"] == []


def test_control_seed_adds_principals_and_groups(clients, control, emulator):
    control(
        "POST",
        "seed",
        json={
            "principals": [
                {
                    "client_id": "c0ffee00-0000-4000-8000-000000000001",
                    "object_id": "c0ffee00-0000-4000-8000-000000000002",
                    "tenant_id": clients.tenant,
                    "secret": "s3cret",
                }
            ],
            "resource_groups": [{"subscription_id": clients.sub, "name": "rg-extra", "location": "northeurope"}],
        },
    )
    from azure.identity import ClientSecretCredential

    reader = ClientSecretCredential(clients.tenant, "c0ffee00-0000-4000-8000-000000000001", "s3cret")
    assert reader.get_token("https://management.azure.com/.default").token
    assert emulator.store.resource(f"/subscriptions/{clients.sub}/resourceGroups/rg-extra")["location"] == "northeurope"


def test_principal_without_a_role_gets_authorization_failed(clients, control, emulator):
    control(
        "POST",
        "seed",
        json={
            "principals": [
                {
                    "client_id": "c0ffee00-0000-4000-8000-000000000003",
                    "object_id": "c0ffee00-0000-4000-8000-000000000004",
                    "tenant_id": clients.tenant,
                    "secret": "s3cret",
                }
            ]
        },
    )
    from azure.identity import ClientSecretCredential
    from azure.mgmt.batch import BatchManagementClient

    nobody = BatchManagementClient(
        ClientSecretCredential(clients.tenant, "c0ffee00-0000-4000-8000-000000000003", "s3cret"), clients.sub
    )
    with pytest.raises(HttpResponseError) as caught:
        nobody.batch_account.get(clients.rg, "any")
    assert caught.value.status_code == 403
    assert caught.value.error.code == "AuthorizationFailed"


def test_unsupported_api_version_is_refused(azure_env, clients, emulator):
    token = clients.credential.get_token("https://management.azure.com/.default").token
    response = requests.get(
        f"https://management.azure.com/subscriptions/{clients.sub}/resourceGroups/{clients.rg}/providers/Microsoft.Batch/batchAccounts/x?api-version=2015-01-01",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "NoRegisteredProviderFound"
    missing = requests.get(
        f"https://management.azure.com/subscriptions/{clients.sub}/resourceGroups/{clients.rg}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert missing.json()["error"]["code"] == "MissingApiVersionParameter"


def test_role_assignments_refuse_duplicates_and_unknown_principals(clients, emulator):
    flows.make_vault(clients, "kv-roles", rbac=True)
    vault = clients.vaults().vaults.get(clients.rg, "kv-roles")
    with pytest.raises(HttpResponseError) as caught:
        flows.assign_role(clients, vault.id, flows.AUTOMATION_OID, flows.CRYPTO_OFFICER)
    assert caught.value.error.code == "RoleAssignmentExists"
    body = {
        "properties": {
            "roleDefinitionId": (
                f"/subscriptions/{clients.sub}/providers/Microsoft.Authorization/roleDefinitions/{flows.CRYPTO_OFFICER}"
            ),
            "principalId": str(uuid.uuid4()),
        }
    }
    with pytest.raises(HttpResponseError) as caught:
        clients.authorization().role_assignments.create(vault.id, str(uuid.uuid4()), body)
    assert caught.value.error.code == "PrincipalNotFound"


def test_role_definition_lookup_by_name(clients, emulator):
    definitions = list(
        clients.authorization().role_definitions.list(
            f"/subscriptions/{clients.sub}", filter="roleName eq 'Key Vault Crypto Service Encryption User'"
        )
    )
    assert [d.name for d in definitions] == [flows.CRYPTO_SERVICE_ENCRYPTION_USER]


def test_identity_create_is_idempotent_and_location_is_fixed(clients, emulator):
    msi = clients.msi().user_assigned_identities
    first = msi.create_or_update(clients.rg, "id-one", {"location": "westeurope"})
    again = msi.create_or_update(clients.rg, "id-one", {"location": "westeurope", "tags": {"a": "b"}})
    assert (first.principal_id, first.client_id) == (again.principal_id, again.client_id)
    with pytest.raises(HttpResponseError) as caught:
        msi.create_or_update(clients.rg, "id-one", {"location": "eastus"})
    assert caught.value.error.code == "InvalidResourceLocation"


def test_failed_write_leaves_no_trace(clients, emulator):
    before = emulator.store.snapshot()
    flows.make_vault(clients, "kv-trace")
    key = flows.rsa_key(clients, "kv-trace")
    body = {"location": "westeurope", "identity": {"type": "SystemAssigned"}, **flows.encryption(key.id)}
    with pytest.raises(HttpResponseError):
        clients.batch().batch_account.begin_create(clients.rg, "failing", body)
    after = emulator.store.snapshot()
    assert set(after["principals"]) == set(before["principals"])
