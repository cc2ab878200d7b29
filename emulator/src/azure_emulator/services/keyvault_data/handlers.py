"""Key Vault data plane (<vault>.vault.azure.net, api-version 2025-07-01): challenge auth, keys, crypto."""

from __future__ import annotations

import binascii
from typing import TYPE_CHECKING
from typing import Any

from ... import propagation
from ...authz import TokenRejected
from ...authz import policy_allows
from ...authz import rbac_allows
from ...clouds import CLOUDS
from ...clouds import cloud_for_host
from ...errors import EmulatorError
from ...errors import KeyVaultError
from ...http import Principal
from ...http import Request
from ...http import Response
from ...router import Route
from ...router import Service
from ..arm_keyvault.models import find_vault
from . import crypto
from . import deletion
from . import models
from . import rotation

if TYPE_CHECKING:
    from ... import Emulator

# 7.6-preview.2 is what az CLI 2.91 pins (azure/cli/command_modules/keyvault/_client_factory.py); Azure serves it.
API_VERSIONS = ("2025-07-01", "7.6", "7.6-preview.2", "7.5", "7.4", "7.3", "7.2", "7.1", "7.0")
# operation -> (access-policy permission, RBAC data action under Microsoft.KeyVault/vaults/)
OPERATIONS = {
    "get": ("get", "keys/read"),
    "list": ("list", "keys/read"),
    "create": ("create", "keys/create/action"),
    "update": ("update", "keys/update/action"),
    "delete": ("delete", "keys/delete"),
    "getdeleted": ("get", "deletedKeys/read"),
    "listdeleted": ("list", "deletedKeys/read"),
    "recover": ("recover", "deletedKeys/recover/action"),
    "purge": ("purge", "deletedKeys/delete"),
    "rotate": ("rotate", "keys/rotate/action"),
    "getrotationpolicy": ("getrotationpolicy", "keyrotationpolicies/read"),
    "setrotationpolicy": ("setrotationpolicy", "keyrotationpolicies/write"),
    "wrapKey": ("wrapKey", "keys/wrap/action"),
    "unwrapKey": ("unwrapKey", "keys/unwrap/action"),
    "encrypt": ("encrypt", "keys/encrypt/action"),
    "decrypt": ("decrypt", "keys/decrypt/action"),
}


def _vault(emu: Emulator, request: Request) -> dict[str, Any]:
    cloud = cloud_for_host(request.host)
    name = cloud.vault_name_of(request.host) if cloud else None
    vault = find_vault(emu, name) if name else None
    if vault is None:
        raise KeyVaultError(404, "VaultNotFound", f"The vault {request.host} does not exist.")
    return vault


def _caller(principal: Principal) -> str:
    return f"appid={principal.app_id};oid={principal.object_id};iss=https://sts.windows.net/{principal.tenant_id}/"


def allow(emu: Emulator, request: Request, vault: dict[str, Any], operation: str, key: str | None = None) -> None:
    """Access policies or RBAC (by the vault's mode) for the calling principal; 403 as Key Vault words it."""
    principal = request.principal
    assert principal is not None
    permission, action = OPERATIONS[operation]
    location = f"{vault['name']};location={vault['location']}"
    if not vault["properties"].get("enableRbacAuthorization"):
        if policy_allows(propagation.effective_vault(emu, vault), principal.tenant_id, principal.object_id, permission):
            return
        raise KeyVaultError(
            403,
            "Forbidden",
            f"The user, group or application '{_caller(principal)}' does not have keys {permission} permission on key "
            f"vault '{location}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
            inner="AccessDenied",
        )
    scope = vault["id"] + (f"/keys/{key}" if key else "")
    full_action = f"Microsoft.KeyVault/vaults/{action}"
    if rbac_allows(
        emu.store, principal.object_id, scope, full_action, data=True, among=propagation.effective_assignments(emu)
    ):
        return
    raise KeyVaultError(
        403,
        "Forbidden",
        "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role "
        "definitions were changed recently, please observe propagation time.\r\n"
        f"Caller: {_caller(principal)}\r\nAction: '{full_action}'\r\nResource: '{scope.lower()}'\r\n"
        f"Assignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: {location}\r\n",
        inner="ForbiddenByRbac",
    )


