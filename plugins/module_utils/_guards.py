# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who depends on a key, vault, grant or identity, and the ``force`` guard: a change that would cut Batch
accounts off their key is refused, naming them, unless the task forces it (then it warns).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import account_label
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import list_accounts
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier


def accounts_on(ctx, vault_name=None, key_name=None, principal_id=None, identity_id=None):
    """(account, its parsed key id) for the subscription's accounts on a customer-managed key that match every
    criterion given: the key's vault and name, the principal or user-assigned identity they reach it with."""
    found = []
    for account in list_accounts(ctx):
        if identity_id and not _resource_id.same(identity_id, account["user_assigned_identity"]):
            continue
        if account["key_source"] != KEY_VAULT or not account["key_identifier"]:
            continue
        if principal_id and (account["principal_id"] or "").lower() != principal_id.lower():
            continue
        try:
            key_id = parse_key_identifier(account["key_identifier"], ctx.cloud)
        except CmkValidationError:
            continue
        if vault_name and key_id.vault_name != vault_name.lower():
            continue
        if key_name and key_id.name.lower() != key_name.lower():
            continue
        found.append((account, key_id))
    return found


def accounts_using(ctx, vault_name=None, key_name=None, principal_id=None, identity_id=None, version=None):
    """Labels of the accounts that would lose their key if the vault, the key, the principal's grant or the
    identity went away; with ``version``, only those on that version: pinned to it, or following the newest
    (when it is the newest)."""
    return [
        account_label(account)
        for account, key_id in accounts_on(ctx, vault_name, key_name, principal_id, identity_id)
        if version is None or key_id.version is None or key_id.version.lower() == version.lower()
    ]


def refuse_breaking(what, accounts, force, ctx):
    """Refuse a change that cuts ``accounts`` off their key, unless ``force`` (then only warn)."""
    if not accounts:
        return
    text = "{} would make Batch account(s) {} unavailable: they use it to reach their customer-managed key".format(
        what, ", ".join(accounts)
    )
    if force:
        ctx.warn(text + " (force: true)")
        return
    raise CmkValidationError(
        text + ". Move them to another key or to Microsoft.Batch first, or set force: true to do it anyway"
    )
