"""A fleet for benchmarks: many Batch accounts on customer-managed keys, made in one transaction.

Every resource is made by the emulator's own request handlers (the rules Azure enforces apply), as
the seed's first principal, but without the network and with one save at the end, so 1,000 accounts
take seconds. What it makes, in ``group`` (names from ``prefix``):

- one user-assigned identity, granted get/wrapKey/unwrapKey by access policy on every vault;
- ``vaults`` vaults (soft delete + purge protection), each with key ``cmk`` (RSA ``key_size`` bits)
  rotated once, so it has an old version and a newest one; the keys of even-numbered vaults have a
  rotation policy (rotate 90 days after creation), so accounts pinned to them draw a warning;
- ``accounts`` Batch accounts: every fifth on Microsoft.Batch without identity, the others on
  Microsoft.KeyVault with the identity and the key of vault ``i % vaults`` - versionless, or pinned to
  the old version for every third account.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from typing import Any

from . import lro
from . import propagation
from .errors import EmulatorError
from .http import Request
from .seed import primary

if TYPE_CHECKING:
    from . import Emulator

ARM = "management.azure.com"
VERSIONS = {
    "group": "2025-04-01",
    "identity": "2024-11-30",
    "vault": "2026-05-15",
    "batch": "2025-06-01",
    "keys": "7.6",
}
# The caller's: enough to make the keys and for a compliance report to read them and their rotation policies.
KEY_PERMISSIONS = ["get", "list", "create", "update", "rotate", "getrotationpolicy", "setrotationpolicy"]
ROTATION_POLICY = {
    "lifetimeActions": [{"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "Rotate"}}],
    "attributes": {"expiryTime": "P2Y"},
}
LIMIT = 10_000


class FleetError(ValueError):
    pass


class _Caller:
    """Requests as the seed's first principal, handed straight to the handlers."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        principal = emu.store.principal(emu.seed["principals"][0]["object_id"])
        assert principal is not None, "the seed's first principal is gone"
        self.principal = principal
        self._tokens: dict[str, str] = {}

    def __call__(self, method: str, host: str, path: str, version: str, body: Any = None) -> Any:
        audience = "https://vault.azure.net" if host != ARM else "https://management.azure.com/"
        if audience not in self._tokens:
            self._tokens[audience] = self.emu.tokens.issue(self.principal, audience)
        headers = {"authorization": f"Bearer {self._tokens[audience]}", "content-type": "application/json"}
        data = json.dumps(body).encode() if body is not None else b""
        request = Request(method, host, f"{path}?api-version={version}", headers, data, counted=False)
        service = self.emu.router.service_for(host)
        assert service is not None
        try:
            route, params = service.resolve(request)
            service.authenticate(self.emu, request, route)
            response = route.handler(self.emu, request, params)
        except EmulatorError as exc:
            raise FleetError(f"{method} {host}{path}: {exc.status} {exc}") from exc
        return response.payload


def build(
    emu: Emulator,
    accounts: int,
    vaults: int = 2,
    key_size: int = 3072,
    group: str = "rg-fleet",
    prefix: str = "fleet",
) -> dict[str, Any]:
    """Make the fleet (see the module's docstring); all or nothing. Returns what was made."""
    if not (0 <= accounts <= LIMIT and 1 <= vaults <= 99):
        raise FleetError(f"accounts must be 0..{LIMIT} and vaults 1..99")
    with emu.store.lock:
        before = emu.store.snapshot()
        try:
            made = _build(emu, _Caller(emu), accounts, vaults, key_size, group, prefix)
        except Exception:
            emu.store.replace(before)
            emu.graph.settle()
            raise
        emu.graph.settle()  # indexed already: a fleet is there at once
        emu.store.touch()
    emu.store.commit()
    return made


