"""What the send ledger and the desk's email events say about readers, read only.

The send ledger (``state/ledger.sqlite``, :mod:`newsletter.deliver.ledger`) and the email
events (``state/email-events.sqlite``, :mod:`newsletter.desk.tracking`) belong to the send
and to ``desk pull``. Both are opened with ``mode=ro``: read here, never created, migrated
or locked, so a welcome's dry run or the report may run while a send is going on. A file
that does not exist yet holds nothing.

The ledger stamps rows in UTC, ISO 8601 to the millisecond; the events file to the
microsecond. A time is compared with a column in that column's own form.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from newsletter.deliver.ledger import every_send
from newsletter.errors import NewsletterError

MONTH_KEY = "[0-9][0-9][0-9][0-9]-[0-9][0-9]"
"""The ledger keys of monthly issues (``2026-11``), as a GLOB pattern."""


@contextmanager
def read_only(path: Path, what: str) -> Iterator[sqlite3.Connection | None]:
    """A read-only connection to the SQLite file at ``path``, or None when there is none."""
    if not path.is_file():
        yield None
        return
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        db.execute("PRAGMA busy_timeout=5000")  # a send committing a batch holds it briefly
    except sqlite3.Error as exc:
        raise NewsletterError(f"cannot open the {what}: {exc}", path=path) from None
    try:
        yield db
    except sqlite3.Error as exc:
        raise NewsletterError(f"cannot read the {what}: {exc}", path=path) from None
    finally:
        db.close()


def ledger_time(moment: datetime) -> str:
    """``moment`` as the send ledger writes times."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def mailed_before(ledger: Path, moment: datetime, *, besides: str) -> frozenset[str]:
    """Normalized addresses the ledger had put in flight for any email but ``besides``
    (a ledger key) before ``moment``: readers already on the list then."""
    with read_only(ledger, "send ledger") as db:
        if db is None or not _has_rows(db):
            return frozenset()
        rows = db.execute(
            f"SELECT DISTINCT email FROM {every_send(db)} WHERE created_at < ? AND issue != ?",
            (ledger_time(moment), besides),
        )
        return frozenset(row[0] for row in rows)


def latest_issues(ledger: Path, count: int, *, through: str | None = None) -> tuple[str, ...]:
    """The ``count`` latest monthly issues the ledger has sent anyone (up to ``through``,
    ``YYYY-MM``, when given), oldest first."""
    with read_only(ledger, "send ledger") as db:
        if db is None or not _has_rows(db):
            return ()
        rows = db.execute(
            f"SELECT DISTINCT issue FROM {every_send(db)} WHERE issue GLOB ? AND status = 'sent' "
            "AND issue <= ? ORDER BY issue DESC LIMIT ?",
            (MONTH_KEY, through or "9999-99", count),
        )
        return tuple(reversed([row[0] for row in rows]))


def _has_rows(db: sqlite3.Connection) -> bool:
    """Whether the ledger's table exists (a ledger created, never written to, has none)."""
    return bool(db.execute("PRAGMA table_info(sends)").fetchall()) or _has_table(db, "every_send")


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return found is not None
