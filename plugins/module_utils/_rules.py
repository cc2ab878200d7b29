# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of Batch customer-managed keys (DESIGN.md), each written once, as findings.

A finding is a dict: ``code`` (stable, for reports and tests), ``severity``, ``subject`` (the vault,
key, identity or account it is about, by name), ``field`` (the key or vault field it concerns, or
None) and ``message``. Severity: ``error`` - Azure refuses the key, or an account using it is (or
becomes) unavailable; ``warning`` - allowed, but a risk; ``unknown`` - could not be checked from here.
batch_account_cmk fails on errors, the info modules and the compliance report list them all.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import time
from collections import Counter

from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import iso
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_time

ERROR = "error"
WARNING = "warning"
UNKNOWN = "unknown"
SEVERITIES = (ERROR, WARNING, UNKNOWN)

# How many days before a key's expiry reports warn (cmk_compliance_info's expiry_warning_days default).
EXPIRY_WARNING_DAYS = 30
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
# Findings that mean an account cannot reach its key: Azure makes it unavailable until they are fixed.
ACCESS_LOST = frozenset(
    {"no_identity", "identity_lacks_access", "key_missing", "key_disabled", "key_expired", "key_not_yet_active"}
    | {"key_ops_missing", "key_type_unsupported", "key_size_unsupported", "vault_purge_protection_disabled"}
    | {"vault_soft_delete_disabled", "vault_tenant_mismatch", "vault_unreachable"}
)
# Findings caused only by a resource (or grant) an earlier task creates: check mode cannot see them yet.
NOT_YET = frozenset(("vault_not_found", "vault_unreachable", "key_missing", "identity_lacks_access"))


def finding(code, severity, subject, message, field=None):
    return {"code": code, "severity": severity, "subject": subject, "field": field, "message": message}


def key_subject(vault_name, name, version=None):
    """How messages name a key: key 'cmk' (version 0a1b...) in vault 'kv-batch'."""
    shown = f"key '{name}'" + (f" (version {version})" if version else "")
    return f"{shown} in vault '{vault_name}'"


def key_spec_findings(key_type, key_size, key_ops, subject):
    """The key's type, size and permitted operations: RSA or RSA-HSM, 2048/3072/4096 bits, wrapKey + unwrapKey."""
    found = []
    if key_type is not None and key_type not in RSA_KEY_TYPES:
        message = f"{subject} is {key_type}; Batch customer-managed keys must be RSA or RSA-HSM"
        found.append(finding("key_type_unsupported", ERROR, subject, message, "key_type"))
    if key_size is not None and key_size not in RSA_KEY_SIZES:
        message = f"{subject} has {key_size} bits; Batch customer-managed keys must have 2048, 3072 or 4096"
        found.append(finding("key_size_unsupported", ERROR, subject, message, "key_size"))
    missing = [op for op in REQUIRED_KEY_OPS if op.lower() not in {o.lower() for o in key_ops or []}]
    if key_ops is not None and missing:
        message = "{}'s permitted operations must include wrapKey and unwrapKey (missing {})".format(
            subject, ", ".join(missing)
        )
        found.append(finding("key_ops_missing", ERROR, subject, message, "key_ops"))
    return found


def key_state_findings(enabled, not_before, expires, subject, now=None, expiry_days=None):
    """Whether the key can be used now: enabled, active, unexpired (``not_before``/``expires``: datetimes)."""
    now = time.time() if now is None else now
    found = []
    if enabled is False:
        found.append(finding("key_disabled", ERROR, subject, f"{subject} is disabled", "enabled"))
    if expires is not None and expires.timestamp() <= now:
        found.append(finding("key_expired", ERROR, subject, f"{subject} expired at {iso(expires)}", "expires"))
    elif expires is not None and expiry_days is not None and expires.timestamp() <= now + expiry_days * 86400:
        message = f"{subject} expires at {iso(expires)}, within {expiry_days} days"
        found.append(finding("key_expiring", WARNING, subject, message, "expires"))
    if not_before is not None and not_before.timestamp() > now:
        message = f"{subject} is not active before {iso(not_before)}"
        found.append(finding("key_not_yet_active", ERROR, subject, message, "not_before"))
    return found


