"""Cost of the propagation model: Key Vault data-plane reads (get_key) with and without grant records.

Prints the median time per call over the proxy with grant_propagation_seconds 0 (no records kept) and 600
with N role-assignment changes pending. Run: .venv/bin/python scripts/propagation_benchmark.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "emulator" / "tests"))

import flows

from azure_emulator import Emulator


class Clients:
    def __init__(self, info, credential):
        self.info, self.credential = info, credential
        self.sub, self.rg, self.tenant = info["subscription_id"], info["resource_group"], info["tenant_id"]

    def vaults(self):
        from azure.mgmt.keyvault import KeyVaultManagementClient

        return KeyVaultManagementClient(self.credential, self.sub)

    def authorization(self):
        from azure.mgmt.authorization import AuthorizationManagementClient

        return AuthorizationManagementClient(self.credential, self.sub)

    def keys(self, name):
        from azure.keyvault.keys import KeyClient

        return KeyClient(f"https://{name}.vault.azure.net", self.credential)


def measure(pending: int, calls: int = 200) -> float:
    from azure.identity import ClientSecretCredential

    settings = {"timing": "instant", "arm_throttling": False, "grant_propagation_seconds": 600 if pending else 0}
    emu = Emulator(ca_dir=Path(tempfile.mkdtemp()), settings=settings)
    emu.start()
    try:
        info = emu.ready_info()
        os.environ.update(HTTPS_PROXY=info["proxy_url"], REQUESTS_CA_BUNDLE=info["ca_file"], NO_PROXY="127.0.0.1")
        clients = Clients(info, ClientSecretCredential(info["tenant_id"], info["client_id"], info["client_secret"]))
        emu.settings.grant_propagation_seconds = 0  # set the vault and key up at once
        vault = flows.make_vault(clients, "kv-bench", rbac=True)
        keys = clients.keys("kv-bench")
        keys.create_rsa_key("cmk", size=2048)
        emu.settings.grant_propagation_seconds = 600 if pending else 0
        for _ in range(pending):  # assignments made and pending: each adds a record the data plane overlays
            flows.assign_role(clients, vault.id, str(uuid.uuid4()), flows.CRYPTO_SERVICE_ENCRYPTION_USER)
        keys.get_key("cmk")
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            keys.get_key("cmk")
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)
    finally:
        emu.stop()


def main() -> None:
    for pending in (0, 50, 500):
        print(f"get_key with {pending:>3} pending grant changes: {measure(pending) * 1000:6.2f} ms median")


if __name__ == "__main__":
    main()
