# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who is granted: an object id as given, a user-assigned identity's principal, or a Batch account's
system-assigned principal.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.identity import find_identity


def _not_yet(service, option, message):
    """A principal that does not exist yet: in check mode an earlier task may create it; otherwise an error."""
    if service.module.check_mode:
        service.module.warn(message + " (check mode: assuming an earlier task creates it)")
        return None
    raise CmkValidationError(f"{option}: {message}")


def _batch_principal(service, reference, resource_group):
    if reference.startswith("/"):
        try:
            parsed = _resource_id.parse(reference)
        except ValueError as exc:
            raise CmkValidationError(f"batch_account: {exc}") from exc
        resource_group, name = parsed["resource_group"], parsed["name"]
    else:
        name = reference
    operations = service.clients.batch.batch_account
    account = rest_dict(service.read("read Batch account", name, operations.get, resource_group, name))
    if account is None:
        return _not_yet(
            service,
            "batch_account",
            f"Batch account '{name}' does not exist in resource group '{resource_group}'",
        )
    identity = account.get("identity") or {}
    if identity.get("type") != "SystemAssigned":
        return _not_yet(
            service,
            "batch_account",
            "Batch account '{}' has no system-assigned identity (identity type {}); set identity_type: "
            "SystemAssigned with azure_cmk.batch.batch_account_cmk, or grant its user-assigned identity "
            "with the identity option".format(name, identity.get("type", "None")),
        )
    return identity["principalId"]


def resolve_principal(service, params):
    """(object id, or None when check mode cannot know it yet; a label naming the principal for messages)."""
    group = params.get("principal_resource_group") or params["resource_group"]
    if params.get("object_id"):
        return params["object_id"], "principal " + params["object_id"]
    if params.get("identity"):
        found = find_identity(service, params["identity"], group, "identity")
        label = "identity " + params["identity"]
        if found is None:
            return _not_yet(
                service,
                "identity",
                "user-assigned identity '{}' does not exist in resource group '{}'".format(params["identity"], group),
            ), label
        return found["principal_id"], label
    return _batch_principal(service, params["batch_account"], group), "Batch account " + params["batch_account"]
