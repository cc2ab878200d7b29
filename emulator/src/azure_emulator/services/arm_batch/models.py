"""Batch accounts: body shape, identity changes, encryption changes and availability."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from typing import Any

from ... import propagation
from ...errors import BatchError
from ..arm_identity.models import TYPE as UAI_TYPE
from ..arm_identity.models import register_principal
from . import cmk

if TYPE_CHECKING:
    from ... import Emulator

TYPE = "Microsoft.Batch/batchAccounts"
NAME = re.compile(r"^[a-z0-9]{3,24}$")
KEY_SOURCES = ("Microsoft.Batch", "Microsoft.KeyVault")
IDENTITY_TYPES = ("SystemAssigned", "UserAssigned", "None")


def check_name(name: str) -> None:
    if not NAME.match(name):
        raise BatchError(
            400,
            "AccountNameInvalid",
            f"The account name '{name}' is invalid: it must be 3 to 24 characters long and use only lowercase "
            "letters and numbers.",
            target="accountName",
        )


def new_account(emu: Emulator, rid: str, name: str, location: str, cloud_batch_suffix: str) -> dict[str, Any]:
    short = re.sub(r"\s+", "", location).lower()
    return {
        "id": rid,
        "name": name,
        "type": TYPE,
        "location": location,
        "tags": {},
        "identity": {"type": "None"},
        "properties": {
            "accountEndpoint": f"{name}.{short}.{cloud_batch_suffix}",
            "nodeManagementEndpoint": f"{emu.store.new_uuid()}.{short}.service.{cloud_batch_suffix}",
            "provisioningState": "Creating",
            "poolAllocationMode": "BatchService",
            "publicNetworkAccess": "Enabled",
            "privateEndpointConnections": [],
            "encryption": {"keySource": "Microsoft.Batch"},
            "dedicatedCoreQuota": 500,
            "lowPriorityCoreQuota": 500,
            "dedicatedCoreQuotaPerVMFamilyEnforced": True,
            "dedicatedCoreQuotaPerVMFamily": [{"name": "standardDv3Family", "coreQuota": 500}],
            "poolQuota": 100,
            "activeJobAndJobScheduleQuota": 300,
            "allowedAuthenticationModes": ["SharedKey", "AAD", "TaskAuthenticationToken"],
        },
    }


def apply_identity(emu: Emulator, account: dict[str, Any], given: dict[str, Any] | None, tenant_id: str) -> None:
    """Move the account to the identity asked for, keeping a system identity it already has."""
    if given is None:
        return
    kind = given.get("type")
    if kind not in IDENTITY_TYPES:
        raise BatchError(
            400,
            "InvalidParameter",
            f"The identity type '{kind}' is invalid; use SystemAssigned, UserAssigned or None.",
            target="identity.type",
        )
    current = account.get("identity") or {"type": "None"}
    if kind == "SystemAssigned":
        if current.get("type") == "SystemAssigned":
            return
        ids = register_principal(emu.store, tenant_id, account["name"])
        account["identity"] = {"type": "SystemAssigned", "principalId": ids["principalId"], "tenantId": tenant_id}
    elif kind == "UserAssigned":
        account["identity"] = {"type": "UserAssigned", "userAssignedIdentities": _user_identities(emu, given)}
    else:
        account["identity"] = {"type": "None"}
    if current.get("type") == "SystemAssigned" and account["identity"]["type"] != "SystemAssigned":
        emu.store.remove_principal(current["principalId"])


def _user_identities(emu: Emulator, given: dict[str, Any]) -> dict[str, dict[str, str]]:
    ids = list((given.get("userAssignedIdentities") or {}).keys())
    if len(ids) != 1:
        raise BatchError(
            400,
            "InvalidParameter",
            f"A Batch account supports exactly one user-assigned identity; {len(ids)} were given.",
            target="identity.userAssignedIdentities",
        )
    entry = user_identity_entry(emu, ids[0])
    # Batch answers with the identity id's "resourceGroups" in lower case (azure-cli recording, 2022).
    key = re.sub("/resourceGroups/", "/resourcegroups/", emu.store.resource(ids[0])["id"], flags=re.I)
    return {key: entry}


def user_identity_entry(emu: Emulator, resource_id: str) -> dict[str, str]:
    """The principal and client ids of a user-assigned identity an account or pool names (refused if none)."""
    found = emu.store.resource(resource_id)
    if found is None or found["type"] != UAI_TYPE:
        raise BatchError(
            400,
            "FailedIdentityOperation",
            f"Identity operation for resource failed with error 'Failed to perform resource identity operation. "
            f"Status: 'NotFound'. Response: Resource '{resource_id}' does not exist or one of its queried "
            "reference-property objects are not present.'.",
        )
    return {"principalId": found["properties"]["principalId"], "clientId": found["properties"]["clientId"]}


def requested_encryption(given: dict[str, Any] | None) -> dict[str, Any] | None:
    if given is None:
        return None
    source = given.get("keySource", "Microsoft.Batch")
    if source not in KEY_SOURCES:
        raise BatchError(
            400,
            "InvalidParameter",
            f"The key source '{source}' is invalid; use Microsoft.Batch or Microsoft.KeyVault.",
            target="properties.encryption.keySource",
        )
    if source == "Microsoft.Batch":
        return {"keySource": source}
    identifier = (given.get("keyVaultProperties") or {}).get("keyIdentifier")
    if not identifier:
        raise BatchError(
            400,
            "MissingRequiredProperty",
            "A required property was not specified in the request body.",
            target="BatchAccount",
            details=[
                {"code": "PropertyName", "message": "keyVaultProperties"},
                {"code": "PropertyPath", "message": "properties.encryption.keyVaultProperties"},
            ],
        )
    return {"keySource": source, "keyVaultProperties": {"keyIdentifier": identifier}}


def apply_encryption(emu: Emulator, account: dict[str, Any], encryption: dict[str, Any] | None, tenant_id: str) -> None:
    """Set the encryption if Batch could use it with the account's identity; refuse with the rule broken."""
    if encryption is None:
        return
    if encryption["keySource"] == "Microsoft.KeyVault":
        problem = cmk.check(emu, account.get("identity"), tenant_id, encryption["keyVaultProperties"]["keyIdentifier"])
        if problem is not None:
            raise refusal(emu, 400, problem.code, problem.message, problem.target)
    account["properties"]["encryption"] = encryption


