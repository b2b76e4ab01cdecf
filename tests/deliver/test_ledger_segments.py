"""The send ledger records each recipient's segment, so the report counts recipients by
segment; ledgers written before it load with every row kept."""

from __future__ import annotations

import csv
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from newsletter.deliver.ledger import SCHEMA_VERSION, Ledger
from newsletter.deliver.transport import Receipt
from newsletter.report.sends import read_sends
from tests.deliver.test_send import MONTH, built, send
from tests.smtp_server import Recorder

V2_TABLE = """
CREATE TABLE sends (
    issue TEXT NOT NULL, email TEXT NOT NULL, status TEXT NOT NULL, batch TEXT, run TEXT,
    message_id TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, sent_at TEXT,
    PRIMARY KEY (issue, email)
) WITHOUT ROWID
"""


def old_ledger(folder: Path, table: str, *, version: int, segment: str | None = None) -> Path:
    """A ledger made by an earlier version (``table``, ``version``), one row sent."""
    path = folder / "ledger.sqlite"
    db = sqlite3.connect(path)
    db.execute(table)
    values = "'2026-10', 'a@example.com', 'sent', 'b1', 'r1', 'm1', NULL, 1"
    values += ", '2026-10-02T09:00:00Z'" * 3 + (f", '{segment}'" if segment else "")
    db.execute(f"INSERT INTO sends VALUES ({values})")
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()
    return path


def rows(path: Path) -> list[tuple[str, str, str | None]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT email, status, segment FROM sends ORDER BY email").fetchall()
    finally:
        db.close()


def test_a_send_records_each_recipients_segment_as_the_list_gives_it(
    sample_project: Path, server: tuple[Recorder, int]
) -> None:
    _, port = server
    send(built(sample_project), sample_project, port)
    with (sample_project / "subscribers" / "subscribers.csv").open(encoding="utf-8-sig") as f:
        listed = {row["email"]: row["segment"] for row in csv.DictReader(f)}
    recorded = rows(sample_project / "state" / "ledger.sqlite")
    assert len(recorded) == 17
    assert all(segment == listed[email] for email, _, segment in recorded)


def test_the_report_counts_recipients_by_segment_from_the_ledger(
    sample_project: Path, server: tuple[Recorder, int]
) -> None:
    _, port = server
    send(built(sample_project), sample_project, port)
    ledger = sample_project / "state" / "ledger.sqlite"
    (issue,) = read_sends(ledger, through=MONTH)
    assert issue.by_segment == dict(sorted(Counter(s for _, _, s in rows(ledger)).items()))


def test_a_ledger_without_segments_loads_with_every_row_and_an_unknown_segment(
    tmp_path: Path,
) -> None:
    path = old_ledger(tmp_path, V2_TABLE, version=2)

    with Ledger(path) as ledger:
        assert ledger.sent("2026-10") == {"a@example.com"}
    assert rows(path) == [("a@example.com", "sent", None)]
    (issue,) = read_sends(path, through="2026-10")
    assert issue.by_segment == {"unknown": 1}
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_a_retried_recipient_keeps_their_segment(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger, ledger.run("send") as run:
        run.mark_in_flight(MONTH, ["a@example.com"], "b1", ["client"])
        run.settle(MONTH, "b1", Receipt(), rest="421 try later")
        run.mark_in_flight(MONTH, ["a@example.com"], "b2")
    assert rows(tmp_path / "ledger.sqlite") == [("a@example.com", "in_flight", "client")]


def test_the_first_ledger_without_run_ids_loads_with_every_row(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    db = sqlite3.connect(path)
    db.execute(V2_TABLE.replace("run TEXT,", ""))
    db.execute(
        "INSERT INTO sends VALUES ('2026-10', 'a@example.com', 'sent', 'b1', 'm1', NULL,"
        " 1, '2026-10-02T09:00:00Z', '2026-10-02T09:00:00Z', '2026-10-02T09:00:00Z')"
    )
    db.commit()
    db.close()

    with Ledger(path) as ledger:
        assert ledger.sent("2026-10") == {"a@example.com"}
    assert rows(path) == [("a@example.com", "sent", None)]


V3_TABLE = V2_TABLE.replace("sent_at TEXT,", "sent_at TEXT, segment TEXT,")


def test_a_ledger_kept_in_address_order_loads_with_every_row_and_its_segment(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite"
    db = sqlite3.connect(path)
    db.execute(V3_TABLE)
    db.execute("CREATE INDEX sends_batch ON sends (issue, batch)")
    for email, status, segment in (
        ("b@example.com", "sent", "client"),
        ("a@x.org", "failed", None),
    ):
        db.execute(
            "INSERT INTO sends VALUES "
            "('2026-10', ?, ?, 'b1', 'r1', NULL, NULL, 1, 't', 't', NULL, ?)",
            (email, status, segment),
        )
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()

    with Ledger(path) as ledger, ledger.run(purpose="send") as run:
        assert ledger.sent("2026-10") == {"b@example.com"}
        run.mark_in_flight("2026-10", ["a@x.org", "c@example.com"], "b2", ["partner", "client"])
    assert rows(path) == [
        ("a@x.org", "in_flight", "partner"),  # failed before: put in flight again
        ("b@example.com", "sent", "client"),
        ("c@example.com", "in_flight", "client"),
    ]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_a_ledger_of_schema_4_keeps_every_row_and_still_refuses_an_unknown_status(
    tmp_path: Path,
) -> None:
    v4_table = V3_TABLE.replace(
        "status TEXT NOT NULL,",
        "status TEXT NOT NULL CHECK (status IN ('pending', 'in_flight', 'sent', "
        "'uncertain', 'failed', 'rejected')),",
    ).replace("PRIMARY KEY (issue, email)\n) WITHOUT ROWID", "UNIQUE (issue, email)\n)")
    path = old_ledger(tmp_path, v4_table, version=4, segment="client")

    with Ledger(path) as ledger:
        assert ledger.sent("2026-10") == {"a@example.com"}
    assert rows(path) == [("a@example.com", "sent", "client")]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute(
            "INSERT INTO sends (issue, email, status, created_at, updated_at) "
            "VALUES ('2026-10', 'b@example.com', 'lost', 't', 't')"
        )
    db.close()
