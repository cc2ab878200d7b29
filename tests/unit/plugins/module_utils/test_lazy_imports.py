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
