"""POST /providers/Microsoft.ResourceGraph/resources (api-version 2021-03-01, what azure-mgmt-resourcegraph
8.0.x sends): the query over the index, the caller's scope, paging, the per-user quota.

Paging (paging-results.md, work-with-data.md): ``options.$top`` rows a page (default 100, at most 1,000),
``options.$skip`` to start further; a page that leaves rows behind carries ``$skipToken`` to pass back with
the same query and scopes - only when the output has an ``id`` column, the query has no ``limit``/``take``
/``top`` and not every column is dynamic. Otherwise ``resultTruncated`` is "true" and no token is given.
Each page is a query: it is run again over the index as it is then (rows may shift between pages, as the
docs warn), and it takes one unit of the quota.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from datetime import timezone
from typing import TYPE_CHECKING
from typing import Any

from ..errors import ArmError
from ..http import Request
from ..http import Response
from ..router import Route
from ..services.arm import common
from . import kql
from . import scope
from . import tables

if TYPE_CHECKING:
    from .. import Emulator

RTYPE = "microsoft.resourcegraph/resources"
PAGE = (100, 1000)  # default and most rows a page
COLUMN_TYPES = {
    "string": "string",
    "long": "integer",
    "real": "number",
    "bool": "boolean",
    "dynamic": "object",
    "datetime": "datetime",
}


def _support_message() -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
    return f"Please provide below info when asking for support: timestamp = {stamp}, correlationId = {uuid.uuid4()}."


def bad_query(detail: dict[str, Any]) -> ArmError:
    """Resource Graph's answer to a query it cannot run (real bodies quoted in kql/errors.py)."""
    first = {
        "code": "InvalidQuery",
        "message": "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix "
        "the error before retrying.",
    }
    return ArmError(400, "BadRequest", _support_message(), details=[first, detail])


def _bad_request(message: str) -> ArmError:
    return ArmError(400, "BadRequest", _support_message(), details=[{"code": "BadRequest", "message": message}])


def _options(body: dict[str, Any]) -> tuple[int, int, str]:
    """(rows a page, rows to skip, result format) from the request's options and its $skipToken."""
    options = body.get("options") or {}
    top = options.get("$top", PAGE[0])
    skip = options.get("$skip", 0)
    if not isinstance(top, int) or not 1 <= top <= PAGE[1] or not isinstance(skip, int) or skip < 0:
        raise _bad_request(f"$top must be 1 to {PAGE[1]} and $skip 0 or more.")
    token = options.get("$skipToken")
    if token:
        skip = _read_token(str(token))
    fmt = options.get("resultFormat", "objectArray")
    if fmt not in ("objectArray", "table"):
        raise _bad_request(f"The resultFormat '{fmt}' is invalid; use table or objectArray.")
    return top, skip, fmt


def _read_token(token: str) -> int:
    try:
        return int(json.loads(base64.b64decode(token, validate=True))["skip"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise _bad_request("The $skipToken is invalid.") from exc


def _token(skip: int) -> str:
    return base64.b64encode(json.dumps({"skip": skip, "v": 1}).encode()).decode()


def query_resources(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RTYPE)
    principal = request.principal
    assert principal is not None
    body = common.body_of(request)
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise _bad_request("The query is required.")
    headers = {}
    if emu.settings.resource_graph_throttling:
        headers = emu.graph_quota.admit(emu.settings.resource_graph_quota, principal.object_id)
    top, skip, fmt = _options(body)
    try:
        parsed = kql.parse(text)
        result = kql.run(parsed, _tables(emu, request, body))
    except kql.KqlError as exc:
        raise bad_query(exc.detail) from exc
    return Response.json(200, _page(result, top, skip, fmt), headers)


def _tables(emu: Emulator, request: Request, body: dict[str, Any]) -> Any:
    assert request.principal is not None
    subs = scope.subscriptions(emu, request.principal, body)
    visible = scope.row_filter(emu, request.principal, subs)
    tenants = {s["id"].lower(): s["tenantId"] for s in emu.store.data["subscriptions"].values()}

    def table(name: str) -> Any:
        found = tables.bodies(emu, name)
        if found is None:
            return None
        return dict(tables.SCHEMA), [r for r in (tables.row(b, tenants) for b in found) if visible(r)]

    return table


def _page(result: kql.Result, top: int, skip: int, fmt: str) -> dict[str, Any]:
    total = len(result.rows)
    skip = 0 if result.limited else skip  # "If limit or take are used in the query, Skip is ignored."
    page = result.rows[skip : skip + top]
    more = skip + len(page) < total
    pageable = "id" in result.schema and not result.limited and any(t != "dynamic" for t in result.schema.values())
    answer: dict[str, Any] = {
        "totalRecords": total,
        "count": len(page),
        "resultTruncated": "true" if more and not pageable else "false",
        "facets": [],
        "data": _data(result.schema, page, fmt),
    }
    if more and pageable:
        answer["$skipToken"] = _token(skip + len(page))
    return answer


def _data(schema: dict[str, str], rows: list[dict[str, Any]], fmt: str) -> Any:
    if fmt == "objectArray":
        return [{name: row.get(name) for name in schema} for row in rows]
    columns = [{"name": name, "type": COLUMN_TYPES.get(kind, "object")} for name, kind in schema.items()]
    return {"columns": columns, "rows": [[row.get(name) for name in schema] for row in rows]}


ROUTES = [Route("POST", "/providers/Microsoft.ResourceGraph/resources", query_resources)]
