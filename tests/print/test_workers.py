"""Print's worker processes (newsletter/print/workers.py) start clean whatever threads this
process runs: a lock another thread holds here is free in a worker (a forked worker would
inherit it held, and hang on it)."""

from __future__ import annotations

import os
import threading

from newsletter.print.workers import worker_pool

DEADLINE = 60.0  # seconds: a worker's start, imports included; never waited out when fine
HELD = threading.Lock()


def take_the_lock() -> int:
    """In a worker: the lock, as the worker's own copy of this module has it."""
    if not HELD.acquire(timeout=DEADLINE / 2):
        raise AssertionError("the worker inherited a lock held by a thread of its parent")
    HELD.release()
    return os.getpid()


def test_a_worker_starts_clean_while_a_thread_here_holds_a_lock() -> None:
    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        with HELD:
            taken.set()
            done.wait(DEADLINE)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(DEADLINE), "the thread never took the lock"
        with worker_pool(2) as pool:
            pids = {pool.submit(take_the_lock).result(timeout=DEADLINE) for _ in range(4)}
    finally:
        done.set()
        holder.join()
    assert os.getpid() not in pids
