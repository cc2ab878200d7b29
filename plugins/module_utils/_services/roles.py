# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role definitions and what a principal's role assignments let it do at a scope.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import fnmatch

from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import REQUIRED_DATA_ACTIONS
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import GUID
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_time


def _role(body):
    props = body.get("properties") or {}
    return {"id": body["id"], "name": props.get("roleName"), "permissions": props.get("permissions") or []}


# The built-in encryption role, as Azure defines it: known without a read.
ENCRYPTION_ROLE_GUID = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
_KNOWN = {ENCRYPTION_ROLE_GUID: [{"dataActions": list(REQUIRED_DATA_ACTIONS), "notDataActions": []}]}


def find_role(ctx, role, scope):
    """A role definition by name ("Key Vault Crypto Service Encryption User"), GUID, or full id."""
    operations = ctx.clients.authorization.role_definitions
    if role.startswith("/") or GUID.match(role):
        guid = role.rstrip("/").rsplit("/", 1)[-1]
        found = ctx.read("read role definition", role, operations.get, scope, guid)
        if found is None:
            raise CmkValidationError(f"role: no role definition with id '{role}'")
        return _role(rest_dict(found))
    listed = operations.list(scope, filter=f"roleName eq '{role}'")
    found = ctx.call("find role definition", role, list, listed)
    if not found:
        raise CmkValidationError(f"role: no role named '{role}'")
    return _role(rest_dict(found[0]))


def _permissions(ctx, definition_id):
    """A role definition's permission blocks, read once per run (the encryption role not at all)."""
    guid = definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
    if guid in _KNOWN:
        return _KNOWN[guid]

    def fetch():
        operations = ctx.clients.authorization.role_definitions
        found = ctx.read("read role definition", definition_id, operations.get_by_id, definition_id)
        return _role(rest_dict(found))["permissions"] if found is not None else []

    return ctx.once(("role", guid), fetch)


def _covers(outer, inner):
    outer, inner = outer.lower().rstrip("/"), inner.lower().rstrip("/")
    return inner == outer or inner.startswith(outer + "/")


def _allows(permissions, action):
    for block in permissions:
        granted = any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in block.get("dataActions") or [])
        denied = any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in block.get("notDataActions") or [])
        if granted and not denied:
            return True
    return False


def assignments_of(ctx, principal_id, scope):
    """The role assignments of ``principal_id`` that ``scope`` lists (REST dicts), read once per run."""

    def fetch():
        operations = ctx.clients.authorization.role_assignments
        listed = operations.list_for_scope(scope, filter=f"principalId eq '{principal_id}'")
        return [rest_dict(a) for a in ctx.call("list role assignments", scope, list, listed)]

    return ctx.once(("assignments", principal_id.lower(), scope.lower()), fetch)


def missing_data_actions(ctx, principal_id, scope, actions=REQUIRED_DATA_ACTIONS, without=None):
    """The data ``actions`` at ``scope`` that no role assignment of ``principal_id`` (there or above) grants;
    ``without``: as if the assignment of that id were gone."""
    permissions = []
    for body in assignments_of(ctx, principal_id, scope):
        props = body.get("properties") or {}
        if (
            _covers(props.get("scope") or "", scope)
            and (props.get("principalId") or "").lower() == principal_id.lower()
            and (without is None or body["id"].lower() != without.lower())
        ):
            permissions += _permissions(ctx, props["roleDefinitionId"])
    return [action for action in actions if not _allows(permissions, action)]


def granted_at(ctx, principal_id, scope):
    """When the newest role assignment of ``principal_id`` that covers ``scope`` was made or changed (a
    datetime; None when there is none or Azure gives no date)."""
    times = []
    for body in assignments_of(ctx, principal_id, scope):
        props = body.get("properties") or {}
        if _covers(props.get("scope") or "", scope):
            times += [parse_time(props.get(name), name) for name in ("createdOn", "updatedOn") if props.get(name)]
    return max(times) if times else None
