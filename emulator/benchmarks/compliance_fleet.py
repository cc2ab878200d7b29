#!/usr/bin/env python3
"""The collection's compliance report (``cmk_compliance_info``) over a fleet of 10, 100 and 1,000 accounts.

For each size: an emulator process, ``POST /_emulator/fleet`` (see ``azure_emulator/fleet.py``), an
optional latency model, then one ``ansible-playbook`` run of the report over ``rg-fleet``. It prints the
run's wall time, the requests it made and the emulator's time per request (the journal's ``duration_ms``):
the emulator's share should stay flat per request while the collection's share is what is left.

    make venv link
    .venv/bin/python emulator/benchmarks/compliance_fleet.py
    .venv/bin/python emulator/benchmarks/compliance_fleet.py --latency-ms '{"entra": 20, "arm": 20, "keyvault": 20}'
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

from request_times import Served

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLAY = """- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - azure_cmk.batch.cmk_compliance_info:
        resource_group: rg-fleet
      register: report
    - ansible.builtin.assert:
        that: report.accounts | length == {size}
"""


def run(workdir: Path, size: int, latency: str | None) -> None:
    from azure_emulator.testing import client_environment
    from azure_emulator.testing import credential_environment

    served = Served(workdir, None)
    try:
        served.control("POST", "fleet", {"accounts": size})
        if latency:
            served.control("PATCH", "settings", {"latency_ms": json.loads(latency)})
        play = workdir / "play.yml"
        play.write_text(PLAY.format(size=size))
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("AZURE_")}
        env.update(client_environment(served.info))
        env.update(credential_environment(served.info))
        env["ANSIBLE_COLLECTIONS_PATH"] = str(REPO / "build" / "collections")
        served.control("DELETE", "requests")
        started = time.perf_counter()
        subprocess.run([str(BIN / "ansible-playbook"), str(play)], env=env, check=True, capture_output=True)
        wall = time.perf_counter() - started
        journal = served.control("GET", "requests")["value"]
        spent = [e["duration_ms"] for e in journal if e.get("duration_ms") is not None]
        median, p95 = statistics.median(spent), statistics.quantiles(spent, n=20)[18]
        total = sum(spent) / 1000
        print(f"{size:>8} {wall:9.2f} {len(journal):>9} {median:9.2f} {p95:9.2f} {total:9.2f}", flush=True)
    finally:
        served.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000", help="account counts, comma-separated")
    parser.add_argument("--latency-ms", help='the latency model, e.g. \'{"entra": 20, "arm": 20, "keyvault": 20}\'')
    args = parser.parse_args()
    print(f"cmk_compliance_info over rg-fleet; latency model: {args.latency_ms or 'none'}")
    print(f"{'accounts':>8} {'wall s':>9} {'requests':>9} {'emu med':>9} {'emu p95':>9} {'emu sum s':>9}")
    print(f"{'':>8} {'':>9} {'':>9} {'ms':>9} {'ms':>9} {'':>9}")
    with tempfile.TemporaryDirectory(prefix="compliance-bench-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            run(Path(tmp), size, args.latency_ms)
    return 0


if __name__ == "__main__":
    sys.exit(main())
