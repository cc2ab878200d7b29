"""The SDK-level retries back off as docs/reliability.md says (issue 18, item 8): from 0.5 s, doubling up to 15 s,
with jitter so parallel jobs throttled by one endpoint do not retry in step. The policy's computed back-off is
checked; nothing sleeps."""

from __future__ import annotations

import statistics

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import RETRY
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import recording_retry_policy


def _backoffs(errors, samples=400):
    policy = recording_retry_policy([], timeout=300, **RETRY)
    settings = policy.configure_retries({})
    settings["history"] = [object()] * errors  # azure-core counts the consecutive errors so far
    return [policy.get_backoff_time(settings) for _draw in range(samples)]


@pytest.mark.parametrize(
    ("errors", "nominal"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 15.0), (9, 15.0)]
)
def test_back_off_doubles_from_half_a_second_to_fifteen(errors, nominal):
    waits = _backoffs(errors)
    assert min(waits) >= nominal * 0.8 and max(waits) <= nominal * 1.2
    assert abs(statistics.median(waits) - nominal) < nominal * 0.1


@pytest.mark.parametrize("errors", [1, 3, 6, 9])
def test_back_off_has_jitter(errors):
    """Jobs that met the same fault at the same moment wait different times: spread over +-20 %."""
    waits = _backoffs(errors)
    assert len(set(waits)) > len(waits) * 0.9
    assert max(waits) - min(waits) > 0.3 * statistics.median(waits)


def test_the_first_retry_is_not_immediate():
    """azure-core's own policy retries at once after the first error; parallel jobs would all hit again together."""
    assert min(_backoffs(1)) >= 0.4


def test_no_error_no_wait():
    assert _backoffs(0, samples=3) == [0, 0, 0]


def test_retry_after_still_wins():
    """A Retry-After header replaces the back-off (azure-core's sleep reads it before asking for a back-off)."""
    from azure.core.pipeline import PipelineRequest
    from azure.core.pipeline import PipelineResponse
    from azure.core.pipeline.transport import HttpRequest

    class Answer:
        status_code, headers = 429, {"Retry-After": "7"}

    class Transport:
        slept = []

        def sleep(self, seconds):
            self.slept.append(seconds)

    policy = recording_retry_policy([], timeout=300, **RETRY)
    settings = policy.configure_retries({})
    request = HttpRequest("GET", "https://management.azure.com/x")
    response = PipelineResponse(request, Answer(), PipelineRequest(request, None).context)
    settings["history"] = [object()]
    transport = Transport()
    policy.sleep(settings, transport, response=response)
    assert transport.slept == [7]
