"""Errors each service renders in its own envelope (ARM, Key Vault, Entra ID)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from datetime import timezone
from typing import Any

from .http import Response


class EmulatorError(Exception):
    status = 500

    def render(self, request_id: str) -> Response:  # pragma: no cover - overridden
        raise NotImplementedError


class ArmError(EmulatorError):
    """The Resource Manager CloudError envelope: {"error": {code, message, target?, details?}}."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        target: str | None = None,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.target, self.details, self.headers = target, details, headers or {}

    def render(self, request_id: str) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        if self.details:
            error["details"] = self.details
        return Response.json(self.status, {"error": error}, self.headers)


class BatchError(ArmError):
    """Batch appends the request id and time to its messages (azure-cli#24007 shows the shape)."""

    def render(self, request_id: str) -> Response:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
        self.message = f"{self.message}\nRequestId:{request_id}\nTime:{stamp}"
        return super().render(request_id)


class KeyVaultError(EmulatorError):
    """The Key Vault data-plane envelope: {"error": {code, message, innererror?}}."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        inner: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message, self.inner = status, code, message, inner
        self.headers = headers or {}

    def render(self, request_id: str) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.inner:
            error["innererror"] = {"code": self.inner}
        return Response.json(self.status, {"error": error}, self.headers)


class AadError(EmulatorError):
    """Entra ID OAuth error body with its AADSTS code, trace and correlation ids."""

    def __init__(self, status: int, error: str, aadsts: int, description: str) -> None:
        super().__init__(f"AADSTS{aadsts}: {description}")
        self.status, self.error, self.aadsts, self.description = status, error, aadsts, description

    def render(self, request_id: str) -> Response:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        correlation = str(uuid.uuid4())
        text = (
            f"AADSTS{self.aadsts}: {self.description} Trace ID: {request_id} "
            f"Correlation ID: {correlation} Timestamp: {stamp}"
        )
        body = {
            "error": self.error,
            "error_description": text,
            "error_codes": [self.aadsts],
            "timestamp": stamp,
            "trace_id": request_id,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.aadsts}",
        }
        return Response.json(self.status, body)


def new_request_id() -> str:
    return str(uuid.uuid4())


def epoch() -> int:
    return int(time.time())
