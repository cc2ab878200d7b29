#!/usr/bin/env python3
"""What a report and an inventory over an estate cost (issue 16), against the emulator with Azure's throttles on
(Resource Graph's per-user quota, Resource Manager's token buckets) and its latency model at 100 ms per call.

Rows, each the median (min-max) of --runs fresh processes, with the calls of the last run from the journal:
  - cmk_compliance_info over --accounts accounts in --subscriptions subscriptions on --vaults vaults, through Resource
    Graph (subscriptions: all), one ansible-playbook run;
  - the batch_accounts inventory over the same estate: every host built (ansible-inventory --graph), and exported as
    AWX imports an inventory (--list --export); then with cache: true, twice - the second run reads the cache;
  - beside them, --small more accounts in one resource group of the first subscription, reported on the way the
    single-subscription report reads them (the resource providers: resource_group), and through Resource Graph.
Every account has --pools-per-account pools (issue 20; the first account of each fleet also a Windows pool on its
own disk key); the estate's report is measured again with pools: false, for what the pools cost.
Columns: wall seconds; Resource Graph requests (429s in brackets); Resource Manager key lists (a vault's keys, a key's
versions); calls to Batch (an account read or list); other Resource Manager calls; Key Vault data-plane calls;
sign-ins (Entra ID); all calls.

    make venv link
    .venv/bin/python scripts/benchmark_fleet.py                         # about 4 minutes here
    .venv/bin/python scripts/benchmark_fleet.py --runs 1 --accounts 1000 --subscriptions 5 --vaults 20
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COLLECTIONS = REPO / "build" / "collections"
# Azure's timing and both throttles, as emulator/benchmarks/resource_graph_fleet.py sets them.
SETTINGS = {"timing": "azure", "arm_throttling": True, "resource_graph_throttling": True, "lro_retry_after_ms": 10}
PLAY = """- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - azure_cmk.batch.cmk_compliance_info: {args}
      register: report
    - ansible.builtin.assert:
        that: report.summary.accounts == {accounts}
