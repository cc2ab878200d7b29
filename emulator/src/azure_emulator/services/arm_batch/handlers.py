"""Microsoft.Batch/batchAccounts (api-version 2025-06-01): long-running create and delete, PATCH, CMK."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from datetime import timezone
from typing import TYPE_CHECKING
from typing import Any

from ... import lro
from ... import propagation
from ...errors import BatchError
from ...http import Request
from ...http import Response
from ...router import Route
from ..arm import common
from . import models
from . import pools

if TYPE_CHECKING:
    from ... import Emulator

RTYPE = models.TYPE
BASE = "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Batch/batchAccounts"
STORAGE_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/[a-z0-9]{3,24}$", re.I
)


def _rid(params: dict[str, str]) -> str:
    return common.tracked_id(params["sub"], params["rg"], RTYPE, params["name"])


def _tenant(emu: Emulator, sub: str) -> str:
    return common.subscription(emu, sub)["tenantId"]


def _account(emu: Emulator, request: Request, params: dict[str, str], action: str) -> dict[str, Any] | None:
    common.require_api_version(request, RTYPE)
    common.resource_group(emu, params["sub"], params["rg"])
    common.authorize(emu, request, _rid(params), f"{RTYPE}/{action}")
    account = emu.store.resource(_rid(params))
    if account is not None:
        models.refresh_availability(emu, account, _tenant(emu, params["sub"]))
    return account


def refuse_if_unavailable(emu: Emulator, account: dict[str, Any], tenant: str) -> None:
    if account["properties"]["provisioningState"] in ("Creating", "Deleting"):
        raise BatchError(
            409,
            "AccountOperationInProgress",
            f"An operation is in progress on the Batch account '{account['name']}'; retry when it completes.",
        )
    state, problem = models.availability(emu, account, tenant)
    if problem is not None:
        raise models.refusal(
            emu,
            409,
            "AccountKeyAccessLost",
            f"The Batch account '{account['name']}' is unavailable because its identity lost access to its "
            f"customer-managed key ({problem.code}: {problem.message}). Only deletion is allowed until access to the "
            "key is restored.",
        )
    if state == propagation.RECOVERING:
        raise models.refusal(
            emu,
            409,
            "AccountKeyAccessLost",
            f"The Batch account '{account['name']}' is recovering: access to its customer-managed key is back, and "
            "the account becomes available again shortly. Only deletion is allowed until then.",
        )


def _apply_properties(
    emu: Emulator, account: dict[str, Any], body: dict[str, Any], tenant: str, creating: bool
) -> None:
    props = body.get("properties") or {}
    models.apply_identity(emu, account, body.get("identity"), tenant)
    encryption = models.requested_encryption(props.get("encryption"))
    if (
        encryption is None
        and body.get("identity") is not None
        and account["properties"]["encryption"]["keySource"] == "Microsoft.KeyVault"
    ):
        encryption = account["properties"]["encryption"]  # an identity change must keep the key reachable
    models.apply_encryption(emu, account, encryption, tenant)
    if "autoStorage" in props:
        account["properties"]["autoStorage"] = _auto_storage(props["autoStorage"])
    for field in ("publicNetworkAccess", "allowedAuthenticationModes", "networkProfile"):
        if props.get(field) is not None:
            account["properties"][field] = props[field]
    if creating:
        _pool_allocation(account, props)


def _auto_storage(given: dict[str, Any] | None) -> dict[str, Any] | None:
    if not given:
        return None
    if not STORAGE_ID.match(str(given.get("storageAccountId", ""))):
        raise BatchError(
            400,
            "InvalidParameter",
            f"The auto-storage account id '{given.get('storageAccountId')}' is not a storage account resource id.",
            target="properties.autoStorage.storageAccountId",
        )
    result = {
        "storageAccountId": given["storageAccountId"],
        "lastKeySync": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "authenticationMode": given.get("authenticationMode", "StorageKeys"),
    }
    if given.get("nodeIdentityReference"):
        result["nodeIdentityReference"] = given["nodeIdentityReference"]
    return result


def _pool_allocation(account: dict[str, Any], props: dict[str, Any]) -> None:
    mode = props.get("poolAllocationMode") or "BatchService"
    if mode not in ("BatchService", "UserSubscription"):
        raise BatchError(
            400,
            "InvalidParameter",
            f"The pool allocation mode '{mode}' is invalid.",
            target="properties.poolAllocationMode",
        )
    reference = props.get("keyVaultReference")
    if mode == "UserSubscription" and not (reference and reference.get("id") and reference.get("url")):
        raise BatchError(
            400,
            "InvalidParameter",
            "UserSubscription pool allocation mode needs keyVaultReference with id and url.",
            target="properties.keyVaultReference",
        )
    account["properties"]["poolAllocationMode"] = mode
    if mode == "UserSubscription":
        account["properties"]["keyVaultReference"] = {"id": reference["id"], "url": reference["url"]}


def shown(account: dict[str, Any]) -> dict[str, Any]:
    """Azure's Batch leaves out empty tags (az CLI recording, 2024)."""
    return {k: v for k, v in account.items() if k != "tags" or v}


