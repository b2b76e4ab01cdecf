"""Provider events matched to the send ledger: by the message id the send recorded for
that address, whatever issue the event's custom arguments claim."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsletter.config.files import EMAIL_EVENTS_FILE
from newsletter.deliver.ledger import Ledger
from newsletter.desk.inbox import Event
from newsletter.desk.tracking import record_email_events

AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    with Ledger(tmp_path / "ledger.sqlite"):
        pass  # the send ledger's own schema
    db = sqlite3.connect(tmp_path / "ledger.sqlite")
    db.executemany(
        "INSERT INTO sends (issue, email, status, message_id, created_at, updated_at) "
        "VALUES (?, ?, 'sent', ?, 'x', 'x')",
        [
            ("2026-10", "ana@example.com", "m-oct"),
            ("2026-11", "ana@example.com", "m-nov"),
            ("2026-11", "ben@example.com", "m-nov"),
        ],
    )
    db.commit()
    db.close()
    return tmp_path


def kept(state: Path, *events: tuple[str, str, str | None]) -> list[tuple[str, str, int]]:
    record_email_events(
        state,
        [
            Event(n, "esp", AT, {"email": email, "event": "open", "message_id": m, "issue": i})
            for n, (email, m, i) in enumerate(events, start=1)
        ],
    )
    db = sqlite3.connect(state / EMAIL_EVENTS_FILE)
    try:
        return db.execute("SELECT email, issue, matched FROM email_events ORDER BY 1").fetchall()
    finally:
        db.close()


def test_an_event_whose_issue_and_message_agree_with_the_ledger_is_matched(state: Path) -> None:
    assert kept(state, ("ana@example.com", "m-oct", "2026-10")) == [
        ("ana@example.com", "2026-10", 1)
    ]


def test_the_ledgers_issue_wins_over_a_wrong_custom_argument(state: Path) -> None:
    assert kept(state, ("ana@example.com", "m-oct", "2026-11")) == [
        ("ana@example.com", "2026-10", 1)
    ]


def test_an_event_without_an_issue_is_found_by_its_message_id(state: Path) -> None:
    assert kept(state, ("ben@example.com", "m-nov", None)) == [("ben@example.com", "2026-11", 1)]


def test_a_message_id_of_another_address_does_not_match(state: Path) -> None:
    assert kept(state, ("ben@example.com", "m-oct", "2026-09")) == [
        ("ben@example.com", "2026-09", 0)
    ]
