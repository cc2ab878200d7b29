"""Role assignments: which scopes exist, filters, and the rules ARM applies when one is created."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING
from typing import Any

from ...authz import scope_covers
from ...errors import ArmError
from ..keyvault_data import models as keys

if TYPE_CHECKING:
    from ... import Emulator

TYPE = "Microsoft.Authorization/roleAssignments"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
KEY_SCOPE = re.compile(
    r"^(?P<vault>/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/vaults/[^/]+)/keys/(?P<key>[^/]+)$",
    re.I,
)


def scope_exists(emu: Emulator, scope: str) -> bool:
    parts = scope.strip("/").split("/")
    if len(parts) == 2 and parts[0].lower() == "subscriptions":
        return any(s.lower() == parts[1].lower() for s in emu.store.data["subscriptions"])
    key_scope = KEY_SCOPE.match(scope)
    if key_scope:
        vault = emu.store.resource(key_scope["vault"])
        return vault is not None and keys.key_record(emu, vault["name"], key_scope["key"]) is not None
    return emu.store.resource(scope) is not None


def matches_filter(assignment: dict[str, Any], scope: str, filter_text: str) -> bool:
    props = assignment["properties"]
    text = filter_text.strip()
    at_scope = "atscope()" in text.lower()
    principal = re.search(r"(?:principalId\s+eq|assignedTo\()\s*'([^']+)'", text, re.I)
    if at_scope and not scope_covers(props["scope"], scope):
        return False
    if not at_scope and not (scope_covers(props["scope"], scope) or scope_covers(scope, props["scope"])):
        return False
    return principal is None or props["principalId"].lower() == principal.group(1).lower()


def check_new(emu: Emulator, scope: str, name: str, props: dict[str, Any], role_guid: str | None) -> None:
    if not GUID.match(name):
        raise ArmError(
            400,
            "InvalidRoleAssignmentId",
            f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
        )
    if role_guid is None:
        raise ArmError(
            400,
            "RoleDefinitionDoesNotExist",
            f"The specified role definition with ID '{props.get('roleDefinitionId', '')}' does not exist.",
        )
    principal_id = props.get("principalId", "")
    if not GUID.match(principal_id):
        raise ArmError(400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment.")
    principal = emu.store.principal(principal_id)
    unknown = not props.get("principalType") and principal is None
    if unknown or _replicating(emu, principal):
        tenant = emu.store.data["subscriptions"]
        tenant_id = next(iter(tenant.values()))["tenantId"] if tenant else ""
        raise ArmError(
            400,
            "PrincipalNotFound",
            f"Principal {principal_id.replace('-', '')} does not exist in the directory {tenant_id}. "
            "Check that you have "
            "the correct principal ID. If you are creating this principal and then immediately assigning a role, this "
            "error might be related to a replication delay. In this case, set the role assignment principalType "
            "property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
        )


def _replicating(emu: Emulator, principal: dict[str, Any] | None) -> bool:
    """A new managed identity stays unknown to role assignments until the directory has replicated it, even
    with principalType set (reported in MicrosoftDocs/azure-docs#103085): principal_replication_seconds."""
    made = (principal or {}).get("createdAt")
    return made is not None and time.time() - made < emu.settings.principal_replication_seconds


def duplicate_of(emu: Emulator, scope: str, name: str, principal_id: str, role_guid: str) -> dict[str, Any] | None:
    from ... import roles

    for body in emu.store.resources(rtype=TYPE):
        props = body["properties"]
        if (
            body["name"].lower() != name.lower()
            and props["scope"].lower().rstrip("/") == scope.lower().rstrip("/")
            and props["principalId"].lower() == principal_id.lower()
            and roles.guid_of(props["roleDefinitionId"]) == role_guid
        ):
            return body
    return None
