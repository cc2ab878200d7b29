"""What Batch refuses in a pool's identity and disk encryption (api-version 2025-06-01), each with Azure's shape.

Sources: the 2025-06-01 spec's descriptions (``DiskEncryptionConfiguration.targets``: "On Linux pool, only
TemporaryDisk is supported; on Windows pool, OsDisk and TemporaryDisk must be specified";
``customerManagedKey``: "can be used only when the pool is configured with an identity and OsDisk is set as one
of the targets"; ``keyUrl``: "Fully versioned ... Version segment of the Url is required regardless of
rotationToLatestKeyVersionEnabled"; ``identityReference``: "one of the pool identities"; ``diskEncryptionSet``:
"It can be set only in UserSubscription mode", "in the same subscription as the Batch account"), Microsoft's
disk-encryption article (``AzureDiskEncryptionNotSupportedOnVMSize``) and the Batch CMK article (the account's
system-assigned identity is not usable on pools).

Batch answers a bad property value with ``InvalidPropertyValue`` and the details PropertyName, PropertyValue and
Reason (Microsoft's Batch troubleshooting article quotes one); Azure documents no code per rule, so the Reason
tells the rules apart. A key the pool's identity cannot use is refused with the account's codes (``cmk.py``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from typing import Any

from ...errors import BatchError
from ..keyvault_data import models as keys
from . import cmk
from . import models

if TYPE_CHECKING:
    from ... import Emulator

TARGETS = ("OsDisk", "TemporaryDisk")
VMC = "properties.deploymentConfiguration.virtualMachineConfiguration"
CMK_PATH = f"{VMC}.diskEncryptionConfiguration.customerManagedKey"
DES_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/[^/]+/providers/Microsoft\.Compute/diskEncryptionSets/[^/]+$", re.I
)
# Sizes without encryption at host or Azure Disk Encryption: Basic and A-series (disk-encryption.md, 2026).
NO_ADE_NOR_HOST = re.compile(r"^(BASIC_A\d+|STANDARD_A\d+(M?_V2)?)$")
# v6-series and later: no Azure Disk Encryption; encryption at host only unless the pool turns it off.
NO_ADE = re.compile(r"_V([6-9]|\d{2,})$")


def invalid(name: str, value: Any, reason: str) -> BatchError:
    return BatchError(
        400,
        "InvalidPropertyValue",
        "The value provided for one of the properties in the request body is invalid.",
        target="BatchAccount",
        details=[
            {"code": "PropertyName", "message": name},
            {"code": "PropertyValue", "message": str(value)},
            {"code": "Reason", "message": reason},
        ],
    )


def missing(name: str, path: str) -> BatchError:
    return BatchError(
        400,
        "MissingRequiredProperty",
        "A required property was not specified in the request body.",
        target="BatchAccount",
        details=[{"code": "PropertyName", "message": name}, {"code": "PropertyPath", "message": path}],
    )


# Identity ---------------------------------------------------------------------------------------
def pool_identity(emu: Emulator, given: dict[str, Any] | None) -> dict[str, Any] | None:
    """The pool's identity as Batch answers it: UserAssigned (principalId/clientId filled in) or None."""
    if given is None:
        return None
    kind = given.get("type")
    if kind == "None":
        return {"type": "None"}
    if kind != "UserAssigned":
        raise invalid(
            "identity.type",
            kind,
            "A pool's identity must be UserAssigned or None; the account's system-assigned identity is not "
            "available on pools.",
        )
    ids = list((given.get("userAssignedIdentities") or {}).keys())
    if not ids:
        raise missing("userAssignedIdentities", "identity.userAssignedIdentities")
    resolved = {rid: models.user_identity_entry(emu, rid) for rid in ids}
    return {"type": "UserAssigned", "userAssignedIdentities": resolved}


# Disk encryption --------------------------------------------------------------------------------
def check(emu: Emulator, account: dict[str, Any], props: dict[str, Any], identity: dict[str, Any] | None) -> None:
    """Refuse the first rule ``props`` (normalized) would break on ``account``, or return."""
    if not props.get("vmSize"):
        raise missing("vmSize", "properties.vmSize")
    vmc = (props.get("deploymentConfiguration") or {}).get("virtualMachineConfiguration")
    if not vmc:
        raise missing("virtualMachineConfiguration", "properties.deploymentConfiguration.virtualMachineConfiguration")
    for name in ("imageReference", "nodeAgentSkuId"):
        if not vmc.get(name):
            raise missing(name, f"{VMC}.{name}")
    targets = _targets(vmc)
    if targets:
        _targets_for_os(vmc, targets)
        _vm_size_encrypts(props["vmSize"], vmc, targets)
    customer_key = (vmc.get("diskEncryptionConfiguration") or {}).get("customerManagedKey")
    if customer_key:
        _customer_key(emu, account, customer_key, targets, identity)
    _disk_encryption_sets(account, vmc)


def is_windows(vmc: dict[str, Any]) -> bool:
    """The node agent SKU names the OS ("batch.node.windows amd64", "batch.node.ubuntu 22.04")."""
    return vmc.get("windowsConfiguration") is not None or str(vmc.get("nodeAgentSkuId", "")).lower().startswith(
        "batch.node.windows"
    )


