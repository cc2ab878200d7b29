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
GRANT_SECONDS = 600  # the longest delay Azure documents for a grant to take effect
GRANT_DELAY = "grants take up to 10 minutes to reach Key Vault and Batch (Key Vault RBAC guide, Batch CMK FAQ)"
REPLICATION_DELAY = (
    "a new managed identity is known to role assignments only once Entra ID has replicated it (PrincipalNotFound "
    "names the delay; Azure RBAC troubleshooting guide)"
)
DNS_DELAY = "a new vault's name resolves only once its DNS registration is done"
RECOVERY_DELAY = "a Batch account becomes available up to 10 minutes after key access is restored (Batch CMK FAQ)"


# The clock and the sleep of every wait (module attributes, so that a test can run a long wait on a fake clock).
monotonic = time.monotonic
pause = time.sleep


def backoff(attempt, first=0.5, most=15.0, factor=2.0):
    """Seconds before attempt ``attempt`` + 1: growing by ``factor`` from ``first`` to ``most``, with jitter so
    parallel runs do not poll in step."""
    return min(most, first * factor**attempt) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret


def sparse(attempt):
    """The pauses between writes Azure refused while something it checks may still be on its way (a grant):
    2, 8, 32, 128, 512 s - six writes span about eleven minutes, past Azure's documented ten."""
    return backoff(attempt, first=2.0, most=512.0, factor=4.0)


def until(probe, timeout, what, why, ctx=None, give_up=None, sleep=None, clock=None, pauses=backoff, tries=None):
    """``probe()`` until it returns something other than None, for at most ``timeout`` seconds (and at most
    ``tries`` probes), pausing ``pauses(attempt)`` seconds between them.

    ``what`` names the condition ("vault 'kv' to resolve"), ``why`` the documented delay. The time waited is
    noted in ``ctx`` (the result's ``absorbed``) so a scheduled job's log shows it. At the timeout,
    ``give_up(timeout_error)`` gives the error to raise (say, Azure's last answer), else CmkTimeout."""
    sleep, clock = sleep or pause, clock or monotonic
    start = clock()
    attempt = 0
    while True:
        found = probe()
        if found is not None:
            if attempt and ctx is not None:
                ctx.note(f"waited {clock() - start:.0f} s for {what}")
            return found
        waited = clock() - start
        if waited >= timeout or (tries is not None and attempt + 1 >= tries):
            after = f"{waited:.0f} s (wait_timeout)" if waited >= timeout else f"{attempt + 1} tries in {waited:.0f} s"
            timed_out = CmkTimeout(f"Timed out after {after} waiting for {what}: {why}")
            raise (give_up(timed_out) if give_up else timed_out) from None
        sleep(min(pauses(attempt), max(0.0, timeout - waited)))
        attempt += 1