"""
KINDS = ("graph", "key lists", "batch", "arm other", "keyvault", "sign-in")


class Emulator:
    """An emulator process, its control API reached directly (not through the proxy)."""

    def __init__(self, workdir: Path) -> None:
        import requests

        ready = workdir / "ready.json"
        command = [str(BIN / "azure-emulator"), "serve", "--state-file", str(workdir / "state.json")]
        command += ["--ready-file", str(ready), "--ca-dir", str(workdir / "ca"), "--settings", json.dumps(SETTINGS)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(400):
            if ready.exists():
                break
            time.sleep(0.05)
        time.sleep(0.2)
        self.info = json.loads(ready.read_text())
        self.session = requests.Session()
        self.session.trust_env = False

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.info['control_url']}/{path}", timeout=900, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def last_seq(self) -> int:
        return self.control("GET", "requests?since=999999999")["last"]

    def calls_since(self, seq: int) -> Counter[str]:
        kinds: Counter[str] = Counter()
        for entry in self.control("GET", f"requests?since={seq}")["value"]:
            host, path = entry["host"], entry["path"]
            if host.startswith("login."):
                kinds["sign-in"] += 1
            elif host.endswith(".vault.azure.net"):
                kinds["keyvault"] += 1
            elif "Microsoft.ResourceGraph" in path:
                kinds["graph"] += 1
                kinds["throttled"] += entry["status"] == 429
            elif path.endswith(("/keys", "/versions")):
                kinds["key lists"] += 1
            elif "/Microsoft.Batch/" in path:
                kinds["batch"] += 1
            else:
                kinds["arm other"] += 1
            kinds["all"] += 1
        return kinds

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("AZURE_")}
        env.update(
            HTTPS_PROXY=self.info["proxy_url"],
            HTTP_PROXY=self.info["proxy_url"],
            NO_PROXY="localhost,127.0.0.1",
            REQUESTS_CA_BUNDLE=self.info["ca_file"],
            AZURE_SUBSCRIPTION_ID=self.info["subscription_id"],
            AZURE_CLIENT_ID=self.info["client_id"],
            AZURE_SECRET=self.info["client_secret"],
            AZURE_TENANT=self.info["tenant_id"],
            ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
            ANSIBLE_LOCALHOST_WARNING="False",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
            ANSIBLE_INVENTORY_UNPARSED_FAILED="True",
        )
        return env

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def measure(emu: Emulator, label: str, command: list[str], runs: int, check: Any = None) -> dict[str, Any]:
    walls = []
    for _ in range(runs):
        seq = emu.last_seq()
        started = time.perf_counter()
        done = subprocess.run(command, env=emu.env(), cwd=REPO, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - started)
        if done.returncode:
            sys.exit(f"{label} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        if check:
            check(done.stdout)
    calls = emu.calls_since(seq)
    row = {"label": label, "wall": statistics.median(walls), "min": min(walls), "max": max(walls), "calls": calls}
    graph = f"{calls['graph']}" + (f" ({calls['throttled']})" if calls["throttled"] else "")
    kinds = " | ".join([graph] + [str(calls.get(k, 0)) for k in KINDS[1:]])
    print(f"| {label} | {row['wall']:.2f} ({row['min']:.2f}-{row['max']:.2f}) | {kinds} | {calls['all']} |", flush=True)
    return row


def report(workdir: Path, name: str, args: dict[str, Any], accounts: int) -> list[str]:
    play = workdir / f"{name}.yml"
    play.write_text(PLAY.format(args=json.dumps(args), accounts=accounts))
    interpreter = f"ansible_python_interpreter={sys.executable}"
    return [str(BIN / "ansible-playbook"), "-i", "localhost,", "-e", interpreter, str(play)]


def inventory(workdir: Path, name: str, *output: str, **options: Any) -> list[str]:
    """ansible-inventory over the estate: ``--list --export`` (AWX imports an inventory so) unless ``output`` says
    otherwise (``--graph``: every host built with its variables and groups, only the group tree printed)."""
    path = workdir / f"{name}.batch_accounts.yml"
    config = {"plugin": "azure_cmk.batch.batch_accounts", "subscriptions": ["all"], "max_workers": 16, **options}
    path.write_text(json.dumps(config))
    return [str(BIN / "ansible-inventory"), "-i", str(path), *(output or ("--list", "--export"))]


def hosts(expected: int) -> Any:
    def check(stdout: str) -> None:
        if not stdout.startswith("{"):  # --graph: a line per host under each of its groups (all, ungrouped)
            found = len({line.strip(" |-") for line in stdout.splitlines() if line.strip(" |-").startswith("fleet")})
        else:
            found = len(json.loads(stdout)["_meta"]["hostvars"])
        if found != expected:
            sys.exit(f"the inventory has {found} hosts, not {expected}")

    return check


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--subscriptions", type=int, default=50)
    parser.add_argument("--vaults", type=int, default=200)
    parser.add_argument("--small", type=int, default=1000, help="accounts of the single-subscription comparison")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--pools-per-account", type=int, default=2)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="benchmark-fleet-"))
    emu = Emulator(workdir)
    try:
        started = time.perf_counter()
        shape = {"accounts": args.accounts, "subscriptions": args.subscriptions, "vaults": args.vaults}
        shape["pools_per_account"] = args.pools_per_account
        emu.control("POST", "fleet", json=dict(shape, key_size=2048))
        print(f"fleet made in {time.perf_counter() - started:.0f} s: {shape}")
        ms = args.latency_ms
        emu.control("PATCH", "settings", json={"latency_ms": {"entra": ms, "arm": ms, "keyvault": ms}})
        print(f"latency model {ms} ms per call; Resource Graph's quota and Resource Manager's buckets on\n")
        print(f"| run | wall s, median (min-max) | {' | '.join(KINDS)} | calls |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        estate = {"subscriptions": ["all"], "max_workers": 16}
        label = f"report, {args.accounts:,} accounts (subscriptions: all)"
        measure(emu, label, report(workdir, "estate", estate, args.accounts), args.runs)
        label = f"report, {args.accounts:,} accounts, pools: false"
        measure(emu, label, report(workdir, "no-pools", dict(estate, pools=False), args.accounts), args.runs)
        label = f"inventory, {args.accounts:,} hosts built (ansible-inventory --graph)"
        measure(emu, label, inventory(workdir, "plain", "--graph"), args.runs, hosts(args.accounts))
        label = f"inventory, {args.accounts:,} hosts exported (--list --export, as AWX imports it)"
        measure(emu, label, inventory(workdir, "plain"), args.runs, hosts(args.accounts))
        cache = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(workdir / "cache")}
        first = inventory(workdir, "cached", **cache)
        measure(emu, "inventory, cache: true, first run", first, 1, hosts(args.accounts))
        measure(emu, "inventory, cache: true, second run", first, args.runs, hosts(args.accounts))
        small = {"accounts": args.small, "vaults": 2, "key_size": 2048, "group": "rg-small", "prefix": "small"}
        small["pools_per_account"] = args.pools_per_account
        emu.control("PATCH", "settings", json={"latency_ms": {"entra": 0, "arm": 0, "keyvault": 0}})
        emu.control("POST", "fleet", json=small)  # in the first subscription, beside the estate
        emu.control("PATCH", "settings", json={"latency_ms": {"entra": ms, "arm": ms, "keyvault": ms}})
        single = {"resource_group": "rg-small", "max_workers": 8}
        label = f"report, {args.small:,} accounts in one resource group, resource providers (before)"
        measure(emu, label, report(workdir, "single", single, args.small), args.runs)
        scoped = dict(single, subscriptions=[emu.info["subscription_id"]])
        label = f"report, the same {args.small:,} accounts, Resource Graph"
        measure(emu, label, report(workdir, "scoped", scoped, args.small), args.runs)
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