def _targets(vmc: dict[str, Any]) -> list[str]:
    targets = list((vmc.get("diskEncryptionConfiguration") or {}).get("targets") or [])
    for target in targets:
        if target not in TARGETS:
            raise invalid("targets", target, f"'{target}' is not a disk encryption target: use OsDisk, TemporaryDisk.")
    return targets


def _targets_for_os(vmc: dict[str, Any], targets: list[str]) -> None:
    shown = ", ".join(targets)
    if is_windows(vmc):
        if set(targets) != set(TARGETS):
            raise invalid("targets", shown, 'On Windows pool, "OsDisk" and "TemporaryDisk" must be specified.')
    elif set(targets) != {"TemporaryDisk"}:
        raise invalid("targets", shown, 'On Linux pool, only "TemporaryDisk" is supported.')


def _vm_size_encrypts(vm_size: str, vmc: dict[str, Any], targets: list[str]) -> None:
    """Temporary-disk encryption needs encryption at host or Azure Disk Encryption (ADE) on the VM size."""
    if "TemporaryDisk" not in targets:
        return
    host_off = (vmc.get("securityProfile") or {}).get("encryptionAtHost") is False
    if NO_ADE_NOR_HOST.match(vm_size) or (NO_ADE.search(vm_size) and host_off):
        raise BatchError(
            400,
            "AzureDiskEncryptionNotSupportedOnVMSize",
            f"Temporary disk encryption on VM size '{vm_size}' needs encryption at host or Azure Disk Encryption, "
            "and this size (or the pool's security profile) allows neither.",
            target="BatchAccount",
        )


def _customer_key(
    emu: Emulator,
    account: dict[str, Any],
    given: dict[str, Any],
    targets: list[str],
    identity: dict[str, Any] | None,
) -> None:
    if "OsDisk" not in targets:
        raise invalid(
            "customerManagedKey",
            given.get("keyUrl"),
            "A customer-managed key can be used only when OsDisk is set as one of the targets of disk encryption.",
        )
    uais = (identity or {}).get("userAssignedIdentities") or {}
    if not uais:
        raise invalid(
            "customerManagedKey",
            given.get("keyUrl"),
            "A customer-managed key can be used only when the pool is configured with an identity.",
        )
    reference = str((given.get("identityReference") or {}).get("resourceId") or "")
    if not reference:
        raise missing("identityReference", f"{CMK_PATH}.identityReference")
    entry = next((v for k, v in uais.items() if k.lower() == reference.lower()), None)
    if entry is None:
        raise invalid(
            "identityReference.resourceId", reference, "The identity is not one of the pool's user-assigned identities."
        )
    _key_url(emu, account, str(given.get("keyUrl") or ""), reference, entry)


def _key_url(emu: Emulator, account: dict[str, Any], key_url: str, reference: str, entry: dict[str, Any]) -> None:
    if not key_url:
        raise missing("keyUrl", f"{CMK_PATH}.keyUrl")
    parsed = keys.parse_key_identifier(key_url)
    if parsed is not None and not parsed[3]:
        raise invalid(
            "keyUrl",
            key_url,
            "The key URL must be fully versioned: its version segment is required regardless of "
            "rotationToLatestKeyVersionEnabled.",
        )
    holder = {"type": "UserAssigned", "userAssignedIdentities": {reference: entry}}
    problem = cmk.check(emu, holder, tenant_of(emu, account), key_url, "The pool identity")
    if problem is not None:
        raise models.refusal(emu, 400, problem.code, problem.message, f"{CMK_PATH}.keyUrl")


def tenant_of(emu: Emulator, account: dict[str, Any]) -> str:
    sub = account["id"].split("/")[2].lower()
    return emu.store.data["subscriptions"][sub]["tenantId"]


def disk_encryption_sets(vmc: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, id) of every disk encryption set the configuration names: OS disk (and its confidential
    security profile) and data disks."""
    found = []
    managed = (vmc.get("osDisk") or {}).get("managedDisk") or {}
    confidential = managed.get("securityProfile") or {}
    for path, holder in (("osDisk.managedDisk", managed), ("osDisk.managedDisk.securityProfile", confidential)):
        if (holder.get("diskEncryptionSet") or {}).get("id") is not None:
            found.append((f"{VMC}.{path}.diskEncryptionSet.id", holder["diskEncryptionSet"]["id"]))
    for i, disk in enumerate(vmc.get("dataDisks") or []):
        des = ((disk or {}).get("managedDisk") or {}).get("diskEncryptionSet") or {}
        if des.get("id") is not None:
            found.append((f"{VMC}.dataDisks[{i}].managedDisk.diskEncryptionSet.id", des["id"]))
    return found


def _disk_encryption_sets(account: dict[str, Any], vmc: dict[str, Any]) -> None:
    account_sub = account["id"].split("/")[2].lower()
    for _path, des in disk_encryption_sets(vmc):
        if account["properties"].get("poolAllocationMode") != "UserSubscription":
            raise invalid(
                "diskEncryptionSet", des, "A disk encryption set can be set only in UserSubscription allocation mode."
            )
        match = DES_ID.match(str(des))
        if match is None:
            raise invalid("diskEncryptionSet", des, "The id is not the resource id of a disk encryption set.")
        if match["sub"].lower() != account_sub:
            raise invalid(
                "diskEncryptionSet", des, "The disk encryption set must be in the Batch account's subscription."
            )
