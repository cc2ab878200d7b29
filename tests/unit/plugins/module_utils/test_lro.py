"""Long-running waits and exactly-once writes, with fake pollers and real azure-core exceptions."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.exceptions import ResourceNotFoundError
from azure.core.exceptions import ServiceRequestError

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkTimeout
from ansible_collections.azure_cmk.batch.plugins.module_utils._lro import wait
from ansible_collections.azure_cmk.batch.plugins.module_utils._lro import write_once


class Poller:
    def __init__(self, finishes):
        self.finishes, self.waited = finishes, None

    def wait(self, timeout):
        self.waited = timeout

    def done(self):
        return self.finishes

    def status(self):
        return "Succeeded" if self.finishes else "InProgress"

    def result(self):
        return "the result"


def test_wait_returns_the_result():
    poller = Poller(True)
    assert wait(poller, 30, "creation of x") == "the result" and poller.waited == 30


def test_wait_times_out_naming_the_resource_and_status():
    with pytest.raises(CmkTimeout) as caught:
        wait(Poller(False), 5, "creation of Batch account b1", last=lambda: {"provisioning_state": "Creating"})
    assert "creation of Batch account b1 (last status: InProgress)" in caught.value.message
    assert caught.value.last == {"provisioning_state": "Creating"}


def _throttled():
    error = HttpResponseError(message="Too many requests")
    error.status_code = 429
    return error


def test_write_once_does_not_repeat_a_write_that_happened():
    calls, sleeps = [], []

    def write():
        calls.append("write")
        raise ServiceRequestError("connection reset")

    assert write_once(write, lambda: "found it", "rotate key k", sleep=sleeps.append) == "found it"
    assert calls == ["write"] and sleeps == []


def test_write_once_retries_when_the_write_did_not_happen():
    attempts, sleeps = iter([_throttled(), None]), []

    def write():
        error = next(attempts)
        if error:
            raise error
        return "written"

    assert write_once(write, lambda: None, "create key k", sleep=sleeps.append) == "written"
    assert len(sleeps) == 1 and 0.4 <= sleeps[0] <= 0.6  # no Retry-After: a backoff with jitter


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_write_once_keeps_trying_until_its_time_is_up():
    """Throttled without Retry-After: backing off for as long as wait_timeout allows, not a fixed count."""
    clock, attempts = Clock(), []

    def write():
        attempts.append(clock.now)
        raise _throttled()

    with pytest.raises(CmkError) as caught:
        write_once(write, lambda: None, "create key k", timeout=60, sleep=clock.sleep, clock=clock)
    assert caught.value.message.startswith("Failed to create key k: still refused after")
    assert "(wait_timeout)" in caught.value.message
    assert len(attempts) >= 5 and clock.now <= 60
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    assert gaps == sorted(gaps) or max(gaps) >= 12  # growing pauses, up to the cap


def test_write_once_does_not_retry_definite_failures():
    def write():
        raise ResourceNotFoundError("no such vault")

    with pytest.raises(ResourceNotFoundError):
        write_once(write, lambda: pytest.fail("must not re-read"), "create key k")
