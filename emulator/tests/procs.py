"""Run the emulator as a process, the way integration tests and the demo do."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


class EmulatorProcess:
    def __init__(self, workdir: Path, *extra: str) -> None:
        self.workdir = workdir
        self.ready_file = workdir / "ready.json"
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}

    def start(self, timeout: float = 30) -> dict[str, Any]:
        self.ready_file.unlink(missing_ok=True)
        command = [
            sys.executable, "-m", "azure_emulator", "serve",
            "--state-file", str(self.workdir / "state.json"),
            "--ca-dir", str(self.workdir / "ca"),
            "--ready-file", str(self.ready_file),
            # Instant and unthrottled unless the test says otherwise (serve's default is Azure's timing).
            "--settings", '{"timing": "instant", "arm_throttling": false, "resource_graph_throttling": false}',
            *self.extra,
        ]  # fmt: skip
        log = open(self.workdir / "emulator.log", "ab")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not self.ready_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"emulator did not start: {(self.workdir / 'emulator.log').read_text()}")
            time.sleep(0.05)
        self.info = json.loads(self.ready_file.read_text())
        return self.info

    def kill(self) -> None:
        """kill -9: no chance to flush or clean up."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def env(self) -> dict[str, str]:
        return {
            "HTTPS_PROXY": self.info["proxy_url"],
            "HTTP_PROXY": self.info["proxy_url"],
            "NO_PROXY": "localhost,127.0.0.1",
            "REQUESTS_CA_BUNDLE": self.info["ca_file"],
        }
