# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Can a Batch account's identity use this key, now? The checks behind batch_account_cmk's preflight,
the info module's unavailable flag and the compliance report, as findings with a code each.

Severity: ``error`` - Azure refuses the key, or an account using it is (or becomes) unavailable;
``warning`` - allowed, but a risk (expiring soon, pinned version under a rotation policy);
``unknown`` - could not be checked from here (vault in another subscription, key not readable).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import contextlib
import time

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkNotFound
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import REQUIRED_DATA_ACTIONS
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_spec_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import missing_permissions
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import parse_key_identifier
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key import normalize as normalize_key
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key import parse_time
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.roles import missing_data_actions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import find_vault

# Findings that mean the account cannot reach its key: Azure makes it unavailable until they are fixed.
ACCESS_LOST = (
    "no_identity",
    "identity_lacks_access",
    "key_missing",
    "key_disabled",
    "key_expired",
    "key_not_yet_active",
    "key_ops_missing",
)
# Findings caused only by a resource (or grant) an earlier task creates: check mode cannot see them yet.
NOT_YET = ("vault_not_found", "key_missing", "identity_lacks_access", "identity_not_found")


def finding(code, severity, message):
    return {"code": code, "severity": severity, "message": message}


def _vault_findings(vault, account_tenant):
    found = []
    if account_tenant and (vault["tenant_id"] or "").lower() != account_tenant.lower():
        found.append(
            finding(
                "vault_tenant_mismatch",
                "error",
                "vault '{}' is in tenant {}, not the account's tenant {}".format(
                    vault["name"], vault["tenant_id"], account_tenant
                ),
            )
        )
    if not vault["enable_soft_delete"]:
        found.append(
            finding(
                "vault_soft_delete_disabled",
                "error",
                "vault '{}' does not have soft delete enabled".format(vault["name"]),
            )
        )
    if not vault["enable_purge_protection"]:
        found.append(
            finding(
                "vault_purge_protection_disabled",
                "error",
                "vault '{}' does not have purge protection enabled".format(vault["name"]),
            )
        )
    return found


def _grant_findings(service, vault, principal_id, key_name):
    if vault["enable_rbac_authorization"]:
        missing = missing_data_actions(
            service, principal_id, "{}/keys/{}".format(vault["id"], key_name), REQUIRED_DATA_ACTIONS
        )
        how = "the role 'Key Vault Crypto Service Encryption User' on the vault or key"
    else:
        entry = next(
            (p for p in vault["access_policies"] if (p["object_id"] or "").lower() == principal_id.lower()), None
        )
        missing = missing_permissions(entry["key_permissions"] if entry else [])
        how = "key permissions get, wrapKey and unwrapKey"
    if not missing:
        return []
    return [
        finding(
            "identity_lacks_access",
            "error",
            "the account's identity (principal {}) lacks {} on vault '{}'; grant it {} "
            "(azure_cmk.batch.keyvault_access_policy)".format(principal_id, ", ".join(missing), vault["name"], how),
        )
    ]


def _key_findings(key, expiry_days, now):
    found = [
        finding(_spec_code(p), "error", p.split(": ", 1)[1] + " (key '{}')".format(key["name"]))
        for p in key_spec_problems(key["key_type"], key["key_size"], key["key_ops"])
    ]
    expires = parse_time(key["expires"], "expires")
    not_before = parse_time(key["not_before"], "not_before")
    if key["enabled"] is False:
        found.append(finding("key_disabled", "error", "key '{}' is disabled".format(key["name"])))
    if expires and expires.timestamp() <= now:
        found.append(finding("key_expired", "error", "key '{}' expired at {}".format(key["name"], key["expires"])))
    elif expires and expiry_days is not None and expires.timestamp() <= now + expiry_days * 86400:
        found.append(
            finding(
                "key_expiring",
                "warning",
                "key '{}' expires at {}, within {} days".format(key["name"], key["expires"], expiry_days),
            )
        )
    if not_before and not_before.timestamp() > now:
        found.append(
            finding(
                "key_not_yet_active", "error", "key '{}' is not active before {}".format(key["name"], key["not_before"])
            )
        )
    return found


def _spec_code(problem):
    return {"key_type": "key_type_unsupported", "key_size": "key_size_unsupported"}.get(
        problem.split(":", 1)[0], "key_ops_missing"
    )


def _read_key(service, key_id):
    """(normalized key or None, finding or None) for the key the identifier names."""
    keys = service.clients.keys(key_id.vault_url)
    label = f"{key_id.vault_url}/keys/{key_id.name}"
    try:
        key = service.call("read key", label, keys.get_key, key_id.name, key_id.version)
    except CmkNotFound:
        shown = key_id.name + ("/" + key_id.version if key_id.version else "")
        return None, finding(
            "key_missing",
            "error",
            f"key '{shown}' does not exist in vault '{key_id.vault_name}' (deleted or never created)",
        )
    except CmkError as exc:
        return None, finding(
            "key_unreadable", "unknown", f"key '{key_id.name}' could not be read to check it: {exc.message}"
        )
    policy = None
    with contextlib.suppress(CmkError):  # needs getrotationpolicy; without it the pinned-version check is skipped
        policy = service.call("read rotation policy of", label, keys.get_key_rotation_policy, key_id.name)
    return normalize_key(key, policy), None


def _rotation_findings(service, key_id, key):
    policy = key.get("rotation_policy") or {}
    if not key_id.version:
        return []
    found = []
    if policy.get("rotate_after_create") or policy.get("rotate_before_expiry"):
        found.append(
            finding(
                "pinned_version_with_rotation_policy",
                "warning",
                "the account pins version {} of key '{}', which rotates automatically; use the versionless id {} "
                "to follow it".format(key_id.version, key_id.name, key["versionless_id"]),
            )
        )
    return found


def key_access_findings(
    service, principal_id, key_identifier, account_tenant, expiry_days=None, vault_resource_group=None
):
    """Everything that keeps (or would keep) principal ``principal_id`` from using ``key_identifier``."""
    try:
        key_id = parse_key_identifier(key_identifier, service.module.cloud)
    except CmkValidationError as exc:
        return [finding("key_identifier_invalid", "error", str(exc))]
    found = []
    vault = find_vault(service, key_id.vault_name, vault_resource_group)
    if vault is None:
        found.append(
            finding(
                "vault_not_found",
                "unknown",
                f"vault '{key_id.vault_name}' is not in subscription {service.clients.subscription_id}: "
                "its protections and grants were not checked",
            )
        )
    else:
        found += _vault_findings(vault, account_tenant)
        if principal_id is None:
            found.append(finding("no_identity", "error", "the account has no managed identity to reach the key with"))
        else:
            found += _grant_findings(service, vault, principal_id, key_id.name)
    key, problem = _read_key(service, key_id)
    if problem:
        return [*found, problem]
    return found + _key_findings(key, expiry_days, time.time()) + _rotation_findings(service, key_id, key)
