"""The Tags API at a resource's scope (``{scope}/providers/Microsoft.Resources/tags/default``): read, replace,
and the PATCH that merges or deletes tags on the server, so that writers who each add a tag do not overwrite
one another (a read-merge-write of the whole map would)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from ...errors import ArmError
from ...http import Request
from ...http import Response
from ...router import Route
from . import common

if TYPE_CHECKING:
    from ... import Emulator

RTYPE = "Microsoft.Resources/tags"
OPERATIONS = ("replace", "merge", "delete")


def _resource(emu: Emulator, request: Request, params: dict[str, str], action: str) -> dict[str, Any]:
    common.require_api_version(request, RTYPE)
    scope = "/" + params["scope"].strip("/")
    common.authorize(emu, request, scope, action)
    found = emu.store.resource(scope)
    if found is None or "/providers/" not in scope:
        raise ArmError(404, "ResourceNotFound", f"The resource '{scope}' was not found.")
    return found


def _view(resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{resource['id']}/providers/{RTYPE}/default",
        "name": "default",
        "type": RTYPE,
        "properties": {"tags": dict(resource.get("tags") or {})},
    }


def _given(request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    body = common.body_of(request)
    tags = (body.get("properties") or {}).get("tags")
    return body, common.tags_from({"tags": tags if tags is not None else {}})


def get_tags(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    return Response.json(200, _view(_resource(emu, request, params, f"{RTYPE}/read")))


def put_tags(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    resource = _resource(emu, request, params, f"{RTYPE}/write")
    resource["tags"] = _given(request)[1]
    emu.store.put_resource(resource)
    return Response.json(200, _view(resource))


def patch_tags(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    resource = _resource(emu, request, params, f"{RTYPE}/write")
    body, given = _given(request)
    operation = str(body.get("operation") or "").lower()
    if operation not in OPERATIONS:
        raise ArmError(400, "InvalidTagsOperation", "The operation must be one of Replace, Merge or Delete.")
    current = dict(resource.get("tags") or {})
    if operation == "replace":
        current = given
    elif operation == "merge":
        current.update(given)
    else:  # delete: by name, or by name and value when a value is given
        current = {k: v for k, v in current.items() if not (k in given and given[k] in ("", v))}
    resource["tags"] = common.tags_from({"tags": current})
    emu.store.put_resource(resource)
    return Response.json(200, _view(resource))


ROUTES = [
    Route("GET", "/{scope*}/providers/Microsoft.Resources/tags/default", get_tags),
    Route("PUT", "/{scope*}/providers/Microsoft.Resources/tags/default", put_tags, write=True),
    Route("PATCH", "/{scope*}/providers/Microsoft.Resources/tags/default", patch_tags, write=True),
]
