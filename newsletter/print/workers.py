"""Worker processes for print, started fresh: never a fork of this process.

A forked child gets a copy of every lock of its parent as it was at that moment; a lock
another thread held then (a progress bar's, another pool's, the allocator's, logging's)
stays held in the child for good, and the child hangs when it needs it (Python 3.12 warns
of it: "This process is multi-threaded, use of fork() may lead to deadlocks"). So the
workers come from a clean server process that forks them (multiprocessing's forkserver,
where the platform has it) or are each a new interpreter (spawn), whatever threads this
process runs; nothing in it is changed. A worker imports what it runs (a module-level
function, or a partial of one) before its first task.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def worker_pool(count: int) -> ProcessPoolExecutor:
    """A pool of ``count`` worker processes, none of them forked from this one."""
    fresh = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context(fresh))
