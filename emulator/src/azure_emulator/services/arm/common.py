"""What every Resource Manager handler shares: api-version checks, scopes, RBAC, error shapes."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import timezone
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import quote

from ...authz import rbac_allows
from ...clouds import PUBLIC
from ...clouds import Cloud
from ...clouds import cloud_for_host
from ...errors import ArmError
from ...http import Request

if TYPE_CHECKING:
    from ... import Emulator

# Per resource type: the api-versions the emulator answers (the pinned SDKs' first, then the az CLI's).
API_VERSIONS: dict[str, tuple[str, ...]] = {
    "subscriptions": ("2022-12-01", "2021-01-01", "2020-01-01", "2016-06-01"),
    "resourcegroups": ("2025-04-01", "2025-03-01", "2024-11-01", "2024-03-01", "2022-09-01", "2021-04-01"),
    "microsoft.batch/batchaccounts": ("2025-06-01", "2024-07-01", "2024-02-01", "2023-11-01", "2023-05-01"),
    "microsoft.batch/batchaccounts/pools": ("2025-06-01", "2024-07-01", "2024-02-01", "2023-11-01", "2023-05-01"),
    "microsoft.keyvault/vaults": ("2026-05-15", "2026-02-01", "2025-05-01", "2024-11-01", "2023-07-01"),
    "microsoft.managedidentity/userassignedidentities": ("2024-11-30", "2023-01-31", "2018-11-30"),
    "microsoft.authorization/roleassignments": ("2022-04-01", "2020-10-01-preview"),
    "microsoft.resources/tags": ("2025-04-01", "2025-03-01", "2024-03-01", "2022-09-01", "2021-04-01"),
    # 2022-05-01-preview: az CLI 2.91's `az role assignment create --role <name>` (Azure serves it).
    "microsoft.authorization/roledefinitions": ("2022-04-01", "2022-05-01-preview", "2018-01-01-preview"),
    # azure-mgmt-resourcegraph 8.0.x's; 2022-10-01 and 2024-04-01 answer alike (the az extension's).
    "microsoft.resourcegraph/resources": ("2021-03-01", "2022-10-01", "2024-04-01"),
}
WRITE_METHODS = ("PUT", "PATCH", "DELETE", "POST")
SAFE = "'$/"  # kept as is in a nextLink's query (a $filter's quotes and slashes)


def require_api_version(request: Request, rtype: str) -> str:
    version = request.api_version
    if not version:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    supported = API_VERSIONS[rtype.lower()]
    if version not in supported:
        raise ArmError(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for location 'westeurope' and API version '{version}' for type "
            f"'{rtype}'. The supported api-versions are '{', '.join(supported)}'. The supported locations are "
            "'westeurope, northeurope, eastus, westus2'.",
        )
    return version


def cloud_of(request: Request) -> Cloud:
    return cloud_for_host(request.host) or PUBLIC


def body_of(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError as exc:
        raise ArmError(
            400, "InvalidRequestContent", f"The request content was invalid and could not be deserialized: {exc}."
        ) from exc
    if not isinstance(body, dict):
        raise ArmError(
            400,
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: an object is expected.",
        )
    return body


def subscription(emu: Emulator, sub_id: str) -> dict[str, Any]:
    found = emu.store.data["subscriptions"].get(sub_id.lower()) or next(
        (s for s in emu.store.data["subscriptions"].values() if s["id"].lower() == sub_id.lower()), None
    )
    if found is None:
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub_id}' could not be found.")
    return found


def resource_group(emu: Emulator, sub_id: str, name: str) -> dict[str, Any]:
    subscription(emu, sub_id)
    group = emu.store.resource(f"/subscriptions/{sub_id}/resourceGroups/{name}")
    if group is None:
        raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
    return group


def list_scope(emu: Emulator, params: dict[str, str]) -> str:
    """The scope a list call covers: its resource group (``rg`` in the route) or else its subscription."""
    if "rg" in params:
        return resource_group(emu, params["sub"], params["rg"])["id"]
    return f"/subscriptions/{subscription(emu, params['sub'])['id']}"


def not_found(rtype: str, name: str, group: str) -> ArmError:
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{rtype}/{name}' under resource group '{group}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def authorize(emu: Emulator, request: Request, scope: str, action: str) -> None:
    principal = request.principal
    assert principal is not None
    if rbac_allows(emu.store, principal.object_id, scope, action):
        return
    raise ArmError(
        403,
        "AuthorizationFailed",
        f"The client '{principal.app_id or principal.object_id}' with object id '{principal.object_id}' does not have "
        f"authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was "
        "recently granted, please refresh your credentials.",
    )


def check_location(existing: dict[str, Any] | None, location: str, rtype: str, name: str, group: str) -> None:
    if existing is not None and _norm_location(existing["location"]) != _norm_location(location):
        raise ArmError(
            400,
            "InvalidResourceLocation",
            f"The resource '{name}' already exists in location '{existing['location']}' in resource group '{group}'. "
            f"A resource with the same name cannot be created in location '{location}'. "
            "Please select a new resource name.",
        )


def _norm_location(location: str) -> str:
    return re.sub(r"\s+", "", location).lower()


def tags_from(body: dict[str, Any], current: dict[str, str] | None = None) -> dict[str, str]:
    tags = body.get("tags", current or {})
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise ArmError(400, "InvalidTag", "The tags must be an object whose values are strings.")
    if len(tags) > 50:
        raise ArmError(400, "InvalidTagCount", "A resource can have at most 50 tags.")
    return dict(tags)


def system_data(request: Request, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    who = request.principal.app_id if request.principal else None
    created = previous or {"createdBy": who, "createdByType": "Application", "createdAt": now}
    return {
        "createdBy": created.get("createdBy"),
        "createdByType": created.get("createdByType", "Application"),
        "createdAt": created.get("createdAt", now),
        "lastModifiedBy": who,
        "lastModifiedByType": "Application",
        "lastModifiedAt": now,
    }


def tracked_id(sub: str, group: str, rtype: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{group}/providers/{rtype}/{name}"


def list_body(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"value": items}


def page(emu: Emulator, request: Request, items: list[dict[str, Any]], size: int | None = None) -> dict[str, Any]:
    """One page of a Resource Manager list (``arm_list_page_size`` items, or ``size`` when the call asks for
    fewer) and, when more are left, the ``nextLink`` that fetches the next: the same URL with ``$skiptoken``
    (clients follow it as given)."""
    size = min(size, emu.settings.arm_list_page_size) if size else emu.settings.arm_list_page_size
    token = request.query.get("$skiptoken", "0")
    start = int(token) if token.isdigit() else 0
    body: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items):
        keep = "&".join(f"{k}={quote(v, safe=SAFE)}" for k, v in request.query.items() if k != "$skiptoken")
        body["nextLink"] = f"https://{request.host}{request.path}?{keep}&$skiptoken={start + size}"
    return body
