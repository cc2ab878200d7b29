# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An estate's account, judged from what _estate read: account_facts gives _rules.key_access_findings the facts
_audit.read_key_access gathers from the providers - one judgment for both paths; confirm_facts reads an account,
its vault and grants again from the resource providers (an account whose findings must be fresh).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import time

from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import principal_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate import PROVIDER
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate import SEARCHED
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate import key_id_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate import vault_ctx
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import REQUIRED_DATA_ACTIONS
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import missing_permissions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.access import above_subscriptions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.access import allows
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.access import covers
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.access import missing_data_actions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.access import policy_entry
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.access import role_permissions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import get_account
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import get_vault
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier


def account_facts(ctx, estate, acct, expiry_days):
    """The facts _rules.key_access_findings judges for the key ``acct`` uses (None: not on a customer-managed key)."""
    key_id = key_id_of(ctx, acct)
    if acct.get("key_source") != KEY_VAULT or not acct.get("key_identifier"):
        return None
    principal_id, label = principal_of(acct)
    facts = {"key_identifier": acct["key_identifier"], "vault_group": estate.scope.vault_group}
    facts.update(expiry_days=expiry_days, principal_id=principal_id, grants=True)
    if key_id is None:
        facts["invalid"] = str(_parse_error(ctx, acct["key_identifier"]))
    elif acct["id"].lower() in estate.fallback:
        facts.update(estate.fallback[acct["id"].lower()], expiry_days=expiry_days)
    else:
        vault = facts["vault"] = estate.vaults.get(key_id.vault_name)
        facts["key_id"] = key_id
        if principal_id is not None:
            facts["missing"] = _missing(ctx, estate, vault, principal_id, key_id.name)
        facts.update(_key_facts(estate, key_id))
    facts.update(principal=label, account_tenant=acct.get("subscription_tenant"), searched=SEARCHED)
    return dict(facts, subscription_id=acct["subscription_id"])


def _parse_error(ctx, identifier):
    try:
        parse_key_identifier(identifier, ctx.cloud)
    except CmkValidationError as exc:
        return exc
    return None


def _missing(ctx, estate, vault, principal_id, key_name):
    """What the principal lacks on the key: by the vault's access policies, or by the role assignments the index
    shows; a grant at a management group may reach the vault or not - the provider says which."""
    if not vault["enable_rbac_authorization"]:
        entry = policy_entry(vault, principal_id)
        return missing_permissions(entry["key_permissions"] if entry else [])
    vctx, key_scope = vault_ctx(ctx, vault), "{}/keys/{}".format(vault["id"], key_name)
    permissions = []
    for scope, role in estate.grants.get(principal_id.lower(), []):
        if not above_subscriptions(scope) and covers(scope, key_scope):
            permissions += role_permissions(vctx, role)
    missing = [action for action in REQUIRED_DATA_ACTIONS if not allows(permissions, action)]
    if missing and principal_id.lower() in estate.broad:
        return missing_data_actions(vctx, principal_id, key_scope)
    return missing


def _key_facts(estate, key_id):
    """The key (the pinned version, or the newest) from the vault's key list, its newest version and whether it
    rotates itself - or why it could not be read."""
    listed = estate.keys.get(key_id.vault_name)
    if isinstance(listed, CmkError):
        return {"key_error": ("unreadable", listed.message)}
    newest = (listed or {}).get(key_id.name.lower())
    if newest is None or not key_id.version or newest["version"].lower() == key_id.version.lower():
        key = newest
    else:
        versions = estate.versions.get((key_id.vault_name, key_id.name.lower()))
        if isinstance(versions, CmkError):
            return {"key_error": ("unreadable", versions.message)}
        key = (versions or {}).get(key_id.version.lower())
    facts = {"key": key}
    if key is not None and key_id.version:
        facts.update(newest_version=newest["version"], auto_rotates=newest["auto_rotates"])
    return facts


def key_version(ctx, estate, acct):
    """(the key version in use, whether the identifier follows the newest) - as _audit.key_version gives them."""
    key_id = key_id_of(ctx, acct)
    if key_id is None:
        return None, None
    if key_id.version:
        return key_id.version, False
    return _newest_spelled(estate, key_id), True


def _newest_spelled(estate, key_id):
    listed = estate.keys.get(key_id.vault_name)
    found = listed.get(key_id.name.lower()) if isinstance(listed, dict) else None
    return found["version"] if found else None


def confirm_facts(ctx, estate, acct, expiry_days):
    """``acct`` read again from Batch, with its vault and grants from Key Vault's resource provider: (the account
    as the provider has it - None when it is gone - and the facts of its key)."""
    actx = ctx.for_subscription(acct["subscription_id"])
    fresh = get_account(actx, acct["resource_group"], acct["name"])
    if fresh is None:
        return None, None
    fresh = dict(fresh, subscription_id=acct["subscription_id"], subscription_tenant=acct["subscription_tenant"])
    fresh["state"] = {"source": PROVIDER, "as_of": iso_now()}
    key_id = key_id_of(ctx, fresh)
    if key_id is None or key_id.vault_name not in estate.vaults:
        return fresh, account_facts(ctx, estate, fresh, expiry_days)
    known = estate.vaults[key_id.vault_name]
    vault = get_vault(vault_ctx(ctx, known), known["resource_group"], known["name"])
    if vault is not None:
        vault = dict(vault, subscription_id=known["subscription_id"])
    facts = account_facts(ctx, estate, fresh, expiry_days)
    facts["vault"] = vault
    principal_id = facts.get("principal_id")
    if vault is not None and principal_id is not None and vault["enable_rbac_authorization"]:
        key_scope = "{}/keys/{}".format(vault["id"], key_id.name)
        facts["missing"] = missing_data_actions(vault_ctx(ctx, known), principal_id, key_scope)
    elif vault is not None and principal_id is not None:
        facts["missing"] = _missing(ctx, estate, vault, principal_id, key_id.name)
    return fresh, facts


def iso_now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
