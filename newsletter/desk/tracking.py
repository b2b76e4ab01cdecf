"""SendGrid's events, matched to the send ledger, and referral page visits, kept for the
reports.

Each event (delivered, bounce, dropped, spam report, unsubscribe, open, click) goes into
``state/email-events.sqlite`` once (keyed by the desk's event id), with the issue it
belongs to: the send ledger's row whose provider message id and address it names
(SendGrid's ``sg_message_id`` starts with the ``X-Message-Id`` that the send recorded),
else the ``issue`` the send put in the message's custom arguments.

Each visit to a referral page (``/r/CODE``) goes into the same file's ``page_visits``,
once, with the medium its link names (``email``, ``print`` for a printed QR code, ``web``
for the archive, or none for a typed address) and the issue from its campaign
(``referral-YYYY-MM``). A visit keeps no address, code or IP: the report counts them.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from newsletter.config.files import EMAIL_EVENTS_FILE, SEND_LEDGER_FILE
from newsletter.deliver.ledger import every_send
from newsletter.desk.inbox import Event, stamp

_SCHEMA = """
CREATE TABLE IF NOT EXISTS email_events (
    desk_event  INTEGER PRIMARY KEY,
    issue       TEXT,
    email       TEXT NOT NULL,
    event       TEXT NOT NULL,
    at          TEXT NOT NULL,
    message_id  TEXT,
    matched     INTEGER NOT NULL,
    url         TEXT,
    reason      TEXT
);
-- The report counts people per issue and event: this index answers it without the table.
CREATE INDEX IF NOT EXISTS email_events_by_issue ON email_events (issue, event, email);
CREATE TABLE IF NOT EXISTS page_visits (
    desk_event  INTEGER PRIMARY KEY,
    issue       TEXT,
    medium      TEXT NOT NULL,
    at          TEXT NOT NULL
);
"""


def record_email_events(state_dir: Path, events: Sequence[Event]) -> int:
    """Keep ``events`` (kind ``esp``); how many were new."""
    if not events:
        return 0
    issues = _issues(state_dir / SEND_LEDGER_FILE, events)
    rows = []
    for event in events:
        data = event.data
        matched = issues.get((data.get("message_id", ""), data["email"]))
        rows.append(
            (
                event.id,
                matched or data.get("issue"),
                data["email"],
                data["event"],
                stamp(event.at),
                data.get("message_id"),
                1 if matched else 0,
                data.get("url"),
                data.get("reason"),
            )
        )
    return _insert(state_dir, "INSERT OR IGNORE INTO email_events VALUES (?,?,?,?,?,?,?,?,?)", rows)


def record_page_visits(state_dir: Path, events: Sequence[Event]) -> int:
    """Keep ``events`` (kind ``visit``); how many were new."""
    rows = [
        (event.id, event.data.get("issue"), event.data.get("medium", ""), stamp(event.at))
        for event in events
    ]
    return _insert(state_dir, "INSERT OR IGNORE INTO page_visits VALUES (?, ?, ?, ?)", rows)


def _insert(state_dir: Path, statement: str, rows: Sequence[tuple[object, ...]]) -> int:
    """Run ``statement`` for every row in one transaction; how many rows were new (an
    event applied again by a pull killed before its cursor moved is ignored)."""
    if not rows:
        return 0
    path = state_dir / EMAIL_EVENTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
        db.execute("BEGIN IMMEDIATE")
        before = db.total_changes
        db.executemany(statement, rows)
        db.execute("COMMIT")
        return db.total_changes - before
    finally:
        db.close()


def _issues(ledger: Path, events: Sequence[Event]) -> dict[tuple[str, str], str]:
    """(message id, address) -> the issue the send ledger sent it for.

    The ledger is keyed by (issue, address) and keeps no index by message id (a send
    would pay for it on every row), so each event is first looked up under the issue its
    message's custom arguments name, and kept when the message id agrees; the few left
    (an issue missing or wrong) are found in one pass over the ledger for the whole page.
    """
    wanted = {
        (e.data.get("message_id") or "", e.data["email"]): e.data.get("issue") for e in events
    }
    wanted = {key: issue for key, issue in wanted.items() if key[0]}
    if not wanted or not ledger.exists():
        return {}
    db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        found = {}
        rows = every_send(db)
        for (message_id, email), issue in wanted.items():
            row = db.execute(
                f"SELECT message_id FROM {rows} WHERE issue = ? AND email = ?", (issue, email)
            ).fetchone()
            if row and row[0] == message_id:
                found[(message_id, email)] = str(issue)
        rest = sorted({m for m, e in wanted if (m, e) not in found})
        for start in range(0, len(rest), _MAX_PARAMETERS):
            some = rest[start : start + _MAX_PARAMETERS]
            for issue, email, message_id in db.execute(
                f"SELECT issue, email, message_id FROM {rows} "
                f"WHERE message_id IN ({', '.join('?' for _ in some)})",
                some,
            ):
                if (message_id, email) in wanted:
                    found[(message_id, email)] = issue
        return found
    finally:
        db.close()


_MAX_PARAMETERS = 500  # message ids per pass; SQLite allows 32,766 parameters a statement
