"""The control API, plain HTTP on the proxy's own port under /_emulator/: health, reset, state,
the request journal, fault injection, seeding and settings."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from ..errors import ArmError
from ..errors import EmulatorError
from ..http import Request
from ..http import Response
from ..router import Route
from ..router import Service
from ..seed import apply_seed
from .keyvault_data.models import plant_key

if TYPE_CHECKING:
    from .. import Emulator


WITHHELD = "(private key withheld)"


def _body(request: Request) -> Any:
    try:
        return request.json() or {}
    except ValueError as exc:
        raise ArmError(400, "InvalidJson", f"The request body is not valid JSON: {exc}") from exc


def health(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    # Everything the ready file says but the client secret, which stays in that (owner-only) file.
    info = {k: v for k, v in emu.ready_info().items() if k != "client_secret"}
    return Response.json(200, {"status": "ok", **info})


def reset(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    """Back to the seed: state, journal, faults and settings."""
    emu.reset()
    return Response.json(200, {"status": "reset"})


def state(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    """The state without key material: principals' secrets are hashes already; keys' private PEMs are withheld."""
    return Response.json(200, _without_private_keys(emu.store.snapshot()))


def _without_private_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_private_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_private_keys(v) for v in value]
    if isinstance(value, str) and "PRIVATE KEY-----" in value:
        return WITHHELD
    return value


def requests_list(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    since = int(request.query.get("since", "0"))
    entries = [e.public() for e in emu.journal.entries(since)]
    if request.query.get("write") in ("1", "true"):
        entries = [e for e in entries if e["write"]]
    return Response.json(200, {"value": entries, "last": emu.journal.last_seq})


def requests_clear(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    emu.journal.clear()
    return Response.empty(204)


def faults_list(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    return Response.json(200, {"value": emu.faults.list()})


def faults_add(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    specs = _body(request)
    added = []
    for spec in specs if isinstance(specs, list) else [specs]:
        try:
            added.append(emu.faults.add(spec).id)
        except (ValueError, TypeError) as exc:
            raise ArmError(400, "InvalidFault", str(exc)) from exc
    return Response.json(201, {"ids": added})


def faults_clear(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    emu.faults.clear()
    return Response.empty(204)


def seed(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    """Add tenants, subscriptions, principals, groups, and keys of shapes Key Vault no longer makes."""
    spec = _body(request)
    try:
        apply_seed(emu.store, spec)
        for key in spec.get("keys", []):
            plant_key(emu, key)
    except (KeyError, TypeError, ValueError) as exc:
        raise ArmError(400, "InvalidSeed", f"The seed is not valid: {exc!r}") from exc
    return Response.json(200, {"status": "seeded"})


def fleet(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    """Many Batch accounts on customer-managed keys, for benchmarks (``fleet.py`` says what is made)."""
    from ..fleet import build

    spec = _body(request)
    known = {"accounts", "vaults", "key_size", "group", "prefix", "subscriptions", "pools_per_account"}
    if not isinstance(spec, dict) or "accounts" not in spec or set(spec) - known:
        raise ArmError(
            400, "InvalidFleet", f"The fleet takes 'accounts' and optionally {sorted(known - {'accounts'})}."
        )
    try:
        return Response.json(200, build(emu, **spec))
    except (TypeError, ValueError) as exc:
        raise ArmError(400, "InvalidFleet", f"The fleet could not be made: {exc}") from exc


def nodecounts(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    """The nodes of an account's pools counted by state, as the data plane's listPoolNodeCounts would
    (``arm_batch/nodes.py``: Resource Manager shows no node state)."""
    from .arm_batch.nodes import account_node_counts

    account_id = request.query.get("account", "")
    account = emu.store.resource(account_id) if account_id else None
    if account is None or account["type"] != "Microsoft.Batch/batchAccounts":
        raise ArmError(404, "NotFound", f"No Batch account '{account_id}' (give its resource id as ?account=).")
    return Response.json(200, {"value": account_node_counts(emu, account)})


def settings_get(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    return Response.json(200, vars(emu.settings))


def settings_update(emu: Emulator, request: Request, params: dict[str, str]) -> Response:
    try:
        emu.settings.update(_body(request))
    except (ValueError, TypeError) as exc:
        raise ArmError(400, "InvalidSetting", str(exc)) from exc
    return Response.json(200, vars(emu.settings))


class ControlService(Service):
    name = "control"
    routes = [
        Route("GET", "/_emulator/health", health),
        Route("POST", "/_emulator/reset", reset, write=True),
        Route("GET", "/_emulator/state", state),
        Route("GET", "/_emulator/requests", requests_list),
        Route("DELETE", "/_emulator/requests", requests_clear),
        Route("GET", "/_emulator/faults", faults_list),
        Route("POST", "/_emulator/faults", faults_add),
        Route("DELETE", "/_emulator/faults", faults_clear),
        Route("POST", "/_emulator/seed", seed, write=True),
        Route("POST", "/_emulator/fleet", fleet, write=True),
        Route("GET", "/_emulator/nodecounts", nodecounts),
        Route("GET", "/_emulator/settings", settings_get),
        Route("PATCH", "/_emulator/settings", settings_update),
    ]

    def serves(self, host: str) -> bool:
        return False  # reached only as plain HTTP on the proxy port, never through CONNECT

    def not_found(self, request: Request) -> EmulatorError:
        return ArmError(404, "NotFound", f"No control endpoint {request.method} {request.path}.")
