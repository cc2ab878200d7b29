"""A fleet for benchmarks: many Batch accounts on customer-managed keys, made in one transaction.

Every resource is made by the emulator's own request handlers (the rules Azure enforces apply), as
the seed's first principal, but without the network and with one save at the end, so 1,000 accounts
take seconds. What it makes, in ``group`` (names from ``prefix``):

- ``subscriptions`` subscriptions: the seed's first, then fleet ones made as needed (deterministic ids, in
  the first tenant's root management group, owned by the seed's first principal); in each, ``group`` and a
  user-assigned identity, granted get/wrapKey/unwrapKey by access policy on every vault;
- ``vaults`` vaults spread over the subscriptions (vault v in subscription v % n; soft delete + purge
  protection), each with key ``cmk`` (RSA ``key_size`` bits)
  rotated once, so it has an old version and a newest one; the keys of even-numbered vaults have a
  rotation policy (rotate 90 days after creation), so accounts pinned to them draw a warning;
- ``accounts`` Batch accounts, account i in subscription i % n: every fifth on Microsoft.Batch without
  identity, the others on Microsoft.KeyVault with their subscription's identity and the key of vault
  ``i % vaults`` - versionless, or pinned to the old version for every third account;
- ``pools_per_account`` pools in each account (``pool00``, ``pool01``...): Linux (Ubuntu 22.04), the even-numbered
  with their temporary disk encrypted (``targets: [TemporaryDisk]``), the odd-numbered without disk encryption;
  pool j of account i has ``1 + (i + j) % 3`` dedicated nodes and ``j % 2`` low-priority ones. With pools, the
  first account also has ``win-cmk``: a Windows pool (OsDisk and TemporaryDisk) whose OS disk uses its own key,
  ``pool-cmk`` in the first vault (versioned, as Batch requires), through the first subscription's identity.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING
from typing import Any

from . import fleet_pools
from . import lro
from . import propagation
from .errors import EmulatorError
from .http import Request
from .seed import apply_seed
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
POOLS_LIMIT = 20


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
    subscriptions: int = 1,
    pools_per_account: int = 0,
) -> dict[str, Any]:
    """Make the fleet (see the module's docstring); all or nothing. Returns what was made."""
    if not (0 <= accounts <= LIMIT and 1 <= vaults <= 999 and 1 <= subscriptions <= 100):
        raise FleetError(f"accounts must be 0..{LIMIT}, vaults 1..999 and subscriptions 1..100")
    if not 0 <= pools_per_account <= POOLS_LIMIT:
        raise FleetError(f"pools_per_account must be 0..{POOLS_LIMIT}")
    shape = {"accounts": accounts, "vaults": vaults, "key_size": key_size, "group": group, "prefix": prefix}
    shape.update(subscriptions=subscriptions, pools_per_account=pools_per_account)
    with emu.store.lock:
        before = emu.store.snapshot()
        try:
            made = _build(emu, _Caller(emu), shape)
        except Exception:
            emu.store.replace(before)
            emu.graph.settle()
            raise
        emu.graph.settle()  # indexed already: a fleet is there at once
        emu.store.touch()
    emu.store.commit()
    return made


def _subscriptions(emu: Emulator, count: int) -> list[str]:
    """The main subscription, then ``count - 1`` fleet subscriptions (made once, deterministic ids) in the
    first tenant's root management group, each owned by the seed's first principal."""
    info = primary(emu.seed)
    tenant = info["tenant_id"]
    extra = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"azure-emulator-fleet-subscription:{i}")) for i in range(1, count)]
    owner = dict(emu.seed["principals"][0])
    owner["roles"] = [
        {"role": "Owner", "scope": f"/subscriptions/{sub}", "name": str(uuid.uuid5(uuid.NAMESPACE_URL, f"owner:{sub}"))}
        for sub in extra
    ]
    apply_seed(
        emu.store,
        {
            "subscriptions": [
                {"id": sub, "tenant_id": tenant, "display_name": f"Fleet {i}"} for i, sub in enumerate(extra, start=1)
            ],
            "management_groups": [{"id": tenant, "tenant_id": tenant, "subscriptions": extra}],
            "principals": [owner],
        },
    )
    return [info["subscription_id"], *extra]


