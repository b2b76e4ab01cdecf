"""The send ledger: who has been sent which email, surviving crashes and SIGKILL.

One SQLite row per (send key, normalized recipient email): the key is a month (``2026-11``)
for an issue, ``nurture-2026Q4`` for a quarter's nurture email. Each row moves through::

    pending ──mark_in_flight──► in_flight ──settle──► sent
       ▲  ▲                       │   │  ├───settle──► failed ──mark_in_flight──► …
       │  │                       │   │  └───settle──► uncertain (the answer was lost)
       │  └── release_rejected ───┼───┴──────settle──► rejected (for good, own reason)
       │                          └──recover (its run is gone)──► uncertain
       └─────────────release_uncertain (--resend-uncertain)──────────────┘

A batch's rows are written in flight and *committed* before it goes out; once the transport
is done with it, :meth:`LedgerRun.settle` records each recipient's own outcome from the
batch's receipt in one transaction. A rerun skips all but the retryable (pending, failed).
If the process dies in between, nobody can tell whether the provider got the batch, so
its recipients become ``uncertain`` and are resent only when the user asks for it. WAL
with ``synchronous=FULL`` makes every commit durable before the call returns, so a kill
at any point keeps every committed state.

Queries (:class:`Ledger`) need no lock: a dry run reads while a send runs. Every change
goes through a :class:`LedgerRun` (:meth:`Ledger.run`), which holds the ledger's lock (an
``flock`` the kernel drops when its holder dies, SIGKILL included), writes on a connection
of its own, and stamps its run id on every row it puts in flight. A second send is refused
at once, naming the running one. Since the lock is held, a row in flight under another
run id was left by a run that is provably gone: only those rows are recovered as uncertain.

The file is created 0600 (it lists who was emailed); SQLite gives its WAL and shared
memory files the same mode.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from newsletter.deliver.transport import Receipt
from newsletter.errors import LedgerError
from newsletter.locks import locked
from newsletter.model import normalize_email

STATUSES = ("pending", "in_flight", "sent", "uncertain", "failed", "rejected")
SCHEMA_VERSION = 7  # PRAGMA user_version: 0 had no run ids, 2 no segments, 3 was WITHOUT
# ROWID, 4 checked the status with IN (...), 6 kept batches in flight in a second table

# The status CHECK is spelled with OR, not IN (...): SQLite evaluates an IN list in a CHECK
# by building a small table for every row written.
_TABLE = """
CREATE TABLE sends (
    issue       TEXT NOT NULL,
    email       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status = 'pending' OR status = 'in_flight'
                    OR status = 'sent' OR status = 'uncertain' OR status = 'failed'
                    OR status = 'rejected'),
    batch       TEXT,
    run         TEXT,
    message_id  TEXT,
    error       TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    sent_at     TEXT,
    segment     TEXT,
    UNIQUE (issue, email)
)
"""
# Rows are stored in the order they are put in flight (rowid) and found by (issue, email)
# through the unique index, so a batch's rows, written and settled together, share pages.
# Batch updates name the batch index (INDEXED BY): without statistics SQLite's planner
# would rather scan the whole issue, which makes a send quadratic in its size. No index by
# status: every row changes status at least twice.
_COLUMNS = "issue email status batch run message_id error attempts created_at updated_at "
_COLUMNS += "sent_at segment"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    """The send ledger in the SQLite file at ``path`` (created with its folder if missing).

    ``clock`` returns an aware datetime; tests inject a fixed one.
    """

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.path = path
        self.clock = clock
        self._db = _connect(path)
        try:
            with _transaction(self._db, path, opening=True):
                _migrate(self._db)
        except LedgerError:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def run(self, purpose: str) -> Iterator[LedgerRun]:
        """Hold the ledger for one send (``purpose`` names it to anyone refused).

        Raises :class:`newsletter.locks.LockBusy` at once, naming the holder (pid, host,
        start time), when another send holds it; nothing is changed then.
        """
        with locked(self.path, purpose=purpose, wait=0):
            run = LedgerRun(self.path, secrets.token_hex(6), self.clock)
            try:
                yield run
            finally:
                run.close()

    # -- queries -----------------------------------------------------------------------

    def sent(self, issue: str) -> set[str]:
        """Normalized emails already sent ``issue``: a rerun skips them."""
        return self.with_status(issue, "sent")

    def uncertain(self, issue: str) -> set[str]:
        """Normalized emails whose batch was in flight when a run died."""
        return self.with_status(issue, "uncertain")

    def in_flight(self, issue: str) -> set[str]:
        """Normalized emails marked in flight: a run is sending them, or died doing so."""
        return self.with_status(issue, "in_flight")

    def with_status(self, issue: str, status: str) -> set[str]:
        """Normalized emails of ``issue`` whose row has ``status``."""
        rows = self._db.execute(
            "SELECT email FROM sends WHERE issue = ? AND status = ?", (issue, status)
        )
        return {row[0] for row in rows}

    def statuses(
        self, issue: str, emails: Sequence[str], statuses: Iterable[str]
    ) -> dict[str, str]:
        """normalized email -> status, for those of ``emails`` whose row for ``issue`` has
        one of ``statuses``: asked a chunk at a time, so a send never loads the whole
        ledger; one statement over a JSON array, one row back."""
        wanted = tuple(statuses)
        marks = ", ".join("?" for _ in wanted)
        (found,) = self._db.execute(
            "SELECT json_group_object(email, status) FROM sends WHERE issue = ? AND email IN "
            f"(SELECT value FROM json_each(?)) AND status IN ({marks})",
            (issue, json.dumps(list(emails)), *wanted),
        ).fetchone()
        result: dict[str, str] = json.loads(found)
        return result

    def problems(self, issue: str, *, limit: int) -> list[tuple[str, str, str]]:
        """Up to ``limit`` (email, status, reason) rows of ``issue`` that were rejected or
        failed, by address."""
        rows = self._db.execute(
            "SELECT email, status, COALESCE(error, '') FROM sends "
            "WHERE issue = ? AND status IN ('rejected', 'failed') ORDER BY email LIMIT ?",
            (issue, limit),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    def counts(self, issue: str) -> dict[str, int]:
        """Rows per status for ``issue``, every status present (zero when none)."""
        counts = dict.fromkeys(STATUSES, 0)
        for status, count in self._db.execute(
            "SELECT status, COUNT(*) FROM sends WHERE issue = ? GROUP BY status", (issue,)
        ):
            counts[status] = count
        return counts


class LedgerRun:
    """The changes one send makes, under the ledger's lock (see :meth:`Ledger.run`)."""

    def __init__(self, path: Path, run_id: str, clock: Callable[[], datetime]) -> None:
        self.id = run_id
        self._clock = clock
        self._path = path
        self._db = _connect(path)

    def close(self) -> None:
        self._db.close()

    def together(self) -> contextlib.AbstractContextManager[None]:
        """Changes made in this block commit as one: one write to disk, not one each (the
        send settles finished batches and puts the next one in flight together). A change
        that fails inside it is undone alone."""
        return _transaction(self._db, self._path)

    def recover(self, issue: str) -> list[str]:
        """Turn rows that dead runs left in flight into ``uncertain``; returns their emails.

        Every run but this one is gone (this one holds the lock), so every row in flight
        under another run id is a dead run's. Call before this run sends anything.
        """
        where = "WHERE issue = ? AND status = 'in_flight' AND run IS NOT ?"
        with _transaction(self._db, self._path):
            emails = [
                row[0]
                for row in self._db.execute(f"SELECT email FROM sends {where}", (issue, self.id))
            ]
            self._db.execute(
                f"UPDATE sends SET status = 'uncertain', updated_at = ? {where}",
                (self._now(), issue, self.id),
            )
        return sorted(emails)

    def release_uncertain(self, issue: str) -> int:
        """Make the uncertain recipients sendable again (``--resend-uncertain``)."""
        return self._release(issue, "uncertain")

    def release_rejected(self, issue: str) -> int:
        """Make the rejected recipients sendable again (``--retry-rejected``)."""
        return self._release(issue, "rejected")

    def mark_in_flight(
        self,
        issue: str,
        emails: Iterable[str],
        batch: str,
        segments: Iterable[str | None] | None = None,
    ) -> None:
        """Record that ``batch`` of this run is about to go to ``emails`` (of ``segments``,
        one each, when given: the report counts recipients by segment); committed when
        this returns (or with the :meth:`together` block around it).

        Raises LedgerError, changing nothing, if an address is already sent, uncertain,
        rejected or in flight, or if ``batch`` is already in flight: the caller must skip
        those.
        """
        labels = itertools.repeat(None) if segments is None else segments
        of = dict(zip(map(normalize_email, emails), labels, strict=False))
        now = self._now()
        with _transaction(self._db, self._path):
            busy = self._db.execute(
                "SELECT 1 FROM sends INDEXED BY sends_batch "
                "WHERE issue = ? AND batch = ? AND status = 'in_flight'",
                (issue, batch),
            ).fetchone()
            if busy:
                raise LedgerError(f"batch {batch!r} of {issue} is already in flight")
            # One statement over a JSON array, not one per address: the thread keeping the
            # ledger gives the interpreter to the sending threads at each statement.
            cursor = self._db.execute(
                """
                INSERT INTO sends (issue, email, status, batch, run, attempts, created_at,
                                   updated_at, segment)
                SELECT ?, value ->> 0, 'in_flight', ?, ?, 1, ?, ?, value ->> 1
                FROM json_each(?) WHERE true
                ON CONFLICT (issue, email) DO UPDATE SET
                    status = 'in_flight', batch = excluded.batch, run = excluded.run,
                    error = NULL, message_id = NULL, attempts = attempts + 1,
                    updated_at = excluded.updated_at,
                    segment = coalesce(excluded.segment, segment)
                WHERE status IN ('pending', 'failed')
                """,
                (issue, batch, self.id, now, now, json.dumps(list(of.items()))),
            )
            if cursor.rowcount != len(of):
                blocked = [
                    row[0]
                    for row in self._db.execute(
                        "SELECT email FROM sends WHERE issue = ? AND email IN "
                        "(SELECT value FROM json_each(?)) AND batch IS NOT ?",
                        (issue, json.dumps(list(of)), batch),
                    )
                ]
                raise LedgerError(
                    f"{len(blocked)} recipient(s) of {issue} already sent, uncertain, "
                    f"rejected or in flight: {', '.join(sorted(blocked)[:5])}"
                )

    def settle(
        self, issue: str, batch: str, receipt: Receipt, *, rest: str | None, size: int | None = None
    ) -> None:
        """Record each outcome in ``receipt`` for ``batch`` (of ``size`` recipients, if
        the caller knows), in one transaction.

        Recipients of the batch without an outcome become ``failed`` with the reason
        ``rest`` (the transport stopped before them: certainly not delivered), or stay in
        flight when ``rest`` is None (nobody can say: the next run will call them
        uncertain).
        """
        now = self._now()
        batch_rows = "WHERE issue = ? AND batch = ? AND status = 'in_flight'"
        by_batch = (
            "UPDATE sends INDEXED BY sends_batch SET status = ?, message_id = ?, error = ?, "
            f"sent_at = ?, updated_at = ? {batch_rows}"
        )
        ids = set(receipt.sent.values())
        with _transaction(self._db, self._path):
            if len(ids) == 1 and receipt.count() == len(receipt.sent):
                count = f"SELECT COUNT(*) FROM sends INDEXED BY sends_batch {batch_rows}"
                size = size or self._db.execute(count, (issue, batch)).fetchone()[0]
                if size == len(receipt.sent):  # the common case: one statement
                    self._db.execute(by_batch, ("sent", ids.pop(), None, now, now, issue, batch))
                    return
            rows: list[tuple[str, str | None, str | None, str | None, str, str, str, str]]
            rows = [
                ("sent", message_id, None, now, now, issue, normalize_email(email), batch)
                for email, message_id in receipt.sent.items()
            ]
            for status, outcome in (
                ("rejected", receipt.rejected),
                ("failed", receipt.deferred),
                ("uncertain", receipt.uncertain),
            ):
                rows += [
                    (status, None, reason, None, now, issue, normalize_email(email), batch)
                    for email, reason in outcome.items()
                ]
            self._db.executemany(
                "UPDATE sends SET status = ?, message_id = ?, error = ?, sent_at = ?, "
                "updated_at = ? WHERE issue = ? AND email = ? AND batch = ? "
                "AND status = 'in_flight'",
                rows,
            )
            if rest is not None:
                self._db.execute(by_batch, ("failed", None, rest, None, now, issue, batch))

    def _release(self, issue: str, status: str) -> int:
        """Make ``issue``'s recipients in ``status`` pending again; returns how many."""
        with _transaction(self._db, self._path):
            cursor = self._db.execute(
                "UPDATE sends SET status = 'pending', updated_at = ? "
                "WHERE issue = ? AND status = ?",
                (self._now(), issue, status),
            )
        return cursor.rowcount

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="milliseconds")


