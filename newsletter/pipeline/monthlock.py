"""One lock per built month, for the commands that write or read ``build/YYYY-MM``.

A build replaces the month's folder whole; print reads the build and writes its print/
folder into it; send reads each group's message from it as the group goes out. Each holds
the month's lock while it works, so a build never replaces the folder under a print or a
send that is reading it (the paper, or the later groups' email, would carry another build's
words), and two prints never write one print/ at once. The second command refuses at
once, naming the one at work (an ``flock``, freed however its holder ends).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newsletter.locks import Holder, locked


@contextmanager
def month_lock(out_root: Path, month: str, *, doing: str) -> Iterator[Holder]:
    """Hold the lock of ``out_root/month`` (``YYYY-MM``) while ``doing`` it (``"build"``,
    ``"print"``, ``"send"``); LockBusy, naming the holder, when another command holds it."""
    with locked(out_root / month, purpose=f"{doing} {month}", wait=0) as holder:
        yield holder
