"""What a pool's nodes are doing, counted as Batch's data plane counts them (``listPoolNodeCounts``:
``{poolId, dedicated: NodeCounts, lowPriority: NodeCounts}``).

Resource Manager has no field for it: a pool's ``currentDedicatedNodes`` / ``currentLowPriorityNodes`` count
the nodes it holds, and those it keeps while its account cannot use its key ("Any pools that are running ...
will continue to run. However, the nodes will transition into an unavailable state, and tasks will stop
running (and be requeued). Once access is restored, nodes will become available again": the Batch CMK FAQ).
Node states are a data-plane matter (``ComputeNodeState``), which the emulator does not serve as a host; this
view (``GET /_emulator/nodecounts``) shows them: ``unusable`` ("cannot be used for task execution") while the
account is unavailable or recovering, ``idle`` otherwise.

A pool whose own disk key (``customerManagedKey``; with ``rotationToLatestKeyVersionEnabled``, the key's newest
version) its identity can no longer use shows ``unusable`` too: its
nodes' disks are encrypted with it through a disk encryption set, and "when a key is either disabled,
deleted, or expired, any VMs with either OS or data disks using that key will automatically shut down"
(Azure managed disks, customer-managed keys).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from typing import Any

from ... import propagation
from . import cmk
from . import models
from . import pool_rules
from . import pools

if TYPE_CHECKING:
    from ... import Emulator

VERSION = re.compile(r"/[0-9a-fA-F]{32}/?$")
STATES = (
    "creating",
    "deallocated",
    "deallocating",
    "idle",
    "leavingPool",
    "offline",
    "preempted",
    "rebooting",
    "reimaging",
    "running",
    "startTaskFailed",
    "starting",
    "unknown",
    "unusable",
    "upgradingOS",
    "waitingForStartTask",
)


def counts(state: str, total: int) -> dict[str, int]:
    return {**dict.fromkeys(STATES, 0), state: total, "total": total}


def pool_key_usable(emu: Emulator, account: dict[str, Any], pool: dict[str, Any]) -> bool:
    """Whether the pool's identity can still use its disk key (True for a pool without one)."""
    vmc = (pool["properties"].get("deploymentConfiguration") or {}).get("virtualMachineConfiguration") or {}
    given = (vmc.get("diskEncryptionConfiguration") or {}).get("customerManagedKey")
    if not given:
        return True
    reference = given["identityReference"]["resourceId"]
    uais = (pool.get("identity") or {}).get("userAssignedIdentities") or {}
    entry = next((v for k, v in uais.items() if k.lower() == reference.lower()), None)
    if entry is None:
        return False
    holder = {"type": "UserAssigned", "userAssignedIdentities": {reference: entry}}
    key_url = given["keyUrl"]
    if given.get("rotationToLatestKeyVersionEnabled"):  # Batch uses the key's newest version, whatever keyUrl names
        key_url = VERSION.sub("", key_url)
    return cmk.check(emu, holder, pool_rules.tenant_of(emu, account), key_url, "The pool identity") is None


def state(emu: Emulator, account: dict[str, Any], pool: dict[str, Any], account_state: str | None = None) -> str:
    """``unusable`` while the account cannot use its key (or is recovering) or the pool its own; else ``idle``."""
    if account_state is None:
        account_state, _problem = models.availability(emu, account, pool_rules.tenant_of(emu, account))
    if account_state != propagation.AVAILABLE or not pool_key_usable(emu, account, pool):
        return "unusable"
    return "idle"


def account_node_counts(emu: Emulator, account: dict[str, Any]) -> list[dict[str, Any]]:
    """Every pool of the account, its nodes counted by state (data plane's PoolNodeCounts)."""
    account_state, _problem = models.availability(emu, account, pool_rules.tenant_of(emu, account))
    result = []
    for pool in sorted(emu.store.resources(account["id"], pools.TYPE), key=lambda p: p["name"].lower()):
        now = state(emu, account, pool, account_state)
        props = pool["properties"]
        result.append(
            {
                "poolId": pool["name"],
                "dedicated": counts(now, int(props.get("currentDedicatedNodes") or 0)),
                "lowPriority": counts(now, int(props.get("currentLowPriorityNodes") or 0)),
            }
        )
    return result
