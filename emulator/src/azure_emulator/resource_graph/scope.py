"""Which subscriptions a query covers, and which rows the caller may see.

- ``subscriptions`` names them; ``managementGroups`` names groups whose hierarchies hold them; neither means
  every subscription of the caller's tenant (the tenant scope of the REST API).
- Rows are those the caller may read ("at least read access to the resources you want to query. No
  results are returned if you don't have at least read permissions": Resource Graph overview). A
  subscription the caller cannot read simply adds no rows, whether named or reached through a group; a
  subscription of another tenant is never read (the token is the tenant's).
- When the request names scopes and the caller may read none of them, Resource Graph answers 403
  ``AccessDenied`` ("Access is denied to the requested resource. The user might not have enough
  permission.": Azure/aztfexport#410, Azure/azure-sdk-for-java#29924). An unknown management group, or
  one of another tenant, is answered the same way.
- ``options.allowPartialScopes`` matters only past Resource Graph's subscription limit (the spec: "in case
  the number of subscriptions exceed allowed limits"; the throttling guide: the first 10,000 and
  ``x-ms-tenant-subscription-limit-hit: true``). The emulator never reaches it; the option is accepted.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from datetime import timezone
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable

from .. import roles
from ..authz import has_access
from ..authz import scope_covers
from ..errors import ArmError
from ..http import Principal
from ..management_groups import subscriptions_under
from ..management_groups import tenant_of

if TYPE_CHECKING:
    from .. import Emulator

RA_TYPE = "Microsoft.Authorization/roleAssignments"


def access_denied() -> ArmError:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
    return ArmError(
        403,
        "AccessDenied",
        f"Please provide below info when asking for support: timestamp = {stamp}, correlationId = {uuid.uuid4()}.",
        details=[
            {
                "code": "AccessDenied",
                "message": "Access is denied to the requested resource. The user might not have enough permission.",
            }
        ],
    )


def subscriptions(emu: Emulator, principal: Principal, request: dict[str, Any]) -> set[str]:
    """The (lower-cased) subscriptions the query reads: in scope, of the caller's tenant, readable by it."""
    store = emu.store
    named = [str(s) for s in request.get("subscriptions") or []]
    for group in request.get("managementGroups") or []:
        under = subscriptions_under(store, str(group))
        if under is None or tenant_of(store, str(group)) != principal.tenant_id:
            raise access_denied()
        named += under
    explicit = bool(request.get("subscriptions") or request.get("managementGroups"))
    candidates = named if explicit else [s["id"] for s in store.data["subscriptions"].values()]
    readable = set()
    for sub_id in candidates:
        sub = store.data["subscriptions"].get(sub_id.lower()) or store.data["subscriptions"].get(sub_id)
        if sub and sub["tenantId"] == principal.tenant_id and has_access(store, principal.object_id, sub["id"]):
            readable.add(sub["id"].lower())
    if explicit and not readable:
        raise access_denied()
    return readable


def row_filter(emu: Emulator, principal: Principal, subs: set[str]) -> Callable[[dict[str, Any]], bool]:
    """A test of a row: in the scope's subscriptions and readable by the caller (RBAC at or above it)."""
    grants = [
        (a["properties"]["scope"].lower().rstrip("/"), roles.guid_of(a["properties"]["roleDefinitionId"]))
        for a in emu.store.resources(rtype=RA_TYPE)
        if a["properties"]["principalId"].lower() == principal.object_id.lower()
    ]
    allowed: dict[tuple[str, str], bool] = {}

    def can(role: str, rtype: str) -> bool:
        if (role, rtype) not in allowed:
            allowed[(role, rtype)] = roles.allows(role, f"{rtype}/read")
        return allowed[(role, rtype)]

    def visible(row: dict[str, Any]) -> bool:
        if row["subscriptionId"].lower() not in subs:
            return False
        return any(scope_covers(scope, row["id"]) and can(role, row["type"]) for scope, role in grants)

    return visible
