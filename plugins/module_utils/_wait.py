# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for what Azure does late: grants that propagate, vaults whose names resolve late, accounts
that recover. Always for a condition, never a fixed sleep; always bounded, and a timeout says what was
awaited, for how long, and how long Azure documents it can take.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import random
import time

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkTimeout

# What Azure documents, quoted in timeout messages.
GRANT_DELAY = "grants take up to 10 minutes to reach Key Vault and Batch (Key Vault RBAC guide, Batch CMK FAQ)"
DNS_DELAY = "a new vault's name resolves only once its DNS registration is done"
RECOVERY_DELAY = "a Batch account becomes available up to 10 minutes after key access is restored (Batch CMK FAQ)"


def backoff(attempt, first=0.5, most=15.0):
    """Seconds before attempt ``attempt`` + 1: doubling from ``first`` to ``most``, with jitter so parallel
    runs do not poll in step."""
    return min(most, first * 2**attempt) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret


def until(probe, timeout, what, why, ctx=None, give_up=None, sleep=time.sleep, clock=time.monotonic):
    """``probe()`` until it returns something other than None, for at most ``timeout`` seconds.

    ``what`` names the condition ("vault 'kv' to resolve"), ``why`` the documented delay. The time waited is
    noted in ``ctx`` (the result's ``absorbed``) so a scheduled job's log shows it. At the timeout,
    ``give_up(timeout_error)`` gives the error to raise (say, Azure's last answer), else CmkTimeout."""
    start = clock()
    attempt = 0
    while True:
        found = probe()
        if found is not None:
            if attempt and ctx is not None:
                ctx.note(f"waited {clock() - start:.0f} s for {what}")
            return found
        waited = clock() - start
        if waited >= timeout:
            timed_out = CmkTimeout(f"Timed out after {waited:.0f} s (wait_timeout) waiting for {what}: {why}")
            raise (give_up(timed_out) if give_up else timed_out) from None
        sleep(min(backoff(attempt), max(0.0, timeout - waited)))
        attempt += 1
