#!/usr/bin/env python3
"""Print what converged runs cost against the emulator (`make benchmark`), with and without its latency model.

Rows (each the median (min-max) of --runs fresh processes; calls and memory of the last run):
  - each module, one process on a converged system-assigned setup (the module file run with its arguments,
    as AnsiballZ runs it, without ansible-playbook around it);
  - the whole system-assigned playbook when nothing is left to change;
  - the compliance report (cmk_compliance_info) over a fleet of 100 and 1,000 accounts;
  - a --check drift run over 100 (and, with --drift-sizes, more) accounts: ansible-playbook with the
    batch_accounts inventory plugin, one host per account, --forks 5.
Columns: wall seconds; calls by kind (discovery = Entra instance discovery and OpenID metadata, token, challenge
= Key Vault's 401, arm = Resource Manager, keyvault = Key Vault data plane); the emulator's mean time per request
(ms, journal duration_ms); peak resident memory of the largest process (MiB). Then the same with the latency model
on (--latency-ms per call, 100 by default). With --peer, rows for azure.azcollection's equivalent tasks on the same
emulator, interleaved with ours (scripts/benchmark_peer.py; it installs the peer in build/peer/venv), and the ratios.
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
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchmark_peer
from benchmark import BIN
from benchmark import REPO
from benchmark import start_emulator

KINDS = ("discovery", "token", "challenge", "arm", "keyvault")
MODULES = REPO / "plugins" / "modules"
RG, VAULT, KEY, ACCOUNT = "rg-cmk", "kv-batch-cmk", "batch-cmk", "batchcmk01"
OFFICER = ["get", "list", "create", "update", "recover", "rotate", "getrotationpolicy", "setrotationpolicy"]
ROTATION = {"expires_in": "P1Y", "rotate_after_create": "P90D", "notify_before_expiry": "P30D"}
DRIFT_PLAY = REPO / "tests" / "integration" / "playbooks" / "drift_by_inventory.yml"


class Figures:
    def __init__(self, label: str, walls: list[float], calls: Counter[str], emulator_ms: float, peak_mib: float):
        self.label, self.walls, self.calls, self.emulator_ms, self.peak_mib = label, walls, calls, emulator_ms, peak_mib

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    def row(self) -> str:
        spread = f"{min(self.walls):.2f}-{max(self.walls):.2f}"
        kinds = " ".join(f"{self.calls.get(k, 0):>5}" for k in KINDS)
        total = sum(self.calls.values())
        return (
            f"| {self.label:<48} | {self.wall:7.2f} ({spread:>11}) | {kinds} | {total:>5} "
            f"| {self.emulator_ms:5.2f} | {self.peak_mib:5.0f} |"
        )


HEADER = (
    f"| {'run':<48} | {'wall s (min-max)':>21} | {' '.join(f'{k[:5]:>5}' for k in KINDS)} | {'calls':>5} "
    f"| {'emu ms':>5} | {'MiB':>5} |"
)


class Bench:
    def __init__(self, workdir: Path, runs: int) -> None:
        self.workdir, self.runs = workdir, runs
        self.process, self.env = start_emulator(workdir)
        self.info = json.loads((workdir / "ready.json").read_text())
        import requests

        self.session = requests.Session()
        self.session.trust_env = False  # the control API is reached directly, not through the proxy

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.info['control_url']}/{path}", timeout=600, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def last_seq(self) -> int:
        return self.control("GET", "requests?since=999999999")["last"]

    def calls_since(self, seq: int) -> tuple[Counter[str], float]:
        entries = self.control("GET", f"requests?since={seq}")["value"]
        kinds: Counter[str] = Counter()
        for entry in entries:
            host = entry["host"]
            if host.startswith("login."):
                kinds["token" if entry["path"].endswith("/token") else "discovery"] += 1
            elif host.endswith(".vault.azure.net"):
                kinds["challenge" if entry["status"] == 401 else "keyvault"] += 1
            else:
                kinds["arm"] += 1
        durations = [e["duration_ms"] for e in entries if e.get("duration_ms") is not None]
        return kinds, (statistics.mean(durations) if durations else 0.0)

    def measure(self, label: str, command: list[str], runs: int | None = None, **kwargs: Any) -> Figures:
        walls: list[float] = []
        for _ in range(runs or self.runs):
            seq = self.last_seq()
            started = time.perf_counter()
            peak_kib = run_peak(command, self.env, **kwargs)
            walls.append(time.perf_counter() - started)
        calls, emulator_ms = self.calls_since(seq)
        return Figures(label, walls, calls, emulator_ms, peak_kib / 1024)

    def latency(self, ms: int) -> None:
        self.control("PATCH", "settings", json={"latency_ms": {"entra": ms, "arm": ms, "keyvault": ms}})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def run_peak(command: list[str], env: dict[str, str], cwd: Path = REPO) -> int:
    """Run ``command`` to its end; the peak resident memory (KiB) of the largest process of its tree
    (wait4's usage covers the child and the descendants it waited for)."""
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            output.seek(0)
            tail = output.read().decode(errors="replace")[-3000:]
            raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{tail}")
    return usage.ru_maxrss


def module_command(bench: Bench, name: str, args: dict[str, Any]) -> list[str]:
    path = bench.workdir / f"args-{name}-{abs(hash(json.dumps(args, sort_keys=True)))}.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    return [str(BIN / "python"), str(MODULES / f"{name}.py"), str(path)]


def module_json(bench: Bench, name: str, args: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(module_command(bench, name, args), env=bench.env, capture_output=True, text=True, check=False)
    result = json.loads(done.stdout)
    if result.get("failed"):
        raise SystemExit(f"{name} failed: {result.get('msg')}")
    return result


def converge(bench: Bench) -> dict[str, tuple[str, dict[str, Any]]]:
    """The system-assigned playbook applied, plus a user-assigned identity; the converged run of each module."""
    subprocess.run([str(BIN / "ansible-playbook"), str(REPO / "playbooks" / "enable_cmk_system_assigned.yml")],
                   env=bench.env, cwd=REPO, check=True, capture_output=True)  # fmt: skip
    module_json(bench, "user_identity", {"name": "id-bench", "resource_group": RG})
    key = module_json(bench, "keyvault_cmk_key_info", {"vault_name": VAULT, "resource_group": RG, "name": KEY})
    versionless = key["vault_keys"][0]["versionless_id"]
    vault = {"vault_name": VAULT, "resource_group": RG}
    return {
        "keyvault": ("keyvault", {"name": VAULT, "resource_group": RG, "enable_rbac_authorization": False,
                                  "enable_purge_protection": True}),
        "keyvault_access_policy (caller)": ("keyvault_access_policy",
                                            dict(vault, caller=True, key_permissions=OFFICER)),
        "keyvault_cmk_key": ("keyvault_cmk_key", dict(vault, name=KEY, key_size=3072, rotation_policy=ROTATION)),
        "batch_account_cmk (identity only)": ("batch_account_cmk", {"name": ACCOUNT, "resource_group": RG,
                                                                    "identity_type": "SystemAssigned"}),
        "keyvault_access_policy (batch_account)": ("keyvault_access_policy", dict(vault, batch_account=ACCOUNT)),
        "batch_account_cmk": ("batch_account_cmk", {"name": ACCOUNT, "resource_group": RG,
                                                    "identity_type": "SystemAssigned",
                                                    "key_source": "Microsoft.KeyVault", "key_identifier": versionless}),
        "user_identity": ("user_identity", {"name": "id-bench", "resource_group": RG}),
        "batch_account_cmk_info": ("batch_account_cmk_info", {"name": ACCOUNT, "resource_group": RG}),
        "keyvault_info": ("keyvault_info", {"name": VAULT, "resource_group": RG}),
        "keyvault_cmk_key_info": ("keyvault_cmk_key_info", dict(vault, name=KEY)),
        "user_identity_info": ("user_identity_info", {"name": "id-bench", "resource_group": RG}),
        "cmk_compliance_info (1 account)": ("cmk_compliance_info", {"resource_group": RG}),
    }  # fmt: skip


def drift_inventory(bench: Bench, group: str) -> Path:
    path = bench.workdir / f"{group}.batch_accounts.yml"
    config = {
        "plugin": "azure_cmk.batch.batch_accounts",
        "resource_groups": [group],
        "groups": {"on_cmk": "cmk_key_source == 'Microsoft.KeyVault'"},
    }
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def peer_facts(bench: Bench, modules: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """What the peer's tasks need to describe the converged state, read with our info modules."""
    vault = module_json(bench, "keyvault_info", {"name": VAULT, "resource_group": RG})["vaults"][0]
    account = module_json(bench, "batch_account_cmk_info", {"name": ACCOUNT, "resource_group": RG})
    return {
        "vault": vault,
        "account": account["batch_accounts"][0],
        "key": modules["batch_account_cmk"][1]["key_identifier"],
    }


def peer_command(bench: Bench, name: str, args: dict[str, Any]) -> list[str]:
    path = bench.workdir / f"peer-{name}.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    return [str(benchmark_peer.python()), str(benchmark_peer.module(name)), str(path)]


def peer_env(bench: Bench) -> dict[str, str]:
    env = {k: v for k, v in bench.env.items() if k not in ("PYTHONPATH", "ANSIBLE_COLLECTIONS_PATH")}
    env["PATH"] = f"{benchmark_peer.VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def rows(bench: Bench, modules: dict[str, tuple[str, dict[str, Any]]], fleets: dict[Any, str], drift: list[int],
         say: Callable[[Figures], None], peer: dict[str, Any] | None) -> None:  # fmt: skip
    for label, (name, args) in modules.items():
        say(bench.measure(label, module_command(bench, name, args)))
    playbook = [str(BIN / "ansible-playbook"), str(REPO / "playbooks" / "enable_cmk_system_assigned.yml")]
    ours = bench.measure("enable_cmk_system_assigned.yml (6 module tasks)", playbook)
    say(ours)
    if peer:
        env, bench.env = bench.env, peer_env(bench)
        try:
            peer_tasks = benchmark_peer.tasks(peer)
            for label, name, args in peer_tasks:
                say(bench.measure(label, peer_command(bench, name, args)))
            path = benchmark_peer.playbook(bench.workdir / "peer-flow.yml", peer_tasks)
            theirs = bench.measure(
                f"peer: the flow's {len(peer_tasks)} tasks, one playbook",
                [str(benchmark_peer.VENV / "bin" / "ansible-playbook"), str(path)],
            )
            say(theirs)
        finally:
            bench.env = env
        print(
            f"\nflow, ours / peer: wall {ours.wall / theirs.wall:.2f}x, calls "
            f"{sum(ours.calls.values())} / {sum(theirs.calls.values())}, "
            f"peak memory {ours.peak_mib / theirs.peak_mib:.2f}x\n"
        )
        print(HEADER)
        print("|" + "|".join("---" for _ in range(7)) + "|")
    for size, group in fleets.items():
        label = f"{size:,} accounts" if isinstance(size, int) else size
        for workers in (1, 8):
            report = module_command(bench, "cmk_compliance_info", {"resource_group": group, "max_workers": workers})
            say(bench.measure(f"report, {label}, max_workers={workers}", report, runs=min(bench.runs, 3)))
    for size in drift:
        command = [str(BIN / "ansible-playbook"), "-i", str(drift_inventory(bench, fleets[size])), str(DRIFT_PLAY),
                   "--check", "--forks", "5"]  # fmt: skip
        say(bench.measure(f"drift run (--check), {size:,} accounts, 5 forks", command, runs=1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=5, help="processes per module row (reports: at most 3)")
    parser.add_argument("--report-sizes", default="100,1000", help="fleet sizes for the compliance report")
    parser.add_argument("--drift-sizes", default="100", help="fleet sizes for the drift run (1 run each)")
    parser.add_argument("--latency-ms", type=int, default=100, help="the latency model's round trip per call")
    parser.add_argument("--spread-vaults", type=int, default=20, help="also a report over accounts on this many vaults")
    parser.add_argument("--peer", action="store_true", help="also azure.azcollection (installs it; large)")
    options = parser.parse_args()
    if options.peer:
        benchmark_peer.ensure()
    report_sizes = [int(s) for s in options.report_sizes.split(",") if s]
    drift_sizes = [int(s) for s in options.drift_sizes.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="azure-cmk-bench-") as tmp:
        bench = Bench(Path(tmp), options.runs)
        try:
            modules = converge(bench)
            peer = peer_facts(bench, modules) if options.peer else None
            fleets = {}
            specs = [(size, size, 2) for size in sorted(set(report_sizes + drift_sizes))]
            if options.spread_vaults:  # where workers pay: accounts over many vaults, each a few round trips of its own
                size = min(report_sizes)
                specs.append((f"{size:,} accounts on {options.spread_vaults} vaults", size, options.spread_vaults))
            for index, (name, size, vaults) in enumerate(specs):
                spec = {"accounts": size, "vaults": vaults, "key_size": 3072, "group": f"rg-fleet{index}"}
                made = bench.control("POST", "fleet", json=dict(spec, prefix=f"f{index}x"))
                fleets[name] = made["resource_group"]
                for vault in made["vaults"]:  # as a report's caller would: it may read the rotation policies
                    module_json(
                        bench,
                        "keyvault_access_policy",
                        {
                            "vault_name": vault,
                            "resource_group": made["resource_group"],
                            "caller": True,
                            "key_permissions": ["get", "list", "getrotationpolicy"],
                        },
                    )
            for latency in (0, options.latency_ms):
                bench.latency(latency)
                print(f"\nazure_cmk.batch, latency model {'off' if not latency else f'{latency} ms per call'}\n")
                print(HEADER)
                print("|" + "|".join("---" for _ in range(7)) + "|")
                drift = [s for s in drift_sizes if s in fleets]
                rows(bench, modules, fleets, drift, lambda f: print(f.row(), flush=True), peer)
        finally:
            bench.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
