"""Done-means 6: state survives kill -9 and a restart with the same state file."""

from __future__ import annotations

import json
import threading

import flows
import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.batch import BatchManagementClient
from azure.mgmt.msi import ManagedServiceIdentityClient
from conftest import Clients
from procs import EmulatorProcess

pytestmark = pytest.mark.slow


def _clients(proc: EmulatorProcess, monkeypatch) -> Clients:
    for name, value in proc.env().items():
        monkeypatch.setenv(name, value)
    info = proc.info
    return Clients(info, ClientSecretCredential(info["tenant_id"], info["client_id"], info["client_secret"]))


def test_nothing_is_lost_across_kill_and_restart(tmp_path, monkeypatch):
    proc = EmulatorProcess(tmp_path)
    try:
        proc.start()
        clients = _clients(proc, monkeypatch)
        account, key = flows.system_assigned_flow(clients)
        proc.kill()

        proc.start()
        clients = _clients(proc, monkeypatch)
        again = BatchManagementClient(clients.credential, clients.sub).batch_account.get(clients.rg, "cmksys")
        assert again.encryption.key_vault_properties.key_identifier == key.id
        assert again.identity.principal_id == account.identity.principal_id
        restored = clients.keys("kv-sys-cmk").get_key("cmk")
        assert restored.key.n == key.key.n  # the same key material
    finally:
        proc.stop()


def test_kill_during_a_burst_of_writes_keeps_every_acknowledged_write(tmp_path, monkeypatch):
    proc = EmulatorProcess(tmp_path)
    acknowledged: list[str] = []
    try:
        proc.start()
        clients = _clients(proc, monkeypatch)
        msi = ManagedServiceIdentityClient(clients.credential, clients.sub, retry_total=0)
        stop = threading.Event()

        def burst() -> None:
            for i in range(200):
                if stop.is_set():
                    return
                try:
                    msi.user_assigned_identities.create_or_update(clients.rg, f"id-{i}", {"location": "westeurope"})
                except Exception:  # the process died mid-request
                    return
                acknowledged.append(f"id-{i}")

        worker = threading.Thread(target=burst)
        worker.start()
        while len(acknowledged) < 5:
            worker.join(0.01)
        proc.kill()
        stop.set()
        worker.join(30)

        json.loads((tmp_path / "state.json").read_text())  # never half-written
        proc.start()
        clients = _clients(proc, monkeypatch)
        names = {
            i.name
            for i in ManagedServiceIdentityClient(
                clients.credential, clients.sub
            ).user_assigned_identities.list_by_resource_group(clients.rg)
        }
        assert set(acknowledged) <= names
    finally:
        proc.stop()
