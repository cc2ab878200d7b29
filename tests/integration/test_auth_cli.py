"""auth_source=cli: a module signs in through the real az CLI's account, reached through the emulator.

Uses the az CLI the emulator's tests install (.cache/azure-cli); skipped, saying so, when it is absent -
except under make test (AZ_CLI_REQUIRED), which runs those tests first.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from playbook_runner import REPO

AZ = Path(os.environ.get("AZ_CLI_VENV", REPO / ".cache" / "azure-cli")) / "bin" / "az"


@pytest.mark.skipif(
    not AZ.exists() and not os.environ.get("AZ_CLI_REQUIRED"),
    reason=f"the az CLI is not installed at {AZ} (emulator/tests/test_az_cli.py installs it)",
)
def test_module_uses_the_az_cli_account(playbook, emulator, tmp_path, monkeypatch):
    # make test runs the emulator's tests first and sets AZ_CLI_REQUIRED: there, a missing CLI fails.
    assert AZ.exists(), f"the az CLI is not installed at {AZ}: emulator/tests/test_az_cli.py installs it"
    info = emulator.ready_info()
    config = tmp_path / "azure"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AZURE_") and "proxy" not in k.lower()},
        "AZURE_CONFIG_DIR": str(config),
        "AZURE_CORE_COLLECT_TELEMETRY": "no",
        "HTTPS_PROXY": info["proxy_url"],
        "HTTP_PROXY": info["proxy_url"],
        "NO_PROXY": "localhost,127.0.0.1",
        "REQUESTS_CA_BUNDLE": info["ca_file"],
    }
    login = subprocess.run(
        [str(AZ), "login", "--service-principal", "-u", info["client_id"], "-p", info["client_secret"], "--tenant", info["tenant_id"], "--output", "json"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert login.returncode == 0, login.stderr
    assert json.loads(login.stdout)[0]["id"] == info["subscription_id"]

    run = playbook(
        "tests/integration/playbooks/identity_with_explicit_auth.yml",
        azure_cmk_auth={"auth_source": "cli"},
        _env={
            "AZURE_CONFIG_DIR": str(config),
            "PATH": f"{AZ.parent}{os.pathsep}{os.environ['PATH']}",
            "AZURE_CORE_COLLECT_TELEMETRY": "no",
        },
        _drop_credentials=True,
    )
    assert run.rc == 0 and run.changed == 1, run
    tokens = [e for e in emulator.journal.entries() if e.path.endswith("/oauth2/v2.0/token")]
    assert tokens  # the CLI fetched the tokens the module used
