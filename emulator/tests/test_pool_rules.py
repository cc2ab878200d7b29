"""Issue 20: each pool disk-encryption and identity rule Azure states, refused through azure-mgmt-batch's
``pool.create`` with Batch's shape (InvalidPropertyValue + PropertyName/PropertyValue/Reason, or the code Azure
documents), nothing stored; what the rules allow is accepted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import flows
import pool_bodies as bodies
import pytest
from azure.core.exceptions import HttpResponseError


@dataclass
class Setup:
    clients: Any
    identity: Any  # granted get/wrapKey/unwrapKey on kv-pool
    key: Any  # kv-pool's RSA key "disk"

    def other_identity(self) -> Any:
        msi = self.clients.msi().user_assigned_identities
        return msi.create_or_update(self.clients.rg, "id-other", {"location": "westeurope"})


@pytest.fixture
def setup(clients, emulator):
    bodies.account(clients)
    identity, key = bodies.pool_key(clients)
    return Setup(clients, identity, key)


def _cmk(s: Setup, **kwargs: Any) -> dict[str, Any]:
    return bodies.windows(key_url=s.key.id, identity_id=s.identity.id, **kwargs)


def _linux_cmk(s: Setup) -> dict[str, Any]:
    body = bodies.linux(["TemporaryDisk"])
    vmc = body["properties"]["deploymentConfiguration"]["virtualMachineConfiguration"]
    vmc["diskEncryptionConfiguration"]["customerManagedKey"] = {
        "keyUrl": s.key.id,
        "identityReference": {"resourceId": s.identity.id},
    }
    body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {s.identity.id: {}}}
    return body


def _no_grant(s: Setup) -> dict[str, Any]:
    return bodies.windows(key_url=s.key.id, identity_id=s.other_identity().id)


def _disabled(s: Setup) -> dict[str, Any]:
    s.clients.keys("kv-pool").update_key_properties("disk", enabled=False)
    return _cmk(s)


def _ec(s: Setup) -> dict[str, Any]:
    return bodies.windows(
        key_url=s.clients.keys("kv-pool").create_ec_key("ec", curve="P-256").id, identity_id=s.identity.id
    )


def _no_purge_protection(s: Setup) -> dict[str, Any]:
    flows.make_vault(s.clients, "kv-soft", purge_protection=False)
    flows.grant(s.clients, "kv-soft", s.identity.principal_id)
    return bodies.windows(key_url=flows.rsa_key(s.clients, "kv-soft").id, identity_id=s.identity.id)


def _with_size(body: dict[str, Any], size: str, host: bool | None = None) -> dict[str, Any]:
    body["properties"]["vmSize"] = size
    if host is not None:
        vmc = body["properties"]["deploymentConfiguration"]["virtualMachineConfiguration"]
        vmc["securityProfile"] = {"encryptionAtHost": host}
    return body


def _des(s: Setup) -> dict[str, Any]:
    body = bodies.linux()
    vmc = body["properties"]["deploymentConfiguration"]["virtualMachineConfiguration"]
    des = f"/subscriptions/{s.clients.sub}/resourceGroups/{s.clients.rg}/providers/Microsoft.Compute/diskEncryptionSets/des"
    vmc["osDisk"] = {"managedDisk": {"storageAccountType": "Standard_LRS", "diskEncryptionSet": {"id": des}}}
    return body


# case: (body maker, code, PropertyName of the details (None: no details), what the reason or message says)
CASES = {
    "linux-os-disk": (
        lambda s: bodies.linux(["OsDisk", "TemporaryDisk"]),
        "InvalidPropertyValue",
        "targets",
        "On Linux pool, only",
    ),
    "windows-temporary-disk-only": (
        lambda s: bodies.windows(["TemporaryDisk"]),
        "InvalidPropertyValue",
        "targets",
        "On Windows pool",
    ),
    "windows-os-disk-only": (
        lambda s: bodies.windows(["OsDisk"]),
        "InvalidPropertyValue",
        "targets",
        "On Windows pool",
    ),
    "not-a-target": (
        lambda s: bodies.linux(["DataDisk"]),
        "InvalidPropertyValue",
        "targets",
        "is not a disk encryption target",
    ),
    "key-without-os-disk": (_linux_cmk, "InvalidPropertyValue", "customerManagedKey", "only when OsDisk is set"),
    "key-without-pool-identity": (
        lambda s: bodies.windows(key_url=s.key.id, reference=s.identity.id),
        "InvalidPropertyValue",
        "customerManagedKey",
        "configured with an identity",
    ),
    "key-through-another-identity": (
        lambda s: _cmk(s, reference=s.other_identity().id),
        "InvalidPropertyValue",
        "identityReference.resourceId",
        "not one of the pool's user-assigned identities",
    ),
    "key-without-version": (
        lambda s: bodies.windows(key_url=s.key.id.rsplit("/", 1)[0], identity_id=s.identity.id),
        "InvalidPropertyValue",
        "keyUrl",
        "fully versioned",
    ),
    "key-identity-not-granted": (_no_grant, "KeyVaultAccessForbidden", None, "The pool identity"),
    "key-disabled": (_disabled, "KeyVaultKeyDisabled", None, "is disabled"),
    "key-ec": (_ec, "KeyVaultKeyTypeNotSupported", None, "only RSA and RSA-HSM"),
    "key-vault-without-purge-protection": (
        _no_purge_protection,
        "KeyVaultPurgeProtectionNotEnabled",
        None,
        "purge protection",
    ),
    "disk-encryption-set-on-batch-service": (_des, "InvalidPropertyValue", "diskEncryptionSet", "UserSubscription"),
    "temporary-disk-on-a-series": (
        lambda s: _with_size(bodies.linux(["TemporaryDisk"]), "Standard_A2_v2"),
        "AzureDiskEncryptionNotSupportedOnVMSize",
        None,
        "'STANDARD_A2_V2'",
    ),
    "temporary-disk-on-v6-without-host-encryption": (
        lambda s: _with_size(bodies.linux(["TemporaryDisk"]), "Standard_D2ds_v6", host=False),
        "AzureDiskEncryptionNotSupportedOnVMSize",
        None,
        "'STANDARD_D2DS_V6'",
    ),
    "system-assigned-pool-identity": (
        lambda s: {**bodies.linux(), "identity": {"type": "SystemAssigned"}},
        "InvalidPropertyValue",
        "identity.type",
        "not available on pools",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_rule_is_refused_with_batchs_shape(case, setup, emulator):
    make, code, name, says = CASES[case]
    body = make(setup)
    batch = setup.clients.batch()

    with pytest.raises(HttpResponseError) as caught:
        batch.pool.create(setup.clients.rg, "poolacct", "p", body)

    error = caught.value.error
    assert caught.value.status_code == 400 and error.code == code
    assert "RequestId:" in error.message
    if name is not None:
        details = {d.code: d.message for d in error.details}
        assert details["PropertyName"] == name and says in details["Reason"]
    else:
        assert says in error.message
    if code.startswith("KeyVault"):
        assert error.target.endswith("diskEncryptionConfiguration.customerManagedKey.keyUrl")
    assert not list(batch.pool.list_by_batch_account(setup.clients.rg, "poolacct"))


def test_a_windows_pool_with_its_own_key_is_accepted(setup, emulator):
    made = setup.clients.batch().pool.create(setup.clients.rg, "poolacct", "win", _cmk(setup))

    entry = made.identity.user_assigned_identities[setup.identity.id]
    assert (entry.principal_id, entry.client_id) == (setup.identity.principal_id, setup.identity.client_id)
    key = made.deployment_configuration.virtual_machine_configuration.disk_encryption_configuration.customer_managed_key
    assert key.key_url == setup.key.id and key.identity_reference.resource_id == setup.identity.id


def test_a_pool_identity_that_does_not_exist_is_refused(setup, emulator):
    missing = setup.identity.id.rsplit("/", 1)[0] + "/id-nobody"
    with pytest.raises(HttpResponseError) as caught:
        setup.clients.batch().pool.create(
            setup.clients.rg,
            "poolacct",
            "p",
            {**bodies.linux(), "identity": {"type": "UserAssigned", "userAssignedIdentities": {missing: {}}}},
        )
    assert caught.value.error.code == "FailedIdentityOperation"


def test_disk_encryption_sets_need_a_user_subscription_account_in_their_subscription(setup, emulator):
    clients = setup.clients
    vault = clients.vaults().vaults.get(clients.rg, "kv-pool")
    reference = {"id": vault.id, "url": vault.properties.vault_uri}
    byos = {
        "location": "westeurope",
        "properties": {"poolAllocationMode": "UserSubscription", "keyVaultReference": reference},
    }
    clients.batch().batch_account.begin_create(clients.rg, "byosacct", byos).result()
    body = _des(setup)

    made = clients.batch().pool.create(clients.rg, "byosacct", "p", body)
    assert made.deployment_configuration.virtual_machine_configuration.os_disk.managed_disk.disk_encryption_set.id

    managed = body["properties"]["deploymentConfiguration"]["virtualMachineConfiguration"]["osDisk"]["managedDisk"]
    managed["diskEncryptionSet"]["id"] = managed["diskEncryptionSet"]["id"].replace(
        clients.sub, "00000000-0000-4000-8000-000000000000"
    )
    with pytest.raises(HttpResponseError) as caught:
        clients.batch().pool.create(clients.rg, "byosacct", "q", body)
    reason = {d.code: d.message for d in caught.value.error.details}["Reason"]
    assert caught.value.error.code == "InvalidPropertyValue" and "subscription" in reason


def test_temporary_disk_on_v6_with_encryption_at_host_is_accepted(setup, emulator):
    body = _with_size(bodies.linux(["TemporaryDisk"]), "Standard_D2ds_v6")
    assert setup.clients.batch().pool.create(setup.clients.rg, "poolacct", "p", body).vm_size == "STANDARD_D2DS_V6"


@pytest.mark.emulator_settings(generic_errors=True)
def test_in_generic_mode_a_key_refusal_is_a_plain_bad_request(setup, emulator):
    with pytest.raises(HttpResponseError) as caught:
        setup.clients.batch().pool.create(setup.clients.rg, "poolacct", "p", _no_grant(setup))
    assert caught.value.status_code == 400 and caught.value.error.code == "BadRequest"
