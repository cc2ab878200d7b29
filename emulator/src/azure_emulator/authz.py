"""Tokens (JWTs signed with the emulator's own key) and the two ways Azure authorizes a caller."""

from __future__ import annotations

import base64
import hashlib
import os
import time
from pathlib import Path
from typing import Any
from typing import Iterable

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import roles
from .store import Store

TOKEN_LIFETIME = 3599
SIGNING_KEY = "signing-key.pem"


class TokenRejected(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # "invalid" | "expired" | "audience"


def b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Tokens:
    """The key is made once per emulator instance and kept beside its CA, so a restart keeps tokens valid."""

    def __init__(self, key_dir: Path) -> None:
        path = key_dir / SIGNING_KEY
        if path.exists():
            self._key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        else:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = self._key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
        public = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = base64.urlsafe_b64encode(hashlib.sha1(public).digest()).rstrip(b"=").decode()  # noqa: S324

    def issue(self, principal: dict[str, Any], audience: str) -> str:
        now = int(time.time())
        tenant = principal["tenantId"]
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{tenant}/",
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "appid": principal.get("appId"),
            "appidacr": "1",
            "idtyp": "app",
            "oid": principal["objectId"],
            "sub": principal["objectId"],
            "tid": tenant,
            "ver": "1.0",
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid})

    def validate(self, token: str, audiences: set[str]) -> dict[str, Any]:
        try:
            claims = jwt.decode(token, self._key.public_key(), algorithms=["RS256"], options={"verify_aud": False})
        except jwt.ExpiredSignatureError as exc:
            raise TokenRejected("expired", "The token is expired.") from exc
        except jwt.PyJWTError as exc:
            raise TokenRejected("invalid", "The access token is invalid.") from exc
        if claims.get("aud") not in audiences:
            raise TokenRejected(
                "audience", f"The access token has been obtained for wrong audience or resource '{claims.get('aud')}'."
            )
        return claims

    def jwks(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()
        key = {"kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid}
        key.update(n=b64url_uint(numbers.n), e=b64url_uint(numbers.e))
        return {"keys": [key]}


# Role-based access ---------------------------------------------------------------------------
def scope_covers(outer: str, inner: str) -> bool:
    """True when an assignment at ``outer`` applies to ``inner`` (same or a descendant scope)."""
    outer_l, inner_l = outer.lower().rstrip("/"), inner.lower().rstrip("/")
    return outer_l in ("", "/") or inner_l == outer_l or inner_l.startswith(outer_l + "/")


def assignments_for(
    store: Store, principal_id: str, scope: str, among: Iterable[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The assignments (``among`` given ones, else the stored ones) of ``principal_id`` that cover ``scope``."""
    found = []
    for body in store.resources(rtype="Microsoft.Authorization/roleAssignments") if among is None else among:
        props = body["properties"]
        if props["principalId"].lower() == principal_id.lower() and scope_covers(props["scope"], scope):
            found.append(body)
    return found


def has_access(store: Store, principal_id: str, subscription_id: str) -> bool:
    """Whether the principal holds any role at the subscription, above it or within it."""
    scope = f"/subscriptions/{subscription_id}"
    for body in store.resources(rtype="Microsoft.Authorization/roleAssignments"):
        props = body["properties"]
        if props["principalId"].lower() == principal_id.lower() and (
            scope_covers(props["scope"], scope) or scope_covers(scope, props["scope"])
        ):
            return True
    return False


def rbac_allows(
    store: Store,
    principal_id: str,
    scope: str,
    action: str,
    data: bool = False,
    among: Iterable[dict[str, Any]] | None = None,
) -> bool:
    return any(
        roles.allows(roles.guid_of(a["properties"]["roleDefinitionId"]), action, data)
        for a in assignments_for(store, principal_id, scope, among)
    )


# Key Vault access policies -------------------------------------------------------------------
def policy_allows(vault: dict[str, Any], tenant_id: str, object_id: str, permission: str, kind: str = "keys") -> bool:
    """Access-policy check: permission names compare case-insensitively; ``all`` grants everything."""
    for entry in vault["properties"].get("accessPolicies") or []:
        if entry.get("tenantId", "").lower() != tenant_id.lower():
            continue
        if entry.get("objectId", "").lower() != object_id.lower():
            continue
        granted = {p.lower() for p in (entry.get("permissions") or {}).get(kind) or []}
        if permission.lower() in granted or "all" in granted:
            return True
    return False
