# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Can a principal use this key, now? First reads what the rules need - the vault, the principal's grant,
the key, and for reports its newest version and rotation policy - once per run each, into plain facts; then
_rules.key_access_findings judges them. Used alike by batch_account_cmk (before writing, and to refuse
staying green on a broken account), the info module, the compliance report and the inventory.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _lro
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkUnreachable
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import ACCESS_LOST
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import ERROR
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import NOT_YET
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_access_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import missing_permissions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.access import missing_data_actions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.access import policy_entry
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import holder_label
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import principal_label
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.dataplane import vault_tenant
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key import get_key
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key import get_rotation_policy
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key import key_read
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key import read_ahead
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.subscription import subscription_tenant
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import find_vault
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import RECOVERY_DELAY


class Target:
    """Where an audit looks: the vault's resource group when known (``vault_group``, from the user, so a
    miss is an error), else the group the vault most likely shares with the account (``near``)."""

    def __init__(self, vault_group=None, near=None, expiry_days=None, deep=False):
        self.vault_group = vault_group
        self.near = near
        self.expiry_days = expiry_days
        self.deep = deep  # also the key's newest version and rotation policy (reports)


def key_access(ctx, principal_id, principal, key_identifier, account_tenant, target, grants=True):
    """Everything that keeps ``principal`` (object id ``principal_id``, None if there is none) from using
    ``key_identifier``, or puts it at risk, as findings; ``grants=False`` when the principal is not known yet
    (check mode: an identity an earlier task creates)."""
    facts = read_key_access(ctx, principal_id, key_identifier, target, grants)
    facts.update(principal=principal, account_tenant=account_tenant, subscription_id=ctx.subscription_id)
    return key_access_findings(facts)


def read_key_access(ctx, principal_id, key_identifier, target, grants=True):
    """The facts key_access_findings judges (see _rules), read once per run each."""
    facts = {"key_identifier": key_identifier, "vault_group": target.vault_group, "expiry_days": target.expiry_days}
    facts.update(principal_id=principal_id, grants=grants)
    try:
        key_id = facts["key_id"] = parse_key_identifier(key_identifier, ctx.cloud)
    except CmkValidationError as exc:
        return dict(facts, invalid=str(exc))
    read_ahead(ctx, key_id)  # the key's tunnel and read go beside the vault's read (and the grants')
    vault = facts["vault"] = find_vault(ctx, key_id.vault_name, target.vault_group, target.near)
    if vault is None and not target.vault_group:
        try:  # a vault Resource Manager does not show: its challenge names its tenant
            facts["challenge_tenant"] = vault_tenant(ctx, key_id.vault_url)
        except CmkUnreachable:
            return dict(facts, unresolved=True)  # a name that does not resolve: far likelier a typo
    if vault is not None and grants and principal_id is not None:
        facts["missing"] = _missing_grants(ctx, vault, principal_id, key_id.name)
    facts.update(_read_key(ctx, key_id, vault is not None, target.deep))
    return facts


def _missing_grants(ctx, vault, principal_id, key_name):
    if vault["enable_rbac_authorization"]:
        return missing_data_actions(ctx, principal_id, "{}/keys/{}".format(vault["id"], key_name))
    entry = policy_entry(vault, principal_id)
    return missing_permissions(entry["key_permissions"] if entry else [])


def _read_key(ctx, key_id, known_vault, deep):
    """The key (and, ``deep``, the newest version and whether it rotates itself) - or why it could not be read.
    A vault Resource Manager does not know is read without retrying a failed connection."""
    try:
        key = get_key(ctx, key_id.vault_url, key_id.name, key_id.version, None if known_vault else _lro.NO_RETRY)
    except CmkUnreachable as exc:
        return {"key_error": ("unreachable", exc.message)}
    except CmkError as exc:
        return {"key_error": ("unreadable", exc.message)}
    facts = {"key": key}
    if key is not None and deep and key_id.version:
        newest = _optional(lambda: get_key(ctx, key_id.vault_url, key_id.name))
        policy = _optional(lambda: get_rotation_policy(ctx, key_id.vault_url, key_id.name)) or {}
        facts["newest_version"] = (newest or {}).get("version")
        facts["auto_rotates"] = bool(policy.get("rotate_after_create") or policy.get("rotate_before_expiry"))
    return facts


def _optional(read):
    """An advisory read: without the right to it (getrotationpolicy, say), its check is skipped."""
    try:
        return read()
    except CmkError:
        return None


def principal_of(account):
    """(the object id of the identity ``account`` reaches its key with - None without one, how messages name it)."""
    principal_id = account["principal_id"] if account["identity_type"] != "None" else None
    return principal_id, principal_label(account) if principal_id else holder_label(account)


def account_key_access(ctx, account, target):
    """The findings for the key ``account`` uses, with its own identity (none off customer-managed keys)."""
    if account["key_source"] != KEY_VAULT or not account["key_identifier"]:
        return []
    principal_id, principal = principal_of(account)
    return key_access(ctx, principal_id, principal, account["key_identifier"], subscription_tenant(ctx), target)


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
    key = ctx.cached(key_read(key_id.vault_url, key_id.name, key_id.version))
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
    return dict(
        account,
        key_access=findings,
        unavailable=bool(lost) or recovering,
        unavailable_reason=reason,
        recovering=recovering,
    )
