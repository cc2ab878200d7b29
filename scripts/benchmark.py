#!/usr/bin/env python3
"""Print how fast the modules start and run, against the emulator (`make benchmark`).

Figures, each the median (min-max) of N fresh processes:
  - importing a module (no Azure SDK is imported until used);
  - importing a module plus the SDKs it needs to run;
  - a no-change ansible-playbook task vs ansible.builtin.ping, and the whole system-assigned playbook
    when nothing is left to change.
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COLLECTIONS = REPO / "build" / "collections"


def timed(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), min(samples), max(samples)


def show(label: str, figures: tuple[float, float, float]) -> None:
    print(f"{label:<58} {figures[0]:6.3f} s ({figures[1]:.3f}-{figures[2]:.3f})")


def start_emulator(workdir: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    ready = workdir / "ready.json"
    process = subprocess.Popen(
        [
            str(BIN / "azure-emulator"),
            "serve",
            "--state-file",
            str(workdir / "state.json"),
            "--ready-file",
            str(ready),
            "--ca-dir",
            str(workdir / "ca"),
            "--setting",
            "lro_retry_after_ms=10",  # as the tests run: Azure's 202 has no hint, and azure-core would wait 30 s
            # Instant and unthrottled, as these figures were always taken (serve's default is Azure's timing).
            "--settings",
            '{"timing": "instant", "arm_throttling": false, "resource_graph_throttling": false}',
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        if ready.exists():
            break
        time.sleep(0.05)
    info = json.loads(ready.read_text())
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("AZURE_")}
    env.update(
        HTTPS_PROXY=info["proxy_url"],
        HTTP_PROXY=info["proxy_url"],
        NO_PROXY="localhost,127.0.0.1",
        REQUESTS_CA_BUNDLE=info["ca_file"],
        AZURE_SUBSCRIPTION_ID=info["subscription_id"],
        AZURE_CLIENT_ID=info["client_id"],
        AZURE_SECRET=info["client_secret"],
        AZURE_TENANT=info["tenant_id"],
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        PYTHONPATH=str(COLLECTIONS),
    )
    return process, env


def playbook(workdir: Path, tasks: str) -> Path:
    path = workdir / f"bench-{abs(hash(tasks))}.yml"
    path.write_text(f"- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n{tasks}")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=5)
    runs = parser.parse_args().runs
    python, ansible_playbook = str(BIN / "python"), str(BIN / "ansible-playbook")
    with tempfile.TemporaryDirectory(prefix="azure-cmk-bench-") as tmp:
        workdir = Path(tmp)
        process, env = start_emulator(workdir)
        try:
            module = "ansible_collections.azure_cmk.batch.plugins.modules.batch_account_cmk"
            show("import batch_account_cmk (no SDK imported)", timed([python, "-c", f"import {module}"], env, runs))
            with_sdk = (
                f"import {module}; import azure.identity, azure.mgmt.batch, azure.mgmt.keyvault, azure.keyvault.keys"
            )
            show("import batch_account_cmk + the SDKs it uses", timed([python, "-c", with_sdk], env, runs))
            kv_module = "ansible_collections.azure_cmk.batch.plugins.modules.keyvault_cmk_key"
            kv_only = f"import {kv_module}; import azure.identity, azure.keyvault.keys, azure.mgmt.keyvault"
            show("import keyvault_cmk_key + the SDKs it uses", timed([python, "-c", kv_only], env, runs))
            ping = playbook(workdir, "    - ansible.builtin.ping:\n")
            info = playbook(workdir, "    - azure_cmk.batch.user_identity_info:\n        resource_group: rg-cmk\n")
            show("ansible-playbook: one ping task", ping_time := timed([ansible_playbook, str(ping)], env, runs))
            show(
                "ansible-playbook: one user_identity_info task",
                info_time := timed([ansible_playbook, str(info)], env, runs),
            )
            print(f"{'  => cost of one Azure task over ping':<58} {info_time[0] - ping_time[0]:6.3f} s")
            system = [ansible_playbook, "-i", str(REPO / "playbooks" / "inventory")]
            system.append(str(REPO / "playbooks" / "enable_cmk_system_assigned.yml"))
            subprocess.run(system, env=env, check=True, capture_output=True)
            show("enable_cmk_system_assigned.yml, nothing to change", timed(system, env, runs))
        finally:
            process.terminate()
            process.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
