"""Locks that keep two processes from changing the same file (or ledger) at once.

A lock is an advisory ``flock`` on a sidecar file next to what it guards
(``referrals.csv`` → ``.referrals.csv.lock``), never on the guarded file itself: data files
are replaced by rename, and a lock on the old inode would guard nothing.

The kernel drops an ``flock`` when its process dies, however it dies (SIGKILL included), so
a lock left by a killed process is simply free for the next one; there is no stale-lock
guessing by pid. The holder writes who it is (pid, host, start time, what it does) into
the lock file so that a refused process can name the one that holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from newsletter.errors import LockBusy, StorageError


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as its holder wrote it into the lock file."""

    pid: int
    host: str
    started: str  # ISO 8601, UTC
    purpose: str

    def describe(self) -> str:
        return f"{self.purpose} (pid {self.pid} on {self.host}, since {self.started})"


def lock_path(guarded: Path) -> Path:
    """The sidecar lock file of ``guarded``."""
    return guarded.with_name(f".{guarded.name}.lock")


def read_holder(lock_file: Path) -> Holder | None:
    """The holder recorded in ``lock_file``, or None if it is empty or unreadable."""
    try:
        data = json.loads(lock_file.read_text(encoding="utf-8"))
        return Holder(
            pid=int(data["pid"]),
            host=str(data["host"]),
            started=str(data["started"]),
            purpose=str(data["purpose"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextlib.contextmanager
def locked(
    guarded: Path, *, purpose: str, wait: float | None = 60.0, poll: float = 0.05
) -> Iterator[Holder]:
    """Hold the lock of ``guarded`` for the duration of the ``with`` block.

    ``wait`` is how many seconds to wait for another holder to finish: ``None`` waits as
    long as it takes, ``0`` refuses at once. When the lock cannot be had, ``LockBusy``
    names the process holding it.
    """
    fd = _open_lock(guarded)
    try:
        _acquire(fd, guarded, purpose=purpose, wait=wait, poll=poll)
        me = Holder(
            pid=os.getpid(),
            host=socket.gethostname(),
            started=datetime.now(UTC).isoformat(timespec="seconds"),
            purpose=purpose,
        )
        # Only the holder writes, so a reader that sees a half-written file is refused with
        # "holder unknown" at worst; it never takes a lock it should not. Writing the record
        # before trimming the old length leaves no moment at which the file is empty. A lock
        # file that cannot take the record (opened read-only, a full disk) guards all the same.
        record = json.dumps(me.__dict__).encode("utf-8")
        with contextlib.suppress(OSError):
            os.pwrite(fd, record, 0)
            os.ftruncate(fd, len(record))
        try:
            yield me
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _open_lock(guarded: Path) -> int:
    """A descriptor of the lock file of ``guarded``, made if need be. An existing lock file
    in a folder the user may not write (a read-only checkout) is opened for reading, which
    an ``flock`` needs no more than; a lock file that cannot be made is a StorageError."""
    path = lock_path(guarded)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        with contextlib.suppress(OSError):
            return os.open(path, os.O_RDONLY)
        raise StorageError(
            f"cannot make its lock {path.name} in its folder: {exc.strerror or exc}", path=guarded
        ) from None


def _acquire(fd: int, guarded: Path, *, purpose: str, wait: float | None, poll: float) -> None:
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if deadline is not None and time.monotonic() >= deadline:
                holder = _holder_once_written(lock_path(guarded), poll=poll)
                who = holder.describe() if holder else "another process (holder unknown)"
                raise LockBusy(
                    f"cannot {purpose}: {who} is using it; try again when it has finished",
                    path=guarded,
                    holder=holder,
                ) from None
            time.sleep(poll)


HOLDER_WRITE_GRACE = 1.0  # seconds a new holder has to write its name after taking the lock


def _holder_once_written(lock_file: Path, *, poll: float) -> Holder | None:
    """The holder of ``lock_file``, waiting briefly for one that has just taken it.

    A holder writes its name right after its ``flock`` succeeds, so a process refused in
    that instant would otherwise name nobody.
    """
    give_up = time.monotonic() + HOLDER_WRITE_GRACE
    while True:
        holder = read_holder(lock_file)
        if holder is not None or time.monotonic() >= give_up:
            return holder
        time.sleep(poll)
