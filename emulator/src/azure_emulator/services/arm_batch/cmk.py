"""Batch's customer-managed-key rules, checked with the account's own identity, as Batch does.

Each broken rule has its own error code. Batch's real codes for these cases are not documented
(research/cmk-rules.md A18/A19); these name the cause so a client can tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from ... import propagation
from ...authz import policy_allows
from ...authz import rbac_allows
from ..arm_keyvault.models import find_vault
from ..keyvault_data import crypto
from ..keyvault_data import models as keys

if TYPE_CHECKING:
    from ... import Emulator

NEEDED = (("get", "keys/read"), ("wrapKey", "keys/wrap/action"), ("unwrapKey", "keys/unwrap/action"))
RSA_SIZES = (2048, 3072, 4096)


@dataclass
class CmkProblem:
    code: str
    message: str

    @property
    def target(self) -> str:
        return "properties.encryption.keyVaultProperties.keyIdentifier"


def identity_principal(emu: Emulator, identity: dict[str, Any] | None) -> str | None:
    """The principal Batch uses to reach the key: system-assigned, or the one user-assigned identity."""
    if not identity or identity.get("type") == "None":
        return None
    if identity["type"] == "SystemAssigned":
        return identity.get("principalId")
    values = list((identity.get("userAssignedIdentities") or {}).values())
    return values[0].get("principalId") if values else None


def missing_permissions(emu: Emulator, vault: dict[str, Any], principal_id: str, key_name: str) -> list[str]:
    """What Batch finds missing, with the grants as they have propagated to it."""
    props = vault["properties"]
    if props.get("enableRbacAuthorization"):
        scope = f"{vault['id']}/keys/{key_name}"
        among = propagation.effective_assignments(emu)
        return [
            p
            for p, a in NEEDED
            if not rbac_allows(emu.store, principal_id, scope, f"Microsoft.KeyVault/vaults/{a}", True, among)
        ]
    seen = propagation.effective_vault(emu, vault)
    return [p for p, _a in NEEDED if not policy_allows(seen, props["tenantId"], principal_id, p)]


def check(
    emu: Emulator,
    identity: dict[str, Any] | None,
    tenant_id: str,
    key_identifier: str,
    holder: str = "The Batch account identity",
) -> CmkProblem | None:
    """The first rule the account (or a pool: ``holder`` names who) would break by using ``key_identifier``
    now, or None."""
    principal_id = identity_principal(emu, identity)
    if principal_id is None:
        return CmkProblem(
            "AccountIdentityRequired",
            "Customer-managed keys need a managed identity on the Batch account (SystemAssigned or UserAssigned) "
            "that has access to the key.",
        )
    parsed = keys.parse_key_identifier(key_identifier)
    if parsed is None:
        return CmkProblem(
            "InvalidKeyVaultKeyIdentifier",
            f"The key identifier '{key_identifier}' is not a Key Vault key URL of the form "
            "https://{vault}.vault.azure.net/keys/{name}[/{version}].",
        )
    _host, vault_name, key_name, version = parsed
    vault = find_vault(emu, vault_name)
    if vault is None:
        return CmkProblem("KeyVaultNotFound", f"The key vault '{vault_name}' of the key identifier does not exist.")
    return (
        _vault_rules(emu, vault, tenant_id)
        or _access(emu, vault, principal_id, key_name, holder)
        or _key_rules(emu, vault, key_name, version)
    )


def _vault_rules(emu: Emulator, vault: dict[str, Any], tenant_id: str) -> CmkProblem | None:
    props = vault["properties"]
    if props["tenantId"].lower() != tenant_id.lower():
        return CmkProblem(
            "KeyVaultTenantMismatch",
            f"The key vault '{vault['name']}' is in tenant '{props['tenantId']}', but the Batch account is in tenant "
            f"'{tenant_id}'. The key vault must be in the same tenant as the Batch account.",
        )
    if props.get("enableSoftDelete") is False:
        return CmkProblem(
            "KeyVaultSoftDeleteNotEnabled", f"The key vault '{vault['name']}' must have soft delete enabled."
        )
    if not props.get("enablePurgeProtection"):
        return CmkProblem(
            "KeyVaultPurgeProtectionNotEnabled", f"The key vault '{vault['name']}' must have purge protection enabled."
        )
    return None


def _access(emu: Emulator, vault: dict[str, Any], principal_id: str, key_name: str, holder: str) -> CmkProblem | None:
    missing = missing_permissions(emu, vault, principal_id, key_name)
    if not missing:
        return None
    how = (
        "the role 'Key Vault Crypto Service Encryption User'"
        if vault["properties"].get("enableRbacAuthorization")
        else "key permissions get, wrapKey and unwrapKey in the vault's access policies"
    )
    return CmkProblem(
        "KeyVaultAccessForbidden",
        f"{holder} (principal '{principal_id}') lacks {', '.join(missing)} on key vault "
        f"'{vault['name']}'; grant it {how}.",
    )


def _key_rules(emu: Emulator, vault: dict[str, Any], key_name: str, version_id: str | None) -> CmkProblem | None:
    record = keys.key_record(emu, vault["name"], key_name)
    version = None
    if record is not None:
        version = record["versions"].get((version_id or record["order"][-1]).lower())
    if version is None:
        shown = f"{key_name}/{version_id}" if version_id else key_name
        return CmkProblem("KeyVaultKeyNotFound", f"The key '{shown}' was not found in key vault '{vault['name']}'.")
    if not version["kty"].startswith("RSA"):
        return CmkProblem(
            "KeyVaultKeyTypeNotSupported",
            f"The key '{key_name}' is of type {version['kty']}; only RSA and RSA-HSM keys are supported.",
        )
    size = crypto.key_size(version["pem"])
    if size not in RSA_SIZES:
        return CmkProblem(
            "KeyVaultKeySizeNotSupported",
            f"The key '{key_name}' is {size} bits; supported sizes are 2048, 3072 and 4096.",
        )
    lacking = [op for op in ("wrapKey", "unwrapKey") if op not in version["key_ops"]]
    if lacking:
        return CmkProblem(
            "KeyVaultKeyOperationsNotPermitted",
            f"The key '{key_name}' does not permit {' and '.join(lacking)}; "
            "its key_ops must include wrapKey and unwrapKey.",
        )
    why = keys.usable(version)
    if why:
        code = {"disabled": "KeyVaultKeyDisabled", "expired": "KeyVaultKeyExpired"}.get(why, "KeyVaultKeyNotYetActive")
        return CmkProblem(code, f"The key '{key_name}' is {why}.")
    return None
