"""A reader/writer lock: many readers at once, or one writer alone.

The writer side is reentrant and is what ``with lock:`` takes, so code written for one exclusive lock
keeps working. A thread that holds the write side may also read; a thread that holds only the read side
must not ask for the write side (that would wait for itself), and gets an error instead. Waiting writers
go first, so a stream of reads cannot starve a write.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator


class RWLock:
    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer: int | None = None  # thread id of the writer
        self._depth = 0  # the writer's nesting
        self._writers_waiting = 0
        self._local = threading.local()  # this thread's read nesting

    # Exclusive --------------------------------------------------------------------------------
    def acquire(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._depth += 1
                return
            if getattr(self._local, "reads", 0):
                raise RuntimeError("a reader cannot take the write lock (it would wait for itself)")
            self._writers_waiting += 1
            try:
                while self._writer is not None or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer, self._depth = me, 1

    def release(self) -> None:
        with self._cond:
            assert self._writer == threading.get_ident(), "release by a thread that does not hold the write lock"
            self._depth -= 1
            if self._depth == 0:
                self._writer = None
                self._cond.notify_all()

    def __enter__(self) -> RWLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # Shared -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        reads = getattr(self._local, "reads", 0)
        # Nested reads, and reads by the writer itself, neither wait nor count.
        counted = not reads and self._writer != threading.get_ident()
        if counted:
            with self._cond:
                while self._writer is not None or self._writers_waiting:
                    self._cond.wait()
                self._readers += 1
        self._local.reads = reads + 1
        try:
            yield
        finally:
            self._local.reads = reads
            if counted:
                with self._cond:
                    self._readers -= 1
                    if not self._readers:
                        self._cond.notify_all()

    def held_by_me(self) -> bool:
        """Whether this thread holds the write side."""
        return self._writer == threading.get_ident()

    @property
    def readers(self) -> int:
        """Threads reading now (for tests and diagnostics)."""
        with self._cond:
            return self._readers
