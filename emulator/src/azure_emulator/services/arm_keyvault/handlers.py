"""Microsoft.KeyVault/vaults (api-version 2026-05-15): vaults, access policies, deleted vaults."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING
from typing import Any

from ... import propagation
from ...errors import ArmError
from ...http import Request
from ...http import Response
from ...router import Route
from ..arm import common
from . import models

if TYPE_CHECKING:
    from ... import Emulator

RTYPE = models.TYPE
BASE = "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults"
DELETED = "/subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{name}"


def _rid(params: dict[str, str]) -> str:
    return common.tracked_id(params["sub"], params["rg"], RTYPE, params["name"])


def _vault(emu: Emulator, request: Request, params: dict[str, str], action: str) -> dict[str, Any] | None:
    common.require_api_version(request, RTYPE)
    common.resource_group(emu, params["sub"], params["rg"])
    common.authorize(emu, request, _rid(params), action)
    vault = emu.store.resource(_rid(params))
    return _settled(emu, vault) if vault is not None else None


def _settled(emu: Emulator, vault: dict[str, Any]) -> dict[str, Any]:
    """A new vault shows RegisteringDns until its time is up (propagation.py)."""
    props = vault["properties"]
    if props.get("provisioningState") == "RegisteringDns" and not propagation.vault_registering(emu, vault):
        emu.store.will_change(vault)
        props["provisioningState"] = "Succeeded"
        emu.store.touch()  # reads run side by side: a change they make must be saved
    return vault


def _required(emu: Emulator, request: Request, params: dict[str, str], action: str) -> dict[str, Any]:
    vault = _vault(emu, request, params, action)
    if vault is None:
        raise common.not_found(RTYPE, params["name"], params["rg"])
    return vault


def get_vault(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    return Response.json(200, _required(emu, request, params, f"{RTYPE}/read"))


def put_vault(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    existing = _vault(emu, request, params, f"{RTYPE}/write")
    body = common.body_of(request)
    props = body.get("properties")
    if not isinstance(props, dict):
        raise ArmError(400, "BadRequest", "The 'properties' of the vault are required.")
    if not body.get("location"):
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    models.check_name(params["name"])
    if existing is None and props.get("createMode") == "recover":
        return _recover(emu, request, params, body)
    common.check_location(existing, body["location"], RTYPE, params["name"], params["rg"])
    if existing is None:
        models.check_name_free(emu, _rid(params), params["name"])
        models.check_new(props)
        merged = models.new_properties(props, request.api_version or "", common.cloud_of(request), params["name"])
    else:
        merged = models.merged_properties(existing["properties"], props)
    models.check_properties(emu, merged, existing["properties"] if existing else None)
    vault = {
        "id": existing["id"] if existing else _rid(params),
        "name": params["name"],
        "type": RTYPE,
        "location": body["location"],
        "tags": common.tags_from(body),
        "systemData": common.system_data(request, existing.get("systemData") if existing else None),
        "properties": merged,
    }
    emu.store.put_resource(vault)
    if existing is not None:
        propagation.record_policies(emu, vault, existing["properties"].get("accessPolicies"))
        return Response.json(200, vault)
    propagation.start_vault(emu, vault)
    if not propagation.vault_registering(emu, vault):
        return Response.json(201, vault)
    merged["provisioningState"] = "RegisteringDns"
    return Response.json(200, models.registering_view(vault, props))


def _recover(emu: Emulator, request: Request, params: dict[str, str], body: dict[str, Any]) -> Response:
    record = emu.store.data["deletedVaults"].pop(params["name"].lower(), None)
    if record is None:
        raise ArmError(
            404,
            "DeletedVaultNotFound",
            f"The deleted vault '{params['name']}' could not be found and cannot be recovered.",
        )
    vault = record["vault"]
    vault["systemData"] = common.system_data(request, vault.get("systemData"))
    emu.store.put_resource(vault)
    return Response.json(200, vault)


def patch_vault(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _required(emu, request, params, f"{RTYPE}/write")
    body = common.body_of(request)
    merged = models.merged_properties(vault["properties"], body.get("properties") or {})
    models.check_properties(emu, merged, vault["properties"])
    before = vault["properties"].get("accessPolicies")
    vault["properties"] = merged
    propagation.record_policies(emu, vault, before)
    vault["tags"] = common.tags_from(body, vault.get("tags"))
    vault["systemData"] = common.system_data(request, vault.get("systemData"))
    return Response.json(200, vault)


def delete_vault(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request, params, f"{RTYPE}/delete")
    if vault is None:
        return Response.empty(204)
    models.soft_delete(emu, vault)
    return Response.empty(200)


def update_access_policy(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    kind = params["kind"].lower()
    if kind not in ("add", "replace", "remove"):
        raise ArmError(
            400, "BadRequest", f"The operation kind '{params['kind']}' is invalid; use add, replace or remove."
        )
    vault = _required(emu, request, params, f"{RTYPE}/accessPolicies/write")
    entries = ((common.body_of(request).get("properties") or {}).get("accessPolicies")) or []
    if not isinstance(entries, list) or not 1 <= len(entries) <= 16:
        raise ArmError(400, "BadRequest", "Between 1 and 16 access policies must be given.")
    before = copy.deepcopy(vault["properties"].get("accessPolicies"))
    models.change_policies(vault, kind, entries)
    propagation.record_policies(emu, vault, before)
    body = {
        "id": f"{vault['id']}/accessPolicies/{kind}",
        "type": "Microsoft.KeyVault/vaults/accessPolicies",
        "properties": {"accessPolicies": entries},
    }
    return Response.json(200, body)


def list_vaults(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RTYPE)
    scope = common.list_scope(emu, params)
    return Response.json(200, common.page(emu, request, [_settled(emu, v) for v in emu.store.resources(scope, RTYPE)]))


def list_resources(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    """GET /subscriptions/{s}/resources?$filter=resourceType eq 'Microsoft.KeyVault/vaults' (Vaults_List)."""
    common.subscription(emu, params["sub"])
    scope = f"/subscriptions/{params['sub']}"
    text = request.query.get("$filter", "")
    wanted = RTYPE if RTYPE.lower() in text.lower() else None
    if wanted is None:
        raise ArmError(400, "InvalidFilter", "Only $filter=resourceType eq 'Microsoft.KeyVault/vaults' is supported.")
    found = [
        {k: v[k] for k in ("id", "name", "type", "location", "tags") if k in v}
        for v in emu.store.resources(scope, RTYPE)
    ]
    return Response.json(200, common.page(emu, request, found))


def get_deleted(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RTYPE)
    record = emu.store.data["deletedVaults"].get(params["name"].lower())
    if record is None or record["deleted"]["id"].split("/")[2].lower() != params["sub"].lower():
        raise ArmError(404, "DeletedVaultNotFound", f"The deleted vault '{params['name']}' could not be found.")
    return Response.json(200, record["deleted"])


def list_deleted(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RTYPE)
    common.subscription(emu, params["sub"])
    found = [
        r["deleted"]
        for r in emu.store.data["deletedVaults"].values()
        if r["deleted"]["id"].split("/")[2].lower() == params["sub"].lower()
    ]
    return Response.json(200, common.list_body(found))


def purge_deleted(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RTYPE)
    common.authorize(
        emu, request, f"/subscriptions/{params['sub']}", "Microsoft.KeyVault/locations/deletedVaults/purge/action"
    )
    record = emu.store.data["deletedVaults"].get(params["name"].lower())
    if record is None:
        raise ArmError(404, "DeletedVaultNotFound", f"The deleted vault '{params['name']}' could not be found.")
    if record["deleted"]["properties"]["purgeProtectionEnabled"]:
        # Azure's answer, status and words (microsoft/AzureTRE#1446; Azure/azure-sdk-tools#9329).
        raise ArmError(405, "MethodNotAllowed", "Operation 'DeletedVaultPurge' is not allowed.")
    del emu.store.data["deletedVaults"][params["name"].lower()]
    propagation.forget_vault(emu, params["name"])
    emu.store.data["vaultData"].pop(params["name"].lower(), None)
    return Response.empty(200)


def check_name(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    common.require_api_version(request, RTYPE)
    name = common.body_of(request).get("name", "")
    try:
        models.check_name(name)
    except ArmError as exc:
        return Response.json(200, {"nameAvailable": False, "reason": "AccountNameInvalid", "message": exc.message})
    taken = models.find_vault(emu, name) is not None or name.lower() in emu.store.data["deletedVaults"]
    if taken:
        return Response.json(
            200,
            {
                "nameAvailable": False,
                "reason": "AlreadyExists",
                "message": f"The vault name '{name}' is already in use.",
            },
        )
    return Response.json(200, {"nameAvailable": True})


ROUTES = [
    Route("GET", "/subscriptions/{sub}/providers/Microsoft.KeyVault/vaults", list_vaults),
    Route("GET", "/subscriptions/{sub}/resources", list_resources),
    Route("POST", "/subscriptions/{sub}/providers/Microsoft.KeyVault/checkNameAvailability", check_name),
    Route("GET", "/subscriptions/{sub}/providers/Microsoft.KeyVault/deletedVaults", list_deleted),
    Route("GET", DELETED, get_deleted),
    Route("POST", DELETED + "/purge", purge_deleted, write=True),
    Route("GET", BASE, list_vaults),
    Route("GET", BASE + "/{name}", get_vault),
    Route("PUT", BASE + "/{name}", put_vault, write=True),
    Route("PATCH", BASE + "/{name}", patch_vault, write=True),
    Route("DELETE", BASE + "/{name}", delete_vault, write=True),
    Route("PUT", BASE + "/{name}/accessPolicies/{kind}", update_access_policy, write=True),
]
