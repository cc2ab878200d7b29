# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for long-running operations, and writes that must happen exactly once.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import time

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkTimeout
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import azure_errors
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import translate
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import uncertain
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import backoff

# Per-call kwargs that switch azure-core's retries off for one request, or only its connection retries.
NO_RETRY = dict(retry_total=0)
NO_CONNECT_RETRY = dict(retry_connect=0)
# How often to poll a long-running operation whose answer gives no Retry-After (Batch's 202s): the
# SDKs' default is 30 s.
POLL_SECONDS = 3


def wait(poller, timeout, what, last=None):
    """The poller's result; CmkTimeout naming ``what`` and the last status if it takes longer than ``timeout`` s."""
    poller.wait(timeout)  # Key Vault's pollers take no timeout in result(); wait() is common to all
    if not poller.done():
        raise CmkTimeout(
            f"Timed out after {timeout} s waiting for {what} (last status: {poller.status()})",
            last=last() if last else None,
        )
    return poller.result()


def _uncertain(exc):
    """Whether a failed write may still have happened - the one classifier, _errors.uncertain."""
    return uncertain(translate(exc, "write", "a resource"))


def _retry_after(exc, attempt):
    """Azure's Retry-After when it sends one, else a backoff with jitter."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        return min(float(headers.get("Retry-After", "")), 60.0)
    except ValueError:
        return backoff(attempt)


def write_once(write, written, what, timeout=120, sleep=time.sleep, clock=time.monotonic):
    """Perform a non-idempotent write (a new key version, say) exactly once, trying for up to ``timeout`` s.

    ``write()`` runs with retries off; when it fails in a way that leaves us unsure (_errors.uncertain: a lost
    response, a timeout, a conflict, throttling, 5xx), ``written()`` re-reads and returns the result if the write
    did happen, else None - and only then is the write tried again, after Azure's Retry-After or a backoff (a
    conflict that wrote nothing is no fault of ours: it is raised).
    """
    start = clock()
    attempt = 0
    while True:
        try:
            return write()
        except azure_errors() as exc:
            if not _uncertain(exc):
                raise
            found = written()
            if found is not None:
                return found
            if getattr(exc, "status_code", None) == 409:
                raise  # nothing was written: a conflict with something else (a deleted key's name), not ours
            pause = _retry_after(exc, attempt)
            if clock() - start + pause > timeout:
                raise CmkError(
                    f"Failed to {what}: still refused after {clock() - start:.0f} s and {attempt + 1} attempts "
                    f"(wait_timeout): {exc}"
                ) from exc
            sleep(pause)
            attempt += 1
