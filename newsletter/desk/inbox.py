"""The desk's inbox: one SQLite file, an append-only table of events and an outbox.

Every event is committed before the request that brought it is answered. SQLite in WAL
mode with ``synchronous=FULL`` makes a commit durable (the log is fsynced) before it
returns, so a 2xx means the event survives a kill -9 or a power cut.

An fsync takes milliseconds; one per request would cap the desk at a few hundred
requests a second. So writes go through one writer thread that *group-commits*: it takes
every write waiting at that moment, runs each in a savepoint of its own (one failing
write does not undo the others), commits them with one fsync, and only then tells each
waiting request that its write is done. Under load, a commit carries as many requests
as arrived during the previous one.

    events  id (the pull's cursor), kind, at (UTC), key (a provider's own id, for
            deduplication; NULL for most), data (JSON)
    outbox  work the desk must do by a time (notify, remind, thank, confirm): due_at,
            state (due | done | dropped), attempts, last_error
    meta    ``inbox``: this inbox's random id; a pull's cursor belongs to one inbox

The file and its folder are created readable by their owner only (the inbox holds
addresses and phone numbers); SQLite gives its -wal and -shm files the same mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from newsletter.errors import InboxError

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]
MAX_GROUP = 512
"""Writes committed together at most: bounds the time a commit holds the writer."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    kind  TEXT NOT NULL,
    at    TEXT NOT NULL,
    key   TEXT UNIQUE,
    data  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event       INTEGER NOT NULL REFERENCES events (id),
    kind        TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'due' CHECK (state IN ('due', 'done', 'dropped')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    done_at     TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, due_at);
CREATE TABLE IF NOT EXISTS meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('inbox', lower(hex(randomblob(16))));
CREATE INDEX IF NOT EXISTS events_kind ON events (kind, id);
"""


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    at: datetime
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "at": stamp(self.at), "data": self.data}


MAX_ID = 2**63 - 1
"""The largest id SQLite holds: a signed link's id above it names no event."""


def as_id(value: object) -> int | None:
    """``value`` when it can be an event's id (a positive integer SQLite holds), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    return None


def stamp(moment: datetime) -> str:
    """How the inbox writes a time: UTC, ISO 8601, to the microsecond."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def now() -> datetime:
    return datetime.now(UTC)


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection to the inbox at ``path`` (created, private, if missing and writable)."""
    try:
        if readonly:
            db = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
        else:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
        db.execute("PRAGMA busy_timeout=10000")
        return db
    except sqlite3.Error as exc:
        raise InboxError(f"cannot open the desk's inbox: {exc}", path=path) from None


def append(
    db: sqlite3.Connection,
    kind: str,
    data: dict[str, Any],
    *,
    at: datetime | None = None,
    key: str | None = None,
) -> int | None:
    """Add an event (inside the caller's transaction); its id, or None when ``key`` is
    already there (the same provider event delivered twice)."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO events (kind, at, key, data) VALUES (?, ?, ?, ?)",
        (kind, stamp(at or now()), key, json.dumps(data, separators=(",", ":"))),
    )
    return cursor.lastrowid if cursor.rowcount else None


def schedule(db: sqlite3.Connection, event: int, kind: str, due: datetime) -> None:
    """Put work on the outbox, due at ``due`` (inside the caller's transaction)."""
    db.execute(
        "INSERT INTO outbox (event, kind, due_at) VALUES (?, ?, ?)", (event, kind, stamp(due))
    )


def inbox_id(db: sqlite3.Connection) -> str:
    """The inbox's own random id: ids of events count from 1 in every inbox, so a cursor
    remembered for one must never be used on another."""
    row = db.execute("SELECT value FROM meta WHERE key = 'inbox'").fetchone()
    return str(row[0]) if row else ""


def events_after(db: sqlite3.Connection, after: int, limit: int = 1000) -> list[Event]:
    """Events with an id above ``after``, oldest first, at most ``limit``."""
    rows = db.execute(
        "SELECT id, kind, at, data FROM events WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
    )
    return [_event(row) for row in rows]


def event(db: sqlite3.Connection, event_id: int, kind: str) -> Event | None:
    row = db.execute(
        "SELECT id, kind, at, data FROM events WHERE id = ? AND kind = ?", (event_id, kind)
    ).fetchone()
    return _event(row) if row else None


def related(db: sqlite3.Connection, kind: str, field: str, value: int) -> list[Event]:
    """Events of ``kind`` whose ``data[field]`` is ``value`` (a lead's statuses), oldest
    first."""
    rows = db.execute(
        "SELECT id, kind, at, data FROM events WHERE kind = ? AND json_extract(data, ?) = ? "
        "ORDER BY id",
        (kind, f"$.{field}", value),
    )
    return [_event(row) for row in rows]


def _event(row: tuple[int, str, str, str]) -> Event:
    return Event(row[0], row[1], datetime.fromisoformat(row[2]), json.loads(row[3]))


class Inbox:
    """The inbox at ``path`` with its group-committing writer thread.

    ``write`` (from the event loop) and ``write_now`` (from any other thread) run a
    function on the writer's connection inside a transaction, and return its result once
    that transaction is committed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = connect(path)
        self._queue: queue.SimpleQueue[tuple[Work, Future[Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
        self._thread.start()
        self.commits = 0  # how many commits carried the writes so far (for the benchmark)

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` in the next group commit; its result once it is durable."""
        future: Future[T] = Future()
        self._queue.put((work, future))
        return await asyncio.wrap_future(future)

    def write_now(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``write`` for threads other than the event loop's: waits for the commit."""
        future: Future[T] = Future()
        self._queue.put((work, future))
        return future.result()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)
        self._db.close()

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` on a reading connection in a worker thread."""
        return await asyncio.to_thread(self.read_now, work)

    def read_now(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self.reading() as db:
            return work(db)

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own for reads (WAL lets them run beside the writer)."""
        db = connect(self.path, readonly=True)
        try:
            yield db
        finally:
            db.close()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # finish this group, then stop
                    break
                group.append(item)
            self._commit(group)

    def _commit(self, group: list[tuple[Work, Future[Any]]]) -> None:
        db = self._db
        outcomes: list[tuple[Future[Any], Any, BaseException | None]] = []
        try:
            db.execute("BEGIN IMMEDIATE")
            for work, future in group:
                db.execute("SAVEPOINT one")
                try:
                    result = work(db)
                except Exception as exc:  # this write alone is undone and told why
                    db.execute("ROLLBACK TO one")
                    outcomes.append((future, None, exc))
                else:
                    outcomes.append((future, result, None))
                db.execute("RELEASE one")
            db.execute("COMMIT")
            self.commits += 1
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            failure = InboxError(f"the inbox could not be written: {exc}", path=self.path)
            outcomes = [(future, None, failure) for _, future in group]
        for future, result, error in outcomes:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)
