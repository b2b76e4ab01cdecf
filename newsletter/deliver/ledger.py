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
from types import TracebackType

from newsletter.deliver.transport import Receipt
from newsletter.errors import LedgerError
from newsletter.locks import locked
from newsletter.model import normalize_email

STATUSES = ("pending", "in_flight", "sent", "uncertain", "failed", "rejected")
RETRYABLE = ("pending", "failed")
SCHEMA_VERSION = 5  # PRAGMA user_version; 0 is the first ledger (no run ids), 2 had no segments,
# 3 kept rows in (issue, email) order (WITHOUT ROWID), 4 checked the status with IN (...)

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
            yield LedgerRun(self, secrets.token_hex(6))

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
        (found,) = self._db.execute(
            "SELECT json_group_object(email, status) FROM sends WHERE issue = ? AND email IN "
            f"(SELECT value FROM json_each(?)) AND status IN ({', '.join('?' * len(wanted))})",
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

    # -- internals ---------------------------------------------------------------------

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="milliseconds")

    def _with_status(self, issue: str, status: str) -> set[str]:
        rows = self._db.execute(
            "SELECT email FROM sends WHERE issue = ? AND status = ?", (issue, status)
        )
        return {row[0] for row in rows}

    def _row(self, issue: str, email: str) -> tuple[str, str | None] | None:
        row = self._db.execute(
            "SELECT status, batch FROM sends WHERE issue = ? AND email = ?", (issue, email)
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
                if exists:
                    self._rebuild()
                else:
                    self._db.execute(_TABLE.format(name="sends"))
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            for index in _INDEXES:
                self._db.execute(index)

    def _rebuild(self) -> None:
        """The table of an earlier schema copied into this one's, every row kept (SQLite
        can neither widen a CHECK nor change a table's key in place). A column the old table
        lacks stays empty: run ids (schema 0), segments (schema 0 and 2; reported unknown)."""
        old = {row[1] for row in self._db.execute("PRAGMA table_info(sends)")}
        kept = ", ".join(c for c in _COLUMNS.split(", ") if c in old)
        self._db.execute("ALTER TABLE sends RENAME TO sends_old")
        self._db.execute("DROP INDEX IF EXISTS sends_batch")
        self._db.execute("DROP INDEX IF EXISTS sends_status")
        self._db.execute(_TABLE.format(name="sends"))
        # In the old key's order: each issue's rows stay together.
        self._db.execute(f"INSERT INTO sends ({kept}) SELECT {kept} FROM sends_old")
        self._db.execute("DROP TABLE sends_old")


class LedgerRun:
    """The changes one send makes, under the ledger's lock (see :meth:`Ledger.run`)."""

    def __init__(self, ledger: Ledger, run_id: str) -> None:
        self.ledger = ledger
        self.id = run_id
        self._db = ledger._db
        self._transaction = ledger._transaction
        self._now = ledger._now

    def together(self) -> contextlib.AbstractContextManager[None]:
        """Changes made in this block commit as one: one write to disk, not one each (the
        send settles finished batches and puts the next one in flight together)."""
        return self._transaction()

    def recover(self, issue: str) -> list[str]:
        """Turn rows that dead runs left in flight into ``uncertain``; returns their emails.

        Every run but this one is gone (this one holds the lock), so every row in flight
        under another run id is a dead run's. Call before this run sends anything.
        """
        now = self._now()
        with self._transaction():
            emails = [
                row[0]
                for row in self._db.execute(
                    "SELECT email FROM sends WHERE issue = ? AND status = 'in_flight' "
                    "AND run IS NOT ? ORDER BY email",
                    (issue, self.id),
                )
            ]
            self._db.execute(
                "UPDATE sends SET status = 'uncertain', updated_at = ? "
                "WHERE issue = ? AND status = 'in_flight' AND run IS NOT ?",
                (now, issue, self.id),
            )
        return emails

    def release_uncertain(self, issue: str) -> int:
        """Make the uncertain recipients sendable again (``--resend-uncertain``)."""
        now = self._now()
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE sends SET status = 'pending', updated_at = ? "
                "WHERE issue = ? AND status = 'uncertain'",
                (now, issue),
            )
        return cursor.rowcount

    def mark_in_flight(
        self,
        issue: str,
        emails: Iterable[str],
        batch: str,
        segments: Iterable[str] | None = None,
    ) -> None:
        """Record that ``batch`` of this run is about to go to ``emails`` (of ``segments``,
        one each, when given: the report counts recipients by segment); committed when
        this returns.

        Raises LedgerError, changing nothing, if an address is already sent, uncertain,
        rejected or in flight, or if ``batch`` is already in flight: the caller must skip
        those.
        """
        labels: Iterable[str | None] = itertools.repeat(None) if segments is None else segments
        of = dict(zip(map(normalize_email, emails), labels, strict=False))
        keys = list(of)
        now = self._now()
        with self._transaction():
            busy = self._db.execute(
                "SELECT 1 FROM sends INDEXED BY sends_batch "
                "WHERE issue = ? AND batch = ? AND status = 'in_flight'",
                (issue, batch),
            ).fetchone()
            if busy:
                raise LedgerError(f"batch {batch!r} of {issue} is already in flight")
            # One statement over a JSON array, not one per address: sqlite3 lets other
            # threads run at every statement step, and a sending thread that takes over
            # keeps this one waiting.
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
            if cursor.rowcount != len(keys):
                # Rare path: name the offenders, then roll the whole batch back.
                ledger = self.ledger
                blocked = [key for key in keys if ledger._row(issue, key) != ("in_flight", batch)]
                shown = ", ".join(sorted(blocked)[:5])
                raise LedgerError(
                    f"{len(blocked)} recipient(s) of {issue} already sent, uncertain, "
                    f"rejected or in flight: {shown}"
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
        by_batch = """
            UPDATE sends INDEXED BY sends_batch
            SET status = ?, message_id = ?, error = ?, sent_at = ?, updated_at = ?
            WHERE issue = ? AND batch = ? AND status = 'in_flight'
        """
        by_email = """
            UPDATE sends SET status = ?, message_id = ?, error = ?, sent_at = ?, updated_at = ?
            WHERE issue = ? AND email = ? AND batch = ? AND status = 'in_flight'
        """
        with self._transaction():
            ids = set(receipt.sent.values())
            everyone_sent = len(ids) == 1 and receipt.count() == len(receipt.sent)
            if everyone_sent and (size or self._in_flight(issue, batch)) == len(receipt.sent):
                # The common case, everyone sent in one request: one statement.
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
            self._db.executemany(by_email, rows)
            if rest is not None:
                self._db.execute(by_batch, ("failed", None, rest, None, now, issue, batch))

    def release_rejected(self, issue: str) -> int:
        """Make the rejected recipients sendable again (``--retry-rejected``)."""
        now = self._now()
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE sends SET status = 'pending', updated_at = ? "
                "WHERE issue = ? AND status = 'rejected'",
                (now, issue),
            )
        return cursor.rowcount

    def _in_flight(self, issue: str, batch: str) -> int:
        return int(
            self._db.execute(
                "SELECT COUNT(*) FROM sends INDEXED BY sends_batch "
                "WHERE issue = ? AND batch = ? AND status = 'in_flight'",
                (issue, batch),
            ).fetchone()[0]
        )


def _create_private(path: Path) -> None:
    """Create ``path`` (and its folder) readable by its owner only, or tighten it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for part in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        if part.exists() and part.stat().st_mode & 0o077:
            part.chmod(0o600)  # a ledger made before it was private
