"""Pool request bodies for the pool tests (Resource Manager, api-version 2025-06-01) and the setups they share."""

from __future__ import annotations

from typing import Any

import flows

LINUX_IMAGE = {"publisher": "canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts"}
WINDOWS_IMAGE = {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2022-datacenter-smalldisk"}


def linux(targets: list[str] | None = None, dedicated: int = 1, vm_size: str = "Standard_D2s_v3") -> dict[str, Any]:
    vmc: dict[str, Any] = {"imageReference": dict(LINUX_IMAGE), "nodeAgentSkuId": "batch.node.ubuntu 22.04"}
    if targets is not None:
        vmc["diskEncryptionConfiguration"] = {"targets": targets}
    return _pool(vmc, dedicated, vm_size)


def windows(
    targets: list[str] | None = None,
    key_url: str | None = None,
    identity_id: str | None = None,
    reference: str | None = None,
    dedicated: int = 1,
    follow_newest: bool = False,
) -> dict[str, Any]:
    """A Windows pool; with ``key_url`` its OS disk key (pool CMK) used through ``reference`` (default:
    ``identity_id``), ``identity_id`` being the pool's user-assigned identity."""
    vmc: dict[str, Any] = {"imageReference": dict(WINDOWS_IMAGE), "nodeAgentSkuId": "batch.node.windows amd64"}
    encryption: dict[str, Any] = {"targets": targets if targets is not None else ["OsDisk", "TemporaryDisk"]}
    if key_url is not None:
        encryption["customerManagedKey"] = {
            "keyUrl": key_url,
            "identityReference": {"resourceId": reference or identity_id},
            "rotationToLatestKeyVersionEnabled": follow_newest,
        }
    vmc["diskEncryptionConfiguration"] = encryption
    body = _pool(vmc, dedicated, "Standard_D4ds_v5")
    if identity_id is not None:
        body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {identity_id: {}}}
    return body


def _pool(vmc: dict[str, Any], dedicated: int, vm_size: str) -> dict[str, Any]:
    return {
        "properties": {
            "vmSize": vm_size,
            "deploymentConfiguration": {"virtualMachineConfiguration": vmc},
            "scaleSettings": {"fixedScale": {"targetDedicatedNodes": dedicated, "targetLowPriorityNodes": 0}},
        }
    }


def account(clients: Any, name: str = "poolacct") -> Any:
    return clients.batch().batch_account.begin_create(clients.rg, name, {"location": "westeurope"}).result()


def pool_key(clients: Any, vault: str = "kv-pool") -> tuple[Any, Any]:
    """A user-assigned identity granted get/wrap/unwrap on a CMK-ready vault's RSA key: (identity, key)."""
    identity = clients.msi().user_assigned_identities.create_or_update(
        clients.rg, "id-pool", {"location": "westeurope"}
    )
    flows.make_vault(clients, vault)
    key = flows.rsa_key(clients, vault, "disk")
    flows.grant(clients, vault, identity.principal_id)
    return identity, key
