#!/usr/bin/env python3
"""The fleet benchmark's emulator side: ``POST /_emulator/fleet`` at 10,000 accounts (time, memory), then every
Batch account read back through Resource Graph with the real SDK, throttling on as Azure has it (the ARM
buckets and Resource Graph's quota), printing the emulator's own time per page (the journal's duration_ms).

    make venv link
    .venv/bin/python emulator/benchmarks/resource_graph_fleet.py [--accounts 10000 --subscriptions 50 --vaults 200]
        [--pools-per-account 2]    # then every pool is read back too, from the batchresources table
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# What a benchmark switches on: Azure's timing and both throttles (the pytest plugin turns them off).
BENCHMARK_SETTINGS = {"timing": "azure", "arm_throttling": True, "resource_graph_throttling": True}
QUERY = (
    "resources | where type =~ 'microsoft.batch/batchaccounts' | project id, subscriptionId, "
    "keySource=tostring(properties.encryption.keySource), "
    "keyId=tostring(properties.encryption.keyVaultProperties.keyIdentifier), identity | order by id asc"
)
POOLS = (
    "batchresources | where type =~ 'microsoft.batch/batchaccounts/pools' | project id, "
    "targets=properties.deploymentConfiguration.virtualMachineConfiguration.diskEncryptionConfiguration.targets, "
    "dedicated=toint(properties.currentDedicatedNodes) | order by id asc"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--subscriptions", type=int, default=50)
    parser.add_argument("--vaults", type=int, default=200)
    parser.add_argument("--pools-per-account", type=int, default=0)
    args = parser.parse_args()
    from azure.identity import ClientSecretCredential
    from azure.mgmt.resourcegraph import ResourceGraphClient

    from azure_emulator import Emulator
    from azure_emulator.fleet import build
    from azure_emulator.testing import client_environment

    emu = Emulator(ca_dir=Path(tempfile.mkdtemp()), settings=BENCHMARK_SETTINGS).start()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    shape = {"accounts": args.accounts, "vaults": args.vaults, "subscriptions": args.subscriptions}
    build(emu, **shape, key_size=2048, pools_per_account=args.pools_per_account)
    made = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"fleet: {args.accounts} accounts, {args.subscriptions} subscriptions, {args.vaults} vaults, "
        f"{args.pools_per_account} pools per account in {made:.1f} s;"
    )
    print(f"       peak RSS {rss / 1024:.0f} MiB ({(rss - before) / 1024:.0f} MiB more than before the fleet)")
    info = emu.ready_info()
    os.environ.update(client_environment(info))
    client = ResourceGraphClient(ClientSecretCredential(info["tenant_id"], info["client_id"], info["client_secret"]))
    _read_all(emu, client, QUERY, "accounts")
    if args.pools_per_account:
        _read_all(emu, client, POOLS, "pools")
    print(f"index memory beyond the state: {emu.graph.memory()}")
    emu.stop()
    return 0


def _read_all(emu: Any, client: Any, query: str, what: str) -> None:
    """Every row of ``query``, 1,000 a page, and the emulator's own time per page."""
    from azure.mgmt.resourcegraph.models import QueryRequest
    from azure.mgmt.resourcegraph.models import QueryRequestOptions

    seq, rows, token = emu.journal.last_seq, 0, None
    started = time.perf_counter()
    while True:
        page = client.resources(QueryRequest(query=query, options=QueryRequestOptions(top=1000, skip_token=token)))
        rows, token = rows + page.count, page.skip_token
        if not token:
            break
    wall = time.perf_counter() - started
    pages = [e for e in emu.journal.entries(seq) if "ResourceGraph" in e.path]
    spent = [e.duration_ms for e in pages if e.status == 200 and e.duration_ms is not None]
    print(
        f"resource graph, {what}: {rows} rows in {len(spent)} pages ({sum(e.status == 429 for e in pages)} "
        f"throttled), {wall:.1f} s wall; emulator per page: median {statistics.median(spent):.0f} ms, "
        f"max {max(spent):.0f} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
