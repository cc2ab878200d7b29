# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role definitions and what a principal's role assignments let it do at a scope.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import fnmatch

from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import GUID


def _role(body):
    props = body.get("properties") or {}
    return {"id": body["id"], "name": props.get("roleName"), "permissions": props.get("permissions") or []}


def find_role(service, role, scope):
    """A role definition by name ("Key Vault Crypto Service Encryption User"), GUID, or full id."""
    operations = service.clients.authorization.role_definitions
    if role.startswith("/") or GUID.match(role):
        guid = role.rstrip("/").rsplit("/", 1)[-1]
        found = service.read("read role definition", role, operations.get, scope, guid)
        if found is None:
            raise CmkValidationError(f"role: no role definition with id '{role}'")
        return _role(rest_dict(found))
    listed = operations.list(scope, filter=f"roleName eq '{role}'")
    found = service.call("find role definition", role, list, listed)
    if not found:
        raise CmkValidationError(f"role: no role named '{role}'")
    return _role(rest_dict(found[0]))


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


def missing_data_actions(service, principal_id, scope, actions):
    """The data ``actions`` at ``scope`` that no role assignment of ``principal_id`` (there or above) grants."""
    operations = service.clients.authorization
    listed = operations.role_assignments.list_for_scope(scope, filter=f"principalId eq '{principal_id}'")
    permissions = []
    for assignment in service.call("list role assignments", scope, list, listed):
        props = rest_dict(assignment).get("properties") or {}
        if (
            _covers(props.get("scope") or "", scope)
            and (props.get("principalId") or "").lower() == principal_id.lower()
        ):
            definition = service.read(
                "read role definition",
                props["roleDefinitionId"],
                operations.role_definitions.get_by_id,
                props["roleDefinitionId"],
            )
            if definition is not None:
                permissions += _role(rest_dict(definition))["permissions"]
    return [action for action in actions if not _allows(permissions, action)]