def _answer(account: dict[str, Any]) -> Response:
    """The account with the ETag header Azure's Batch GET, PATCH and final poll carry (az CLI recording, 2024)."""
    body = shown(account)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:14].upper()
    return Response.json(200, body, {"ETag": f'"0x8D{digest}"'})


def get_account(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    account = _account(emu, request, params, "read")
    if account is None:
        raise common.not_found(RTYPE, params["name"], params["rg"])
    return _answer(account)


def put_account(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    existing = _account(emu, request, params, "write")
    models.check_name(params["name"])
    body = common.body_of(request)
    if not body.get("location"):
        raise BatchError(
            400, "LocationRequired", "The location property is required for this definition.", target="location"
        )
    common.check_location(existing, body["location"], RTYPE, params["name"], params["rg"])
    tenant = _tenant(emu, params["sub"])
    if existing is not None:
        refuse_if_unavailable(emu, existing, tenant)
        existing["tags"] = common.tags_from(body, existing.get("tags"))
        _apply_properties(emu, existing, body, tenant, creating=False)
        return _answer(existing)
    suffix = common.cloud_of(request).batch_suffix
    account = models.new_account(emu, _rid(params), params["name"], body["location"], suffix)
    account["tags"] = common.tags_from(body)
    _apply_properties(emu, account, body, tenant, creating=True)
    emu.store.put_resource(account)
    base = f"https://{request.host}{_rid(params)}/operationResults/{{op}}?api-version={request.api_version}"
    op = lro.start(emu, "batch-create", account["id"], base)
    return Response.empty(202, lro.headers(emu, op))


def patch_account(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    account = _account(emu, request, params, "write")
    if account is None:
        raise common.not_found(RTYPE, params["name"], params["rg"])
    tenant = _tenant(emu, params["sub"])
    refuse_if_unavailable(emu, account, tenant)
    body = common.body_of(request)
    account["tags"] = common.tags_from(body, account.get("tags"))
    _apply_properties(emu, account, body, tenant, creating=False)
    return _answer(account)


def delete_account(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    account = _account(emu, request, params, "delete")
    if account is None:
        return Response.empty(204)
    account["properties"]["provisioningState"] = "Deleting"
    location = re.sub(r"\s+", "", account["location"]).lower()
    base = (
        f"https://{request.host}/subscriptions/{params['sub']}/providers/Microsoft.Batch/locations/{location}"
        f"/accountOperationResults/{account['name']}-{{op}}?api-version={request.api_version}"
    )
    op = lro.start(emu, "batch-delete", account["id"], base)
    return Response.empty(202, lro.headers(emu, op))


def _poll(emu: Emulator, request: Request, op_id: str) -> dict[str, Any]:
    common.require_api_version(request, RTYPE)
    op = lro.poll(emu, op_id)
    if op is None:
        raise BatchError(404, "OperationNotFound", f"The operation '{op_id}' was not found.")
    return op


def create_result(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    op = _poll(emu, request, params["op"])
    if not op["done"]:
        return Response.empty(202, lro.headers(emu, op))
    account = emu.store.resource(op["resourceId"])
    if account is None:
        raise common.not_found(RTYPE, params["name"], params["rg"])
    models.refresh_availability(emu, account, _tenant(emu, params["sub"]))
    return _answer(account)


def delete_result(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    # "{account}-{operation id}"; account names have no hyphens.
    op = _poll(emu, request, params["opname"].split("-", 1)[-1])
    return Response.empty(202, lro.headers(emu, op)) if not op["done"] else Response.empty(200)


def list_accounts(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RTYPE)
    scope = common.list_scope(emu, params)
    accounts = list(emu.store.resources(scope, RTYPE))
    tenant = _tenant(emu, params["sub"])
    for account in accounts:
        models.refresh_availability(emu, account, tenant)
    return Response.json(200, common.page(emu, request, [shown(a) for a in accounts]))


@lro.register("batch-create")
def _finish_create(emu: Emulator, op: dict[str, Any]) -> None:
    account = emu.store.resource(op["resourceId"])
    if account is not None:
        account["properties"]["provisioningState"] = "Succeeded"


@lro.register("batch-delete")
def _finish_delete(emu: Emulator, op: dict[str, Any]) -> None:
    for pool in list(emu.store.resources(op["resourceId"], pools.TYPE)):  # the account's pools go with it
        emu.store.delete_resource(pool["id"])
    account = emu.store.delete_resource(op["resourceId"])
    propagation.forget_account(emu, op["resourceId"])
    identity = (account or {}).get("identity") or {}
    if identity.get("type") == "SystemAssigned":
        emu.store.remove_principal(identity["principalId"])


ROUTES = [
    Route("GET", "/subscriptions/{sub}/providers/Microsoft.Batch/batchAccounts", list_accounts),
    Route(
        "GET",
        "/subscriptions/{sub}/providers/Microsoft.Batch/locations/{location}/accountOperationResults/{opname}",
        delete_result,
        exclusive=True,
    ),
    Route("GET", BASE, list_accounts),
    Route("GET", BASE + "/{name}", get_account),
    Route("PUT", BASE + "/{name}", put_account, write=True),
    Route("PATCH", BASE + "/{name}", patch_account, write=True),
    Route("DELETE", BASE + "/{name}", delete_account, write=True),
    Route("GET", BASE + "/{name}/operationResults/{op}", create_result, exclusive=True),
]
