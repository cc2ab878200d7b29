"""Microsoft.ManagedIdentity/userAssignedIdentities (api-version 2024-11-30)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import ArmError
from ...http import Request
from ...http import Response
from ...router import Route
from ..arm import common
from . import models

if TYPE_CHECKING:
    from ... import Emulator

RTYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
BASE = "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"


def _rid(params: dict[str, str]) -> str:
    return common.tracked_id(params["sub"], params["rg"], RTYPE, params["name"])


def _existing(emu: Emulator, request: Request, params: dict[str, str], action: str):
    common.require_api_version(request, RTYPE)
    common.resource_group(emu, params["sub"], params["rg"])
    common.authorize(emu, request, _rid(params), f"{RTYPE}/{action}")
    return emu.store.resource(_rid(params))


def get_identity(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    body = _existing(emu, request, params, "read")
    if body is None:
        raise common.not_found(RTYPE, params["name"], params["rg"])
    return Response.json(200, body)


def put_identity(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    existing = _existing(emu, request, params, "write")
    body = common.body_of(request)
    if not body.get("location"):
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    if not 3 <= len(params["name"]) <= 128:
        raise ArmError(
            400,
            "InvalidResourceName",
            f"Resource name '{params['name']}' is invalid. The name can be 3-128 characters long.",
        )
    common.check_location(existing, body["location"], RTYPE, params["name"], params["rg"])
    tags = common.tags_from(body)
    if existing is not None:
        existing["tags"] = tags
        return Response.json(200, existing)
    tenant = common.subscription(emu, params["sub"])["tenantId"]
    created = models.new_identity(emu.store, _rid(params), params["name"], body["location"], tags, tenant)
    emu.store.put_resource(created)
    location = f"/subscriptions/{params['sub']}/resourcegroups/{params['rg']}/providers/{RTYPE}/{params['name']}"
    return Response.json(201, created, {"Location": location})


def patch_identity(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    existing = _existing(emu, request, params, "write")
    if existing is None:
        raise common.not_found(RTYPE, params["name"], params["rg"])
    existing["tags"] = common.tags_from(common.body_of(request), existing.get("tags"))
    return Response.json(200, existing)


def delete_identity(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    existing = _existing(emu, request, params, "delete")
    if existing is None:
        return Response.empty(204)
    models.delete_identity(emu.store, existing)
    return Response.empty(200)


def list_identities(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RTYPE)
    scope = common.list_scope(emu, params)
    return Response.json(200, common.page(emu, request, list(emu.store.resources(scope, RTYPE))))


ROUTES = [
    Route("GET", "/subscriptions/{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities", list_identities),
    Route("GET", BASE, list_identities),
    Route("GET", BASE + "/{name}", get_identity),
    Route("PUT", BASE + "/{name}", put_identity, write=True),
    Route("PATCH", BASE + "/{name}", patch_identity, write=True),
    Route("DELETE", BASE + "/{name}", delete_identity, write=True),
]
