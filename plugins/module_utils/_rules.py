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
    (
        "no_identity",
        "identity_lacks_access",
        "key_missing",
        "key_disabled",
        "key_expired",
        "key_not_yet_active",
        "key_ops_missing",
        "key_type_unsupported",
        "key_size_unsupported",
        "vault_purge_protection_disabled",
        "vault_soft_delete_disabled",
        "vault_tenant_mismatch",
        "vault_unreachable",
    )
)


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
        found.append(
            finding(
                "key_type_unsupported",
                ERROR,
                subject,
                f"{subject} is {key_type}; Batch customer-managed keys must be RSA or RSA-HSM",
                "key_type",
            )
        )
    if key_size is not None and key_size not in RSA_KEY_SIZES:
        found.append(
            finding(
                "key_size_unsupported",
                ERROR,
                subject,
                f"{subject} has {key_size} bits; Batch customer-managed keys must have 2048, 3072 or 4096",
                "key_size",
            )
        )
    if key_ops is not None:
        have = {op.lower() for op in key_ops}
        missing = [op for op in REQUIRED_KEY_OPS if op.lower() not in have]
        if missing:
            found.append(
                finding(
                    "key_ops_missing",
                    ERROR,
                    subject,
                    "{}'s permitted operations must include wrapKey and unwrapKey (missing {})".format(
                        subject, ", ".join(missing)
                    ),
                    "key_ops",
                )
            )
    return found


def key_state_findings(enabled, not_before, expires, subject, now=None, expiry_days=None):
    """Whether the key can be used now: enabled, active, unexpired (``not_before``/``expires``: datetimes)."""
    now = time.time() if now is None else now
    found = []
    if enabled is False:
        found.append(finding("key_disabled", ERROR, subject, f"{subject} is disabled", "enabled"))
    if expires is not None and expires.timestamp() <= now:
        found.append(finding("key_expired", ERROR, subject, f"{subject} expired at {_iso(expires)}", "expires"))
    elif expires is not None and expiry_days is not None and expires.timestamp() <= now + expiry_days * 86400:
        found.append(
            finding(
                "key_expiring",
                WARNING,
                subject,
                f"{subject} expires at {_iso(expires)}, within {expiry_days} days",
                "expires",
            )
        )
    if not_before is not None and not_before.timestamp() > now:
        found.append(
            finding(
                "key_not_yet_active", ERROR, subject, f"{subject} is not active before {_iso(not_before)}", "not_before"
            )
        )
    return found


def key_findings(key, subject, now=None, expiry_days=None):
    """Every rule of a key (a normalized key: type, size, operations, enabled, not_before, expires)."""
    found = key_spec_findings(key["key_type"], key["key_size"], key["key_ops"], subject)
    return found + key_state_findings(
        key["enabled"],
        parse_time(key["not_before"], "not_before"),
        parse_time(key["expires"], "expires"),
        subject,
        now=now,
        expiry_days=expiry_days,
    )


def vault_findings(vault, account_tenant=None):
    """The vault's protections (soft delete, purge protection) and tenant (the account's)."""
    subject = "vault '{}'".format(vault["name"])
    found = []
    if account_tenant and (vault.get("tenant_id") or "").lower() != account_tenant.lower():
        found.append(
            finding(
                "vault_tenant_mismatch",
                ERROR,
                subject,
                "{} is in tenant {}, not the account's tenant {}".format(subject, vault["tenant_id"], account_tenant),
                "tenant_id",
            )
        )
    if vault.get("enable_soft_delete") is False:
        found.append(
            finding(
                "vault_soft_delete_disabled",
                ERROR,
                subject,
                f"{subject} does not have soft delete enabled, which customer-managed keys need",
                "enable_soft_delete",
            )
        )
    if not vault.get("enable_purge_protection"):
        found.append(
            finding(
                "vault_purge_protection_disabled",
                ERROR,
                subject,
                f"{subject} does not have purge protection enabled, which customer-managed keys need (enable it "
                "with azure_cmk.batch.keyvault enable_purge_protection=true; it can never be turned off)",
                "enable_purge_protection",
            )
        )
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
    return [
        finding(
            "identity_lacks_access",
            ERROR,
            principal,
            "{} lacks {} on vault '{}'; grant it {} (azure_cmk.batch.keyvault_access_policy)".format(
                principal, ", ".join(missing), vault_name, how
            ),
        )
    ]


def rotation_findings(pinned_version, newest_version, auto_rotates, subject, versionless_id):
    """An account pinned to a version: one that rotates automatically, or that is no longer the newest."""
    if not pinned_version:
        return []
    found = []
    if newest_version and newest_version != pinned_version:
        found.append(
            finding(
                "pinned_old_version",
                WARNING,
                subject,
                f"{subject} is pinned, but the key's newest version is {newest_version}; move the account to it "
                f"or to the versionless id {versionless_id}",
            )
        )
    if auto_rotates:
        found.append(
            finding(
                "pinned_version_with_rotation_policy",
                WARNING,
                subject,
                f"{subject} is pinned, but the key rotates automatically; use the versionless id {versionless_id} "
                "to follow it",
            )
        )
    return found


def errors(findings):
    return [f for f in findings if f["severity"] == ERROR]


def by_severity(findings):
    """A count for every severity (zeros included), for reports."""
    counts = Counter(f["severity"] for f in findings)
    return {severity: counts.get(severity, 0) for severity in SEVERITIES}


def _iso(moment):
    return iso(moment)
