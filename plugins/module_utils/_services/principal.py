# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who is granted: an object id as given, a user-assigned identity's principal, or a Batch account's
system-assigned principal.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import base64
import json

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.identity import find_identity


def caller_object_id(service):
    """The object id of whoever runs the module: the ``oid`` claim of its Resource Manager token."""
    clients = service.clients
    token = service.call("get a token", "the caller", clients.credential.get_token, clients.cloud.arm_scope)
    try:
        payload = token.token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return claims["oid"]
    except (IndexError, KeyError, ValueError) as exc:
        raise CmkValidationError("caller: the credential's token does not name its principal (no oid claim)") from exc


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
        return service.not_yet(
            "batch_account",
            f"Batch account '{name}' does not exist in resource group '{resource_group}'",
        )
    identity = account.get("identity") or {}
    if identity.get("type") != "SystemAssigned":
        return service.not_yet(
            "batch_account",
            "Batch account '{}' has no system-assigned identity (identity type {}); set identity_type: "
            "SystemAssigned with azure_cmk.batch.batch_account_cmk, or grant its user-assigned identity "
            "with the identity option".format(name, identity.get("type", "None")),
        )
    return identity["principalId"]


def resolve_principal(service, params):
    """(object id, or None when check mode cannot know it yet; a label naming the principal for messages)."""
    group = params.get("principal_resource_group") or params["resource_group"]
    if params.get("caller"):
        object_id = caller_object_id(service)
        return object_id, f"the caller (principal {object_id})"
    if params.get("object_id"):
        return params["object_id"], "principal " + params["object_id"]
    if params.get("identity"):
        found = find_identity(service, params["identity"], group, "identity")
        label = "identity " + params["identity"]
        if found is None:
            return service.not_yet(
                "identity",
                "user-assigned identity '{}' does not exist in resource group '{}'".format(params["identity"], group),
            ), label
        return found["principal_id"], label
    return _batch_principal(service, params["batch_account"], group), "Batch account " + params["batch_account"]
