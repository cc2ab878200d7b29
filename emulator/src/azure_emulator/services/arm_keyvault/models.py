"""Key Vault vaults: the rules Azure enforces on create/update, access-policy merges, soft delete."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import TYPE_CHECKING
from typing import Any

from ...clouds import Cloud
from ...errors import ArmError

if TYPE_CHECKING:
    from ... import Emulator

TYPE = "Microsoft.KeyVault/vaults"
NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
RBAC_DEFAULT_FROM = "2026-02-01"  # from this api-version on, a new vault uses RBAC unless told otherwise
POLICY_KINDS = ("keys", "secrets", "certificates", "storage")


def bad_request(message: str) -> ArmError:
    return ArmError(400, "BadRequest", message)


def check_name(name: str) -> None:
    if not NAME.match(name):
        raise ArmError(
            400,
            "VaultNameNotValid",
            f"The vault name '{name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. "
            "The name "
            "must begin with a letter, end with a letter or digit, and not contain consecutive hyphens. Follow this "
            "link for more information: https://go.microsoft.com/fwlink/?linkid=2147742",
        )


def find_vault(emu: Emulator, name: str) -> dict[str, Any] | None:
    """Vault names are global: one live vault per name across subscriptions."""
    return next((v for v in emu.store.resources(rtype=TYPE) if v["name"].lower() == name.lower()), None)


def check_name_free(emu: Emulator, rid: str, name: str) -> None:
    other = find_vault(emu, name)
    if other is not None and other["id"].lower() != rid.lower():
        raise ArmError(
            409,
            "VaultAlreadyExists",
            f"The vault name '{name}' is already in use. Vault names are globally unique so it is possible that the "
            "name is already taken. If you are sure that the vault name was not taken then it is possible that a "
            "vault with the same name was recently deleted but not purged after being placed in a recoverable state.",
        )
    if name.lower() in emu.store.data["deletedVaults"]:
        raise ArmError(
            409,
            "ConflictError",
            "A vault with the same name already exists in deleted state. You need to either recover or purge existing "
            "key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on "
            "soft delete.",
        )


def check_properties(emu: Emulator, props: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Rules for the merged properties ``props`` against the stored ``old`` ones.

    A false ``enablePurgeProtection`` that passes is dropped: Azure shows it only as absent or true.
    """
    if props.get("tenantId") not in emu.store.data["tenants"]:
        raise bad_request(f"The tenant '{props.get('tenantId')}' is not a valid Azure Active Directory tenant.")
    sku = props.get("sku") or {}
    if str(sku.get("name", "")).lower() not in ("standard", "premium") or sku.get("family", "A") != "A":
        raise bad_request("The sku is invalid: name must be 'standard' or 'premium' and family must be 'A'.")
    _check_one_way(props, old or {})
    retention = props.get("softDeleteRetentionInDays", 90)
    if not isinstance(retention, int) or not 7 <= retention <= 90:
        raise bad_request('The property "softDeleteRetentionInDays" must be between 7 and 90.')
    for entry in props.get("accessPolicies") or []:
        check_policy_entry(entry, props["tenantId"])
    if props.get("enablePurgeProtection") is False:
        del props["enablePurgeProtection"]  # only ever absent or true, as Azure shows it


def _check_one_way(props: dict[str, Any], old: dict[str, Any]) -> None:
    if old.get("enablePurgeProtection") and props.get("enablePurgeProtection") is False:
        raise bad_request(
            'The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a vault '
            "is an irreversible action."
        )
    if old.get("enableSoftDelete", True) and props.get("enableSoftDelete") is False:
        raise bad_request(
            'The property "enableSoftDelete" cannot be set to false. Enabling the soft delete for a vault is an '
            "irreversible action."
        )
    if props.get("enablePurgeProtection") and props.get("enableSoftDelete") is False:
        raise bad_request(
            'The property "enablePurgeProtection" cannot be set to true when "enableSoftDelete" is false.'
        )
    if (
        "softDeleteRetentionInDays" in old
        and props.get("softDeleteRetentionInDays") != old["softDeleteRetentionInDays"]
    ):
        raise bad_request('The property "softDeleteRetentionInDays" has been set already and it can\'t be modified.')


def check_policy_entry(entry: dict[str, Any], tenant_id: str) -> None:
    if not isinstance(entry, dict) or not entry.get("objectId") or not isinstance(entry.get("permissions"), dict):
        raise bad_request("An access policy entry must have tenantId, objectId and permissions.")
    if str(entry.get("tenantId", "")).lower() != tenant_id.lower():
        raise bad_request(
            f"The tenant ID '{entry.get('tenantId')}' of the access policy does not match the tenant ID "
            f"'{tenant_id}' of the vault."
        )
    if len(entry["objectId"]) != 36:
        raise bad_request(f"The object ID '{entry['objectId']}' of the access policy is not a valid GUID.")


def check_new(props: dict[str, Any]) -> None:
    """What Azure refuses on a new vault only."""
    if props.get("enablePurgeProtection") is False:
        # Refused on create too, not only on update (Azure/bicep#5223, Azure/azure-cli#32311, #29115).
        raise bad_request('The property "enablePurgeProtection" cannot be set to false.')
    if props.get("enableSoftDelete") is False:
        # Soft delete is mandatory for every vault since February 2025; this wording is ours.
        raise bad_request(
            'The property "enableSoftDelete" cannot be set to false: soft delete is always on for new vaults.'
        )


# Left out of a new vault's PUT answer unless the request set them (az CLI recording, 2022).
UNSET_LEFT_OUT = (
    "enabledForDeployment",
    "enabledForDiskEncryption",
    "enabledForTemplateDeployment",
    "enableRbacAuthorization",
    "enablePurgeProtection",
)


