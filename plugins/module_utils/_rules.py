# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of Batch customer-managed keys (DESIGN.md), as pure checks run before any write.

Each check returns a list of problems; each problem names the option (or field) and the rule.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import re
import time
from collections import namedtuple

from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import vault_url
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError

RSA_KEY_TYPES = ("RSA", "RSA-HSM")
RSA_KEY_SIZES = (2048, 3072, 4096)
REQUIRED_KEY_OPS = ("wrapKey", "unwrapKey")
REQUIRED_KEY_PERMISSIONS = ("get", "wrapKey", "unwrapKey")
ENCRYPTION_ROLE_NAME = "Key Vault Crypto Service Encryption User"
# Data actions the encryption role grants; a principal holding them all (by any role) can serve as CMK identity.
REQUIRED_DATA_ACTIONS = (
    "Microsoft.KeyVault/vaults/keys/read",
    "Microsoft.KeyVault/vaults/keys/wrap/action",
    "Microsoft.KeyVault/vaults/keys/unwrap/action",
)

BATCH_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")
VAULT_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
KEY_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
IDENTITY_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$")
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
KEY_VERSION = re.compile(r"^[0-9a-fA-F]{32}$")

KeyId = namedtuple("KeyId", "vault_url vault_name name version")


def require(problems):
    """Raise one CmkValidationError listing every problem, or return quietly."""
    problems = [p for p in problems if p]
    if problems:
        raise CmkValidationError("; ".join(problems))


def key_spec_problems(key_type, key_size, key_ops, where="key"):
    problems = []
    if key_type is not None and key_type not in RSA_KEY_TYPES:
        problems.append(f"{where}_type: {key_type} keys cannot be Batch customer-managed keys; use RSA or RSA-HSM")
    if key_size is not None and key_size not in RSA_KEY_SIZES:
        problems.append(f"{where}_size: {key_size} bits is not allowed; use 2048, 3072 or 4096")
    if key_ops is not None:
        have = {op.lower() for op in key_ops}
        missing = [op for op in REQUIRED_KEY_OPS if op.lower() not in have]
        if missing:
            problems.append(
                "{}_ops: must include {} (missing {})".format(where, " and ".join(REQUIRED_KEY_OPS), ", ".join(missing))
            )
    return problems


def vault_problems(vault_name, soft_delete, purge_protection):
    problems = []
    if soft_delete is False:
        problems.append(f"vault '{vault_name}': soft delete must be enabled for customer-managed keys")
    if not purge_protection:
        problems.append(
            f"vault '{vault_name}': purge protection must be enabled for customer-managed keys (enable it with "
            "azure_cmk.batch.keyvault enable_purge_protection=true; it can never be turned off)"
        )
    return problems


def tenant_problems(vault_name, vault_tenant, account_tenant):
    if vault_tenant and account_tenant and vault_tenant.lower() != account_tenant.lower():
        return [
            f"vault '{vault_name}' is in tenant {vault_tenant} but the Batch account is in tenant "
            f"{account_tenant}; the vault must be in the account's tenant"
        ]
    return []


def missing_permissions(granted):
    """The key permissions a CMK identity needs that ``granted`` lacks (names compare case-insensitively)."""
    have = {p.lower() for p in granted or []}
    if "all" in have:
        return []
    return [p for p in REQUIRED_KEY_PERMISSIONS if p.lower() not in have]


def key_usable_problems(name, enabled, not_before, expires, now=None):
    now = time.time() if now is None else now
    problems = []
    if enabled is False:
        problems.append(f"key '{name}' is disabled")
    if not_before is not None and not_before > now:
        problems.append(f"key '{name}' is not active yet (not_before is in the future)")
    if expires is not None and expires <= now:
        problems.append(f"key '{name}' has expired")
    return problems


def parse_key_identifier(value, cloud, option="key_identifier"):
    """The parts of a Key Vault key URL, versioned or versionless, in ``cloud``; CmkValidationError otherwise."""
    pattern = rf"^https://(?P<vault>[^./]+)\.{re.escape(cloud.vault_suffix)}(?::443)?/keys/(?P<name>[^/]+)(?:/(?P<version>[^/]*))?/?$"
    found = re.match(pattern, value or "", re.IGNORECASE)
    shape = f"https://<vault>.{cloud.vault_suffix}/keys/<name>[/<version>]"
    if not found:
        raise CmkValidationError(f"{option}: '{value}' is not a Key Vault key URL of the form {shape}")
    version = found.group("version") or None
    require(
        name_problems("vault name in " + option, found.group("vault"), VAULT_NAME, "3-24 letters, digits and hyphens")
        + name_problems("key name in " + option, found.group("name"), KEY_NAME, "letters, digits and hyphens")
        + (
            [f"{option}: the key version '{version}' is not 32 hexadecimal characters"]
            if version and not KEY_VERSION.match(version)
            else []
        )
    )
    vault = found.group("vault").lower()
    return KeyId(vault_url(cloud, vault), vault, found.group("name"), version)


def name_problems(option, value, pattern, rule):
    if value is None or pattern.match(value):
        return []
    return [f"{option}: '{value}' is not valid ({rule})"]


def batch_account_name_problems(value, option="name"):
    return name_problems(option, value, BATCH_ACCOUNT_NAME, "3-24 lowercase letters and digits")


def vault_name_problems(value, option="vault_name"):
    return name_problems(
        option, value, VAULT_NAME, "3-24 letters, digits and hyphens, starting with a letter, no consecutive hyphens"
    )


def key_name_problems(value, option="name"):
    return name_problems(option, value, KEY_NAME, "1-127 letters, digits and hyphens")


def guid_problems(value, option):
    return name_problems(option, value, GUID, "a GUID")
