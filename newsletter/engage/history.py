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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from newsletter.deliver.ledger import every_send
from newsletter.errors import NewsletterError

ANSWER = "answer"
"""The email event of a reader's "yes" on the desk (:mod:`newsletter.desk.still_reading`)."""
MONTH_KEY = "[0-9][0-9][0-9][0-9]-[0-9][0-9]"
"""The ledger keys of monthly issues (``2026-11``), as a GLOB pattern."""
REACHED = ("sent", "uncertain")
"""Ledger statuses of a reader the email (probably) reached."""


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


def events_time(moment: datetime) -> str:
    """``moment`` as the events file writes times."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


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


def sent_every_one(ledger: Path, issues: Sequence[str]) -> tuple[frozenset[str], datetime | None]:
    """(the addresses sent each of ``issues``, when the first of them went out)."""
    if not issues:
        return frozenset(), None
    marks = ", ".join("?" for _ in issues)
    with read_only(ledger, "send ledger") as db:
        if db is None or not _has_rows(db):
            return frozenset(), None
        table = every_send(db)
        rows = db.execute(
            f"SELECT email FROM {table} WHERE issue IN ({marks}) AND status = 'sent' "
            "GROUP BY email HAVING COUNT(*) = ?",
            (*issues, len(issues)),
        )
        everyone = frozenset(row[0] for row in rows)
        (first,) = db.execute(
            f"SELECT MIN(sent_at) FROM {table} WHERE issue = ? AND status = 'sent'", (issues[0],)
        ).fetchone()
    return everyone, datetime.fromisoformat(first) if first else None


def latest_asks(ledger: Path, prefix: str) -> dict[str, tuple[str, datetime]]:
    """Normalized address -> (ledger key, when) of the latest email whose key starts with
    ``prefix`` that (probably) reached them."""
    with read_only(ledger, "send ledger") as db:
        if db is None or not _has_rows(db):
            return {}
        marks = ", ".join("?" for _ in REACHED)
        rows = db.execute(
            f"SELECT email, issue, COALESCE(sent_at, updated_at) FROM {every_send(db)} "
            f"WHERE issue GLOB ? AND status IN ({marks}) ORDER BY 3",
            (f"{prefix}*", *REACHED),
        )
        return {email: (key, datetime.fromisoformat(at)) for email, key, at in rows}


def issues_with_events(events: Path, issues: Sequence[str]) -> frozenset[str]:
    """Those of ``issues`` the events file holds any event of."""
    with read_only(events, "email events") as db:
        if db is None or not _has_table(db, "email_events"):
            return frozenset()
        marks = ", ".join("?" for _ in issues)
        rows = db.execute(
            f"SELECT DISTINCT issue FROM email_events WHERE issue IN ({marks})", tuple(issues)
        )
        return frozenset(row[0] for row in rows)


def last_signs(
    events: Path, since: datetime, kinds: Sequence[str], *, besides: str
) -> dict[str, datetime]:
    """Normalized address -> the latest event of ``kinds`` (``click``, ``open``,
    ``answer``) at or after ``since``, leaving out events of emails whose key starts with
    ``besides``: a scanner that opens every link of the email asking would answer for
    the reader. An answer belongs to no email and always counts."""
    with read_only(events, "email events") as db:
        if db is None or not _has_table(db, "email_events"):
            return {}
        marks = ", ".join("?" for _ in kinds)
        rows = db.execute(
            f"SELECT email, MAX(at) FROM email_events WHERE event IN ({marks}) AND at >= ? "
            "AND (event = ? OR issue IS NULL OR issue NOT GLOB ?) GROUP BY email",
            (*kinds, events_time(since), ANSWER, f"{besides}*"),
        )
        return {email: datetime.fromisoformat(at) for email, at in rows}


def _has_rows(db: sqlite3.Connection) -> bool:
    """Whether the ledger's table exists (a ledger created, never written to, has none)."""
    return bool(db.execute("PRAGMA table_info(sends)").fetchall()) or _has_table(db, "every_send")


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return found is not None
