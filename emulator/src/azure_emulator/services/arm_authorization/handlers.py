"""Microsoft.Authorization: role assignments (2022-04-01) and the built-in role definitions."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import timezone
from typing import TYPE_CHECKING

from ... import propagation
from ... import roles
from ...errors import ArmError
from ...http import Request
from ...http import Response
from ...router import Route
from ...seed import role_assignment_body
from ..arm import common
from . import models

if TYPE_CHECKING:
    from ... import Emulator

RA = "Microsoft.Authorization/roleAssignments"
RD = "Microsoft.Authorization/roleDefinitions"


def _scope(params: dict[str, str]) -> str:
    return "/" + params.get("scope", "").strip("/")


def _require_scope(emu: Emulator, scope: str) -> None:
    if not models.scope_exists(emu, scope):
        raise ArmError(
            404, "ResourceNotFound", f"The scope '{scope}' does not exist or one of its parent resources was not found."
        )


def list_assignments(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RA)
    scope = _scope(params)
    _require_scope(emu, scope)
    common.authorize(emu, request, scope, f"{RA}/read")
    text = request.query.get("$filter", "")
    found = [a for a in emu.store.resources(rtype=RA) if models.matches_filter(a, scope, text)]
    return Response.json(200, common.page(emu, request, found))


def get_assignment(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RA)
    scope = _scope(params)
    common.authorize(emu, request, scope, f"{RA}/read")
    body = emu.store.resource(f"{scope}/providers/{RA}/{params['name']}")
    if body is None:
        raise ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{params['name']}' is not found.")
    return Response.json(200, body)


def put_assignment(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RA)
    scope, name = _scope(params), params["name"]
    _require_scope(emu, scope)
    common.authorize(emu, request, scope, f"{RA}/write")
    props = common.body_of(request).get("properties") or {}
    role_guid = roles.guid_of(props.get("roleDefinitionId", ""))
    models.check_new(emu, scope, name, props, role_guid if role_guid in roles.ROLE_BY_GUID else None)
    existing = emu.store.resource(f"{scope}/providers/{RA}/{name}")
    if existing is not None:
        same = (
            existing["properties"]["principalId"].lower() == props["principalId"].lower()
            and roles.guid_of(existing["properties"]["roleDefinitionId"]) == role_guid
        )
        if not same:
            raise ArmError(
                400,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        return Response.json(200, existing)
    duplicate = models.duplicate_of(emu, scope, name, props["principalId"], role_guid)
    if duplicate is not None:
        raise ArmError(
            409,
            "RoleAssignmentExists",
            "The role assignment already exists. The ID of the existing role assignment is "
            f"{duplicate['name'].replace('-', '')}.",
        )
    principal = emu.store.principal(props["principalId"])
    principal_type = props.get("principalType") or ("ServicePrincipal" if principal else "User")
    body = role_assignment_body(
        f"{scope}/providers/{RA}/{name}", name, scope, role_guid, props["principalId"], principal_type
    )
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    who = request.principal.object_id if request.principal else None
    body["properties"].update(createdOn=now, updatedOn=now, createdBy=who, updatedBy=who)
    if props.get("description"):
        body["properties"]["description"] = props["description"]
    emu.store.put_resource(body)
    propagation.record_assignment(emu, body["id"], None)
    return Response.json(201, body)


def delete_assignment(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RA)
    scope = _scope(params)
    common.authorize(emu, request, scope, f"{RA}/delete")
    body = emu.store.delete_resource(f"{scope}/providers/{RA}/{params['name']}")
    if body is None:
        return Response.empty(204)
    propagation.record_assignment(emu, body["id"], body)
    return Response.json(200, body)


def list_definitions(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RD)
    scope = _scope(params)
    wanted = re.search(r"roleName\s+eq\s+'([^']*)'", request.query.get("$filter", ""), re.I)
    names = [n for n in roles.BUILTIN_ROLES if wanted is None or n.lower() == wanted.group(1).lower()]
    return Response.json(200, common.list_body([roles.definition_body(n, scope) for n in names]))


def get_definition(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RD)
    name = roles.ROLE_BY_GUID.get(params["id"].lower())
    if name is None:
        raise ArmError(404, "RoleDefinitionDoesNotExist", f"The role definition '{params['id']}' could not be found.")
    return Response.json(200, roles.definition_body(name, _scope(params)))


ROUTES = [
    Route("GET", "/{scope*}/providers/Microsoft.Authorization/roleAssignments", list_assignments),
    Route("GET", "/{scope*}/providers/Microsoft.Authorization/roleAssignments/{name}", get_assignment),
    Route("PUT", "/{scope*}/providers/Microsoft.Authorization/roleAssignments/{name}", put_assignment, write=True),
    Route(
        "DELETE", "/{scope*}/providers/Microsoft.Authorization/roleAssignments/{name}", delete_assignment, write=True
    ),
    Route("GET", "/providers/Microsoft.Authorization/roleDefinitions/{id}", get_definition),
    Route("GET", "/{scope*}/providers/Microsoft.Authorization/roleDefinitions", list_definitions),
    Route("GET", "/{scope*}/providers/Microsoft.Authorization/roleDefinitions/{id}", get_definition),
]
