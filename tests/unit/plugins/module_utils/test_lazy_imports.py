"""Done-means 3: a Key-Vault-only module loads no Batch, MSI or authorization SDK."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from conftest import COLLECTIONS

PROBE = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {collections!r})
    from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key  # noqa: F401
    after_import = sorted(m for m in sys.modules if m.startswith("azure"))
    from azure.identity import ClientSecretCredential
    from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import Clients
    from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
    clients = Clients(ClientSecretCredential("t", "c", "s"), "sub", get_cloud("AzureCloud"))
    clients.keyvault, clients.keys("https://kv-one.vault.azure.net")
    print(json.dumps({{"after_import": after_import, "after_use": sorted(sys.modules)}}))
    """
)


def _probe():
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(collections=str(COLLECTIONS))], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_importing_a_module_imports_no_sdk():
    assert _probe()["after_import"] == []


def test_a_key_vault_module_loads_only_key_vault_sdks():
    loaded = _probe()["after_use"]
    assert "azure.keyvault.keys" in loaded and "azure.mgmt.keyvault" in loaded
    for unwanted in ("azure.mgmt.batch", "azure.mgmt.msi", "azure.mgmt.authorization", "azure.mgmt.resourcegraph"):
        assert not [m for m in loaded if m == unwanted or m.startswith(unwanted + ".")], unwanted


CACHED = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {collections!r})
    from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import Clients
    from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
    from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import RunCache
    ARM = "https://management.azure.com/.default"
    fresh = {{"token": "from-the-run", "expires_on": 4102444800, "refresh_on": None}}
    RunCache({directory!r}, "digest").token_or_fetch(ARM + "|", lambda: fresh, 5)  # an earlier task's sign-in

    def build(**options):
        from azure.identity import ClientSecretCredential
        return ClientSecretCredential("t", "c", "s", **options)

    clients = Clients(build, "sub", get_cloud("AzureCloud"), cache=RunCache({directory!r}, "digest"))
    token = clients.credential.get_token(ARM)
    print(json.dumps({{"token": token.token, "loaded": sorted(m for m in sys.modules if m.startswith(("azure.identity", "msal")))}}))
    """
)


def test_a_task_whose_run_has_a_token_loads_no_azure_identity(tmp_path):
    """Issue 19: with the run's token in the cache a task never builds a credential (azure-identity and MSAL
    cost a task about 70 ms of CPU, a fifth of a converged module process)."""
    directory = tmp_path / "run"
    directory.mkdir(mode=0o700)
    probe = CACHED.format(collections=str(COLLECTIONS), directory=str(directory))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == {"token": "from-the-run", "loaded": []}
