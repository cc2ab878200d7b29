# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may use a vault's keys: access-policy entries (changed one principal at a time through
accessPolicies/{add,replace,remove}, so other principals' entries are never rewritten), and on RBAC vaults
role definitions and assignments - the calls, and what a principal's roles let it do at a scope.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import fnmatch
import uuid

from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._diff import canonical_set
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import REQUIRED_DATA_ACTIONS
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import GUID
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_time

KEY_PERMISSIONS = [
    "all", "get", "list", "create", "update", "import", "delete", "backup", "restore", "recover", "purge",
    "encrypt", "decrypt", "wrapKey", "unwrapKey", "sign", "verify", "release", "rotate",
    "getrotationpolicy", "setrotationpolicy",
]  # fmt: skip
SPELLING = {name.lower(): name for name in KEY_PERMISSIONS}
# The built-in encryption role, as Azure defines it: known without a read.
ENCRYPTION_ROLE_GUID = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
_KNOWN = {ENCRYPTION_ROLE_GUID: [{"dataActions": list(REQUIRED_DATA_ACTIONS), "notDataActions": []}]}
# A fixed namespace makes an assignment's name a function of (scope, principal, role): reruns find it.
ASSIGNMENT_NAMESPACE = uuid.UUID("6d1f5c0e-8b54-4f5e-9a63-2c2b7c7f3a11")


def spelled(permissions):
    """Permission names in Azure's spelling (wrapKey, not wrapkey), sorted."""
    return [SPELLING.get(p, p) for p in canonical_set(permissions)]


def policy_entry(vault, object_id):
    """The vault's access-policy entry of ``object_id`` (in the vault's tenant, not a compound identity), or None."""
    for policy in vault["access_policies"]:
        same_tenant = (policy["tenant_id"] or "").lower() == (vault["tenant_id"] or "").lower()
        if same_tenant and (policy["object_id"] or "").lower() == object_id.lower() and not policy["application_id"]:
            return policy
    return None


def change_policy(ctx, vault, kind, object_id, permissions, label):
    """accessPolicies/{add,replace,remove} for one principal's entry; ``permissions`` by REST category."""
    entry = {"tenantId": vault["tenant_id"], "objectId": object_id, "permissions": permissions}
    operations = ctx.clients.keyvault.vaults
    ctx.call(
        f"{kind} access policy of {label} on",
        vault["id"],
        operations.update_access_policy,
        vault["resource_group"],
        vault["name"],
        kind,
        {"properties": {"accessPolicies": [entry]}},
    )


def role(body):
    props = body.get("properties") or {}
    return {"id": body["id"], "name": props.get("roleName"), "permissions": props.get("permissions") or []}


def find_role(ctx, name_or_id, scope):
    """A role definition by name ("Key Vault Crypto Service Encryption User"), GUID, or full id; read once."""

    def fetch():
        operations = ctx.clients.authorization.role_definitions
        if name_or_id.startswith("/") or GUID.match(name_or_id):
            guid = name_or_id.rstrip("/").rsplit("/", 1)[-1]
            found = ctx.read("read role definition", name_or_id, operations.get, scope, guid)
            if found is None:
                raise CmkValidationError(f"role: no role definition with id '{name_or_id}'")
            return role(rest_dict(found))
        listed = operations.list(scope, filter=f"roleName eq '{name_or_id}'")
        found = ctx.call("find role definition", name_or_id, list, listed)
        if not found:
            raise CmkValidationError(f"role: no role named '{name_or_id}'")
        return role(rest_dict(found[0]))

    return ctx.once(("role by name", name_or_id.lower(), scope.lower()), fetch, lasting=True)


