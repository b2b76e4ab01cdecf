"""The report reads the send ledger without changing it, whatever state it is in."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from newsletter.deliver.ledger import Ledger
from newsletter.errors import ReportError
from newsletter.report.sends import read_sends
from tests.report_factory import write_send_ledger


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reading_changes_nothing_in_the_ledger(tmp_path: Path) -> None:
    ledger = write_send_ledger(tmp_path / "ledger.sqlite")
    before = digest(ledger)

    read_sends(ledger, through="2026-11")

    assert digest(ledger) == before


def test_reading_works_while_a_send_holds_the_ledger(tmp_path: Path) -> None:
    ledger = write_send_ledger(tmp_path / "ledger.sqlite")
    with Ledger(ledger) as sending, sending.run("send 2026-11") as run:
        run.mark_in_flight("2026-11", ["late@example.com"], "batch-9")

        issues = read_sends(ledger, through="2026-11")

    assert issues[-1].by_status["in_flight"] == 2  # the fixture's one and this send's


def test_only_the_last_issues_up_to_the_month_are_read(tmp_path: Path) -> None:
    ledger = write_send_ledger(tmp_path / "ledger.sqlite")

    assert [s.issue for s in read_sends(ledger, through="2026-10", last=1)] == ["2026-10"]
    assert read_sends(ledger, through="2026-08") == ()


def test_the_quarters_nurture_email_in_the_same_ledger_is_not_an_issue(tmp_path: Path) -> None:
    ledger = write_send_ledger(tmp_path / "ledger.sqlite")
    with Ledger(ledger) as sending, sending.run("send nurture-2026Q4") as run:
        run.mark_in_flight("nurture-2026Q4", ["prospect@example.com"], "batch-1")

    issues = read_sends(ledger, through="9999-12")

    assert "nurture-2026Q4" not in [s.issue for s in issues]


def test_segments_are_counted_once_the_ledger_records_them(tmp_path: Path) -> None:
    # A ledger of a later version, with the segment column the send step may add.
    path = tmp_path / "ledger.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE sends (issue TEXT, email TEXT, status TEXT, segment TEXT)")
        db.executemany(
            "INSERT INTO sends VALUES ('2026-11', ?, 'sent', ?)",
            [("a@x.com", "client"), ("b@x.com", "client"), ("c@x.com", "partner")],
        )

    (issue,) = read_sends(path, through="2026-11")

    assert issue.by_segment == {"client": 2, "partner": 1}
    assert issue.sent == 3


def test_a_file_that_is_not_a_ledger_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"this is not SQLite at all" * 100)

    with pytest.raises(ReportError) as caught:
        read_sends(path, through="2026-11")

    assert caught.value.one_line().startswith(f"{path}: cannot read the send ledger: ")


def test_a_ledger_without_the_send_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE sends (issue TEXT, address TEXT)")

    with pytest.raises(ReportError, match="not a send ledger: no column email, status"):
        read_sends(path, through="2026-11")
