"""Batches in flight kept whole, one row each, until their recipients' rows are written
(the journal under the send ledger, :mod:`newsletter.deliver.ledger`).

Putting a batch of 1,000 recipients in flight as 1,000 rows writes every page of the
ledger's (issue, address) index that they fall on, and a list is rarely in address order
(people sign up in their own order; a personal variant's readers are spread through the
list): each commit then rewrote about 600 index pages (2.5 MB) and waited for them on disk,
three times the time of the rest of the ledger. So a batch goes in flight as one row of
``flights`` (its recipients as JSON), is settled as that one row when everyone in it was
sent under one message id, and its recipients' rows are written to ``sends`` later, many
batches at once in address order (:meth:`Flights.land`): every few dozen batches, when the
run ends, or, after a kill, when the next run starts. Each state is committed as before
(a batch in flight before it goes out, its outcome with the next batch), only in fewer
pages.

Until its rows are written, the ``every_send`` view shows a flight's recipients as rows like
any other: every query of the ledger reads it, and reads the same state either way.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

FLIGHTS_TABLE = """
CREATE TABLE IF NOT EXISTS flights (
    issue       TEXT NOT NULL,
    batch       TEXT NOT NULL,
    run         TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status = 'in_flight' OR status = 'sent'),
    message_id  TEXT,
    recipients  TEXT NOT NULL,  -- JSON: [[normalized email, segment or null], ...]
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (issue, batch)
)
"""
EVERY_SEND = "every_send"
"""The view of every recipient's row: the ledger's rows and the flights' recipients."""
EVERY_SEND_VIEW = f"""
CREATE VIEW IF NOT EXISTS {EVERY_SEND} AS
SELECT issue, email, status, batch, run, message_id, error, attempts, created_at,
       updated_at, sent_at, segment
FROM sends
UNION ALL
SELECT f.issue, r.value ->> 0, f.status, f.batch, f.run, f.message_id, NULL, 1,
       f.created_at, f.updated_at, CASE WHEN f.status = 'sent' THEN f.updated_at END,
       r.value ->> 1
FROM flights AS f, json_each(f.recipients) AS r
"""
LAND_EVERY = 16
"""Settled flights a run keeps before writing their rows: enough that a batch's page is
written once for many of its neighbours, few enough that the view stays cheap to read and
that writing them (about a tenth of a second) does not leave the process sending the
requests idle (32 did, at 100,000 recipients: a machine-wide sample showed half the CPU
idle during each landing)."""

# Rows in address order: each index page is written once per landing.
_LAND = """
INSERT INTO sends (issue, email, status, batch, run, message_id, attempts, created_at,
                   updated_at, sent_at, segment)
SELECT f.issue, r.value ->> 0, {status}, f.batch, f.run, f.message_id, 1, f.created_at,
       {updated_at}, CASE WHEN f.status = 'sent' THEN f.updated_at END, r.value ->> 1
FROM flights AS f, json_each(f.recipients) AS r
WHERE {where}
ORDER BY f.issue, r.value ->> 0
"""


class Flights:
    """The ``flights`` table of one ledger connection (the caller holds the transaction)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def take_off(
        self,
        issue: str,
        batch: str,
        run: str,
        recipients: Sequence[tuple[str, str | None]],
        now: str,
    ) -> None:
        """Record ``batch`` in flight to ``recipients`` ((normalized email, segment) each)."""
        self._db.execute(
            "INSERT INTO flights (batch, issue, run, status, recipients, created_at, updated_at) "
            "VALUES (?, ?, ?, 'in_flight', ?, ?, ?)",
            (batch, issue, run, json.dumps(recipients), now, now),
        )

    def sent(self, issue: str, batch: str, message_id: str | None, now: str) -> None:
        """Everyone in ``batch`` was sent, under ``message_id``."""
        self._db.execute(
            "UPDATE flights SET status = 'sent', message_id = ?, updated_at = ? "
            "WHERE issue = ? AND batch = ?",
            (message_id, now, issue, batch),
        )

    def land(self, where: str, parameters: Sequence[object], *, lost_as: str = "") -> int:
        """Write the rows of the flights ``where`` selects into ``sends``, and drop those
        flights; returns the rows written. Flights still in flight are written ``lost_as``
        (``uncertain``: their run is gone), or must not be selected."""
        status = f"CASE WHEN f.status = 'sent' THEN 'sent' ELSE '{lost_as}' END"
        if not lost_as:
            status = "f.status"
        cursor = self._db.execute(
            _LAND.format(status=status, updated_at="f.updated_at", where=where), parameters
        )
        self._db.execute(f"DELETE FROM flights AS f WHERE {where}", parameters)
        return cursor.rowcount

    def lost(self, issue: str, run: str) -> list[str]:
        """The recipients of ``issue`` whose flight, of a run other than ``run``, is still
        in flight (that run is gone)."""
        return [
            row[0]
            for row in self._db.execute(
                "SELECT r.value ->> 0 FROM flights AS f, json_each(f.recipients) AS r "
                "WHERE f.issue = ? AND f.run IS NOT ? AND f.status = 'in_flight'",
                (issue, run),
            )
        ]

    def of_run(self, run: str) -> dict[tuple[str, str], tuple[str, list[str]]]:
        """(issue, batch) -> (status, normalized emails) of ``run``'s flights."""
        return {
            (issue, batch): (status, [email for email, _ in json.loads(recipients)])
            for batch, issue, status, recipients in self._db.execute(
                "SELECT batch, issue, status, recipients FROM flights WHERE run = ?", (run,)
            )
        }


def every_send(db: sqlite3.Connection) -> str:
    """What a reader of the ledger file (opened read-only, maybe made by an earlier
    version) selects every recipient's row from: the view, where the file has it."""
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = ?", (EVERY_SEND,)
    ).fetchone()
    return EVERY_SEND if found else "sends"
