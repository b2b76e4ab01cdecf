"""Locks: one holder at a time across processes, named when busy, freed when it dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from newsletter.errors import LockBusy
from newsletter.locks import lock_path, locked, read_holder

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from newsletter.locks import locked
    with locked(Path(sys.argv[1]), purpose="hold it"):
        print("held", flush=True)
        time.sleep(60)
    """
)

INCREMENT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from newsletter.locks import locked
    path = Path(sys.argv[1])
    with locked(path, purpose="count"):
        value = int(path.read_text())
        time.sleep(0.01)  # widen the read-modify-write window
        path.write_text(str(value + 1))
    """
)


def _holder_process(guarded: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(guarded)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_a_held_lock_refuses_a_second_process_naming_the_holder(tmp_path: Path) -> None:
    guarded = tmp_path / "ledger.sqlite"
    child = _holder_process(guarded)
    try:
        with pytest.raises(LockBusy) as caught, locked(guarded, purpose="send", wait=0):
            pass
        assert caught.value.holder is not None and caught.value.holder.pid == child.pid
        message = caught.value.one_line()
        assert f"pid {child.pid}" in message and "hold it" in message
        assert message.startswith(str(guarded))
    finally:
        child.kill()
        child.wait()


def test_a_lock_left_by_a_killed_process_is_free(tmp_path: Path) -> None:
    guarded = tmp_path / "referrals.csv"
    child = _holder_process(guarded)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    with locked(guarded, purpose="add a lead", wait=0) as me:
        assert me.pid == os.getpid()
        assert read_holder(lock_path(guarded)) == me


def test_concurrent_read_modify_writes_under_the_lock_lose_nothing(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    counter.write_text("0")
    children = [
        subprocess.Popen([sys.executable, "-c", INCREMENT, str(counter)]) for _ in range(12)
    ]
    assert all(child.wait(timeout=60) == 0 for child in children)
    assert counter.read_text() == "12"


def test_the_lock_file_is_private_and_beside_what_it_guards(tmp_path: Path) -> None:
    guarded = tmp_path / "data" / "suppressions.csv"
    with locked(guarded, purpose="merge"):
        assert lock_path(guarded) == tmp_path / "data" / ".suppressions.csv.lock"
        assert lock_path(guarded).stat().st_mode & 0o777 == 0o600
    assert read_holder(lock_path(guarded)) is None  # emptied on release


def test_a_process_refused_the_instant_the_lock_is_taken_still_names_the_holder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl
    import json

    from newsletter import locks

    guarded = tmp_path / "ledger.sqlite"
    lock_file = lock_path(guarded)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # taken, its holder's name not written yet
    record = {
        "pid": 4242,
        "host": "elsewhere",
        "started": "2026-12-01T00:00:00+00:00",
        "purpose": "send 2026-11",
    }
    reads: list[object] = []

    def read_then_holder_writes(path: Path) -> object:
        holder = read_holder(path)
        reads.append(holder)
        if holder is None:  # the holder writes its name just after this first look
            os.pwrite(fd, json.dumps(record).encode(), 0)
        return holder

    monkeypatch.setattr(locks, "read_holder", read_then_holder_writes)
    try:
        with pytest.raises(LockBusy) as caught, locked(guarded, purpose="send", wait=0):
            pass
    finally:
        os.close(fd)
    assert reads[0] is None
    assert caught.value.holder is not None and caught.value.holder.pid == 4242
    assert "send 2026-11 (pid 4242 on elsewhere" in caught.value.one_line()