def _build(
    emu: Emulator, call: _Caller, accounts: int, vaults: int, key_size: int, group: str, prefix: str
) -> dict[str, Any]:
    info = primary(emu.seed)
    sub, tenant, location = info["subscription_id"], info["tenant_id"], info["location"]
    rg_path = f"/subscriptions/{sub}/resourceGroups/{group}"
    call("PUT", ARM, rg_path, VERSIONS["group"], {"location": location})
    identity = call(
        "PUT",
        ARM,
        f"{rg_path}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{prefix}-identity",
        VERSIONS["identity"],
        {"location": location},
    )
    keys = [
        _vault_with_key(call, rg_path, f"{prefix}kv{v:02d}", (tenant, location), identity, key_size, v % 2 == 0)
        for v in range(vaults)
    ]
    first_op = set(emu.store.data["operations"])
    counts = {"Microsoft.Batch": 0, "versionless": 0, "pinned": 0}
    for i in range(accounts):
        body: dict[str, Any] = {"location": location, "properties": {}}
        if i % 5 == 0:
            body["properties"]["encryption"] = {"keySource": "Microsoft.Batch"}
            counts["Microsoft.Batch"] += 1
        else:
            versionless, old_version = keys[i % vaults]
            pinned = i % 3 == 0
            counts["pinned" if pinned else "versionless"] += 1
            body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {identity["id"]: {}}}
            body["properties"]["encryption"] = {
                "keySource": "Microsoft.KeyVault",
                "keyVaultProperties": {"keyIdentifier": old_version if pinned else versionless},
            }
        name = f"{prefix}{i:04d}"
        call("PUT", ARM, f"{rg_path}/providers/Microsoft.Batch/batchAccounts/{name}", VERSIONS["batch"], body)
    for op_id in set(emu.store.data["operations"]) - first_op:
        # Created, as if every poll had been answered; nobody will poll, so the operation goes too.
        lro.finish(emu, emu.store.data["operations"].pop(op_id))
    return {
        "resource_group": group,
        "identity": identity["id"],
        "vaults": [f"{prefix}kv{v:02d}" for v in range(vaults)],
        "keys": [versionless for versionless, _old in keys],
        "accounts": [f"{prefix}{i:04d}" for i in range(accounts)],
        "counts": counts,
    }


def _vault_with_key(
    call: _Caller,
    rg_path: str,
    name: str,
    where: tuple[str, str],
    identity: dict[str, Any],
    key_size: int,
    with_policy: bool,
) -> tuple[str, str]:
    """A CMK-ready vault with key ``cmk`` rotated once: (versionless key id, the old version's id)."""
    tenant, location = where
    policies = [
        {
            "tenantId": tenant,
            "objectId": identity["properties"]["principalId"],
            "permissions": {"keys": ["get", "wrapKey", "unwrapKey"]},
        },
        {"tenantId": tenant, "objectId": call.principal["objectId"], "permissions": {"keys": KEY_PERMISSIONS}},
    ]
    props = {
        "tenantId": tenant,
        "sku": {"family": "A", "name": "standard"},
        "enableSoftDelete": True,
        "enablePurgeProtection": True,
        "enableRbacAuthorization": False,
        "accessPolicies": policies,
    }
    vault = call(
        "PUT",
        ARM,
        f"{rg_path}/providers/Microsoft.KeyVault/vaults/{name}",
        VERSIONS["vault"],
        {"location": location, "properties": props},
    )
    # A fleet is there at once, whatever the settings' DNS delays: benchmarks measure reads, not registration.
    propagation.forget_vault(call.emu, name)
    uri = vault["properties"]["vaultUri"].rstrip("/") + "/"
    host = uri.split("/")[2]
    spec = {"kty": "RSA", "key_size": key_size, "key_ops": ["wrapKey", "unwrapKey"]}
    old = call("POST", host, "/keys/cmk/create", VERSIONS["keys"], spec)
    call("POST", host, "/keys/cmk/rotate", VERSIONS["keys"])
    if with_policy:
        call("PUT", host, "/keys/cmk/rotationpolicy", VERSIONS["keys"], ROTATION_POLICY)
    return uri + "keys/cmk", old["key"]["kid"]