def role_permissions(ctx, definition_id):
    """A role definition's permission blocks, read once per run (the encryption role not at all)."""
    guid = definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
    if guid in _KNOWN:
        return _KNOWN[guid]

    def fetch():
        operations = ctx.clients.authorization.role_definitions
        found = ctx.read("read role definition", definition_id, operations.get_by_id, definition_id)
        return role(rest_dict(found))["permissions"] if found is not None else []

    return ctx.once(("role", guid), fetch, lasting=True)


def assignments_of(ctx, principal_id, scope):
    """The role assignments of ``principal_id`` that ``scope`` lists (REST dicts), read once per run."""

    def fetch():
        operations = ctx.clients.authorization.role_assignments
        listed = operations.list_for_scope(scope, filter=f"principalId eq '{principal_id}'")
        return [rest_dict(a) for a in ctx.call("list role assignments", scope, list, listed)]

    return ctx.once(("assignments", principal_id.lower(), scope.lower()), fetch)


def assignment_name(scope, object_id, role_id):
    """The assignment's name: the same for the same (scope, principal, role), so a rerun finds its own."""
    return str(uuid.uuid5(ASSIGNMENT_NAMESPACE, "|".join((scope.lower(), object_id.lower(), role_id.lower()))))


def create_assignment(ctx, scope, object_id, role_definition, principal_type, label):
    """Assign ``role_definition`` (as find_role returns it) to ``object_id`` at ``scope``."""
    role_id = role_definition["id"]
    body = {"properties": {"roleDefinitionId": role_id, "principalId": object_id, "principalType": principal_type}}
    name = assignment_name(scope, object_id, role_id)
    operations = ctx.clients.authorization.role_assignments
    action = f"assign role '{role_definition['name']}' to {label} on"
    return ctx.call(action, scope, operations.create, scope, name, body)


def delete_assignment(ctx, scope, assignment_id):
    name = assignment_id.rsplit("/", 1)[-1]
    operations = ctx.clients.authorization.role_assignments
    return ctx.call("delete role assignment", assignment_id, operations.delete, scope, name)


def covers(outer, inner):
    """Whether scope ``outer`` is ``inner`` or above it."""
    outer, inner = outer.lower().rstrip("/"), inner.lower().rstrip("/")
    return inner == outer or inner.startswith(outer + "/")


def above_subscriptions(scope):
    """Whether ``scope`` is a management group's or the root's: Resource Manager lists such an assignment for a
    scope only when the scope's subscription is under it."""
    scope = (scope or "").lower()
    return scope == "/" or scope.startswith("/providers/microsoft.management/managementgroups/")


def allows(permissions, action):
    """Whether permission blocks (dataActions, notDataActions) grant the data action ``action``."""
    for block in permissions:
        granted = any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in block.get("dataActions") or [])
        denied = any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in block.get("notDataActions") or [])
        if granted and not denied:
            return True
    return False


def missing_data_actions(ctx, principal_id, scope, actions=REQUIRED_DATA_ACTIONS, without=None):
    """The data ``actions`` at ``scope`` that no role assignment of ``principal_id`` (there or above) grants;
    ``without``: as if the assignment of that id were gone."""
    permissions = []
    for body in assignments_of(ctx, principal_id, scope):
        props = body.get("properties") or {}
        if (
            (covers(props.get("scope") or "", scope) or above_subscriptions(props.get("scope")))
            and (props.get("principalId") or "").lower() == principal_id.lower()
            and (without is None or body["id"].lower() != without.lower())
        ):
            permissions += role_permissions(ctx, props["roleDefinitionId"])
    return [action for action in actions if not allows(permissions, action)]


def granted_at(ctx, principal_id, scope):
    """When the newest role assignment of ``principal_id`` that covers ``scope`` was made or changed (a
    datetime; None when there is none or Azure gives no date)."""
    times = []
    for body in assignments_of(ctx, principal_id, scope):
        props = body.get("properties") or {}
        if covers(props.get("scope") or "", scope):
            times += [parse_time(props.get(name), name) for name in ("createdOn", "updatedOn") if props.get(name)]
    return max(times) if times else None
