"""Python's cyclic garbage collector, held back while a send handles its readers.

A send makes and drops a few small containers per reader (a row's tuple, a recipient's
values, a request's personalization), a million of them for a long list, and none of them
form cycles: reference counting frees each as soon as it is done with. Yet every 700 new
containers the collector looks at the youngest, and every so often at all of them (the
modules, the configuration, the batches in flight): about a second of CPU in a send to
100,000 readers, across the send's processes, for nothing found. So during a send it runs
once every :data:`NEW_CONTAINERS`, and never over what existed before the send started.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

NEW_CONTAINERS = 100_000
"""New containers between two collections of the youngest generation during a send (Python's
default is 700): cycles made meanwhile (an exception and its traceback) still go, later."""


@contextmanager
def rare_collections() -> Iterator[None]:
    """Collect rarely within this block (see the module docstring); as before after it."""
    old = gc.get_threshold()
    gc.freeze()  # what exists now is kept out of every collection until the end
    gc.set_threshold(NEW_CONTAINERS, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def collect_rarely() -> None:
    """:func:`rare_collections` for the rest of a process that exists only to send."""
    gc.freeze()
    gc.set_threshold(NEW_CONTAINERS, *gc.get_threshold()[1:])
