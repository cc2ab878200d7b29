"""Fixtures for the emulator's own tests: clients built from the real SDKs.

The network guard, the emulator, the environment and the contract check come from the
``azure_emulator.testing`` plugin, which the collection's tests use too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

pytest_plugins = ["azure_emulator.testing"]


@dataclass
class Clients:
    info: dict[str, Any]
    credential: Any

    @property
    def sub(self) -> str:
        return self.info["subscription_id"]

    @property
    def rg(self) -> str:
        return self.info["resource_group"]

    @property
    def tenant(self) -> str:
        return self.info["tenant_id"]

    def batch(self) -> Any:
        from azure.mgmt.batch import BatchManagementClient

        return BatchManagementClient(self.credential, self.sub)

    def vaults(self) -> Any:
        from azure.mgmt.keyvault import KeyVaultManagementClient

        return KeyVaultManagementClient(self.credential, self.sub)

    def msi(self) -> Any:
        from azure.mgmt.msi import ManagedServiceIdentityClient

        return ManagedServiceIdentityClient(self.credential, self.sub)

    def authorization(self) -> Any:
        from azure.mgmt.authorization import AuthorizationManagementClient

        return AuthorizationManagementClient(self.credential, self.sub)

    def keys(self, vault_name: str) -> Any:
        from azure.keyvault.keys import KeyClient

        return KeyClient(f"https://{vault_name}.vault.azure.net", self.credential)


@pytest.fixture
def clients(azure_env: dict[str, Any]) -> Clients:
    from azure.identity import ClientSecretCredential

    credential = ClientSecretCredential(azure_env["tenant_id"], azure_env["client_id"], azure_env["client_secret"])
    return Clients(azure_env, credential)
