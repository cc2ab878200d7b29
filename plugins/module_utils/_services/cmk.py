# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Can a principal use this key, now? Reads what the rules of _rules.py need - the vault, the
principal's grant, the key - once per run each, and returns the rules' findings. Used alike by
batch_account_cmk (before writing, and to refuse staying green on a broken account), the info module
and the compliance report.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _lro
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkUnreachable
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import ACCESS_LOST
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import ERROR
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import UNKNOWN
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import finding
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import grant_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_subject
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import missing_permissions
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import rotation_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import vault_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import principal_label
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import subscription_tenant
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.dataplane import vault_tenant
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key_view import normalize as normalize_key
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.roles import missing_data_actions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.rotation_policy import normalize_policy
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault_view import find_vault
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import RECOVERY_DELAY

# Findings caused only by a resource (or grant) an earlier task creates: check mode cannot see them yet.
NOT_YET = frozenset(("vault_not_found", "vault_unreachable", "key_missing", "identity_lacks_access"))


class Target:
    """Where an audit looks: the vault's resource group when known (``vault_group``, from the user, so a
    miss is an error), else the group the vault most likely shares with the account (``near``)."""

    def __init__(self, vault_group=None, near=None, expiry_days=None, deep=False):
        self.vault_group = vault_group
        self.near = near
        self.expiry_days = expiry_days
        self.deep = deep  # also the key's newest version and rotation policy (reports)


def account_key_access(ctx, account, target):
    """The findings for the key ``account`` uses, with its own identity (none off customer-managed keys)."""
    if account["key_source"] != KEY_VAULT or not account["key_identifier"]:
        return []
    principal_id = account["principal_id"] if account["identity_type"] != "None" else None
    return key_access(
        ctx,
        principal_id,
        principal_label(account) if principal_id else "Batch account '{}'".format(account["name"]),
        account["key_identifier"],
        subscription_tenant(ctx),
        target,
    )


def key_version(ctx, account):
    """(the key version the account uses - pinned, or the newest a versionless id resolves to - or None,
    whether it follows the newest version); from the audit's reads, no call of its own."""
    if account["key_source"] != KEY_VAULT or not account["key_identifier"]:
        return None, None
    try:
        key_id = parse_key_identifier(account["key_identifier"], ctx.cloud)
    except CmkError:
        return None, None
    # Not read again: a key the audit could not reach would be retried for minutes.
    key = ctx.cached(_key_read(key_id, key_id.version))
    return (key or {}).get("version") or key_id.version, key_id.version is None


def with_key_access(account, findings, lenient=False):
    """``account`` with ``key_access`` (the findings), ``unavailable``, ``unavailable_reason`` and ``recovering``;
    ``lenient`` (check mode predictions) leaves out what an earlier task of the run may still create.

    Recovering: every rule holds again, yet Azure still reports the account ``Invalid`` (a provisioning state of
    its spec): Batch makes an account available up to 10 minutes after its key access returns. Where Azure
    does not say so, nothing tells, and the account counts as available."""
    lost = [
        f
        for f in findings
        if f["severity"] == ERROR and f["code"] in ACCESS_LOST and not (lenient and f["code"] in NOT_YET)
    ]
    recovering = not lost and account.get("key_source") == KEY_VAULT and account.get("provisioning_state") == "Invalid"
    reason = "; ".join(f["message"] for f in lost) or None
    if recovering:
        reason = "its key is reachable again, but Batch still reports the account Invalid: " + RECOVERY_DELAY
    account.update(key_access=findings, unavailable=bool(lost) or recovering, unavailable_reason=reason)
    account["recovering"] = recovering
    return account


def key_access(ctx, principal_id, principal, key_identifier, account_tenant, target, grants=True):
    """Everything that keeps ``principal`` (object id ``principal_id``, None if there is none) from using
    ``key_identifier``, or puts it at risk, as findings; ``grants=False`` when the principal is not known yet
    (check mode: an identity an earlier task creates)."""
    try:
        key_id = parse_key_identifier(key_identifier, ctx.cloud)
    except CmkValidationError as exc:
        return [finding("key_identifier_invalid", ERROR, key_identifier, str(exc))]
    found = []
    vault = find_vault(ctx, key_id.vault_name, target.vault_group, target.near)
    if vault is None and target.vault_group:
        where = f"resource group '{target.vault_group}' (key_vault_resource_group)"
        found.append(
            finding(
                "vault_not_found",
                ERROR,
                f"vault '{key_id.vault_name}'",
                f"vault '{key_id.vault_name}' is not in {where}",
            )
        )
    elif vault is None:
        elsewhere = _vault_elsewhere(ctx, key_id, account_tenant)
        if elsewhere is not None:
            return found + elsewhere
        found.append(
            finding(
                "vault_not_found",
                UNKNOWN,
                f"vault '{key_id.vault_name}'",
                f"vault '{key_id.vault_name}' is not in subscription {ctx.subscription_id}: its protections and "
                "grants were not checked",
            )
        )
    else:
        found += vault_findings(vault, account_tenant)
        if grants and principal_id is None:
            found.append(
                finding("no_identity", ERROR, principal, f"{principal} has no managed identity to reach the key with")
            )
        elif grants:
            found += grant_findings(
                _missing_grants(ctx, vault, principal_id, key_id.name),
                principal,
                vault["name"],
                vault["enable_rbac_authorization"],
            )
    return found + _key_findings(ctx, key_id, vault is not None, target)


