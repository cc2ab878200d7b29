"""Issue 10: reads side by side, state saved only after a change, keys parsed once, the latency
model, the request's duration in the journal, and the benchmark fleet."""

from __future__ import annotations

import threading
import time

import flows
import pytest
import requests
from azure.identity import ClientSecretCredential
from conftest import Clients
from cryptography.hazmat.primitives import serialization

from azure_emulator import Emulator
from azure_emulator import store as store_module
from azure_emulator.rwlock import RWLock
from azure_emulator.services.keyvault_data import crypto
from azure_emulator.store import Store
from azure_emulator.testing import SESSION_SETTINGS
from azure_emulator.testing import client_environment

WAIT = 30  # seconds: only ever reached when the claim is false


# Reader/writer lock ---------------------------------------------------------------------------
def test_two_readers_are_inside_together():
    lock = RWLock()
    inside = [threading.Event(), threading.Event()]

    def reader(me: int) -> None:
        with lock.reading():
            inside[me].set()
            assert inside[1 - me].wait(WAIT), "the other reader never got in: reads are serialized"

    threads = [threading.Thread(target=reader, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert all(e.is_set() for e in inside)


def test_a_writer_waits_for_readers_and_readers_for_a_writer():
    lock = RWLock()
    wrote = threading.Event()

    def writer() -> None:
        with lock:
            wrote.set()

    with lock.reading():
        thread = threading.Thread(target=writer)
        thread.start()
        assert not wrote.wait(0.2)  # held off while the read lasts
    assert wrote.wait(WAIT)
    thread.join(WAIT)


def test_the_writer_may_reenter_and_read_but_a_reader_may_not_write():
    lock = RWLock()
    with lock, lock, lock.reading():
        pass
    with lock.reading(), pytest.raises(RuntimeError), lock:
        pass


# Reads side by side, through the proxy ---------------------------------------------------------
def test_a_read_is_answered_while_another_read_holds_the_state(clients, emulator):
    flows.make_vault(clients, "kv-side")
    vaults = clients.vaults().vaults
    identities = clients.msi().user_assigned_identities
    created = threading.Event()

    def write() -> None:
        identities.create_or_update(clients.rg, "id-waits", {"location": "westeurope"})
        created.set()

    with emulator.store.lock.reading():  # as a read in flight would
        assert vaults.get(clients.rg, "kv-side").name == "kv-side"
        writer = threading.Thread(target=write)
        writer.start()
        assert not created.wait(0.5)  # the write waits for the read to end
    writer.join(WAIT)
    assert created.is_set()


# State saved only after a change ----------------------------------------------------------------
def test_reads_neither_encode_nor_save_the_state(tmp_path, monkeypatch):
    state = tmp_path / "state.json"
    with Emulator(state_file=state, ca_dir=tmp_path / "ca", settings=SESSION_SETTINGS) as emu:
        info = emu.ready_info()
        for name, value in client_environment(info).items():
            monkeypatch.setenv(name, value)
        credential = ClientSecretCredential(info["tenant_id"], info["client_id"], info["client_secret"])
        clients = Clients(info, credential)
        flows.make_vault(clients, "kv-saved")
        saved, version = state.read_bytes(), emu.store.version
        encodes = []
        real = store_module._encode
        monkeypatch.setattr(store_module, "_encode", lambda data: encodes.append(1) or real(data))
        for _ in range(3):
            clients.vaults().vaults.get(clients.rg, "kv-saved")
            list(clients.vaults().vaults.list_by_resource_group(clients.rg))
        assert (encodes, emu.store.version, state.read_bytes()) == ([], version, saved)
        clients.msi().user_assigned_identities.create_or_update(clients.rg, "id-saved", {"location": "westeurope"})
        assert b"id-saved" in state.read_bytes()  # saved before the answer


def test_a_read_that_changes_state_without_touch_is_reported():
    store = Store(None, "default")
    store.check_reads = True
    with store.read_transaction("GET /honest"):
        store.data["tenants"]["t"] = {"id": "t"}
        store.touch()
    with store.read_transaction("GET /sneaky"):
        store.data["tenants"]["u"] = {"id": "u"}
    assert store.read_violations == ["GET /sneaky changed the state without Store.touch(): it would not be saved"]


def test_the_type_index_follows_puts_deletes_and_replaces():
    store = Store(None, "default")
    group = {"id": "/subscriptions/s/resourceGroups/g", "type": "Microsoft.Resources/resourceGroups"}
    vault = {
        "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v",
        "type": "Microsoft.KeyVault/vaults",
    }
    store.put_resource(group)
    store.put_resource(vault)
    assert list(store.resources(rtype="microsoft.keyvault/VAULTS")) == [vault]
    assert list(store.resources("/subscriptions/s/resourceGroups/g")) == [group, vault]
    store.delete_resource(vault["id"].upper())
    assert list(store.resources(rtype="Microsoft.KeyVault/vaults")) == []
    store.replace({**store.snapshot(), "resources": {vault["id"].lower(): vault}})
    assert list(store.resources(rtype="Microsoft.KeyVault/vaults")) == [vault]
    assert list(store.resources(rtype="Microsoft.Resources/resourceGroups")) == []


# Keys parsed once -------------------------------------------------------------------------------
@pytest.fixture
def parses(monkeypatch):
    """Counts PEM parses (the real parser still runs)."""
    counted: list[int] = []
    real = serialization.load_pem_private_key

    def counting(*args, **kwargs):
        counted.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(serialization, "load_pem_private_key", counting)
    return counted


def test_key_reads_and_crypto_never_parse_a_key_this_process_made(clients, emulator, parses):
    flows.make_vault(clients, "kv-cache")
    key = flows.rsa_key(clients, "kv-cache")
    keys = clients.keys("kv-cache")
    for _ in range(3):
        assert keys.get_key("cmk").key.n == key.key.n
    from azure.keyvault.keys.crypto import CryptographyClient
    from azure.keyvault.keys.crypto import KeyWrapAlgorithm

    client = CryptographyClient(key.id, clients.credential)
    wrapped = client.wrap_key(KeyWrapAlgorithm.rsa_oaep_256, b"k" * 32)
    assert client.unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped.encrypted_key).key == b"k" * 32
    assert parses == []


def test_a_key_loaded_from_the_state_is_parsed_once(clients, emulator, parses, monkeypatch):
    flows.make_vault(clients, "kv-loaded")
    key = flows.rsa_key(clients, "kv-loaded")
    monkeypatch.setattr(crypto, "_CACHE", {})  # as after a restart from the state file
    for _ in range(3):
        assert clients.keys("kv-loaded").get_key("cmk").key.n == key.key.n
    assert len(parses) == 1


# Latency model and duration ----------------------------------------------------------------------
def test_latency_setting_is_checked(control):
    assert control("PATCH", "settings", json={"latency_ms": {"arm": 5}})["latency_ms"] == {
        "entra": 0,
        "arm": 5,
        "keyvault": 0,
    }
    for bad in ({"storage": 5}, {"arm": -1}, {"arm": "fast"}):
        with pytest.raises(requests.HTTPError) as caught:
            control("PATCH", "settings", json={"latency_ms": bad})
        assert caught.value.response.status_code == 400


def _session(emulator: Emulator) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"https": emulator.proxy_url}
    session.verify = str(emulator.ca_file)
    return session


