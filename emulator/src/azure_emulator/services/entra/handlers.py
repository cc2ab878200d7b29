"""Entra ID (login.microsoftonline.com): discovery documents, signing keys, client-credential tokens."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING
from typing import Any

from ...clouds import CLOUDS
from ...clouds import cloud_for_host
from ...errors import AadError
from ...errors import EmulatorError
from ...http import Principal
from ...http import Request
from ...http import Response
from ...router import Route
from ...router import Service
from ...seed import secret_hash

if TYPE_CHECKING:
    from ... import Emulator


def _tenant(emu: Emulator, name: str) -> dict[str, Any]:
    for tenant in emu.store.data["tenants"].values():
        if name.lower() in (tenant["id"].lower(), (tenant.get("domain") or "").lower()):
            return tenant
    raise AadError(
        400,
        "invalid_request",
        90002,
        f"Tenant '{name}' not found. Check to make sure you have the correct tenant ID and are signing into the "
        "correct cloud. Check with your subscription administrator, this may happen if there are no active "
        "subscriptions for the tenant.",
    )


def openid_configuration(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    tenant = _tenant(emu, params["tenant"])["id"]
    base = f"https://{request.host}/{tenant}"
    return Response.json(
        200,
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"https://{request.host}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"https://{request.host}/{tenant}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "tenant_region_scope": "EU",
            "cloud_instance_name": request.host.split(".", 1)[1] if "." in request.host else request.host,
        },
    )


def instance_discovery(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    cloud = cloud_for_host(request.host) or CLOUDS[0]
    return Response.json(
        200,
        {
            "tenant_discovery_endpoint": f"https://{request.host}/{params.get('tenant', 'common')}"
            "/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [
                {
                    "preferred_network": cloud.login_host,
                    "preferred_cache": cloud.login_hosts[1] if len(cloud.login_hosts) > 1 else cloud.login_host,
                    "aliases": list(cloud.login_hosts),
                }
            ],
        },
    )


def signing_keys(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    return Response.json(200, emu.tokens.jwks())


def _audience(emu: Emulator, request: Request, tenant: str, resource: str) -> str:
    cloud = cloud_for_host(request.host) or CLOUDS[0]
    known = set(cloud.arm_audiences) | {cloud.vault_audience, cloud.vault_audience + "/"}
    if resource not in known:
        raise AadError(
            400,
            "invalid_resource",
            500011,
            f"The resource principal named {resource} was not found in the tenant named {tenant}. This can happen "
            "if the application has not been installed by the administrator of the tenant or consented to by any "
            "user in the tenant. You might have sent your authentication request to the wrong tenant.",
        )
    return resource


def _resource_from(form: dict[str, str]) -> str:
    if "scope" in form:
        scopes = [s for s in form["scope"].split() if s.endswith("/.default")]
        if len(scopes) != 1:
            raise AadError(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {form['scope']} is not valid. "
                "Client credential flows must have a scope value with /.default suffixed to the resource identifier "
                "(application ID URI).",
            )
        return scopes[0][: -len("/.default")]
    if "resource" in form:  # the v1 endpoint
        return form["resource"]
    raise AadError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")


def _client(emu: Emulator, tenant: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    client_id = form.get("client_id", "")
    if not client_id:
        raise AadError(
            400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'."
        )
    principal = emu.store.principal_by_app(tenant["id"], client_id)
    if principal is None or not principal.get("secretHashes"):
        raise AadError(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant.get('domain') or tenant['id']}'. "
            "This can happen if the application has not been installed by the administrator of the tenant or consented "
            "to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
        )
    secret = form.get("client_secret")
    if secret is None:
        raise AadError(
            401,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        )
    given = secret_hash(secret)
    if not any(hmac.compare_digest(given, h) for h in principal["secretHashes"]):
        raise AadError(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, "
            f"not the client secret ID, for a secret added to app '{client_id}'.",
        )
    return principal


def token(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    tenant = _tenant(emu, params["tenant"])
    form = request.form()
    if form.get("grant_type") != "client_credentials":
        raise AadError(
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{form.get('grant_type')}'.",
        )
    principal = _client(emu, tenant, form)
    audience = _audience(emu, request, tenant["id"], _resource_from(form))
    request.principal = Principal(principal["objectId"], tenant["id"], principal["appId"])
    access_token = emu.tokens.issue(principal, audience)
    body = {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": access_token}
    return Response.json(200, body, {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})


class EntraService(Service):
    name = "entra"
    hosts = tuple(host for cloud in CLOUDS for host in cloud.login_hosts)
    routes = [
        Route("GET", "/common/discovery/instance", instance_discovery),
        Route("GET", "/{tenant}/discovery/instance", instance_discovery),
        Route("GET", "/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration),
        Route("GET", "/{tenant}/.well-known/openid-configuration", openid_configuration),
        Route("GET", "/{tenant}/discovery/v2.0/keys", signing_keys),
        Route("GET", "/{tenant}/discovery/keys", signing_keys),
        Route("POST", "/{tenant}/oauth2/v2.0/token", token),
        Route("POST", "/{tenant}/oauth2/token", token),
    ]

    def not_found(self, request: Request) -> EmulatorError:
        return AadError(404, "invalid_request", 900561, f"The endpoint {request.path} is not known.")