def _vault_elsewhere(ctx, key_id, account_tenant):
    """Findings that end the audit of a vault Resource Manager does not show: one of another tenant (its
    challenge names the tenant; Batch refuses it, and the key cannot be read with this tenant's token), or a
    name that does not resolve (far likelier a typo than a passing fault). None: go on with the key."""
    try:
        tenant = vault_tenant(ctx, key_id.vault_url)
    except CmkUnreachable:
        return [_unresolved(ctx, key_id)]
    if not tenant or not account_tenant or tenant.lower() == account_tenant.lower():
        return None
    subject = f"vault '{key_id.vault_name}'"
    return [
        finding(
            "vault_tenant_mismatch",
            ERROR,
            subject,
            f"{subject} is in tenant {tenant} (its Key Vault challenge says so), not the account's tenant "
            f"{account_tenant}: a Batch account can use keys only in a vault of its own tenant",
            "tenant_id",
        )
    ]


def _unresolved(ctx, key_id):
    return finding(
        "vault_unreachable",
        ERROR,
        f"vault '{key_id.vault_name}'",
        f"{key_id.vault_url} does not answer and no vault of that name is in subscription {ctx.subscription_id} "
        "(is the vault name right?)",
    )


def _missing_grants(ctx, vault, principal_id, key_name):
    if vault["enable_rbac_authorization"]:
        return missing_data_actions(ctx, principal_id, "{}/keys/{}".format(vault["id"], key_name))
    entry = next((p for p in vault["access_policies"] if (p["object_id"] or "").lower() == principal_id.lower()), None)
    return missing_permissions(entry["key_permissions"] if entry else [])


def read_key(ctx, key_id, version=None, known_vault=True):
    """The key (a version, or the newest), normalized without its policy; None if it does not exist.
    A vault that Resource Manager does not know is read without retrying a failed connection: a name
    that does not resolve is then far likelier a typo than a passing fault."""

    def fetch():
        keys = ctx.clients.keys(key_id.vault_url)
        extra = {} if known_vault else _lro.NO_RETRY
        label = f"{key_id.vault_url}/keys/{key_id.name}"
        found = ctx.read("read key", label, keys.get_key, key_id.name, version, **extra)
        return normalize_key(found, None) if found is not None else None

    return ctx.once(_key_read(key_id, version), fetch)


def _key_read(key_id, version):
    return ("key", key_id.vault_url, key_id.name.lower(), version)


def _key_findings(ctx, key_id, known_vault, target):
    subject = key_subject(key_id.vault_name, key_id.name, key_id.version)
    try:
        key = read_key(ctx, key_id, key_id.version, known_vault)
    except CmkUnreachable as exc:
        if not known_vault:  # a vault Resource Manager does not know, whose name does not resolve: a typo
            return [_unresolved(ctx, key_id)]
        message = f"{key_id.vault_url} could not be reached: " + exc.message
        return [finding("vault_unreachable", UNKNOWN, f"vault '{key_id.vault_name}'", message)]
    except CmkError as exc:
        return [finding("key_unreadable", UNKNOWN, subject, f"{subject} could not be read to check it: {exc.message}")]
    if key is None:
        return [finding("key_missing", ERROR, subject, f"{subject} does not exist (deleted or never created)")]
    subject = key_subject(key_id.vault_name, key_id.name, key["version"])
    found = key_findings(key, subject, expiry_days=target.expiry_days)
    if target.deep and key_id.version:
        newest = _optional(ctx, lambda: read_key(ctx, key_id))
        policy = _optional(ctx, lambda: rotation_policy(ctx, key_id)) or {}
        found += rotation_findings(
            key_id.version,
            (newest or {}).get("version"),
            bool(policy.get("rotate_after_create") or policy.get("rotate_before_expiry")),
            subject,
            key["versionless_id"],
        )
    return found


def rotation_policy(ctx, key_id):
    """The key's rotation policy as modules show it (read once per run)."""

    def fetch():
        keys = ctx.clients.keys(key_id.vault_url)
        label = f"{key_id.vault_url}/keys/{key_id.name}"
        try:
            found = ctx.read("read rotation policy of", label, keys.get_key_rotation_policy, key_id.name)
        except CmkError:
            return None  # without getrotationpolicy: the advisory check is skipped - and not asked again per account
        return normalize_policy(found)

    return ctx.once(("policy", key_id.vault_url, key_id.name.lower()), fetch)


def _optional(ctx, read):
    """An advisory read: without the right to it (getrotationpolicy, say), its check is skipped."""
    try:
        return read()
    except CmkError:
        return None