def key_findings(key, subject, now=None, expiry_days=None):
    """Every rule of a key (a normalized key: type, size, operations, enabled, not_before, expires)."""
    found = key_spec_findings(key["key_type"], key["key_size"], key["key_ops"], subject)
    not_before, expires = parse_time(key["not_before"], "not_before"), parse_time(key["expires"], "expires")
    return found + key_state_findings(key["enabled"], not_before, expires, subject, now, expiry_days)


def key_fitness(key, subject):
    """What keeps a key (normalized; ``deleted`` when soft-deleted) from serving Batch now, as findings."""
    if key.get("deleted"):
        return [finding("key_soft_deleted", ERROR, subject, f"{subject} is soft-deleted", "deleted")]
    return key_findings(key, subject)


def vault_findings(vault, account_tenant=None):
    """The vault's protections (soft delete, purge protection) and tenant (the account's)."""
    subject = "vault '{}'".format(vault["name"])
    found = []
    if account_tenant and (vault.get("tenant_id") or "").lower() != account_tenant.lower():
        message = "{} is in tenant {}, not the account's tenant {}".format(subject, vault["tenant_id"], account_tenant)
        found.append(finding("vault_tenant_mismatch", ERROR, subject, message, "tenant_id"))
    if vault.get("enable_soft_delete") is False:
        message = f"{subject} does not have soft delete enabled, which customer-managed keys need"
        found.append(finding("vault_soft_delete_disabled", ERROR, subject, message, "enable_soft_delete"))
    if not vault.get("enable_purge_protection"):
        message = (
            f"{subject} does not have purge protection enabled, which customer-managed keys need (enable it "
            "with azure_cmk.batch.keyvault enable_purge_protection=true; it can never be turned off)"
        )
        found.append(finding("vault_purge_protection_disabled", ERROR, subject, message, "enable_purge_protection"))
    return found


def missing_permissions(granted):
    """The key permissions a CMK identity needs that ``granted`` lacks (names compare case-insensitively)."""
    have = {p.lower() for p in granted or []}
    if "all" in have:
        return []
    return [p for p in REQUIRED_KEY_PERMISSIONS if p.lower() not in have]


def grant_findings(missing, principal, vault_name, rbac):
    """``missing``: the permissions (or data actions) the account's identity lacks on the vault."""
    if not missing:
        return []
    how = (
        f"the role '{ENCRYPTION_ROLE_NAME}' on the vault or key"
        if rbac
        else "key permissions get, wrapKey and unwrapKey"
    )
    message = "{} lacks {} on vault '{}'; grant it {} (azure_cmk.batch.keyvault_access_policy)".format(
        principal, ", ".join(missing), vault_name, how
    )
    return [finding("identity_lacks_access", ERROR, principal, message)]


def rotation_findings(pinned_version, newest_version, auto_rotates, subject, versionless_id):
    """An account pinned to a version: one that rotates automatically, or that is no longer the newest."""
    if not pinned_version:
        return []
    found = []
    if newest_version and newest_version != pinned_version:
        message = (
            f"{subject} is pinned, but the key's newest version is {newest_version}; move the account to it "
            f"or to the versionless id {versionless_id}"
        )
        found.append(finding("pinned_old_version", WARNING, subject, message))
    if auto_rotates:
        message = (
            f"{subject} is pinned, but the key rotates automatically; use the versionless id {versionless_id} "
            "to follow it"
        )
        found.append(finding("pinned_version_with_rotation_policy", WARNING, subject, message))
    return found


def errors(findings):
    return [f for f in findings if f["severity"] == ERROR]


def by_severity(findings):
    """A count for every severity (zeros included), for reports."""
    counts = Counter(f["severity"] for f in findings)
    return {severity: counts.get(severity, 0) for severity in SEVERITIES}


def key_access_findings(facts):
    """Judge the facts _audit.read_key_access gathered about one principal and one key identifier: the key id
    (``invalid`` message), the ``vault`` (or, not in the subscription, ``challenge_tenant`` / ``unresolved``),
    the grants it lacks (``missing``), the ``key`` (or ``key_error``: (kind, message)), ``newest_version`` and
    ``auto_rotates``; with ``principal``, ``principal_id``, ``grants``, ``account_tenant``, ``vault_group``,
    ``subscription_id`` (or ``searched``: where an estate's report looked for vaults), ``expiry_days``."""
    if facts.get("invalid"):
        return [finding("key_identifier_invalid", ERROR, facts["key_identifier"], facts["invalid"])]
    key_id, vault = facts["key_id"], facts.get("vault")
    found = _vault_access(facts, key_id, vault)
    other_tenant = vault is None and any(f["code"] == "vault_tenant_mismatch" for f in found)
    if facts.get("unresolved") or other_tenant:  # the key cannot be read with this tenant's token, or at all
        return found
    if vault is None and facts.get("vault_group") and (facts.get("key_error") or (None,))[0] == "unreachable":
        return found  # not in the group it must be in (an error): its name not answering follows from it
    return found + _key_state(facts, key_id, vault is not None)


