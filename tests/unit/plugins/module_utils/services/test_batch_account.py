"""_services/batch_account.py: the account as modules return it, the bodies sent, and its reads, on a fake."""

from __future__ import annotations

import pytest
from fakes import Model
from fakes import Namespace
from fakes import Operations
from fakes import context
from fakes import not_found

from ansible_collections.azure_cmk.batch.plugins.module_utils._services import batch_account as api

ID = "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Batch/batchAccounts/acct"
UAI = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-a"
KEY = "https://kv.vault.azure.net/keys/cmk"


def body(identity=None, encryption=None, **props):
    found = {"id": ID, "name": "acct", "location": "westeurope", "properties": dict(props)}
    if identity is not None:
        found["identity"] = identity
    if encryption is not None:
        found["properties"]["encryption"] = encryption
    return found


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            body(),
            {"identity_type": "None", "principal_id": None, "key_source": "Microsoft.Batch", "key_identifier": None},
        ),
        (
            body({"type": "SystemAssigned", "principalId": "p", "tenantId": "t"}),
            {"identity_type": "SystemAssigned", "principal_id": "p", "tenant_id": "t"},
        ),
        (
            body({"type": "UserAssigned", "userAssignedIdentities": {UAI.lower(): {"principalId": "u"}}}),
            {
                "identity_type": "UserAssigned",
                "principal_id": "u",
                # Fixed segments spelled as Azure usually does, the rest as Batch returned it.
                "user_assigned_identity": "/subscriptions/s/resourceGroups/rg/providers/"
                "microsoft.managedidentity/userassignedidentities/id-a",
            },
        ),
        (
            body(encryption={"keySource": "Microsoft.KeyVault", "keyVaultProperties": {"keyIdentifier": KEY}}),
            {"key_source": "Microsoft.KeyVault", "key_identifier": KEY},
        ),
        (body(encryption={}), {"key_source": "Microsoft.Batch"}),
        (body(provisioningState="Invalid"), {"provisioning_state": "Invalid", "public_network_access": "Enabled"}),
        (body(publicNetworkAccess="Disabled"), {"public_network_access": "Disabled"}),
        (body(autoStorage={"storageAccountId": "sa"}), {"auto_storage_account": "sa"}),
    ],
)
def test_normalize(given, expected):
    account = api.normalize(given)
    assert {k: account[k] for k in expected} == expected
    assert account["id"].count("/resourceGroups/") == 1  # Batch's "resourcegroups", spelled as Azure usually does
    assert account["resource_group"] == "rg" and account["tags"] == {}


def test_normalize_none():
    assert api.normalize(None) is None


DESIRED = {
    "location": "westeurope",
    "tags": {"a": "b"},
    "identity_type": "UserAssigned",
    "user_assigned_identity": UAI,
    "key_source": "Microsoft.KeyVault",
    "key_identifier": KEY,
    "pool_allocation_mode": "BatchService",
    "auto_storage_account": None,
    "public_network_access": "Enabled",
}


@pytest.mark.parametrize(
    ("desired", "identity", "encryption"),
    [
        (
            DESIRED,
            {"type": "UserAssigned", "userAssignedIdentities": {UAI: {}}},
            {"keySource": "Microsoft.KeyVault", "keyVaultProperties": {"keyIdentifier": KEY}},
        ),
        (dict(DESIRED, identity_type="SystemAssigned"), {"type": "SystemAssigned"}, None),
        (
            dict(DESIRED, identity_type="None", key_source="Microsoft.Batch"),
            {"type": "None"},
            {"keySource": "Microsoft.Batch"},
        ),
    ],
)
def test_identity_and_encryption_bodies(desired, identity, encryption):
    assert api.identity_body(desired) == identity
    if encryption is not None:
        assert api.encryption_body(desired) == encryption


def test_create_body_sends_storage_only_when_given():
    sent = api.create_body(DESIRED)
    assert sent["location"] == "westeurope" and sent["tags"] == {"a": "b"}
    assert "autoStorage" not in sent["properties"] and sent["properties"]["poolAllocationMode"] == "BatchService"
    assert api.create_body(dict(DESIRED, auto_storage_account="sa"))["properties"]["autoStorage"] == {
        "storageAccountId": "sa"
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, {}),
        ({"tags": {"x": "y"}}, {}),  # tags go through the Tags API
        (
            {"key_identifier": KEY + "/0123"},
            {
                "properties": {
                    "encryption": {
                        "keySource": "Microsoft.KeyVault",
                        "keyVaultProperties": {"keyIdentifier": KEY + "/0123"},
                    }
                }
            },
        ),
        ({"identity_type": "SystemAssigned"}, {"identity": {"type": "SystemAssigned"}}),
        ({"public_network_access": "Disabled"}, {"properties": {"publicNetworkAccess": "Disabled"}}),
        ({"auto_storage_account": "sa"}, {"properties": {"autoStorage": {"storageAccountId": "sa"}}}),
    ],
)
def test_update_body_holds_only_what_changed(change, expected):
    current = dict(DESIRED)
    desired = {k: v for k, v in dict(DESIRED, **change).items() if k != "tags"}
    assert api.update_body(current, desired) == expected


def test_update_body_removes_storage():
    assert api.update_body(dict(DESIRED, auto_storage_account="sa"), DESIRED) == {"properties": {"autoStorage": None}}


@pytest.mark.parametrize(
    ("account", "label"),
    [
        (
            {"name": "a", "identity_type": "UserAssigned", "user_assigned_identity": UAI},
            "user-assigned identity 'id-a' of Batch account 'a'",
        ),
        (
            {"name": "a", "identity_type": "SystemAssigned", "user_assigned_identity": None},
            "the system-assigned identity of Batch account 'a'",
        ),
    ],
)
def test_principal_label(account, label):
    assert api.principal_label(account) == label


def test_get_account_reads_and_normalizes_and_a_404_is_none():
    operations = Operations(get=lambda group, name: Model(body()) if name == "acct" else not_found())
    ctx = context(batch=Namespace(batch_account=operations))
    assert api.get_account(ctx, "rg", "acct")["name"] == "acct"
    assert api.get_account(ctx, "rg", "other") is None


def test_list_accounts_is_read_once_per_run():
    operations = Operations(list=lambda: iter([Model(body())]), list_by_resource_group=lambda group: iter([]))
    ctx = context(batch=Namespace(batch_account=operations))
    assert [a["name"] for a in api.list_accounts(ctx)] == ["acct"]
    assert api.list_accounts(ctx)[0]["name"] == "acct" and api.list_accounts(ctx, "rg") == []
    assert [call[0] for call in operations.calls] == ["list", "list_by_resource_group"]
