"""Microsoft.Batch/batchAccounts/pools (api-version 2025-06-01): create or replace (PUT, with If-Match and
If-None-Match), get, list (paged), update (PATCH, with If-Match), long-running delete.

The delete answers as Azure's did in the azure-sdk-for-python recording: 202, ``Location:
.../batchAccounts/{account}/poolOperationResults/delete-{pool}``, ``Retry-After: 15``; the poll answers 202
until done, then 200 with no body. While its account cannot use its key, a pool cannot be written (the Batch
CMK FAQ: "The only operation allowed is account deletion").
"""

from __future__ import annotations

import copy
from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING
from typing import Any

from ... import lro
from ...errors import BatchError
from ...http import Request
from ...http import Response
from ...router import Route
from ..arm import common
from . import handlers as accounts
from . import pool_rules
from . import pools

if TYPE_CHECKING:
    from ... import Emulator

RTYPE = pools.TYPE
ACCOUNT = "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Batch/batchAccounts/{account}"
BASE = ACCOUNT + "/pools"
POOL_RETRY_AFTER = "15"  # seconds: the recording's 202


def _account_id(params: dict[str, str]) -> str:
    return common.tracked_id(params["sub"], params["rg"], accounts.RTYPE, params["account"])


def _context(
    emu: Emulator, request: Request, params: dict[str, str], action: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(account, pool or None) after the api-version, the group, RBAC (on the pool, or the account for a list)
    and the account's existence."""
    common.require_api_version(request, RTYPE)
    common.resource_group(emu, params["sub"], params["rg"])
    account_id = _account_id(params)
    rid = pools.pool_id(account_id, params["name"]) if "name" in params else None
    common.authorize(emu, request, rid or account_id, f"{RTYPE}/{action}")
    account = emu.store.resource(account_id)
    if account is None:
        raise common.not_found(accounts.RTYPE, params["account"], params["rg"])
    return account, emu.store.resource(rid) if rid else None


def not_found() -> BatchError:
    """Batch's own code for a pool that does not exist (its documented error codes)."""
    return BatchError(404, "PoolNotFound", "The specified pool does not exist.", target="BatchAccount")


def _writable(emu: Emulator, account: dict[str, Any], pool: dict[str, Any] | None) -> None:
    accounts.refuse_if_unavailable(emu, account, pool_rules.tenant_of(emu, account))
    if pool is not None and pool["properties"].get("provisioningState") == "Deleting":
        raise BatchError(
            409, "PoolBeingDeleted", "The specified pool has been marked for deletion and is being deleted."
        )


def _conditions(request: Request, pool: dict[str, Any] | None, put: bool) -> None:
    """If-Match (an ETag, or "*": the pool must exist) and, on PUT, If-None-Match "*" (it must not); 412 otherwise,
    which azure-mgmt-batch maps to ResourceModifiedError / ResourceNotFoundError / ResourceExistsError."""
    match = request.headers.get("if-match")
    none_match = request.headers.get("if-none-match") if put else None
    stale = match is not None and (pool is None or (match.strip() != "*" and _bare(match) != _bare(pool["etag"])))
    present = none_match is not None and none_match.strip() == "*" and pool is not None
    if stale or present:
        raise BatchError(
            412,
            "ConditionNotMet",
            "The condition specified using HTTP conditional header(s) is not met.",
            target="BatchAccount",
        )


def _bare(etag: str) -> str:
    etag = etag.strip()
    return etag[2:] if etag.startswith("W/") else etag


def answer(pool: dict[str, Any], status: int = 200) -> Response:
    stamp = datetime.fromisoformat(pool["properties"]["lastModified"][:26] + "+00:00")
    return Response.json(status, pool, {"ETag": pool["etag"], "Last-Modified": format_datetime(stamp, usegmt=True)})


def get_pool(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    _account, pool = _context(emu, request, params, "read")
    if pool is None:
        raise not_found()
    return answer(pool)


def list_pools(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    account, _none = _context(emu, request, params, "read")
    for unsupported in ("$filter", "$select"):
        if unsupported in request.query:
            raise BatchError(
                400,
                "InvalidQueryParameterValue",
                f"The emulator does not serve '{unsupported}' on pool lists; list without it and filter locally.",
                target=unsupported,
            )
    found = sorted(emu.store.resources(account["id"], RTYPE), key=lambda p: p["name"].lower())
    size = request.query.get("maxresults")
    return Response.json(200, common.page(emu, request, found, int(size) if size and size.isdigit() else None))


def put_pool(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    account, existing = _context(emu, request, params, "write")
    if not pools.NAME.match(params["name"]):
        raise pool_rules.invalid("poolName", params["name"], "Pool names are 1 to 64 letters, digits, '-' or '_'.")
    _writable(emu, account, existing)
    _conditions(request, existing, put=True)
    body = common.body_of(request)
    given = pools.requested(body)
    if existing is not None:
        given = pools.replaced(existing["properties"], given)
    pool = _saved(
        emu, account, params["name"], existing, body, pools.normalized(given), given.get("scaleSettings"), True
    )
    return answer(pool)


def patch_pool(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    account, existing = _context(emu, request, params, "write")
    if existing is None:
        raise not_found()
    _writable(emu, account, existing)
    _conditions(request, existing, put=False)
    body = common.body_of(request)
    given = pools.requested(body)
    candidate = pools.normalized(pools.merged(existing["properties"], given))
    return answer(_saved(emu, account, existing["name"], existing, body, candidate, given.get("scaleSettings"), False))


def _saved(
    emu: Emulator,
    account: dict[str, Any],
    name: str,
    existing: dict[str, Any] | None,
    body: dict[str, Any],
    candidate: dict[str, Any],
    given_scale: dict[str, Any] | None,
    replace: bool,
) -> dict[str, Any]:
    """Check the rules, then store the pool (a copy: a refused write leaves the stored one as it was); a PUT
    (``replace``) replaces its identity and tags too."""
    pool = copy.deepcopy(existing) if existing else pools.new_body(pools.pool_id(account["id"], name), name)
    if "identity" in body or replace:
        identity = pool_rules.pool_identity(emu, body.get("identity"))
        pool.pop("identity", None)
        if identity is not None and identity["type"] != "None":
            pool["identity"] = identity
    if "tags" in body or replace:
        tags = common.tags_from(body)
        pool.pop("tags", None)
        if tags:
            pool["tags"] = tags
    pool_rules.check(emu, account, candidate, pool.get("identity"))
    if existing is not None:
        pools.refuse_changes_with_nodes(existing["properties"], candidate)
    resize = existing is None or candidate.get("scaleSettings") != existing["properties"].get("scaleSettings")
    pools.write(pool, candidate, given_scale, resize or given_scale is not None)
    emu.store.put_resource(pool)
    return pool


def delete_pool(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    account, existing = _context(emu, request, params, "delete")
    if existing is None:
        return Response.empty(204)
    _writable(emu, account, existing)
    pool = copy.deepcopy(existing)
    pool["properties"].update(provisioningState="Deleting", provisioningStateTransitionTime=pools.now())
    pools.stamp_etag(pool)
    emu.store.put_resource(pool)
    location = f"https://{request.host}{account['id']}/poolOperationResults/delete-{pool['name']}"
    op = lro.start(emu, "batch-pool-delete", pool["id"], f"{location}?api-version={request.api_version}")
    return Response.empty(202, _retry_hint(emu, lro.headers(emu, op)))


def _retry_hint(emu: Emulator, headers: dict[str, str]) -> dict[str, str]:
    """Azure's pool delete says ``Retry-After: 15``; with ``lro_retry_after_ms`` set, that hint instead."""
    return headers if "Retry-After-ms" in headers else {**headers, "Retry-After": POOL_RETRY_AFTER}


def delete_result(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RTYPE)
    name = params["opname"].split("-", 1)[-1]
    rid = pools.pool_id(_account_id(params), name).lower()
    ops = [
        o
        for o in emu.store.data["operations"].values()
        if o["kind"] == "batch-pool-delete" and o["resourceId"].lower() == rid
    ]
    pending = [o for o in ops if not o["done"]]
    if not ops:
        raise BatchError(404, "OperationNotFound", f"The operation '{params['opname']}' was not found.")
    op = lro.poll(emu, pending[-1]["id"]) if pending else ops[-1]
    return Response.empty(202, _retry_hint(emu, lro.headers(emu, op))) if not op["done"] else Response.empty(200)


@lro.register("batch-pool-delete")
def _finish_delete(emu: Emulator, op: dict[str, Any]) -> None:
    emu.store.delete_resource(op["resourceId"])


ROUTES = [
    Route("GET", BASE, list_pools),
    Route("GET", BASE + "/{name}", get_pool),
    Route("PUT", BASE + "/{name}", put_pool, write=True),
    Route("PATCH", BASE + "/{name}", patch_pool, write=True),
    Route("DELETE", BASE + "/{name}", delete_pool, write=True),
    Route("GET", ACCOUNT + "/poolOperationResults/{opname}", delete_result, exclusive=True),
]
