"""The managed-identity endpoint (IMDS), reached as plain HTTP through the proxy."""

from __future__ import annotations

import flows
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ManagedIdentityCredential
from azure.mgmt.batch import BatchManagementClient


def test_managed_identity_credential_gets_a_token_for_the_machine_identity(clients, emulator):
    identity = clients.msi().user_assigned_identities.create_or_update(clients.rg, "id-vm", {"location": "westeurope"})
    flows.assign_role(
        clients, f"/subscriptions/{clients.sub}", identity.principal_id, "b24988ac-6180-42a0-ab88-20f7382dd24c"
    )
    emulator.settings.imds_principal = identity.principal_id

    batch = BatchManagementClient(ManagedIdentityCredential(), clients.sub)
    assert list(batch.batch_account.list()) == []
    imds = [e for e in emulator.journal.entries() if e.host == "169.254.169.254"]
    assert imds and imds[0].status == 200 and imds[0].principal == identity.principal_id


def test_user_assigned_identity_by_client_id(clients, emulator):
    identity = clients.msi().user_assigned_identities.create_or_update(
        clients.rg, "id-other", {"location": "westeurope"}
    )
    token = ManagedIdentityCredential(client_id=identity.client_id).get_token("https://vault.azure.net/.default")
    assert token.token


def test_no_identity_on_the_machine(clients, emulator):
    with pytest.raises(ClientAuthenticationError):
        ManagedIdentityCredential().get_token("https://management.azure.com/.default")