def _build(emu: Emulator, call: _Caller, shape: dict[str, Any]) -> dict[str, Any]:
    info = primary(emu.seed)
    tenant, location, group, prefix = info["tenant_id"], info["location"], shape["group"], shape["prefix"]
    subs = _subscriptions(emu, shape["subscriptions"])
    rg_paths = [f"/subscriptions/{sub}/resourceGroups/{group}" for sub in subs]
    identities = []
    for n, rg_path in enumerate(rg_paths):
        call("PUT", ARM, rg_path, VERSIONS["group"], {"location": location})
        name = f"{prefix}-identity" + (f"-{n:02d}" if n else "")
        uai = f"{rg_path}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
        identities.append(call("PUT", ARM, uai, VERSIONS["identity"], {"location": location}))
    vault_names = [f"{prefix}kv{v:02d}" for v in range(shape["vaults"])]
    keys = [
        _vault_with_key(
            call, rg_paths[v % len(subs)], name, (tenant, location), identities, shape["key_size"], v % 2 == 0
        )
        for v, name in enumerate(vault_names)
    ]
    counts = _accounts(emu, call, shape, rg_paths, identities, keys)
    pools = fleet_pools.build(call, shape, rg_paths, identities, vault_names[0], shape["key_size"])
    return {
        "resource_group": group,
        "subscriptions": subs,
        "identity": identities[0]["id"],
        "identities": [i["id"] for i in identities],
        "vaults": vault_names,
        "keys": [versionless for versionless, _old in keys],
        "accounts": [f"{prefix}{i:04d}" for i in range(shape["accounts"])],
        "counts": counts,
        "pools": pools,
    }


def _accounts(
    emu: Emulator,
    call: _Caller,
    shape: dict[str, Any],
    rg_paths: list[str],
    identities: list[dict[str, Any]],
    keys: list[tuple[str, str]],
) -> dict[str, int]:
    """Account i in subscription i % n with that subscription's identity and the key of vault i % vaults."""
    first_op = set(emu.store.data["operations"])
    counts = {"Microsoft.Batch": 0, "versionless": 0, "pinned": 0}
    for i in range(shape["accounts"]):
        body: dict[str, Any] = {"location": primary(emu.seed)["location"], "properties": {}}
        if i % 5 == 0:
            body["properties"]["encryption"] = {"keySource": "Microsoft.Batch"}
            counts["Microsoft.Batch"] += 1
        else:
            versionless, old_version = keys[i % len(keys)]
            pinned = i % 3 == 0
            counts["pinned" if pinned else "versionless"] += 1
            identity = identities[i % len(rg_paths)]["id"]
            body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}}
            body["properties"]["encryption"] = {
                "keySource": "Microsoft.KeyVault",
                "keyVaultProperties": {"keyIdentifier": old_version if pinned else versionless},
            }
        path = f"{rg_paths[i % len(rg_paths)]}/providers/Microsoft.Batch/batchAccounts/{shape['prefix']}{i:04d}"
        call("PUT", ARM, path, VERSIONS["batch"], body)
    for op_id in set(emu.store.data["operations"]) - first_op:
        # Created, as if every poll had been answered; nobody will poll, so the operation goes too.
        lro.finish(emu, emu.store.data["operations"].pop(op_id))
    return counts


def _vault_with_key(
    call: _Caller,
    rg_path: str,
    name: str,
    where: tuple[str, str],
    identities: list[dict[str, Any]],
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
        }
        for identity in identities
    ]
    policies.append(
        {"tenantId": tenant, "objectId": call.principal["objectId"], "permissions": {"keys": KEY_PERMISSIONS}}
    )
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