def refusal(emu: Emulator, status: int, code: str, message: str, target: str | None = None) -> BatchError:
    """A CMK refusal: the emulator's own code naming the cause, or with ``generic_errors`` the plain 400
    BadRequest that is all a client may count on - Azure documents none of these (cmk-rules A18/A19)."""
    if emu.settings.generic_errors:
        return BatchError(400, "BadRequest", GENERIC_MESSAGE)
    return BatchError(status, code, message, target=target)


GENERIC_MESSAGE = "The request could not be completed with the account's customer-managed key settings."


def key_access_problem(emu: Emulator, account: dict[str, Any], tenant_id: str) -> cmk.CmkProblem | None:
    encryption = account["properties"].get("encryption") or {}
    if encryption.get("keySource") != "Microsoft.KeyVault":
        return None
    return cmk.check(emu, account.get("identity"), tenant_id, encryption["keyVaultProperties"]["keyIdentifier"])


def availability(emu: Emulator, account: dict[str, Any], tenant_id: str) -> tuple[str, cmk.CmkProblem | None]:
    """``available``, ``unavailable`` (the key is out of reach, for the reason given) or ``recovering``."""
    problem = key_access_problem(emu, account, tenant_id)
    return propagation.account_availability(emu, account["id"], problem is not None), problem


def refresh_availability(emu: Emulator, account: dict[str, Any], tenant_id: str) -> str:
    """An account whose key became unreachable is unavailable until access returns, and a while after.

    Azure documents no field for this; the emulator shows it as provisioningState ``Invalid``, except with
    ``generic_errors``, where only the refusals tell (as a client must assume of Azure).
    """
    props = account["properties"]
    if props["provisioningState"] not in ("Succeeded", "Invalid"):
        return propagation.AVAILABLE
    state, _problem = availability(emu, account, tenant_id)
    invalid = state != propagation.AVAILABLE and not emu.settings.generic_errors
    wanted = "Invalid" if invalid else "Succeeded"
    if props["provisioningState"] != wanted:  # reads run side by side: only a real change is written
        emu.store.will_change(account)
        props["provisioningState"] = wanted
        emu.store.touch()
    return state