def _json(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError as exc:
        raise models.bad(f"The request body is not valid JSON: {exc}") from exc
    return body if isinstance(body, dict) else {}


# Handlers ----------------------------------------------------------------------------------
def create_key(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, "create", params["name"])
    return Response.json(200, models.create_key(emu, vault, params["name"], _json(request)))


def get_key(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, "get", params["name"])
    record, version = models.require_key(emu, vault, params["name"], params.get("version", ""))
    return Response.json(200, models.bundle(vault, record, version))


def update_key(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, "update", params["name"])
    return Response.json(200, models.update_key(emu, vault, params["name"], params.get("version", ""), _json(request)))


def list_keys(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, "list")
    records = models.vault_data(emu, vault["name"])["keys"].values()
    value = [models.item(vault, r, r["versions"][r["order"][-1]], versioned=False) for r in records]
    return Response.json(200, {"value": value})


def list_versions(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, "list", params["name"])
    record, _ = models.require_key(emu, vault, params["name"])
    value = [models.item(vault, record, record["versions"][v], versioned=True) for v in record["order"]]
    return Response.json(200, {"value": value})


def delete_key(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, "delete", params["name"])
    return Response.json(200, deletion.delete_key(emu, vault, params["name"]))


def get_deleted(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, "getdeleted", params["name"])
    return Response.json(200, deletion.get_deleted(emu, vault, params["name"]))


def list_deleted(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, "listdeleted")
    return Response.json(200, {"value": deletion.list_deleted(emu, vault)})


def recover_key(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, "recover", params["name"])
    return Response.json(200, deletion.recover(emu, vault, params["name"]))


def purge_key(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, "purge", params["name"])
    deletion.purge(emu, vault, params["name"])
    return Response.empty(204)


def rotate_key(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, "rotate", params["name"])
    return Response.json(200, models.rotate_key(emu, vault, params["name"]))


def get_rotation_policy(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, "getrotationpolicy", params["name"])
    record, _ = models.require_key(emu, vault, params["name"])
    policy = record.get("rotationPolicy") or rotation.default_policy(models.kid(vault, record["name"]))
    return Response.json(200, policy)


def put_rotation_policy(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, "setrotationpolicy", params["name"])
    record, _ = models.require_key(emu, vault, params["name"])
    return Response.json(200, rotation.put_policy(record, models.kid(vault, record["name"]), _json(request)))


def _crypto(emu: Emulator, request: Request, params: dict[str, str], operation: str) -> Response:
    vault = _vault(emu, request)
    allow(emu, request, vault, operation, params["name"])
    record, version = models.require_key(emu, vault, params["name"], params["version"])
    why = models.usable(version)
    if why:
        raise KeyVaultError(
            403,
            "Forbidden",
            f"Operation {operation} is not allowed on a {why} key.",
            inner="KeyDisabled" if why == "disabled" else None,
        )
    if operation not in version["key_ops"]:
        # Azure's answer: 403 Forbidden, inner KeyOperationForbidden (Azure SDK for Go, Key Vault TROUBLESHOOTING.md).
        raise KeyVaultError(
            403, "Forbidden", f"Operation {operation} is not permitted on this key.", inner="KeyOperationForbidden"
        )
    body = _json(request)
    try:
        value = crypto.from_b64url(body.get("value", ""))
        run = crypto.wrap if operation in ("wrapKey", "encrypt") else crypto.unwrap
        result = run(version["pem"], body.get("alg", ""), value)
    except (ValueError, binascii.Error) as exc:
        raise models.bad(str(exc)) from exc
    return Response.json(
        200, {"kid": models.kid(vault, record["name"], version["version"]), "value": crypto.b64url(result)}
    )


def wrap_key(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    return _crypto(emu, request, params, "wrapKey")


def unwrap_key(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    return _crypto(emu, request, params, "unwrapKey")


def encrypt(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    return _crypto(emu, request, params, "encrypt")


def decrypt(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    return _crypto(emu, request, params, "decrypt")


class KeyVaultDataService(Service):
    name = "keyvault"
    hosts = tuple(f"*.{cloud.vault_suffix}" for cloud in CLOUDS)
    routes = [
        Route("GET", "/keys", list_keys),
        Route("GET", "/deletedkeys", list_deleted),
        Route("GET", "/deletedkeys/{name}", get_deleted),
        Route("DELETE", "/deletedkeys/{name}", purge_key, write=True),
        Route("POST", "/deletedkeys/{name}/recover", recover_key, write=True),
        Route("POST", "/keys/{name}/create", create_key, write=True),
        Route("POST", "/keys/{name}/rotate", rotate_key, write=True),
        Route("GET", "/keys/{name}/versions", list_versions),
        Route("GET", "/keys/{name}/rotationpolicy", get_rotation_policy),
        Route("PUT", "/keys/{name}/rotationpolicy", put_rotation_policy, write=True),
        Route("DELETE", "/keys/{name}", delete_key, write=True),
        Route("GET", "/keys/{name}", get_key),
        Route("PATCH", "/keys/{name}", update_key, write=True),
        Route("POST", "/keys/{name}/{version}/wrapkey", wrap_key),
        Route("POST", "/keys/{name}/{version}/unwrapkey", unwrap_key),
        Route("POST", "/keys/{name}/{version}/encrypt", encrypt),
        Route("POST", "/keys/{name}/{version}/decrypt", decrypt),
        Route("GET", "/keys/{name}/{version}", get_key),
        Route("PATCH", "/keys/{name}/{version}", update_key, write=True),
    ]

    def exists(self, emu: Emulator, host: str) -> bool:
        """Whether the vault's name resolves: it exists and its DNS registration is done (propagation.py)."""
        cloud = cloud_for_host(host)
        name = cloud.vault_name_of(host) if cloud else None
        return name is not None and find_vault(emu, name) is not None and propagation.vault_resolves(emu, name)

    def authenticate(self, emu: Emulator, request: Request, route: Route) -> None:
        vault = _vault(emu, request)
        tenant = vault["properties"]["tenantId"]
        cloud = cloud_for_host(request.host) or CLOUDS[0]
        challenge = {
            "WWW-Authenticate": (
                f'Bearer authorization="https://login.windows.net/{tenant}", resource="{cloud.vault_audience}"'
            )
        }
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            raise KeyVaultError(
                401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", headers=challenge
            )
        try:
            claims = emu.tokens.validate(header[7:].strip(), {cloud.vault_audience, cloud.vault_audience + "/"})
        except TokenRejected as exc:
            code = {"expired": "AKV10022: Token is expired.", "audience": "AKV10022: Invalid audience."}.get(
                exc.reason, "AKV10012: Token could not be validated."
            )
            raise KeyVaultError(401, "Unauthorized", code, headers=challenge) from exc
        if claims["tid"] != tenant:
            raise KeyVaultError(
                401,
                "Unauthorized",
                f"AKV10032: Invalid issuer. Expected one of https://sts.windows.net/{tenant}/, found {claims['iss']}.",
                headers=challenge,
            )
        request.principal = Principal(claims["oid"], claims["tid"], claims.get("appid"))
        if request.api_version not in API_VERSIONS:
            raise models.bad(
                f"The specified version ({request.api_version}) is not recognized. Consider using the latest "
                f"supported version ({API_VERSIONS[0]})."
            )

    def not_found(self, request: Request) -> EmulatorError:
        return KeyVaultError(400, "BadParameter", f"The request URI {request.path} is not valid.")

    def headers(self, request: Request, request_id: str) -> dict[str, str]:
        return {
            "x-ms-request-id": request_id,
            "x-ms-keyvault-service-version": "1.9.2610.1",
            "x-ms-keyvault-region": "westeurope",
        }
