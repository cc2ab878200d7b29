"""The peer for `make benchmark BENCHMARK_ARGS=--peer`: azure.azcollection 3.12.0 (from the ansible 12.3.0 package on
PyPI, with the collection's own requirements.txt) in a separate virtual environment, build/peer/venv, and the
peer's equivalents of our converged system-assigned flow, as module processes and as one playbook.

azure.azcollection has no Batch encryption option and no access-policy module: the account's identity and
encryption go through azure_rm_resource (a generic PUT that compares first: idempotency). Grants are left out:
azure_rm_keyvault sets a vault's whole access-policy list, and its key permissions lack rotate,
getrotationpolicy and setrotationpolicy, so it cannot state the flow's grants without removing some (its run would
write, and break our later rows). The peer's flow is so 4 tasks to our 6, the two grant tasks not counted.
azure_rm_batchaccount is left out: on an account without auto-storage its no-change run fails
(KeyError 'auto_storage', /work/shared/research/azcollection-anchor.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / "build" / "peer" / "venv"
PEER_ANSIBLE = "ansible==12.3.0"  # ships azure.azcollection 3.12.0
BATCH_API = "2024-02-01"


def python() -> Path:
    return VENV / "bin" / "python"


def collection_dir() -> Path:
    done = subprocess.run(
        [str(python()), "-c", "import ansible_collections.azure.azcollection as c; print(c.__path__[0])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip())


def ensure() -> None:
    """Install the peer once (about 1.5 GB, as its requirements ask); later runs reuse it."""
    done = VENV / ".installed"
    if done.exists():
        return
    print(f"installing the peer ({PEER_ANSIBLE} and azure.azcollection's requirements) into {VENV}", flush=True)
    if not python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(python()), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, PEER_ANSIBLE], check=True)
    subprocess.run([*pip, "-r", str(collection_dir() / "requirements.txt")], check=True)
    done.touch()


def module(name: str) -> Path:
    return collection_dir() / "plugins" / "modules" / f"{name}.py"


def tasks(facts: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, module, arguments) of the peer's tasks for the converged system-assigned flow; ``facts`` holds
    what our modules read: the vault (with its access policies), the account and the key's versionless id."""
    vault, account = facts["vault"], facts["account"]
    return [
        (
            "peer: azure_rm_keyvault (vault)",
            "azure_rm_keyvault",
            {
                "resource_group": vault["resource_group"],
                "vault_name": vault["name"],
                "vault_tenant": vault["tenant_id"],
                "location": vault["location"],
                "sku": {"family": "A", "name": "standard"},
                "enable_soft_delete": True,
                "enable_purge_protection": True,
            },
        ),
        (
            "peer: azure_rm_keyvaultkey",
            "azure_rm_keyvaultkey",
            {
                "keyvault_uri": facts["key"].split("/keys/")[0],
                "key_name": facts["key"].rsplit("/", 1)[-1],
                "key_size": 3072,
            },
        ),
        (
            "peer: azure_rm_resource (account identity + CMK)",
            "azure_rm_resource",
            {
                "resource_group": account["resource_group"],
                "provider": "Batch",
                "resource_type": "batchAccounts",
                "resource_name": account["name"],
                "api_version": BATCH_API,
                "method": "PUT",
                "idempotency": True,
                "body": {
                    "location": account["location"],
                    "identity": {"type": "SystemAssigned"},
                    "properties": {
                        "encryption": {
                            "keySource": "Microsoft.KeyVault",
                            "keyVaultProperties": {"keyIdentifier": facts["key"]},
                        }
                    },
                },
            },
        ),
        (
            "peer: azure_rm_keyvaultkey_info",
            "azure_rm_keyvaultkey_info",
            {"vault_uri": facts["key"].split("/keys/")[0], "name": facts["key"].rsplit("/", 1)[-1]},
        ),
    ]


def playbook(path: Path, peer_tasks: list[tuple[str, str, dict[str, Any]]]) -> Path:
    """The peer's tasks as one playbook (JSON is YAML), run by the peer's own ansible-playbook."""
    play = {
        "name": "azure.azcollection: the converged system-assigned flow",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "tasks": [{"name": label, f"azure.azcollection.{name}": args} for label, name, args in peer_tasks],
    }
    path.write_text(json.dumps([play], indent=1))
    return path