def test_answers_wait_one_round_trip_and_a_new_tunnel_two_more(emulator, control, clients):
    flows.make_vault(clients, "kv-far")
    token = clients.credential.get_token("https://vault.azure.net/.default").token
    control("PATCH", "settings", json={"latency_ms": {"keyvault": 300}})
    session = _session(emulator)
    url = "https://kv-far.vault.azure.net/keys?api-version=7.6"
    times = []
    for _ in range(2):
        started = time.perf_counter()
        session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=WAIT).raise_for_status()
        times.append(time.perf_counter() - started)
    assert times[0] >= 0.9  # CONNECT, TLS handshake, answer
    assert times[1] >= 0.3  # the answer alone, on the kept-alive tunnel
    assert all(e.duration_ms is not None and e.duration_ms >= 0 for e in emulator.journal.entries())


def test_the_round_trip_wait_holds_no_lock(emulator, control, clients):
    flows.make_vault(clients, "kv-wait")
    token = clients.credential.get_token("https://vault.azure.net/.default").token
    session = _session(emulator)
    url = "https://kv-wait.vault.azure.net/keys?api-version=7.6"
    session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=WAIT).raise_for_status()  # the tunnel
    control("PATCH", "settings", json={"latency_ms": {"keyvault": 3000}})
    seen = emulator.journal.last_seq
    reader = threading.Thread(
        target=lambda: session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=WAIT)
    )
    reader.start()
    while emulator.journal.last_seq == seen:  # answered by the emulator, now waiting out the round trip
        reader.join(0.01)
    writer = threading.Thread(target=lambda: emulator.store.lock.acquire() or emulator.store.lock.release())
    writer.start()
    writer.join(WAIT)
    assert not writer.is_alive()
    assert reader.is_alive()  # the write lock was free while the answer waited
    reader.join(WAIT)


# The benchmark fleet -----------------------------------------------------------------------------
def test_the_fleet_is_real_accounts_on_shared_keys(clients, control):
    made = control("POST", "fleet", json={"accounts": 12, "vaults": 2, "key_size": 2048, "prefix": "bench"})
    assert made["counts"] == {"Microsoft.Batch": 3, "versionless": 6, "pinned": 3}
    accounts = {a.name: a for a in clients.batch().batch_account.list_by_resource_group("rg-fleet")}
    assert sorted(accounts) == [f"bench{i:04d}" for i in range(12)]
    assert {a.provisioning_state for a in accounts.values()} == {"Succeeded"}
    assert accounts["bench0000"].encryption.key_source == "Microsoft.Batch"
    assert accounts["bench0001"].encryption.key_vault_properties.key_identifier == made["keys"][1]
    pinned = accounts["bench0003"].encryption.key_vault_properties.key_identifier
    assert pinned.startswith(made["keys"][1] + "/")
    versions = [v.version for v in clients.keys("benchkv01").list_properties_of_key_versions("cmk")]
    assert len(versions) == 2 and pinned.rsplit("/", 1)[1] in versions
    rotating = clients.keys("benchkv00").get_key_rotation_policy("cmk")
    assert [a.action for a in rotating.lifetime_actions] == ["Rotate"]
    assert [a.action for a in clients.keys("benchkv01").get_key_rotation_policy("cmk").lifetime_actions] == ["Notify"]


def test_a_fleet_that_cannot_be_made_leaves_nothing(clients, control, emulator):
    before = emulator.store.snapshot()
    with pytest.raises(requests.HTTPError) as caught:
        control("POST", "fleet", json={"accounts": 2, "prefix": "Not-Valid", "key_size": 2048})
    assert caught.value.response.status_code == 400
    assert emulator.store.snapshot()["resources"] == before["resources"]
    with pytest.raises(requests.HTTPError):
        control("POST", "fleet", json={"accounts": 2, "colour": "blue"})
