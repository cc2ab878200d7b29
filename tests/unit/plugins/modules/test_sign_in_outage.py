"""An outage at a task's start (issue 18, item 8): the sign-in gets the same bounded, jittered patience as every
other call - within wait_timeout, each retry in ``absorbed`` - instead of azure-identity's own retries, which gave
up after about 6 s whatever wait_timeout said. Fault- and journal-based: Entra ID is unreachable (or answers 503)
for 60 s from just before the task signs in; the journal shows the outage and the sign-in after it."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import RETRY
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault

# Long (a minute each): run by `make faults`.
pytestmark = pytest.mark.faults
ENTRA = r"login\.microsoftonline\.com"
OUTAGE = 60


@pytest.mark.parametrize("fault", [{"kind": "drop"}, {"kind": "status", "status": 503}])
def test_an_outage_of_a_minute_at_sign_in_is_ridden_out(run_module, emulator, control, fault):
    control("POST", "faults", json=dict(fault, host=ENTRA, count=100000))
    lifted = threading.Timer(OUTAGE, control, args=("DELETE", "faults"))
    lifted.start()
    seq = emulator.journal.last_seq
    try:
        result = run_module(
            keyvault.main,
            {"name": "kv-outage", "resource_group": "rg-cmk", "enable_purge_protection": True, "wait_timeout": 300},
        )
    finally:
        lifted.cancel()
        control("DELETE", "faults")
    assert not result.get("failed"), result.get("msg")
    assert result["changed"]
    entra = [e for e in emulator.journal.entries(seq) if e.host.startswith("login.")]
    faulted = [e for e in entra if e.fault]
    assert faulted and entra[0].fault, "the task's first call, its sign-in, met the outage"
    after = [e for e in entra if not e.fault and e.time > faulted[-1].time]
    signed_in = [e for e in after if e.path.endswith("/token") and e.status == 200]
    assert signed_in, "it signed in once Entra ID was back"
    # Kept trying through the outage: no pause longer than the back-off ceiling (RETRY's 15 s, +20 % jitter, plus
    # slack for a dropped connection), from the first refused try to the sign-in after the lift. Where the last
    # refused try falls within that ceiling is chance, so it is not asserted.
    tries = [e.time for e in faulted] + [signed_in[0].time]
    assert tries[-1] - tries[0] >= OUTAGE - 5, "it did not sign in before the outage was lifted"
    ceiling = RETRY["retry_backoff_max"] * 1.2 + 3
    assert max(b - a for a, b in zip(tries, tries[1:])) <= ceiling, tries
    retried = [
        note for note in result["absorbed"] if note.startswith("retried") and "login.microsoftonline.com" in note
    ]
    assert len(retried) == len(faulted), result["absorbed"]


def test_an_outage_longer_than_wait_timeout_fails_within_it(run_module, emulator, control):
    """Bounded: with wait_timeout 20 s, a sign-in that cannot get through fails after about that, not 6 s and not
    15 minutes, naming the authentication that failed."""
    control("POST", "faults", json={"kind": "drop", "host": ENTRA, "count": 100000})
    seq = emulator.journal.last_seq
    try:
        result = run_module(
            keyvault.main,
            {"name": "kv-outage", "resource_group": "rg-cmk", "enable_purge_protection": True, "wait_timeout": 20},
        )
    finally:
        control("DELETE", "faults")
    assert result.get("failed") and "authenticate" in result["msg"], result
    entra = [e for e in emulator.journal.entries(seq) if e.host.startswith("login.")]
    assert len(entra) >= 5 and all(e.fault for e in entra)
    assert 10 <= entra[-1].time - entra[0].time <= 20 + 1
    assert emulator.journal.writes(seq) == []
