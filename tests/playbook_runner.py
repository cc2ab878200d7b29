"""Run ansible-playbook against the in-process emulator, as a user would from a shell."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)


class PlaybookRun:
    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.rc, self.output = done.returncode, done.stdout + done.stderr
        found = RECAP.search(done.stdout)
        counts = [int(found.group(i)) for i in range(2, 7)] if found else [0] * 5
        self.ok, self.changed, self.unreachable, self.failed, self.skipped = counts

    def __repr__(self) -> str:
        return f"PlaybookRun(rc={self.rc}, changed={self.changed}, failed={self.failed})\n{self.output[-3000:]}"


def playbook_environment(info: dict[str, Any], collections: Path, credentials: bool = True) -> dict[str, str]:
    from azure_emulator.testing import client_environment  # after pytest has registered the plugin
    from azure_emulator.testing import credential_environment

    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_") and "proxy" not in k.lower()}
    env.update(client_environment(info))
    if credentials:
        env.update(credential_environment(info))
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def run_playbook(path: Path, env: dict[str, str], *args: str, extra_vars: dict[str, Any] | None = None) -> PlaybookRun:
    command = [str(Path(sys.executable).parent / "ansible-playbook"), str(path), *args]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=REPO, check=False)
    return PlaybookRun(done)
