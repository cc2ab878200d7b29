"""Microsoft.KeyVault/vaults/keys through Resource Manager (api-version 2026-05-15): the key list of a vault, a
key, its versions - read from the same key store Key Vault's data plane uses.

These are Resource Manager reads: authorized by RBAC on the vault ("Microsoft.KeyVault/vaults/keys/read",
which Reader carries), not by the vault's access policies or data actions, and not blocked by a vault
firewall ("Firewalls apply only to the data plane": overview-vnet-service-endpoints). Soft-deleted keys are
not listed. Lists are paged with ``nextLink`` (``arm_list_page_size``). The shape is the spec's ``Key``:
attributes (enabled, nbf, exp, created, updated, recoveryLevel, exportable), kty, keyOps, keySize or
curveName, keyUri and keyUriWithVersion (with ``:443``, as the spec's example has them) and the rotation
policy when one was set (its action types lower-cased, as the spec's enum has them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from ...http import Request
from ...http import Response
from ...router import Route
from ..arm import common
from ..keyvault_data import crypto
from ..keyvault_data import models as keys
from . import handlers as vaults

if TYPE_CHECKING:
    from ... import Emulator

KEY_TYPE = "Microsoft.KeyVault/vaults/keys"
BASE = vaults.BASE + "/{name}/keys"


def _vault(emu: Emulator, request: Request, params: dict[str, str], key: str = "") -> dict[str, Any]:
    scope = vaults._rid(params) + (f"/keys/{key}" if key else "")
    common.require_api_version(request, vaults.RTYPE)
    common.resource_group(emu, params["sub"], params["rg"])
    common.authorize(emu, request, scope, f"{KEY_TYPE}/read")
    vault = emu.store.resource(vaults._rid(params))
    if vault is None:
        raise common.not_found(vaults.RTYPE, params["name"], params["rg"])
    return vault


def _record(emu: Emulator, vault: dict[str, Any], name: str) -> dict[str, Any]:
    record = keys.key_record(emu, vault["name"], name)
    if record is None:
        raise common.not_found(KEY_TYPE, f"{vault['name']}/{name}", vault["id"].split("/")[4])
    return record


def _uri(vault: dict[str, Any], name: str, version: str | None = None) -> str:
    base = vault["properties"]["vaultUri"].rstrip("/")
    scheme, host = base.split("://", 1)
    return f"{scheme}://{host}:443/keys/{name}" + (f"/{version}" if version else "")


def _policy(policy: dict[str, Any] | None) -> dict[str, Any] | None:
    if not policy or (not policy.get("lifetimeActions") and not (policy.get("attributes") or {}).get("expiryTime")):
        return None
    actions = [
        {"trigger": dict(a["trigger"]), "action": {"type": a["action"]["type"].lower()}}
        for a in policy.get("lifetimeActions") or []
    ]
    return {"attributes": dict(policy.get("attributes") or {}), "lifetimeActions": actions}


def key_body(vault: dict[str, Any], record: dict[str, Any], version: dict[str, Any], versioned: bool) -> dict[str, Any]:
    bundle = keys.bundle(vault, record, version)
    attributes = {k: v for k, v in bundle["attributes"].items() if k != "recoverableDays"}
    props: dict[str, Any] = {"attributes": attributes, "kty": version["kty"], "keyOps": list(version["key_ops"])}
    if version["kty"].startswith("RSA"):
        props["keySize"] = crypto.key_size(version["pem"])
    else:
        props["curveName"] = crypto.public_jwk(version["pem"]).get("crv")
    props["keyUri"] = _uri(vault, record["name"])
    props["keyUriWithVersion"] = _uri(vault, record["name"], version["version"])
    policy = _policy(record.get("rotationPolicy"))
    if policy:
        props["rotationPolicy"] = policy
    rid = f"{vault['id']}/keys/{record['name']}" + (f"/versions/{version['version']}" if versioned else "")
    body = {"id": rid, "name": record["name"], "type": KEY_TYPE, "location": vault["location"], "properties": props}
    if version.get("tags"):
        body["tags"] = dict(version["tags"])
    return body


def list_keys(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request, params)
    records = keys.vault_data(emu, vault["name"])["keys"].values()
    items = [key_body(vault, r, r["versions"][r["order"][-1]], versioned=False) for r in records]
    return Response.json(200, common.page(emu, request, items))


def get_key(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request, params, params["key"])
    record = _record(emu, vault, params["key"])
    return Response.json(200, key_body(vault, record, record["versions"][record["order"][-1]], versioned=False))


def list_versions(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request, params, params["key"])
    record = _record(emu, vault, params["key"])
    items = [key_body(vault, record, record["versions"][v], versioned=True) for v in record["order"]]
    return Response.json(200, common.page(emu, request, items))


def get_version(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request, params, params["key"])
    record = _record(emu, vault, params["key"])
    version = record["versions"].get(params["version"].lower())
    if version is None:
        raise common.not_found(KEY_TYPE, f"{vault['name']}/{params['key']}/{params['version']}", params["rg"])
    return Response.json(200, key_body(vault, record, version, versioned=True))


ROUTES = [
    Route("GET", BASE, list_keys),
    Route("GET", BASE + "/{key}", get_key),
    Route("GET", BASE + "/{key}/versions", list_versions),
    Route("GET", BASE + "/{key}/versions/{version}", get_version),
]
