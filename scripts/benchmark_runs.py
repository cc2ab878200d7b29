#!/usr/bin/env python3
"""Print what converged runs cost against the emulator (`make benchmark`), at several latencies of its model.

Rows (each the median (min-max) of --runs fresh processes; calls and memory of the last run):
  - each module, one process on a converged system-assigned setup (the module file run with its arguments,
    as AnsiballZ runs it, without ansible-playbook around it: no action plugin, so no run token cache);
  - the flow: playbooks/enable_cmk_system_assigned.yml when nothing is left to change, and the 4-task playbook
    (our equivalents of the peer's four tasks), each with the run's token cache on and off
    (AZURE_CMK_TOKEN_CACHE=false), and with --peer the peer's 4 tasks as one playbook: interleaved run by run
    (ours on, ours off, peer; ...) so that the machine's load falls on all alike;
  - the compliance report (cmk_compliance_info) over a fleet of 100 and 1,000 accounts;
  - a --check drift run over 100 (and, with --drift-sizes, more) accounts: ansible-playbook with the
    batch_accounts inventory plugin, one host per account, --forks 5, cache on and off.
Columns: wall seconds; calls by kind (discovery = Entra instance discovery and OpenID metadata, token, challenge
= Key Vault's 401, arm = Resource Manager, keyvault = Key Vault data plane); the emulator's mean time per request
(ms, journal duration_ms); peak resident memory of the largest process (MiB). Each table is taken at one latency
of the model (--latencies, ms per call to every Azure host; 0 = loopback). With --peer, azure.azcollection's rows
(scripts/benchmark_peer.py; it installs the peer in build/peer/venv) and the ratios ours / peer: of the medians,
and the median of the run-by-run ratios.
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
    def __init__(self, label: str, walls: list[float], calls: Counter[str], emulator_ms: float, peak_mib: float,
                 cpus: list[float] | None = None):  # fmt: skip
        self.label, self.walls, self.calls, self.emulator_ms, self.peak_mib = label, walls, calls, emulator_ms, peak_mib
        self.cpus = cpus or [0.0]

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    def row(self) -> str:
        spread = f"{min(self.walls):.2f}-{max(self.walls):.2f}"
        kinds = " ".join(f"{self.calls.get(k, 0):>5}" for k in KINDS)
        total = sum(self.calls.values())
        return (
            f"| {self.label:<56} | {self.wall:7.2f} ({spread:>11}) | {kinds} | {total:>5} "
            f"| {self.emulator_ms:5.2f} | {self.peak_mib:5.0f} | {self.cpu:7.2f} |"
        )


HEADER = (
    f"| {'run':<56} | {'wall s (min-max)':>21} | {' '.join(f'{k[:5]:>5}' for k in KINDS)} | {'calls':>5} "
    f"| {'emu ms':>5} | {'MiB':>5} | {'cpu s':>7} |"
)
RULE = "|" + "|".join("---" for _ in range(8)) + "|"


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

    def measure(self, label: str, command: list[str], runs: int | None = None, env: dict[str, str] | None = None,
                **kwargs: Any) -> Figures:  # fmt: skip
        walls: list[float] = []
        cpus: list[float] = []
        for _ in range(runs or self.runs):
            seq = self.last_seq()
            started = time.perf_counter()
            peak_kib, cpu = run_peak(command, env or self.env, **kwargs)
            walls.append(time.perf_counter() - started)
            cpus.append(cpu)
        calls, emulator_ms = self.calls_since(seq)
        return Figures(label, walls, calls, emulator_ms, peak_kib / 1024, cpus)

    def interleaved(self, variants: list[tuple[str, list[str], dict[str, str]]], runs: int) -> list[Figures]:
        """Each variant (label, command, environment) once per round, round after round: load on the shared
        machine falls on every variant alike. Calls and memory of the last round."""
        walls: dict[str, list[float]] = {label: [] for label, _c, _e in variants}
        cpus: dict[str, list[float]] = {label: [] for label, _c, _e in variants}
        last: dict[str, tuple[Counter[str], float, float]] = {}
        for _ in range(runs):
            for label, command, env in variants:
                seq = self.last_seq()
                started = time.perf_counter()
                peak_kib, cpu = run_peak(command, env)
                walls[label].append(time.perf_counter() - started)
                cpus[label].append(cpu)
                calls, emulator_ms = self.calls_since(seq)
                last[label] = (calls, emulator_ms, peak_kib / 1024)
        return [Figures(label, walls[label], *last[label], cpus[label]) for label, _c, _e in variants]

    def latency(self, ms: int) -> None:
        self.control("PATCH", "settings", json={"latency_ms": {"entra": ms, "arm": ms, "keyvault": ms}})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def run_peak(command: list[str], env: dict[str, str], cwd: Path = REPO) -> tuple[int, float]:
    """Run ``command`` to its end; the peak resident memory (KiB) of the largest process of its tree and the CPU
    seconds (user + system) of the whole tree (wait4's usage covers the child and the descendants it waited for:
    ansible-playbook's forks and every module process)."""
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            output.seek(0)
            tail = output.read().decode(errors="replace")[-3000:]
            raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{tail}")
    return usage.ru_maxrss, usage.ru_utime + usage.ru_stime


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
    subprocess.run(system_playbook(), env=bench.env, cwd=REPO, check=True, capture_output=True)
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


SYSTEM_PLAY = REPO / "playbooks" / "enable_cmk_system_assigned.yml"
# Our equivalents of the peer's four tasks (scripts/benchmark_peer.py), as one playbook.
FOUR_TASKS = ("keyvault", "keyvault_cmk_key", "batch_account_cmk", "keyvault_cmk_key_info")


def system_playbook() -> list[str]:
    return [str(BIN / "ansible-playbook"), "-i", str(REPO / "playbooks" / "inventory"), str(SYSTEM_PLAY)]


def four_task_playbook(bench: Bench, modules: dict[str, tuple[str, dict[str, Any]]]) -> list[str]:
    tasks = [{"name": label, f"azure_cmk.batch.{modules[label][0]}": modules[label][1]} for label in FOUR_TASKS]
    play = {"name": "azure_cmk.batch: the peer's four tasks", "hosts": "localhost", "connection": "local",
            "gather_facts": False, "tasks": tasks}  # fmt: skip
    path = bench.workdir / "four-tasks.yml"
    path.write_text(json.dumps([play], indent=1))  # JSON is YAML
    return [str(BIN / "ansible-playbook"), str(path)]


def cache_off(env: dict[str, str]) -> dict[str, str]:
    return {**env, "AZURE_CMK_TOKEN_CACHE": "false"}


def module_rows(bench: Bench, modules: dict[str, tuple[str, dict[str, Any]]], say: Callable[[Figures], None],
                peer: dict[str, Any] | None) -> None:  # fmt: skip
    for label, (name, args) in modules.items():
        say(bench.measure(label, module_command(bench, name, args)))
    if peer:
        for label, name, args in benchmark_peer.tasks(peer):
            say(bench.measure(label, peer_command(bench, name, args), env=peer_env(bench)))


def playbook_rows(bench: Bench, modules: dict[str, tuple[str, dict[str, Any]]], say: Callable[[Figures], None],
                  peer: dict[str, Any] | None) -> list[Figures]:  # fmt: skip
    """The flow and the 4-task playbook, cache on and off, and the peer's playbook: interleaved."""
    four = four_task_playbook(bench, modules)
    variants = [
        ("flow (enable_cmk_system_assigned.yml), cache on", system_playbook(), bench.env),
        ("flow (enable_cmk_system_assigned.yml), cache off", system_playbook(), cache_off(bench.env)),
        ("4-task playbook, cache on", four, bench.env),
        ("4-task playbook, cache off", four, cache_off(bench.env)),
    ]
    if peer:
        path = benchmark_peer.playbook(bench.workdir / "peer-flow.yml", benchmark_peer.tasks(peer))
        command = [str(benchmark_peer.VENV / "bin" / "ansible-playbook"), str(path)]
        variants.append(("peer: the flow's 4 tasks, one playbook", command, peer_env(bench)))
    figures = bench.interleaved(variants, bench.runs)
    for figure in figures:
        say(figure)
    return figures


def ratio_lines(figures: list[Figures]) -> list[str]:
    """Ours / peer: the ratio of the medians and the median of the run-by-run ratios (interleaved runs)."""
    peer = next((f for f in figures if f.label.startswith("peer")), None)
    if peer is None:
        return []
    lines = []
    for ours in (f for f in figures if f is not peer):
        pairs = [mine / theirs for mine, theirs in zip(ours.walls, peer.walls)]
        lines.append(
            f"{ours.label} / peer: wall {ours.wall / peer.wall:.2f}x (run by run: median "
            f"{statistics.median(pairs):.2f}x, {min(pairs):.2f}-{max(pairs):.2f}), calls "
            f"{sum(ours.calls.values())} / {sum(peer.calls.values())}, peak memory {ours.peak_mib / peer.peak_mib:.2f}x"
        )
    return lines


def report_rows(bench: Bench, fleets: dict[Any, str], say: Callable[[Figures], None]) -> None:
    for size, group in fleets.items():
        label = f"{size:,} accounts" if isinstance(size, int) else size
        for workers in (1, 8):
            report = module_command(bench, "cmk_compliance_info", {"resource_group": group, "max_workers": workers})
            say(bench.measure(f"report, {label}, max_workers={workers}", report, runs=min(bench.runs, 3)))


PING_PLAY = {"name": "Ansible's own cost per host: one module process that does nothing", "hosts": "on_cmk",
             "connection": "local", "gather_facts": False,
             "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
             "tasks": [{"name": "Ping", "ansible.builtin.ping": {}}]}  # fmt: skip


def drift_rows(bench: Bench, fleets: dict[Any, str], sizes: list[int], forks: list[int], caches: list[str],
               breakdown: bool, say: Callable[[Figures], None]) -> None:  # fmt: skip
    """The drift run per size, forks and cache setting; with ``breakdown``, what it is made of: listing the hosts
    (the inventory alone), and Ansible's own cost per host (the same hosts, one ansible.builtin.ping each)."""
    ping = bench.workdir / "ping-per-host.yml"
    ping.write_text(json.dumps([PING_PLAY]))
    for size in sizes:
        inventory = str(drift_inventory(bench, fleets[size]))
        if breakdown:
            listing = [str(BIN / "ansible-inventory"), "-i", inventory, "--list"]
            say(bench.measure(f"inventory alone (ansible-inventory --list), {size:,} accounts", listing, runs=1))
        for fork_count in forks:
            if breakdown:
                command = [str(BIN / "ansible-playbook"), "-i", inventory, str(ping), "--forks", str(fork_count)]
                say(bench.measure(f"ping per host, {size:,} accounts, {fork_count} forks", command, runs=1))
            command = [str(BIN / "ansible-playbook"), "-i", inventory, str(DRIFT_PLAY), "--check",
                       "--forks", str(fork_count)]  # fmt: skip
            for cached in caches:
                env = bench.env if cached == "on" else cache_off(bench.env)
                label = f"drift run (--check), {size:,} accounts, {fork_count} forks, cache {cached}"
                say(bench.measure(label, command, runs=1, env=env))


def make_fleets(bench: Bench, sizes: list[int], spread: tuple[int, int] | None) -> dict[Any, str]:
    """Fleets of accounts on customer-managed keys (2 vaults; ``spread``: (accounts, vaults) on more vaults)."""
    fleets: dict[Any, str] = {}
    specs: list[tuple[Any, int, int]] = [(size, size, 2) for size in sizes]
    if spread:  # where workers pay: accounts over many vaults, each a few round trips of its own
        specs.append((f"{spread[0]:,} accounts on {spread[1]} vaults", *spread))
    for index, (name, size, vaults) in enumerate(specs):
        spec = {"accounts": size, "vaults": vaults, "key_size": 3072, "group": f"rg-fleet{index}"}
        made = bench.control("POST", "fleet", json=dict(spec, prefix=f"f{index}x"))
        fleets[name] = made["resource_group"]
        for vault in made["vaults"]:  # as a report's caller would: it may read the rotation policies
            grant = {"vault_name": vault, "resource_group": made["resource_group"], "caller": True,
                     "key_permissions": ["get", "list", "getrotationpolicy"]}  # fmt: skip
            module_json(bench, "keyvault_access_policy", grant)
    return fleets


def numbers(text: str) -> list[int]:
    return [int(item) for item in text.split(",") if item]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=5, help="processes per row (reports: at most 3)")
    parser.add_argument("--latencies", default="0,20,100", help="the latency model's round trips per call (ms)")
    parser.add_argument("--report-sizes", default="100,1000", help="fleet sizes for the compliance report")
    parser.add_argument("--drift-sizes", default="100", help="fleet sizes for the drift run (1 run each)")
    parser.add_argument("--drift-forks", default="5", help="forks for the drift run")
    parser.add_argument("--drift-cache", default="on,off", help="the drift run with the token cache on, off or both")
    parser.add_argument("--drift-breakdown", action="store_true", help="also the inventory alone and a ping per host")
    parser.add_argument("--spread-vaults", type=int, default=20, help="also a report over accounts on this many vaults")
    parser.add_argument("--no-module-rows", action="store_true", help="leave out the one-module-process rows")
    parser.add_argument("--peer", action="store_true", help="also azure.azcollection (installs it; large)")
    parser.add_argument("--smoke", action="store_true", help="every row once, small sizes, loopback only")
    options = parser.parse_args()
    if options.smoke:
        options.runs, options.latencies, options.report_sizes, options.drift_sizes = 1, "0", "10", "10"
        options.spread_vaults = 0
    if options.peer:
        benchmark_peer.ensure()
    report_sizes, drift_sizes = numbers(options.report_sizes), numbers(options.drift_sizes)
    with tempfile.TemporaryDirectory(prefix="azure-cmk-bench-") as tmp:
        bench = Bench(Path(tmp), options.runs)
        try:
            modules = converge(bench)
            peer = peer_facts(bench, modules) if options.peer else None
            spread = (min(report_sizes), options.spread_vaults) if options.spread_vaults and report_sizes else None
            fleets = make_fleets(bench, sorted(set(report_sizes + drift_sizes)), spread)
            reports = {name: group for name, group in fleets.items() if name not in drift_sizes or name in report_sizes}
            say = lambda figures: print(figures.row(), flush=True)  # noqa: E731
            for latency in numbers(options.latencies):
                bench.latency(latency)
                print(f"\nazure_cmk.batch, latency model {'off' if not latency else f'{latency} ms per call'}\n")
                print(HEADER)
                print(RULE)
                if not options.no_module_rows:
                    module_rows(bench, modules, say, peer)
                figures = playbook_rows(bench, modules, say, peer)
                report_rows(bench, reports, say)
                caches = [c for c in options.drift_cache.split(",") if c]
                drift_rows(
                    bench, fleets, drift_sizes, numbers(options.drift_forks), caches, options.drift_breakdown, say
                )
                print("\n" + "\n".join(ratio_lines(figures)))
        finally:
            bench.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
