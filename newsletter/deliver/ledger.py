"""The send ledger: who has been sent which issue, surviving crashes and SIGKILL.

One SQLite row per (issue, normalized recipient email)::

    pending ──mark_in_flight──► in_flight ──settle──► sent
       ▲  ▲                       │   │  ├───settle──► failed ──mark_in_flight──► …
       │  │                       │   │  └───settle──► uncertain (the answer was lost)
       │  └── release_rejected ───┼───┴──────settle──► rejected (for good, own reason)
       │                          └──recover (its run is gone)──► uncertain
       └─────────────release_uncertain (--resend-uncertain)──────────────┘

A batch is marked in flight and *committed* before it goes out; once the transport is
done with it, :meth:`LedgerRun.settle` records each recipient's own outcome from the
batch's receipt in one transaction. A rerun skips everyone but the retryable (pending,
failed). If the process dies in between, nobody can tell whether the provider got the
batch, so its recipients become ``uncertain`` and are resent only when the user asks for
it. WAL with ``synchronous=FULL`` makes every commit durable before the call returns, so a
kill at any point keeps every committed state.

One send per ledger at a time: every change goes through a :class:`LedgerRun`, which
holds the ledger's lock (:func:`newsletter.locks.locked`, an ``flock`` the kernel drops
when its holder dies, SIGKILL included) and stamps its run id on every row it puts in
flight. A second send is refused at once, naming the running one, and changes nothing.
Since the lock is held, a row in flight under another run id was left by a run that is
provably gone: only those rows are recovered as uncertain.

Most batches go in flight as one row of ``flights`` and their recipients' rows are written
later, many batches at once, in address order (:mod:`newsletter.deliver.flights`): one
row per recipient per batch made each commit rewrite most of the address index of a list
not in address order. The ``every_send`` view shows both as one table; every query reads it.

The file is created 0600 (it lists who was emailed); SQLite gives its WAL and shared
memory files the same mode.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from newsletter.deliver.flights import EVERY_SEND, EVERY_SEND_VIEW, FLIGHTS_TABLE
from newsletter.deliver.ledger_run import LedgerRun
from newsletter.errors import LedgerError
from newsletter.locks import locked

STATUSES = ("pending", "in_flight", "sent", "uncertain", "failed", "rejected")
RETRYABLE = ("pending", "failed")
SCHEMA_VERSION = 6  # PRAGMA user_version; 0 is the first ledger (no run ids), 2 had no segments,
# 3 kept rows in (issue, email) order (WITHOUT ROWID), 4 checked the status with IN (...), 5 had
# no flights (newsletter/deliver/flights.py)

# The status CHECK is spelled with OR, not IN (...): SQLite evaluates an IN list in a CHECK
# by building a small table for every row written, which made each batch's two writes
# about 40 % slower.
_TABLE = """
CREATE TABLE {name} (
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
# through the unique index: a batch's rows, put in flight and settled together, share
# pages wherever its recipients sit in the list. Stored in address order (schema 3), a
# batch of readers spread through the list (a personal variant's, or any list not sorted
# by address) dirtied a page per row in each commit: three times the writes of a batch of
# neighbours (bench_hooks.py).
_COLUMNS = "issue, email, status, batch, run, message_id, error, attempts, created_at, "
_COLUMNS += "updated_at, sent_at, segment"
# Batch updates name this index (INDEXED BY): without statistics SQLite's planner would
# rather scan the whole issue by primary key, which makes a send quadratic in its size.
# There is no index by status: every recipient's row changes status at least twice, and
# the few queries by status per send read the issue's rows by primary key instead.
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS sends_batch ON sends (issue, batch)",
    "DROP INDEX IF EXISTS sends_status",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    """The send ledger in the SQLite file at ``path`` (created with its folder if missing).

    Queries need no lock (a dry run reads while a send runs); changes go through
    :meth:`run`. ``clock`` returns an aware datetime; tests inject a fixed one.
    """

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.path = path
        self._clock = clock
        try:
            _create_private(path)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so it is plain when
            # a state is on disk.
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(f"cannot open the send ledger: {exc}", path=path) from None

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def run(self, purpose: str) -> Iterator[LedgerRun]:
        """Hold the ledger for one send (``purpose`` names it to anyone refused).

        Raises :class:`newsletter.locks.LockBusy` at once, naming the holder (pid, host,
        start time), when another send holds it; nothing is changed then.
        """
        with locked(self.path, purpose=purpose, wait=0):
            run = LedgerRun(self, secrets.token_hex(6))
            try:
                yield run
            finally:
                run.land()

    # -- queries -----------------------------------------------------------------------

    def sent(self, issue: str) -> set[str]:
        """Normalized emails already sent ``issue``: a rerun skips them."""
        return self._with_status(issue, "sent")

    def uncertain(self, issue: str) -> set[str]:
        """Normalized emails whose batch was in flight when a run died."""
        return self._with_status(issue, "uncertain")

    def in_flight(self, issue: str) -> set[str]:
        """Normalized emails marked in flight: a run is sending them, or died doing so."""
        return self._with_status(issue, "in_flight")

    def with_status(self, issue: str, status: str) -> set[str]:
        """Normalized emails of ``issue`` whose row has ``status``."""
        return self._with_status(issue, status)

    def having(self, issue: str, emails: Sequence[str], statuses: Iterable[str]) -> set[str]:
        """Those of ``emails`` (normalized) whose row for ``issue`` has one of ``statuses``."""
        return set(self.statuses(issue, emails, statuses))

    def statuses(
        self, issue: str, emails: Sequence[str], statuses: Iterable[str]
    ) -> dict[str, str]:
        """normalized email -> status, for those of ``emails`` whose row for ``issue`` has
        one of ``statuses``.

        Asked a batch at a time, so a send never loads the whole ledger into memory; one
        statement, one row back (see :meth:`LedgerRun.mark_in_flight` for why).
        """
        wanted = tuple(statuses)
        marks = ", ".join(f"?{n}" for n in range(3, 3 + len(wanted)))
        # The two halves of every_send spelled out: SQLite would not take the addresses
        # into the view, and would read every row of the issue for each batch.
        (found,) = self._db.execute(
            "SELECT json_group_object(email, status) FROM ("
            "SELECT email, status FROM sends WHERE issue = ?1 "
            f"AND email IN (SELECT value FROM json_each(?2)) AND status IN ({marks}) "
            "UNION ALL SELECT r.value ->> 0, f.status "
            "FROM flights AS f, json_each(f.recipients) AS r WHERE f.issue = ?1 "
            f"AND r.value ->> 0 IN (SELECT value FROM json_each(?2)) AND f.status IN ({marks}))",
            (issue, json.dumps(list(emails)), *wanted),
        ).fetchone()
        result: dict[str, str] = json.loads(found)
        return result

    def problems(self, issue: str, *, limit: int) -> list[tuple[str, str, str]]:
        """Up to ``limit`` (email, status, reason) rows of ``issue`` that were rejected or
        failed, by address."""
        rows = self._db.execute(
            f"SELECT email, status, COALESCE(error, '') FROM {EVERY_SEND} "
            "WHERE issue = ? AND status IN ('rejected', 'failed') ORDER BY email LIMIT ?",
            (issue, limit),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    def counts(self, issue: str) -> dict[str, int]:
        """Rows per status for ``issue``, every status present (zero when none)."""
        counts = dict.fromkeys(STATUSES, 0)
        for status, count in self._db.execute(
            f"SELECT status, COUNT(*) FROM {EVERY_SEND} WHERE issue = ? GROUP BY status", (issue,)
        ):
            counts[status] = count
        return counts

    # -- internals ---------------------------------------------------------------------

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="milliseconds")

    def _with_status(self, issue: str, status: str) -> set[str]:
        rows = self._db.execute(
            f"SELECT email FROM {EVERY_SEND} WHERE issue = ? AND status = ?", (issue, status)
        )
        return {row[0] for row in rows}

    def _row(self, issue: str, email: str) -> tuple[str, str | None] | None:
        row = self._db.execute(
            f"SELECT status, batch FROM {EVERY_SEND} WHERE issue = ? AND email = ?",
            (issue, email),
        ).fetchone()
        return (row[0], row[1]) if row else None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so the checks and the writes inside
        # see the same state. Inside another transaction, a savepoint: the inner change
        # is undone alone if it fails, and commits with the outer one.
        nested = self._db.in_transaction
        self._db.execute("SAVEPOINT inner" if nested else "BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK TO inner" if nested else "ROLLBACK")
            if nested:
                self._db.execute("RELEASE inner")
            raise
        self._db.execute("RELEASE inner" if nested else "COMMIT")

    def _migrate(self) -> None:
        """Create the table, or bring a ledger of an earlier version up to this one."""
        with self._transaction():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"made by a newer version of newsletter (schema {version})"
                )
            if version < SCHEMA_VERSION:
                exists = self._db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sends'"
                ).fetchone()
                if exists and version < 5:
                    self._rebuild()
                elif not exists:
                    self._db.execute(_TABLE.format(name="sends"))
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            for index in _INDEXES:
                self._db.execute(index)
            self._db.execute(FLIGHTS_TABLE)
            self._db.execute(EVERY_SEND_VIEW)

    def _rebuild(self) -> None:
        """The table of an earlier schema copied into this one's, every row kept (SQLite
        can neither widen a CHECK nor change a table's key in place). A column the old table
        lacks stays empty: run ids (schema 0), segments (schema 0 and 2; reported unknown)."""
        old = {row[1] for row in self._db.execute("PRAGMA table_info(sends)")}
        kept = ", ".join(c for c in _COLUMNS.split(", ") if c in old)
        self._db.execute(f"DROP VIEW IF EXISTS {EVERY_SEND}")  # renaming would retarget it
        self._db.execute("ALTER TABLE sends RENAME TO sends_old")
        self._db.execute("DROP INDEX IF EXISTS sends_batch")
        self._db.execute("DROP INDEX IF EXISTS sends_status")
        self._db.execute(_TABLE.format(name="sends"))
        # In the old key's order: each issue's rows stay together.
        self._db.execute(f"INSERT INTO sends ({kept}) SELECT {kept} FROM sends_old")
        self._db.execute("DROP TABLE sends_old")


def _create_private(path: Path) -> None:
    """Create ``path`` (and its folder) readable by its owner only, or tighten it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for part in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        if part.exists() and part.stat().st_mode & 0o077:
            part.chmod(0o600)  # a ledger made before it was private
