"""Done-means 4: the unmodified az CLI logs in and reads a Batch account from the emulator.

The CLI is installed from PyPI into its own virtual environment (cached in .cache/azure-cli); when
that install fails the test is skipped and says why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import flows
import network_guard
import pytest

from azure_emulator.testing import PRISTINE_ENV

pytestmark = pytest.mark.slow
AZ_VERSION = "2.91.0"
CACHE = Path(os.environ.get("AZ_CLI_VENV", Path(__file__).resolve().parents[2] / ".cache" / "azure-cli"))


def _az_executable() -> Path:
    az = CACHE / "bin" / "az"
    marker = CACHE / f".installed-{AZ_VERSION}"
    if marker.exists():
        return az
    shutil.rmtree(CACHE, ignore_errors=True)
    env = dict(PRISTINE_ENV)  # pip needs the real registries and the machine's CA bundle
    try:
        subprocess.run([sys.executable, "-m", "venv", str(CACHE)], check=True, env=env, timeout=300)
        subprocess.run(
            [str(CACHE / "bin" / "pip"), "install", "--quiet", f"azure-cli=={AZ_VERSION}"],
            check=True, env=env, timeout=1200, capture_output=True, text=True,
        )  # fmt: skip
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        pytest.skip(f"azure-cli {AZ_VERSION} could not be installed from PyPI: {exc} {detail[-500:]}")
    # Guard the CLI's own interpreter too: it must never reach past the proxy.
    site = subprocess.run(
        [str(CACHE / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    shutil.copy(network_guard.__file__, Path(site) / "network_guard.py")
    (Path(site) / "zz_network_guard.pth").write_text("import network_guard; network_guard.install_from_env()\n")
    marker.touch()
    return az


def _az(az: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(az), *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=300)


def _env(clients, tmp_path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AZURE_CONFIG_DIR": str(tmp_path / "azure"),
        "AZURE_CORE_COLLECT_TELEMETRY": "no",
        "AZURE_CORE_ONLY_SHOW_ERRORS": "yes",
        "HTTPS_PROXY": clients.info["proxy_url"],
        "HTTP_PROXY": clients.info["proxy_url"],
        "NO_PROXY": "localhost,127.0.0.1",
        "REQUESTS_CA_BUNDLE": clients.info["ca_file"],
        network_guard.ENV: "1",
        network_guard.LOG_ENV: os.environ[network_guard.LOG_ENV],
    }


def _login(az: Path, env: dict[str, str], clients) -> subprocess.CompletedProcess[str]:
    return _az(
        az,
        env,
        "login",
        "--service-principal",
        "-u",
        clients.info["client_id"],
        "-p",
        clients.info["client_secret"],
        "--tenant",
        clients.tenant,
    )


def test_az_login_and_batch_account_show(clients, emulator, tmp_path):
    az = _az_executable()
    account, key = flows.system_assigned_flow(clients)
    env = _env(clients, tmp_path)
    login = _login(az, env, clients)
    assert login.returncode == 0, login.stderr
    assert json.loads(login.stdout)[0]["id"] == clients.sub

    shown = _az(az, env, "batch", "account", "show", "-n", "cmksys", "-g", clients.rg)
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert body["encryption"]["keySource"] == "Microsoft.KeyVault"
    assert body["encryption"]["keyVaultProperties"]["keyIdentifier"] == key.id
    assert body["identity"]["principalId"] == account.identity.principal_id

    missing = _az(az, env, "batch", "account", "show", "-n", "nosuchaccount", "-g", clients.rg)
    assert missing.returncode != 0 and "ResourceNotFound" in missing.stderr

    calls = [(e.method, e.host, e.api_version) for e in emulator.journal.entries() if not e.refused]
    assert ("GET", "management.azure.com", "2022-12-01") in calls  # the login's subscription list
    assert ("GET", "management.azure.com", "2024-02-01") in calls  # the CLI's own Batch api-version


def test_the_seed_walkthrough_runs_unmodified(clients, emulator, tmp_path):
    """Issue 8 done-means 4: the system-assigned walkthrough with az CLI 2.91 alone, then the RBAC grant."""
    az = _az_executable()
    env = _env(clients, tmp_path)
    assert _login(az, env, clients).returncode == 0

    def run(*args: str) -> object:
        done = _az(az, env, *args)
        assert done.returncode == 0, f"az {' '.join(args)}: {done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else None

    rg = clients.rg
    # "West Europe" makes the CLI look the region up in GET /subscriptions/{id}/locations.
    account = run("batch", "account", "create", "-n", "cmkcli", "-g", rg, "-l", "West Europe",
                  "--mi-system-assigned", "true")  # fmt: skip
    principal = account["identity"]["principalId"]
    assert account["location"] == "westeurope"
    # An access-policy vault; --no-self-perms because the CLI would ask Microsoft Graph (not emulated) who it is.
    run("keyvault", "create", "-n", "kv-cli", "-g", rg, "-l", "westeurope", "--enable-purge-protection", "true",
        "--enable-rbac-authorization", "false", "--no-self-perms", "true")  # fmt: skip
    run("keyvault", "set-policy", "-n", "kv-cli", "--object-id", flows.AUTOMATION_OID,
        "--key-permissions", "all")  # fmt: skip
    run("keyvault", "set-policy", "-n", "kv-cli", "--object-id", principal,
        "--key-permissions", "get", "wrapKey", "unwrapKey")  # fmt: skip
    key = run("keyvault", "key", "create", "--vault-name", "kv-cli", "-n", "cmk", "--kty", "RSA", "--size", "3072",
              "--ops", "wrapKey", "unwrapKey")  # fmt: skip
    kid = key["key"]["kid"]
    on_cmk = run("batch", "account", "set", "-n", "cmkcli", "-g", rg, "--encryption-key-source", "Microsoft.KeyVault",
                 "--encryption-key-identifier", kid)  # fmt: skip
    assert on_cmk["encryption"] == {"keySource": "Microsoft.KeyVault", "keyVaultProperties": {"keyIdentifier": kid}}
    back = run("batch", "account", "set", "-n", "cmkcli", "-g", rg, "--encryption-key-source", "Microsoft.Batch")
    assert back["encryption"]["keySource"] == "Microsoft.Batch"
    rotated = run("keyvault", "key", "rotate", "--vault-name", "kv-cli", "-n", "cmk")
    assert rotated["key"]["kid"] != kid

    # The RBAC grant by role name (role definitions at the CLI's 2022-05-01-preview).
    vault_id = run("keyvault", "show", "-n", "kv-cli")["id"]
    assigned = run("role", "assignment", "create", "--role", "Key Vault Crypto Service Encryption User",
                   "--assignee-object-id", principal, "--assignee-principal-type", "ServicePrincipal",
                   "--scope", vault_id)  # fmt: skip
    assert assigned["principalId"] == principal
    assert assigned["roleDefinitionId"].endswith(flows.CRYPTO_SERVICE_ENCRYPTION_USER)
    versions = {(e.host.split(".", 1)[-1], e.api_version) for e in emulator.journal.entries() if not e.refused}
    assert ("vault.azure.net", "7.6-preview.2") in versions
    assert ("azure.com", "2022-05-01-preview") in versions
