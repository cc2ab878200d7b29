"""The fleet's pools (``fleet.py`` says which): made through the pool handlers, as the fleet's accounts are."""

from __future__ import annotations

from typing import Any
from typing import Callable

ARM = "management.azure.com"
BATCH = "2025-06-01"
KEYS = "7.6"
LINUX = {
    "imageReference": {"publisher": "canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts"},
    "nodeAgentSkuId": "batch.node.ubuntu 22.04",
}
WINDOWS = {
    "imageReference": {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2022-datacenter"},
    "nodeAgentSkuId": "batch.node.windows amd64",
}
Call = Callable[..., Any]


def build(
    call: Call, shape: dict[str, Any], rg_paths: list[str], identities: list[dict[str, Any]], vault: str, key_size: int
) -> dict[str, Any]:
    """Pool j of account i: Linux, its temporary disk encrypted when j is even; plus the first account's
    Windows pool on its own key. Returns what was made: counts by kind, nodes, the Windows pool and its key."""
    per_account = shape["pools_per_account"]
    made = {"per_account": per_account, "linux_temporary_disk": 0, "linux_unencrypted": 0, "windows_cmk": None}
    made.update(dedicated_nodes=0, low_priority_nodes=0, pool_key=None)
    if per_account == 0 or shape["accounts"] == 0:
        return made
    for i in range(shape["accounts"]):
        account = f"{rg_paths[i % len(rg_paths)]}/providers/Microsoft.Batch/batchAccounts/{shape['prefix']}{i:04d}"
        for j in range(per_account):
            encrypted = j % 2 == 0
            body = _linux(encrypted, dedicated=1 + (i + j) % 3, low=j % 2)
            call("PUT", ARM, f"{account}/pools/pool{j:02d}", BATCH, body)
            made["linux_temporary_disk" if encrypted else "linux_unencrypted"] += 1
            made["dedicated_nodes"] += 1 + (i + j) % 3
            made["low_priority_nodes"] += j % 2
    first = f"{rg_paths[0]}/providers/Microsoft.Batch/batchAccounts/{shape['prefix']}0000"
    made["pool_key"] = _pool_key(call, vault, key_size)
    windows = _windows(made["pool_key"], identities[0]["id"])
    made["windows_cmk"] = call("PUT", ARM, f"{first}/pools/win-cmk", BATCH, windows)["id"]
    made["dedicated_nodes"] += 1
    return made


def _scale(dedicated: int, low: int) -> dict[str, Any]:
    return {"fixedScale": {"targetDedicatedNodes": dedicated, "targetLowPriorityNodes": low}}


def _linux(encrypted: bool, dedicated: int, low: int) -> dict[str, Any]:
    vmc: dict[str, Any] = {**LINUX}
    if encrypted:
        vmc["diskEncryptionConfiguration"] = {"targets": ["TemporaryDisk"]}
    return {
        "properties": {
            "vmSize": "Standard_D2s_v3",
            "deploymentConfiguration": {"virtualMachineConfiguration": vmc},
            "scaleSettings": _scale(dedicated, low),
        }
    }


def _pool_key(call: Call, vault: str, key_size: int) -> str:
    """Key ``pool-cmk`` in ``vault`` (whose access policies grant the fleet's identities): its versioned id."""
    spec = {"kty": "RSA", "key_size": key_size, "key_ops": ["wrapKey", "unwrapKey"]}
    return str(call("POST", f"{vault}.vault.azure.net", "/keys/pool-cmk/create", KEYS, spec)["key"]["kid"])


def _windows(key_url: str, identity_id: str) -> dict[str, Any]:
    encryption = {
        "targets": ["OsDisk", "TemporaryDisk"],
        "customerManagedKey": {"keyUrl": key_url, "identityReference": {"resourceId": identity_id}},
    }
    return {
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity_id: {}}},
        "properties": {
            "vmSize": "Standard_D4ds_v5",
            "deploymentConfiguration": {
                "virtualMachineConfiguration": {**WINDOWS, "diskEncryptionConfiguration": encryption}
            },
            "scaleSettings": _scale(1, 0),
        },
    }