def every_send(db: sqlite3.Connection) -> str:
    """What a reader of the ledger file (opened read-only, so maybe not yet brought up to
    this version) selects every recipient's row from: the view an earlier version kept
    over its two tables, where the file still has it, else the table."""
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = 'every_send'"
    ).fetchone()
    return "every_send" if found else "sends"


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to the ledger at ``path``, created 0600 (with its folder) if missing."""
    try:
        _create_private(path)
        # isolation_level=None: BEGIN and COMMIT are ours, so it is plain when a state is
        # on disk.
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=5000")
    except (sqlite3.Error, OSError) as exc:
        raise LedgerError(f"cannot open the send ledger: {exc}", path=path) from None
    return db


@contextmanager
def _transaction(db: sqlite3.Connection, path: Path, *, opening: bool = False) -> Iterator[None]:
    # IMMEDIATE takes the write lock up front, so the checks and the writes inside see the
    # same state. Inside another transaction, a savepoint: the inner change is undone alone
    # if it fails, and commits with the outer one. A write SQLite refuses (a full disk) is
    # a LedgerError naming the file: what was committed before it stands, and the next run
    # goes on from there.
    nested = db.in_transaction
    try:
        db.execute("SAVEPOINT inner" if nested else "BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if db.in_transaction:  # SQLite may have rolled back a failed write itself
                db.execute("ROLLBACK TO inner" if nested else "ROLLBACK")
                if nested:
                    db.execute("RELEASE inner")
            raise
        db.execute("RELEASE inner" if nested else "COMMIT")
    except sqlite3.Error as exc:
        if db.in_transaction and not nested:
            db.execute("ROLLBACK")
        if opening:
            raise LedgerError(f"cannot open the send ledger: {exc}", path=path) from None
        raise LedgerError(
            f"cannot write the send ledger: {exc} (free some space and run the send again: "
            "whoever it records as sent is not sent again)",
            path=path,
        ) from None


def _migrate(db: sqlite3.Connection) -> None:
    """Create the table, or bring a ledger of an earlier version up to this one with every
    row kept: copied into this schema's table (SQLite can neither widen a CHECK nor change a
    table's key in place), a column the old one lacks left empty (run ids before schema 1,
    segments before 3: reported unknown)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"made by a newer version of newsletter (schema {version})")
    if version == SCHEMA_VERSION:
        return
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sends'").fetchone():
        old = {row[1] for row in db.execute("PRAGMA table_info(sends)")}
        kept = ", ".join(c for c in _COLUMNS.split() if c in old)
        db.execute("DROP VIEW IF EXISTS every_send")
        db.execute("ALTER TABLE sends RENAME TO sends_old")
        db.execute(_TABLE)
        db.execute(f"INSERT INTO sends ({kept}) SELECT {kept} FROM sends_old")
        db.execute("DROP TABLE sends_old")  # and its indexes
    else:
        db.execute(_TABLE)
    db.execute("CREATE INDEX sends_batch ON sends (issue, batch)")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'flights'").fetchone():
        # Schema 6 kept a batch in flight as one row until its recipients' rows were
        # written: each keeps its status (the next run recovers a dead run's in flight).
        db.execute(
            "INSERT INTO sends (issue, email, status, batch, run, message_id, attempts, "
            "created_at, updated_at, sent_at, segment) "
            "SELECT f.issue, r.value ->> 0, f.status, f.batch, f.run, f.message_id, 1, "
            "f.created_at, f.updated_at, CASE WHEN f.status = 'sent' THEN f.updated_at END, "
            "r.value ->> 1 FROM flights AS f, json_each(f.recipients) AS r"
        )
        db.execute("DROP TABLE flights")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _create_private(path: Path) -> None:
    """Create ``path`` (and its folder) readable by its owner only, or tighten it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for part in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        if part.exists() and part.stat().st_mode & 0o077:
            part.chmod(0o600)  # a ledger made before it was private
