"""RunContext.once under threads (cmk_compliance_info's workers): one fetch per key, however many callers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.azure_cmk.batch.plugins.module_utils._context import RunContext
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError


def test_callers_of_one_key_share_one_fetch():
    ctx = RunContext(clients=None, cloud=None, check_mode=False, warn=print)  # once() needs no clients
    fetched = []
    started = threading.Barrier(8)

    def fetch():
        fetched.append(threading.get_ident())
        time.sleep(0.05)  # long enough for the other callers to arrive while the read is under way
        return {"version": "v1"}

    def caller(_index):
        started.wait()
        return ctx.once(("key", "kv", "cmk"), fetch)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(caller, range(8)))
    assert len(fetched) == 1
    assert all(answer is answers[0] for answer in answers)


def test_different_keys_are_fetched_side_by_side():
    """A slow read of one key does not hold up the read of another."""
    ctx = RunContext(clients=None, cloud=None, check_mode=False, warn=print)
    inside = threading.Event()
    release = threading.Event()

    def slow():
        inside.set()
        release.wait(5)
        return "slow"

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(ctx.once, ("key", "a"), slow)
        assert inside.wait(5)
        assert ctx.once(("key", "b"), lambda: "fast") == "fast"  # would deadlock behind one lock for all keys
        release.set()
        assert pending.result(5) == "slow"


def test_forget_drops_reads_made_so_far():
    ctx = RunContext(clients=None, cloud=None, check_mode=False, warn=print)
    ctx.once(("vault",), lambda: 1)
    ctx.forget()
    assert ctx.once(("vault",), lambda: 2) == 2


def test_a_read_ahead_is_used_once_and_never_lands_after_a_write():
    """read_ahead starts the read ``once`` makes: its user gets that answer without a second fetch; a failed read
    ahead leaves nothing (the user reads again, and meets the failure itself); forget() - after a write - waits
    for a read still under way, so its pre-write answer is dropped, not cached after the write."""
    ctx = RunContext(clients=object(), cloud=None, check_mode=False, warn=print)
    fetched, release = [], threading.Event()

    def slow():
        release.wait(5)
        fetched.append("key")
        return {"version": "v1"}

    ctx.read_ahead(("key",), lambda: ctx.once(("key",), slow))
    ctx.read_ahead(("key",), lambda: ctx.once(("key",), slow))  # under way: not started twice
    release.set()
    assert ctx.once(("key",), slow) == {"version": "v1"} and fetched == ["key"]

    def broken():
        raise CmkError("lost connection", status=503)  # what Azure answered: suppressed, met again by its user

    ctx.read_ahead(("other",), lambda: ctx.once(("other",), broken))
    assert ctx.once(("other",), lambda: "read again") == "read again"

    release.clear()
    ctx.read_ahead(("late",), lambda: ctx.once(("late",), slow))
    threading.Timer(0.05, release.set).start()
    ctx.forget()  # returns only once the read ahead is done; then drops what it read
    assert ctx.cached(("late",)) is None
