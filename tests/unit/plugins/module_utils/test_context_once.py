"""RunContext.once under threads (cmk_compliance_info's workers): one fetch per key, however many callers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.azure_cmk.batch.plugins.module_utils._context import RunContext


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
