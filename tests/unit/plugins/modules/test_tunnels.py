"""One TLS tunnel per host per task (issue 19): every client of a module run shares one HTTP session, so a task
that reads the account, the vault and the key with four SDK clients and signs in opens one tunnel to each host -
and a second to Resource Manager for a read it makes ahead, beside another."""

from __future__ import annotations

from collections import Counter

import pytest
import urllib3.connection

from ansible_collections.azure_cmk.batch.plugins.modules import batch_account_cmk
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key
from ansible_collections.azure_cmk.batch.plugins.modules import user_identity

RG = "rg-cmk"
VAULT = {"vault_name": "kv-tunnels", "resource_group": RG}


@pytest.fixture
def tunnels(monkeypatch):
    """CONNECTs sent through the proxy, by host (urllib3 opens each tunnel)."""
    opened = Counter()
    connection = urllib3.connection.HTTPConnection
    original = connection._tunnel

    def counted(self):
        opened[self._tunnel_host] += 1
        return original(self)

    monkeypatch.setattr(connection, "_tunnel", counted)
    return opened


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def test_a_task_opens_one_tunnel_per_host(run_module, emulator, tunnels):
    ok(run_module(keyvault.main, {"name": "kv-tunnels", "resource_group": RG, "enable_purge_protection": True,
                                  "enable_rbac_authorization": False}))  # fmt: skip
    ok(run_module(keyvault_access_policy.main, dict(VAULT, caller=True, key_permissions=["get", "list", "create"])))
    key = ok(run_module(keyvault_cmk_key.main, dict(VAULT, name="cmk")))["key"]
    ok(run_module(user_identity.main, {"name": "id-tunnels", "resource_group": RG}))
    ok(run_module(keyvault_access_policy.main, dict(VAULT, identity="id-tunnels")))
    account = {"name": "tunnels", "resource_group": RG, "identity_type": "UserAssigned",
               "user_assigned_identity": "id-tunnels", "key_source": "Microsoft.KeyVault",
               "key_identifier": key["versionless_id"]}  # fmt: skip
    ok(run_module(batch_account_cmk.main, account))
    tunnels.clear()
    ok(run_module(batch_account_cmk.main, account))  # converged: Batch, MSI, Key Vault management, Key Vault keys
    # One to each host; the vault of key_identifier is read ahead, beside the account, on a second one to Resource
    # Manager (at Azure's latency its handshake hides behind the account's read; in order it would follow it).
    assert tunnels.pop("management.azure.com") == 2, dict(tunnels)
    assert tunnels and set(tunnels.values()) == {1}, dict(tunnels)
