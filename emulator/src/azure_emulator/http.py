"""Plain request/response values passed between the proxy, the router and the services."""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import unquote
from urllib.parse import urlsplit


@dataclass
class Principal:
    """Who called: taken from a validated bearer token."""

    object_id: str
    tenant_id: str
    app_id: str | None = None


@dataclass
class Request:
    method: str
    host: str
    target: str
    headers: dict[str, str]
    body: bytes = b""
    principal: Principal | None = None
    path: str = ""
    query: dict[str, str] = field(default_factory=dict)
    # Headers a service decided on before the handler ran (throttling's remaining counts).
    response_headers: dict[str, str] = field(default_factory=dict)
    # False for the emulator's own calls (POST /_emulator/fleet): they take no share of Azure's quotas.
    counted: bool = True

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path = unquote(parts.path) or "/"
        # Query keys compare case-insensitively in Azure (api-version, $filter).
        self.query = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")

    def json(self) -> Any:
        """The body as JSON; None when empty. Raises ValueError when malformed."""
        if not self.body.strip():
            return None
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    payload: Any = None  # the JSON value behind body, kept for the journal and contract tests

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(payload, separators=(",", ":")).encode()
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, body, merged, payload)

    @classmethod
    def empty(cls, status: int, headers: dict[str, str] | None = None) -> Response:
        return cls(status, b"", dict(headers or {}))


class DropConnection(Exception):
    """Raised by the fault layer: the proxy resets the connection without answering."""
