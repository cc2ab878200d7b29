"""Resource Manager (management.azure.com): bearer-token checks, then the resource providers' routes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ...authz import TokenRejected
from ...clouds import CLOUDS
from ...errors import ArmError
from ...errors import EmulatorError
from ...http import Principal
from ...http import Request
from ...resource_graph import handlers as graph
from ...router import Route
from ...router import Service
from ...throttling import kind_of
from ..arm_authorization import handlers as authorization
from ..arm_batch import handlers as batch
from ..arm_batch import pool_handlers as batch_pools
from ..arm_identity import handlers as identity
from ..arm_keyvault import handlers as keyvault
from ..arm_keyvault import keys as keyvault_keys
from . import common
from . import resources
from . import tags

if TYPE_CHECKING:
    from ... import Emulator

SUBSCRIPTION_IN_PATH = re.compile(r"^/subscriptions/([^/]+)", re.I)


def _unauthorized(code: str, message: str) -> ArmError:
    header = (
        f'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="{message}"'
    )
    return ArmError(401, code, message, headers={"WWW-Authenticate": header})


class ArmService(Service):
    name = "arm"
    hosts = tuple(cloud.arm_host for cloud in CLOUDS)
    # Specific routes first: the {scope*} routes of Microsoft.Authorization would match almost anything.
    routes: list[Route] = [
        *graph.ROUTES,
        *resources.ROUTES,
        *tags.ROUTES,
        *identity.ROUTES,
        *keyvault.ROUTES,
        *keyvault_keys.ROUTES,
        *batch.ROUTES,
        *batch_pools.ROUTES,
        *authorization.ROUTES,
    ]

    def authenticate(self, emu: Emulator, request: Request, route: Route) -> None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            raise _unauthorized("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        cloud = common.cloud_of(request)
        try:
            claims = emu.tokens.validate(header[7:].strip(), set(cloud.arm_audiences))
        except TokenRejected as exc:
            code = {"expired": "ExpiredAuthenticationToken", "audience": "InvalidAuthenticationTokenAudience"}
            raise _unauthorized(code.get(exc.reason, "InvalidAuthenticationToken"), str(exc)) from exc
        request.principal = Principal(claims["oid"], claims["tid"], claims.get("appid"))
        found = SUBSCRIPTION_IN_PATH.match(request.path)
        self._throttle(emu, request, route, found.group(1) if found else None)
        if found:
            sub = common.subscription(emu, found.group(1))
            if sub["tenantId"] != claims["tid"]:
                raise _unauthorized(
                    "InvalidAuthenticationTokenTenant",
                    f"The access token is from the wrong issuer '{claims['iss']}'. It must match the tenant "
                    f"'https://sts.windows.net/{sub['tenantId']}/' associated with this subscription. Please use the "
                    f"authority (URL) 'https://login.windows.net/{sub['tenantId']}' to get the token.",
                )

    def _throttle(self, emu: Emulator, request: Request, route: Route, sub_id: str | None) -> None:
        """Resource Manager's token buckets (throttling.py), when the ``arm_throttling`` setting is on."""
        if not (emu.settings.arm_throttling and request.counted):
            return
        assert request.principal is not None
        scope = ("subscription", sub_id.lower()) if sub_id else ("tenant", request.principal.tenant_id)
        kind = kind_of(request.method, route.write)
        headers = emu.throttle.admit(emu.settings.arm_throttling_buckets, scope, request.principal.object_id, kind)
        request.response_headers.update(headers)

    def not_found(self, request: Request) -> EmulatorError:
        return ArmError(
            404,
            "InvalidResourceType",
            f"The resource type of '{request.path}' could not be found in the namespace served by this emulator.",
        )

    def method_not_allowed(self, request: Request) -> EmulatorError:
        return ArmError(
            405, "HttpMethodNotAllowed", f"The requested resource does not support http method '{request.method}'."
        )

    def headers(self, request: Request, request_id: str) -> dict[str, str]:
        correlation = request.headers.get("x-ms-client-request-id", request_id)
        return {
            "x-ms-request-id": request_id,
            "x-ms-correlation-request-id": correlation,
            "x-ms-routing-request-id": f"WESTEUROPE:20261128T000000Z:{request_id}",
            "Cache-Control": "no-cache",
            "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
            **request.response_headers,
        }