def registering_view(vault: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """A new vault as Azure's PUT answers it: RegisteringDns, no trailing slash, unset booleans left out."""
    props = {k: v for k, v in vault["properties"].items() if k not in UNSET_LEFT_OUT or k in given}
    props["vaultUri"] = props["vaultUri"].rstrip("/")
    return {**vault, "properties": props}


def new_properties(body_props: dict[str, Any], api_version: str, cloud: Cloud, name: str) -> dict[str, Any]:
    props = {
        "sku": body_props.get("sku"),
        "tenantId": body_props.get("tenantId"),
        "accessPolicies": body_props.get("accessPolicies") or [],
        "enabledForDeployment": bool(body_props.get("enabledForDeployment", False)),
        "enabledForDiskEncryption": bool(body_props.get("enabledForDiskEncryption", False)),
        "enabledForTemplateDeployment": bool(body_props.get("enabledForTemplateDeployment", False)),
        "enableSoftDelete": body_props.get("enableSoftDelete", True),
        "softDeleteRetentionInDays": body_props.get("softDeleteRetentionInDays", 90),
        "enableRbacAuthorization": body_props.get("enableRbacAuthorization", api_version >= RBAC_DEFAULT_FROM),
        "vaultUri": f"https://{name.lower()}.{cloud.vault_suffix}/",
        "provisioningState": "Succeeded",
        "publicNetworkAccess": body_props.get("publicNetworkAccess", "Enabled"),
    }
    if body_props.get("enablePurgeProtection"):
        props["enablePurgeProtection"] = True
    if body_props.get("networkAcls"):
        props["networkAcls"] = body_props["networkAcls"]
    return props


MUTABLE = (
    "sku",
    "tenantId",
    "accessPolicies",
    "enabledForDeployment",
    "enabledForDiskEncryption",
    "enabledForTemplateDeployment",
    "enableSoftDelete",
    "softDeleteRetentionInDays",
    "enableRbacAuthorization",
    "enablePurgeProtection",
    "publicNetworkAccess",
    "networkAcls",
)


def merged_properties(old: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PATCH (and PUT on an existing vault): given fields replace, absent fields stay."""
    merged = dict(old)
    for key in MUTABLE:
        if key in patch and patch[key] is not None:
            merged[key] = patch[key]
    return merged


# Access policies (accessPolicies/{add,replace,remove}) ---------------------------------------
def _same_principal(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a.get("tenantId", "").lower() == b.get("tenantId", "").lower()
        and a.get("objectId", "").lower() == b.get("objectId", "").lower()
        and (a.get("applicationId") or "").lower() == (b.get("applicationId") or "").lower()
    )


def _union(current: list[str], extra: list[str]) -> list[str]:
    seen = {p.lower() for p in current}
    return current + [p for p in extra if p.lower() not in seen and not seen.add(p.lower())]


def change_policies(vault: dict[str, Any], kind: str, entries: list[dict[str, Any]]) -> None:
    """Per-principal merge: add unions, replace sets, remove subtracts (the entry goes when empty).

    Remove matches permission names case-sensitively, as Azure's does (azure-rest-api-specs#42963):
    a differently-cased name is silently left in place.
    """
    policies = vault["properties"].setdefault("accessPolicies", [])
    for entry in entries:
        check_policy_entry(entry, vault["properties"]["tenantId"])
        current = next((p for p in policies if _same_principal(p, entry)), None)
        if kind == "remove":
            if current is not None:
                _remove(policies, current, entry["permissions"])
        elif current is None:
            policies.append(
                {k: v for k, v in entry.items() if k in ("tenantId", "objectId", "applicationId", "permissions")}
            )
        else:
            for perm_kind in POLICY_KINDS:
                given = entry["permissions"].get(perm_kind)
                if given is None:
                    continue
                had = current["permissions"].get(perm_kind) or []
                current["permissions"][perm_kind] = list(given) if kind == "replace" else _union(list(had), list(given))


def _remove(policies: list[dict[str, Any]], current: dict[str, Any], permissions: dict[str, list[str]]) -> None:
    for perm_kind, names in permissions.items():
        if perm_kind in current["permissions"]:
            current["permissions"][perm_kind] = [p for p in current["permissions"][perm_kind] if p not in names]
    if not any(current["permissions"].get(k) for k in POLICY_KINDS):
        policies.remove(current)


# Soft delete -------------------------------------------------------------------------------
def soft_delete(emu: Emulator, vault: dict[str, Any]) -> None:
    """The vault (and its keys) go to the deleted list; role assignments on it are removed (Azure does too)."""
    now = datetime.now(timezone.utc)
    days = vault["properties"].get("softDeleteRetentionInDays", 90)
    sub = vault["id"].split("/")[2]
    location = vault["location"]
    deleted = {
        "id": f"/subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{vault['name']}",
        "name": vault["name"],
        "type": "Microsoft.KeyVault/deletedVaults",
        "properties": {
            "vaultId": vault["id"],
            "location": location,
            "deletionDate": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "scheduledPurgeDate": (now + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tags": vault.get("tags") or {},
            "purgeProtectionEnabled": bool(vault["properties"].get("enablePurgeProtection")),
        },
    }
    emu.store.data["deletedVaults"][vault["name"].lower()] = {"deleted": deleted, "vault": vault}
    for assignment in list(emu.store.resources(vault["id"], "Microsoft.Authorization/roleAssignments")):
        emu.store.delete_resource(assignment["id"])
    emu.store.delete_resource(vault["id"])