def _vault_access(facts, key_id, vault):
    subject = f"vault '{key_id.vault_name}'"
    if vault is None and facts.get("vault_group"):
        where = "resource group '{}' (key_vault_resource_group)".format(facts["vault_group"])
        return [finding("vault_not_found", ERROR, subject, f"{subject} is not in {where}")]
    if vault is None and facts.get("unresolved"):
        return [_unresolved(facts, key_id)]
    tenant, own = facts.get("challenge_tenant"), facts.get("account_tenant")
    if vault is None and tenant and own and tenant.lower() != own.lower():
        message = (
            f"{subject} is in tenant {tenant} (its Key Vault challenge says so), not the account's tenant {own}: "
            "a Batch account can use keys only in a vault of its own tenant"
        )
        return [finding("vault_tenant_mismatch", ERROR, subject, message, "tenant_id")]
    if vault is None:
        message = f"{subject} is not in {_searched(facts)}: its protections and grants were not checked"
        return [finding("vault_not_found", UNKNOWN, subject, message)]
    found = vault_findings(vault, facts.get("account_tenant"))
    principal = facts["principal"]
    if facts.get("grants") and facts.get("principal_id") is None:
        message = f"{principal} has no managed identity to reach the key with"
        return [*found, finding("no_identity", ERROR, principal, message)]
    if facts.get("grants"):
        found += grant_findings(facts.get("missing"), principal, vault["name"], vault["enable_rbac_authorization"])
    return found


def _searched(facts):
    """Where the vault was looked for: the account's subscription, or (``searched``) what an estate's report read."""
    return facts.get("searched") or "subscription {}".format(facts["subscription_id"])


def _unresolved(facts, key_id):
    where = _searched(facts)
    message = f"{key_id.vault_url} does not answer and no vault of that name is in {where} (is the vault name right?)"
    return finding("vault_unreachable", ERROR, f"vault '{key_id.vault_name}'", message)


def _key_state(facts, key_id, known_vault):
    subject = key_subject(key_id.vault_name, key_id.name, key_id.version)
    kind, message = facts.get("key_error") or (None, None)
    if kind == "unreachable" and not known_vault:
        return [_unresolved(facts, key_id)]
    if kind == "unreachable":
        reached = f"{key_id.vault_url} could not be reached: {message}"
        return [finding("vault_unreachable", UNKNOWN, f"vault '{key_id.vault_name}'", reached)]
    if kind == "unreadable":
        return [finding("key_unreadable", UNKNOWN, subject, f"{subject} could not be read to check it: {message}")]
    key = facts.get("key")
    if key is None:
        return [finding("key_missing", ERROR, subject, f"{subject} does not exist (deleted or never created)")]
    subject = key_subject(key_id.vault_name, key_id.name, key["version"])
    found = key_findings(key, subject, expiry_days=facts.get("expiry_days"))
    newest, auto = facts.get("newest_version"), facts.get("auto_rotates")
    return found + rotation_findings(key_id.version, newest, auto, subject, key["versionless_id"])


def account_findings(account, key_findings_of_account):
    """The report's findings for one account: its key's, after one for an account on Microsoft-managed keys
    and before one for an account still recovering; an account that does not exist has only that."""
    subject = "Batch account '{}'".format(account["name"])
    if account.get("missing"):
        message = "{} does not exist in resource group '{}'".format(subject, account["resource_group"])
        return [finding("account_missing", ERROR, subject, message)]
    found = list(key_findings_of_account)
    if account["key_source"] != "Microsoft.KeyVault":
        found.insert(0, finding("not_on_cmk", ERROR, subject, f"{subject} is encrypted with Microsoft-managed keys"))
    if account.get("recovering"):
        message = "{} is recovering: {}".format(subject, account["unavailable_reason"])
        found.append(finding("account_recovering", WARNING, subject, message))
    return found
