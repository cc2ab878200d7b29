"""The azure-emulator command: serve writes a ready file; env prints the shell lines that use it."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import urllib.request

import pytest
from procs import EmulatorProcess

pytestmark = pytest.mark.slow
READY_KEYS = {
    "proxy_url",
    "ca_file",
    "control_url",
    "tenant_id",
    "subscription_id",
    "client_id",
    "client_secret",
    "resource_group",
    "location",
    "pid",
}


def test_serve_writes_the_ready_file_and_env_prints_exports(tmp_path):
    proc = EmulatorProcess(tmp_path)
    try:
        info = proc.start()
        assert set(info) == READY_KEYS
        assert info["proxy_url"].startswith("http://127.0.0.1:")
        out = subprocess.run(
            [sys.executable, "-m", "azure_emulator", "env", "--ready-file", str(proc.ready_file)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        exports = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in out.splitlines())
        assert exports["HTTPS_PROXY"] == info["proxy_url"]
        assert exports["REQUESTS_CA_BUNDLE"] == info["ca_file"]
        assert exports["AZURE_SECRET"] == info["client_secret"]
        assert {"AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_TENANT"} <= set(exports)
        assert "azure" not in exports.get("NO_PROXY", "")  # never an Azure host: that would bypass the emulator
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the control API is not proxied
        with direct.open(info["control_url"] + "/health", timeout=5) as response:
            assert json.loads(response.read())["status"] == "ok"
    finally:
        proc.stop()
