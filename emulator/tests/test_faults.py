"""Done-means 5: injected faults are retried by the real SDKs, and the journal shows every attempt."""

from __future__ import annotations

import time

import flows
import pytest
from azure.core.exceptions import HttpResponseError

ACCOUNT_PATH = r"/batchAccounts/faulty$"


@pytest.fixture
def account(clients, emulator):
    clients.batch().batch_account.begin_create(clients.rg, "faulty", {"location": "westeurope"}).result()
    emulator.journal.clear()
    return clients.batch()


def _attempts(emulator):
    return [(e.status, e.fault) for e in emulator.journal.entries() if e.path.endswith("/batchAccounts/faulty")]


def test_429_with_retry_after_then_success(account, clients, control, emulator):
    control(
        "POST",
        "faults",
        json={"kind": "status", "status": 429, "retry_after": 1, "method": "GET", "path": ACCOUNT_PATH},
    )
    started = time.monotonic()
    assert account.batch_account.get(clients.rg, "faulty").name == "faulty"
    assert time.monotonic() - started >= 0.9  # the SDK honoured Retry-After
    assert _attempts(emulator) == [(429, "status"), (200, None)]


def test_503_then_success(account, clients, control, emulator):
    control("POST", "faults", json={"kind": "status", "status": 503, "method": "GET", "path": ACCOUNT_PATH})
    assert account.batch_account.get(clients.rg, "faulty").name == "faulty"
    assert _attempts(emulator) == [(503, "status"), (200, None)]


def test_429_and_503_in_a_row(account, clients, control, emulator):
    control(
        "POST",
        "faults",
        json=[
            {"kind": "status", "status": 429, "retry_after": 1, "method": "GET", "path": ACCOUNT_PATH},
            {"kind": "status", "status": 503, "method": "GET", "path": ACCOUNT_PATH},
        ],
    )
    assert account.batch_account.get(clients.rg, "faulty").name == "faulty"
    assert _attempts(emulator) == [(429, "status"), (503, "status"), (200, None)]


def test_dropped_connection_on_get_is_retried(account, clients, control, emulator):
    control("POST", "faults", json={"kind": "drop", "method": "GET", "path": ACCOUNT_PATH})
    assert account.batch_account.get(clients.rg, "faulty").name == "faulty"
    assert _attempts(emulator) == [(0, "drop"), (200, None)]


def test_persistent_503_surfaces_after_the_retries(account, clients, control, emulator):
    control(
        "POST",
        "faults",
        json={"kind": "status", "status": 503, "count": 2, "retry_after": 0, "method": "GET", "path": ACCOUNT_PATH},
    )
    from azure.mgmt.batch import BatchManagementClient

    impatient = BatchManagementClient(clients.credential, clients.sub, retry_total=1)
    with pytest.raises(HttpResponseError) as caught:
        impatient.batch_account.get(clients.rg, "faulty")
    assert caught.value.status_code == 503
    assert _attempts(emulator) == [(503, "status"), (503, "status")]


def test_delay_fault_slows_a_response(account, clients, control, emulator):
    control("POST", "faults", json={"kind": "delay", "delay": 0.5, "method": "GET", "path": ACCOUNT_PATH})
    started = time.monotonic()
    account.batch_account.get(clients.rg, "faulty")
    assert time.monotonic() - started >= 0.5
    assert _attempts(emulator) == [(200, "delay")]


def test_faults_match_method_and_host(clients, control, emulator):
    flows.make_vault(clients, "kv-faults")
    control(
        "POST",
        "faults",
        json={"kind": "status", "status": 503, "host": r"kv-faults\.vault\.azure\.net", "method": "POST"},
    )
    flows.rsa_key(clients, "kv-faults")  # POST is retried on 503 (not on 429 without Retry-After)
    creates = [e.status for e in emulator.journal.entries() if e.path.endswith("/create")]
    assert 503 in creates and creates[-1] == 200
    assert control("GET", "faults")["value"][0]["count"] == 0


def test_lost_response_means_the_write_happened(clients, control, emulator):
    """A "lost" fault does the work and then drops the connection: the client cannot tell it happened."""
    flows.make_vault(clients, "kv-lost")
    control("POST", "faults", json={"kind": "lost", "method": "POST", "path": r"/keys/cmk/create$"})
    keys = clients.keys("kv-lost")
    assert list(keys.list_properties_of_keys()) == []  # the bearer challenge is behind us
    from azure.core.exceptions import ServiceRequestError

    with pytest.raises(ServiceRequestError):
        keys.create_rsa_key("cmk", retry_total=0)
    assert len(list(keys.list_properties_of_key_versions("cmk"))) == 1


def test_every_other_matching_request_is_faulted(account, clients, control, emulator):
    """``every: 2``: each call is faulted once and its retry passes."""
    control("POST", "faults", json={"status": 503, "method": "GET", "path": ACCOUNT_PATH, "count": 10, "every": 2})
    for _ in range(3):
        account.batch_account.get(clients.rg, "faulty")
    assert _attempts(emulator) == [(503, "status"), (200, None)] * 3


def test_a_seeded_rate_faults_the_same_requests_every_time(control):
    """``rate`` draws from a generator seeded with ``seed``: a chaos run can be replayed exactly."""
    from azure_emulator.faults import FaultPlan

    def draws():
        plan = FaultPlan()
        plan.add({"rate": 0.33, "seed": 7, "count": 1000})
        return [plan.take("GET", "h", "/p") is not None for _ in range(300)]

    first = draws()
    assert first == draws() and 70 < sum(first) < 130
    import requests

    with pytest.raises(requests.HTTPError):  # refused as a bad fault, not accepted silently
        control("POST", "faults", json={"rate": 2})
