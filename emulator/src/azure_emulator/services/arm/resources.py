"""Microsoft.Resources: subscriptions (the az CLI lists them at login) and resource groups."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from ...authz import has_access
from ...errors import ArmError
from ...http import Request
from ...http import Response
from ...router import Route
from ...seed import resource_group_body
from . import common

if TYPE_CHECKING:
    from ... import Emulator

RG_TYPE = "resourcegroups"


def _subscription_body(sub: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub['id']}",
        "subscriptionId": sub["id"],
        "tenantId": sub["tenantId"],
        "displayName": sub["displayName"],
        "state": sub["state"],
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
    }


def list_subscriptions(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, "subscriptions")
    assert request.principal is not None
    # Azure lists the subscriptions where the caller holds a role (at the subscription or within it).
    principal = request.principal
    subs = [
        s
        for s in emu.store.data["subscriptions"].values()
        if s["tenantId"] == principal.tenant_id and has_access(emu.store, principal.object_id, s["id"])
    ]
    return Response.json(
        200, {"value": [_subscription_body(s) for s in subs], "count": {"type": "Total", "value": len(subs)}}
    )


def get_subscription(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, "subscriptions")
    return Response.json(200, _subscription_body(common.subscription(emu, params["sub"])))


# (name, displayName, geography group) of the regions the emulator offers; the az CLI maps "West Europe" to
# "westeurope" through this list (`az batch account create -l "West Europe"` calls it).
REGIONS = (
    ("westeurope", "West Europe", "Europe"),
    ("northeurope", "North Europe", "Europe"),
    ("eastus", "East US", "US"),
    ("westus2", "West US 2", "US"),
)


def list_locations(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    """GET /subscriptions/{s}/locations (Subscriptions_ListLocations)."""
    common.require_api_version(request, "subscriptions")
    sub = common.subscription(emu, params["sub"])
    value = [
        {
            "id": f"/subscriptions/{sub['id']}/locations/{name}",
            "name": name,
            "type": "Region",
            "displayName": display,
            "regionalDisplayName": f"({group}) {display}",
            "metadata": {"regionType": "Physical", "regionCategory": "Recommended", "geographyGroup": group},
        }
        for name, display, group in REGIONS
    ]
    return Response.json(200, {"value": value})


def _rg_id(params: dict[str, str]) -> str:
    return f"/subscriptions/{params['sub']}/resourceGroups/{params['rg']}"


def get_group(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RG_TYPE)
    group = common.resource_group(emu, params["sub"], params["rg"])
    common.authorize(emu, request, group["id"], "Microsoft.Resources/subscriptions/resourceGroups/read")
    return Response.json(200, group)


def head_group(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RG_TYPE)
    common.subscription(emu, params["sub"])
    return Response.empty(204 if emu.store.resource(_rg_id(params)) else 404)


def put_group(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RG_TYPE)
    common.subscription(emu, params["sub"])
    rid = _rg_id(params)
    common.authorize(emu, request, rid, "Microsoft.Resources/subscriptions/resourceGroups/write")
    body = common.body_of(request)
    if not body.get("location"):
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    existing = emu.store.resource(rid)
    common.check_location(existing, body["location"], "resourceGroups", params["rg"], params["rg"])
    group = resource_group_body(
        existing["id"] if existing else rid, params["rg"], body["location"], common.tags_from(body)
    )
    emu.store.put_resource(group)
    return Response.json(200 if existing else 201, group)


def patch_group(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RG_TYPE)
    group = common.resource_group(emu, params["sub"], params["rg"])
    common.authorize(emu, request, group["id"], "Microsoft.Resources/subscriptions/resourceGroups/write")
    group["tags"] = common.tags_from(common.body_of(request), group.get("tags"))
    return Response.json(200, group)


def delete_group(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    """Deletes the group and what it holds (vaults go to the soft-deleted list, as Azure's do)."""
    from ..arm_keyvault import models as vaults

    common.require_api_version(request, RG_TYPE)
    common.subscription(emu, params["sub"])
    group = emu.store.resource(_rg_id(params))
    if group is None:
        return Response.empty(204)
    common.authorize(emu, request, group["id"], "Microsoft.Resources/subscriptions/resourceGroups/delete")
    for body in list(emu.store.resources(group["id"])):
        if body["type"].lower() == "microsoft.keyvault/vaults":
            vaults.soft_delete(emu, body)
        emu.store.delete_resource(body["id"])
    return Response.empty(200)


def list_groups(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RG_TYPE)
    common.subscription(emu, params["sub"])
    prefix = f"/subscriptions/{params['sub']}"
    groups = [g for g in emu.store.resources(prefix, "Microsoft.Resources/resourceGroups")]
    return Response.json(200, common.list_body(groups))


ROUTES = [
    Route("GET", "/subscriptions", list_subscriptions),
    Route("GET", "/subscriptions/{sub}", get_subscription),
    Route("GET", "/subscriptions/{sub}/locations", list_locations),
    Route("GET", "/subscriptions/{sub}/resourcegroups", list_groups),
    Route("GET", "/subscriptions/{sub}/resourcegroups/{rg}", get_group),
    Route("HEAD", "/subscriptions/{sub}/resourcegroups/{rg}", head_group),
    Route("PUT", "/subscriptions/{sub}/resourcegroups/{rg}", put_group, write=True),
    Route("PATCH", "/subscriptions/{sub}/resourcegroups/{rg}", patch_group, write=True),
    Route("DELETE", "/subscriptions/{sub}/resourcegroups/{rg}", delete_group, write=True),
]
