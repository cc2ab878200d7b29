#!/usr/bin/env python3
"""Emulator time per request as the state grows: 10, 100 and 1,000 Batch accounts (issue 10).

For each size it builds a fleet (``azure_emulator.fleet``: accounts on customer-managed keys sharing
two 3072-bit keys, some on Microsoft.Batch, some pinned to an old key version) into a state file,
starts an emulator process on that file, and reads through the proxy with a kept-alive HTTPS session:
a Batch account, a vault, a key. It prints, per request kind, the median and 95th percentile of

- the client's round trip (what a caller waits; loopback, so almost all of it is the emulator), and
- the emulator's own time per request (``duration_ms`` in its journal; "-" for an emulator without it),

then the first request on a new connection (CONNECT + TLS handshake + one read), and with ``--sweep``
the time to read every account and each CMK account's key once (what a compliance report asks).

    .venv/bin/python emulator/benchmarks/request_times.py                  # this checkout's emulator
    git archive 893db94 emulator/src | tar -x -C /tmp/base                 # an older one, e.g. the base
    .venv/bin/python emulator/benchmarks/request_times.py --emulator-src /tmp/base/emulator/src

The fleet is always built by this checkout's code (the state file format is shared), so both runs read
the same state. The machine may be noisy: compare medians, and runs made one after the other.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ARM = "https://management.azure.com"
VERSIONS = {"batch": "2025-06-01", "vault": "2026-05-15", "keys": "7.6"}


def build_state(workdir: Path, size: int) -> Path:
    from azure_emulator import Emulator
    from azure_emulator.fleet import build

    path = workdir / f"state-{size}.json"
    emu = Emulator(state_file=path, ca_dir=workdir / "ca")
    build(emu, accounts=size)
    return path


class Served:
    """An emulator process serving a copy of a state file."""

    def __init__(self, workdir: Path, state: Path | None, source: Path | None = None) -> None:
        run = workdir / "run"
        shutil.rmtree(run, ignore_errors=True)
        run.mkdir()
        if state is not None:
            shutil.copy(state, run / "state.json")
        ready = run / "ready.json"
        env = dict(os.environ)
        if source is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "azure_emulator", "serve", "--state-file", str(run / "state.json")]
        command += ["--ca-dir", str(workdir / "ca"), "--ready-file", str(ready)]
        # The emulator's own time, instant and unthrottled (serve's default is Azure's timing and throttling).
        command += ["--settings", '{"timing": "instant", "arm_throttling": false, "resource_graph_throttling": false}']
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.05)
        self.info: dict[str, Any] = json.loads(ready.read_text())

    def session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.proxies = {"https": self.info["proxy_url"]}
        session.verify = self.info["ca_file"]
        return session

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, f"{self.info['control_url']}/{path}", json=body, timeout=600)
        response.raise_for_status()
        return response.json() if response.content else None

    def token(self, session: requests.Session, scope: str) -> str:
        url = f"https://login.microsoftonline.com/{self.info['tenant_id']}/oauth2/v2.0/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": self.info["client_id"],
            "client_secret": self.info["client_secret"],
            "scope": scope,
        }
        response = session.post(url, data=form, timeout=60)
        response.raise_for_status()
        return str(response.json()["access_token"])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def urls(info: dict[str, Any], accounts: list[int]) -> dict[str, list[str]]:
    group = f"{ARM}/subscriptions/{info['subscription_id']}/resourceGroups/rg-fleet/providers"
    return {
        "account read": [
            f"{group}/Microsoft.Batch/batchAccounts/fleet{i:04d}?api-version={VERSIONS['batch']}" for i in accounts
        ],
        "vault read": [
            f"{group}/Microsoft.KeyVault/vaults/fleetkv{i % 2:02d}?api-version={VERSIONS['vault']}" for i in accounts
        ],
        "key read": [
            f"https://fleetkv{i % 2:02d}.vault.azure.net/keys/cmk?api-version={VERSIONS['keys']}" for i in accounts
        ],
    }


def picked(size: int, reads: int) -> list[int]:
    """Accounts on customer-managed keys (every fifth is not), spread over the fleet."""
    cmk = [i for i in range(size) if i % 5]
    step = max(1, len(cmk) // reads)
    return [cmk[(n * step) % len(cmk)] for n in range(reads)]


# Warm-up: the tunnels, and the one parse of each key version the accounts use (both vaults, versionless
# and pinned) after the emulator loaded them from its file.
WARM = [1, 2, 3, 6]


def spread(samples: list[float]) -> str:
    if not samples:
        return f"{'-':>8} {'-':>8}"
    p95 = statistics.quantiles(samples, n=20)[18] if len(samples) >= 2 else samples[0]
    return f"{statistics.median(samples):8.2f} {p95:8.2f}"


def measure(served: Served, size: int, reads: int) -> None:
    session = served.session()
    bearer = {
        "arm": served.token(session, "https://management.azure.com/.default"),
        "keyvault": served.token(session, "https://vault.azure.net/.default"),
    }
    warm = urls(served.info, [i for i in WARM if i < size])
    for kind, targets in urls(served.info, picked(size, reads)).items():
        headers = {"Authorization": f"Bearer {bearer['keyvault' if 'vault.azure.net' in targets[0] else 'arm']}"}
        for url in warm[kind]:
            session.get(url, headers=headers, timeout=600).raise_for_status()
        served.control("DELETE", "requests")
        client = []
        for url in targets:
            started = time.perf_counter()
            session.get(url, headers=headers, timeout=600).raise_for_status()
            client.append((time.perf_counter() - started) * 1000)
        journal = served.control("GET", "requests")["value"]
        emulator = [e["duration_ms"] for e in journal if e.get("duration_ms") is not None]
        print(f"{size:>8} {kind:<14} {spread(client)}   {spread(emulator)}", flush=True)


def first_requests(served: Served, size: int, connections: int) -> None:
    url = urls(served.info, [1])["vault read"][0]
    headers = {"Authorization": f"Bearer {served.token(served.session(), 'https://management.azure.com/.default')}"}
    samples = []
    for _ in range(connections):
        session = served.session()
        started = time.perf_counter()
        session.get(url, headers=headers, timeout=600).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
        session.close()
    print(f"{size:>8} {'new connection':<14} {spread(samples)}   (CONNECT + TLS + a vault read)", flush=True)


def sweep(served: Served, size: int) -> None:
    """What a compliance report asks of the emulator: every account, then each CMK account's key."""
    session = served.session()
    arm = {"Authorization": f"Bearer {served.token(session, 'https://management.azure.com/.default')}"}
    kv = {"Authorization": f"Bearer {served.token(session, 'https://vault.azure.net/.default')}"}
    served.control("DELETE", "requests")
    started = time.perf_counter()
    group = f"{ARM}/subscriptions/{served.info['subscription_id']}/resourceGroups/rg-fleet/providers"
    for i in range(size):
        url = f"{group}/Microsoft.Batch/batchAccounts/fleet{i:04d}?api-version={VERSIONS['batch']}"
        account = session.get(url, headers=arm, timeout=600)
        account.raise_for_status()
        identifier = (account.json()["properties"]["encryption"].get("keyVaultProperties") or {}).get("keyIdentifier")
        if identifier:
            session.get(f"{identifier}?api-version={VERSIONS['keys']}", headers=kv, timeout=600).raise_for_status()
    elapsed = time.perf_counter() - started
    journal = served.control("GET", "requests")["value"]
    spent = sum(e["duration_ms"] for e in journal if e.get("duration_ms") is not None) / 1000
    inside = f"{spent:.2f} s of it in the emulator" if spent else "emulator time not recorded"
    print(f"{size:>8} sweep: {len(journal)} reads (every account, each CMK key) in {elapsed:.2f} s; {inside}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000", help="account counts, comma-separated")
    parser.add_argument("--reads", type=int, default=40, help="reads per request kind and size")
    parser.add_argument("--connections", type=int, default=10, help="new connections timed per size")
    parser.add_argument("--emulator-src", type=Path, help="run the emulator from this source directory")
    parser.add_argument("--sweep", action="store_true", help="also read every account and its key, once")
    parser.add_argument("--latency-ms", help='the latency model, e.g. \'{"entra": 20, "arm": 20, "keyvault": 20}\'')
    args = parser.parse_args()
    where = args.emulator_src or "this checkout"
    print(f"emulator: {where}; latency model: {args.latency_ms or 'none'}; {args.reads} reads per kind; times in ms")
    print(f"{'accounts':>8} {'request':<14} {'client median':>17}   {'emulator median':>17}")
    print(f"{'':>8} {'':<14} {'median':>8} {'p95':>8}   {'median':>8} {'p95':>8}")
    with tempfile.TemporaryDirectory(prefix="emulator-bench-") as tmp:
        workdir = Path(tmp)
        for size in (int(s) for s in args.sizes.split(",")):
            state = build_state(workdir, size)
            served = Served(workdir, state, args.emulator_src)
            try:
                if args.latency_ms:
                    served.control("PATCH", "settings", {"latency_ms": json.loads(args.latency_ms)})
                measure(served, size, args.reads)
                first_requests(served, size, args.connections)
                if args.sweep:
                    sweep(served, size)
            finally:
                served.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
