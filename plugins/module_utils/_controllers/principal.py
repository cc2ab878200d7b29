# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who is granted: an object id as given, a user-assigned identity's principal, or a Batch account's
system-assigned principal.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import get_account
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.identity import find_identity
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.subscription import caller_object_id


def _batch_principal(ctx, reference, resource_group, revoking):
    if reference.startswith("/"):
        try:
            parsed = _resource_id.parse_as(reference, "Microsoft.Batch", "batchAccounts")
        except ValueError as exc:
            raise CmkValidationError(f"batch_account: {exc}") from exc
        resource_group, name = parsed["resource_group"], parsed["name"]
    else:
        name = reference
    account = get_account(ctx, resource_group, name)
    if account is None:
        if revoking:
            return None  # no account, no principal: nothing to revoke
        return ctx.not_yet(
            "batch_account", f"Batch account '{name}' does not exist in resource group '{resource_group}'"
        )
    if account["identity_type"] != "SystemAssigned":
        if revoking:
            return None
        return ctx.not_yet(
            "batch_account",
            "Batch account '{}' has no system-assigned identity (identity type {}); set identity_type: "
            "SystemAssigned with azure_cmk.batch.batch_account_cmk, or grant its user-assigned identity "
            "with the identity option".format(name, account["identity_type"]),
        )
    return account["principal_id"]


def resolve_principal(ctx, request, revoking=False):
    """(object id, or None when it cannot be known yet in check mode - or, when ``revoking``, when the
    identity or account is gone; a label naming the principal for messages)."""
    group = request.get("principal_resource_group") or request["resource_group"]
    if request.get("caller"):
        object_id = caller_object_id(ctx)
        return object_id, f"the caller (principal {object_id})"
    if request.get("object_id"):
        return request["object_id"], "principal " + request["object_id"]
    if request.get("identity"):
        group_option = "principal_resource_group" if request.get("principal_resource_group") else "resource_group"
        found = find_identity(ctx, request["identity"], group, "identity", group_option)
        label = "user-assigned identity '{}'".format(request["identity"].rsplit("/", 1)[-1])
        if found is None and not revoking:
            ctx.not_yet(
                "identity",
                "user-assigned identity '{}' does not exist in resource group '{}'".format(request["identity"], group),
            )
        return (found or {}).get("principal_id"), label
    if request.get("batch_account"):
        label = "the system-assigned identity of Batch account '{}'".format(request["batch_account"].rsplit("/", 1)[-1])
        return _batch_principal(ctx, request["batch_account"], group, revoking), label
    # The argument spec makes one of them present, so the one given was null, empty or false: in check
    # mode typically an id that an earlier task returns only once it has run.
    message = "caller, object_id, identity or batch_account: the principal to grant is null, empty or false"
    if ctx.check_mode:
        ctx.assume(message + " (check mode: assuming an earlier task provides it)")
        return None, "the principal (not known until an earlier task has run)"
    raise CmkValidationError(message)
