"""The send ledger, read only: recipients per issue by status, for the monthly report.

The ledger (``state/ledger.sqlite``, :mod:`newsletter.deliver.ledger`) belongs to the send
step. The report opens it read-only (``mode=ro``: it never creates, migrates or locks it,
so it may run while a send is going on) and reads only the columns every version of the
ledger has: ``issue``, ``email`` and ``status``. Counting is done by SQLite in one pass
over the rows (the ledger keeps no index by status: each row's status changes at least twice
per send), about a second for a million rows.

Segments are counted from the ``segment`` column the send records with each recipient
(schema 3 on); rows of ledgers written before it count as "unknown", and a ledger without
the column at all (opened read-only, so never migrated here) shows "no data yet".
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from pathlib import Path

from newsletter.deliver.ledger import STATUSES, every_send
from newsletter.errors import ReportError
from newsletter.report.figures import IssueSends

SEGMENT_COLUMN = "segment"
MONTH_KEY = "[0-9][0-9][0-9][0-9]-[0-9][0-9]"
"""The ledger keys of monthly issues (``2026-11``); the quarter's nurture email
(``nurture-2026Q4``) shares the ledger and is not an issue."""


def read_sends(path: Path, *, through: str, last: int = 12) -> tuple[IssueSends, ...]:
    """The ``last`` issues recorded in the ledger at ``path`` up to issue ``through``
    (``YYYY-MM``), oldest first; none when there is no ledger yet."""
    if not path.is_file():
        return ()
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ReportError(f"cannot open the send ledger: {exc}", path=path) from None
    try:
        db.execute("PRAGMA busy_timeout=5000")  # a send committing a batch holds it briefly
        columns = {row[1] for row in db.execute("PRAGMA table_info(sends)")}
        if not columns:
            return ()  # created, never written to
        missing = {"issue", "email", "status"} - columns
        if missing:
            raise ReportError(
                f"not a send ledger: no column {', '.join(sorted(missing))}", path=path
            )
        by_status = _counts(db, "status", through)
        issues = sorted(by_status)[-last:] if last > 0 else []
        if not issues:
            return ()
        by_segment = _counts(db, SEGMENT_COLUMN, through) if SEGMENT_COLUMN in columns else None
    except sqlite3.Error as exc:
        raise ReportError(f"cannot read the send ledger: {exc}", path=path) from None
    finally:
        db.close()
    return tuple(
        IssueSends(
            issue=issue,
            by_status={status: by_status[issue].get(status, 0) for status in STATUSES},
            by_segment=dict(sorted(by_segment[issue].items())) if by_segment is not None else None,
        )
        for issue in issues
    )


def _counts(db: sqlite3.Connection, column: str, through: str) -> dict[str, dict[str, int]]:
    """issue -> value of ``column`` -> rows, for every issue up to ``through``: one pass
    over the rows by primary key (a million rows in about a second)."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    # ``column`` is one of two names fixed above, never user input.
    for issue, value, count in db.execute(
        f"SELECT issue, {column}, COUNT(*) FROM {every_send(db)} WHERE issue <= ? "
        "AND issue GLOB ? "
        f"GROUP BY issue, {column}",
        (through, MONTH_KEY),
    ):
        counts[issue][value if value is not None else "unknown"] = count
    return counts
