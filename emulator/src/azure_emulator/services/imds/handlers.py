"""The instance metadata service's managed-identity token endpoint (http://169.254.169.254).

Clients reach it as plain HTTP through HTTP_PROXY. The "machine" has the identity named by the
``imds_principal`` setting (an object id); ``client_id`` picks another managed identity by client id.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING
from typing import Any

from ...clouds import CLOUDS
from ...errors import EmulatorError
from ...http import Principal
from ...http import Request
from ...http import Response
from ...router import Route
from ...router import Service

if TYPE_CHECKING:
    from ... import Emulator


class ImdsError(EmulatorError):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def render(self, request_id: str) -> Response:
        return Response.json(self.status, {"error": self.error, "error_description": self.description})


def _identity(emu: Emulator, request: Request) -> dict[str, Any]:
    client_id = request.query.get("client_id")
    if client_id:
        found = next(
            (
                p
                for p in emu.store.data["principals"].values()
                if p["type"] == "ManagedIdentity" and p["appId"] == client_id
            ),
            None,
        )
    else:
        found = emu.store.principal(emu.settings.imds_principal) if emu.settings.imds_principal else None
    if found is None:
        raise ImdsError(400, "invalid_request", "Identity not found")
    return found


def token(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    if request.headers.get("metadata", "").lower() != "true":
        raise ImdsError(400, "invalid_request", "Required metadata header not specified")
    resource = request.query.get("resource", "")
    known = {a for c in CLOUDS for a in (*c.arm_audiences, c.vault_audience, c.vault_audience + "/")}
    if resource not in known:
        raise ImdsError(
            400, "invalid_resource", f"AADSTS500011: The resource principal named {resource} was not found."
        )
    identity = _identity(emu, request)
    request.principal = Principal(identity["objectId"], identity["tenantId"], identity["appId"])
    now = int(time.time())
    body = {
        "access_token": emu.tokens.issue(identity, resource),
        "client_id": identity["appId"],
        "expires_in": "3599",
        "expires_on": str(now + 3599),
        "ext_expires_in": "3599",
        "not_before": str(now),
        "resource": resource,
        "token_type": "Bearer",
    }
    return Response(200, json.dumps(body).encode(), {"Content-Type": "application/json; charset=utf-8"}, body)


class ImdsService(Service):
    name = "imds"
    hosts = ("169.254.169.254",)
    routes = [Route("GET", "/metadata/identity/oauth2/token", token)]

    def not_found(self, request: Request) -> EmulatorError:
        return ImdsError(404, "not_found", f"{request.path} is not served")
