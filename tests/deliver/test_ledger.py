"""The send ledger: a rerun skips the sent; a batch in flight at a kill becomes uncertain."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsletter.deliver.ledger import Ledger, LedgerRun
from newsletter.deliver.transport import Receipt
from newsletter.errors import LedgerError, LockBusy

REPO = Path(__file__).resolve().parents[2]
ISSUE = "2025-05"
FIXED = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "state" / "ledger.sqlite3", clock=lambda: FIXED) as opened:
        yield opened


def query(ledger: Ledger, sql: str, *parameters: object) -> list[tuple[object, ...]]:
    """What a reader of the ledger's file sees (a connection of its own)."""
    db = sqlite3.connect(ledger.path)
    try:
        return db.execute(sql, parameters).fetchall()
    finally:
        db.close()


def all_sent(run: LedgerRun, batch: str, emails: list[str], message_id: str | None) -> None:
    run.settle(ISSUE, batch, Receipt(sent=dict.fromkeys(emails, message_id)), rest=None)


@pytest.fixture
def run(ledger: Ledger) -> Iterator[LedgerRun]:
    with ledger.run(purpose="send a test issue") as held:
        yield held


def test_new_ledger_creates_its_folder_and_counts_nothing(tmp_path: Path) -> None:
    with Ledger(tmp_path / "state" / "sub" / "ledger.sqlite3") as ledger:
        assert ledger.counts(ISSUE) == {
            "pending": 0,
            "in_flight": 0,
            "sent": 0,
            "uncertain": 0,
            "failed": 0,
            "rejected": 0,
        }
    assert (tmp_path / "state" / "sub" / "ledger.sqlite3").exists()


def test_ledger_uses_wal_and_full_sync(ledger: Ledger) -> None:
    assert query(ledger, "PRAGMA journal_mode") == [("wal",)]  # kept in the file
    assert ledger._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_sent_batch_is_listed_as_sent_with_normalized_emails(
    ledger: Ledger, run: LedgerRun
) -> None:
    run.mark_in_flight(ISSUE, ["A@Example.com ", "b@example.com"], "b1")
    all_sent(run, "b1", ["A@Example.com", "b@example.com"], "msg-1")
    assert ledger.sent(ISSUE) == {"a@example.com", "b@example.com"}
    assert ledger.counts(ISSUE)["sent"] == 2


def test_times_and_message_id_are_recorded(ledger: Ledger, run: LedgerRun) -> None:
    run.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    all_sent(run, "b1", ["a@example.com"], "msg-1")
    [row] = query(
        ledger,
        "SELECT batch, message_id, created_at, sent_at FROM sends WHERE email = ?",
        "a@example.com",
    )
    assert row == ("b1", "msg-1", "2025-05-01T09:30:00.000+00:00", "2025-05-01T09:30:00.000+00:00")


def test_issues_are_kept_apart(ledger: Ledger, run: LedgerRun) -> None:
    run.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    all_sent(run, "b1", ["a@example.com"], None)
    assert ledger.sent("2025-06") == set()
    run.mark_in_flight("2025-06", ["a@example.com"], "b1")  # next month: allowed


def test_marking_a_sent_recipient_in_flight_again_is_refused(
    ledger: Ledger, run: LedgerRun
) -> None:
    run.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    all_sent(run, "b1", ["a@example.com"], None)
    with pytest.raises(LedgerError, match=r"a@example\.com"):
        run.mark_in_flight(ISSUE, ["c@example.com", "A@example.com"], "b2")
    # The whole batch was rolled back, not just the offender.
    assert ledger.counts(ISSUE)["in_flight"] == 0


def test_reusing_a_batch_id_still_in_flight_is_refused(run: LedgerRun) -> None:
    run.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    with pytest.raises(LedgerError, match="already in flight"):
        run.mark_in_flight(ISSUE, ["b@example.com"], "b1")


def test_failed_batch_is_retryable(ledger: Ledger, run: LedgerRun) -> None:
    run.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    run.settle(ISSUE, "b1", Receipt(), rest="503 try later")
    assert ledger.counts(ISSUE)["failed"] == 1
    run.mark_in_flight(ISSUE, ["a@example.com"], "b2")
    all_sent(run, "b2", ["a@example.com"], "msg-2")
    assert ledger.sent(ISSUE) == {"a@example.com"}


def test_recover_turns_a_finished_runs_rows_in_flight_into_uncertain(ledger: Ledger) -> None:
    with ledger.run(purpose="send") as first:
        first.mark_in_flight(ISSUE, ["b@example.com", "a@example.com"], "b1")
    with ledger.run(purpose="send") as second:
        assert second.recover(ISSUE) == ["a@example.com", "b@example.com"]
        assert ledger.uncertain(ISSUE) == {"a@example.com", "b@example.com"}
        assert second.recover(ISSUE) == []


def test_recover_leaves_the_runs_own_batches_in_flight(ledger: Ledger, run: LedgerRun) -> None:
    run.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    assert run.recover(ISSUE) == []
    assert ledger.in_flight(ISSUE) == {"a@example.com"}


def test_uncertain_recipients_are_not_resent_until_released(ledger: Ledger) -> None:
    with ledger.run(purpose="send") as killed:
        killed.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    with ledger.run(purpose="send") as run:
        run.recover(ISSUE)
        with pytest.raises(LedgerError):
            run.mark_in_flight(ISSUE, ["a@example.com"], "b2")
        assert run.release_uncertain(ISSUE) == 1
        run.mark_in_flight(ISSUE, ["a@example.com"], "b2")
        all_sent(run, "b2", ["a@example.com"], None)
    assert ledger.sent(ISSUE) == {"a@example.com"}
    assert ledger.uncertain(ISSUE) == set()


def test_settle_only_touches_its_own_batch(ledger: Ledger, run: LedgerRun) -> None:
    run.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    run.mark_in_flight(ISSUE, ["b@example.com"], "b2")
    all_sent(run, "b2", ["b@example.com"], None)
    assert ledger.sent(ISSUE) == {"b@example.com"}
    assert ledger.counts(ISSUE)["in_flight"] == 1


# -- a real process, killed with SIGKILL --------------------------------------------------

_CHILD = """
import signal, sys
from pathlib import Path
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.transport import Receipt

path, stage = Path(sys.argv[1]), sys.argv[2]
ledger = Ledger(path)
with ledger.run(purpose="send 2025-05") as run:
    run.mark_in_flight("2025-05", ["done@example.com"], "b0")
    run.settle("2025-05", "b0", Receipt(sent={"done@example.com": "msg-0"}), rest=None)
    run.mark_in_flight("2025-05", ["a@example.com", "b@example.com"], "b1")
    if stage == "after-sent":
        both = dict.fromkeys(["a@example.com", "b@example.com"], "msg-1")
        run.settle("2025-05", "b1", Receipt(sent=both), rest=None)
    print("ready", flush=True)
    signal.pause()  # until the test kills it
"""


@contextmanager
def holding_child(path: Path, stage: str) -> Iterator[subprocess.Popen[str]]:
    """A process that holds a run on the ledger at ``path`` (``stage`` says how far it got)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_CHILD), str(path), stage],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        yield child
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


def _run_and_kill(path: Path, stage: str) -> None:
    with holding_child(path, stage) as child:
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL


def test_kill_between_in_flight_and_sent_leaves_the_batch_uncertain(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ledger.sqlite3"
    _run_and_kill(path, "in-flight")
    with Ledger(path) as ledger, ledger.run(purpose="send 2025-05") as run:
        assert run.recover(ISSUE) == ["a@example.com", "b@example.com"]
        assert ledger.sent(ISSUE) == {"done@example.com"}
        assert ledger.uncertain(ISSUE) == {"a@example.com", "b@example.com"}


def test_kill_after_sent_keeps_the_batch_sent(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ledger.sqlite3"
    _run_and_kill(path, "after-sent")
    with Ledger(path) as ledger, ledger.run(purpose="send 2025-05") as run:
        assert run.recover(ISSUE) == []
        assert ledger.sent(ISSUE) == {"done@example.com", "a@example.com", "b@example.com"}


def test_a_second_run_is_refused_at_once_naming_the_running_one(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ledger.sqlite3"
    with holding_child(path, "in-flight") as child, Ledger(path) as ledger:
        with pytest.raises(LockBusy) as refused, ledger.run(purpose="send 2025-06"):
            pytest.fail("a second run got the ledger")
        assert refused.value.holder is not None
        assert refused.value.holder.pid == child.pid
        message = refused.value.message
        assert f"pid {child.pid} on {socket.gethostname()}, since 20" in message
        assert message.startswith("cannot send 2025-06: send 2025-05 (")
        # The running send's rows are untouched: still in flight, not uncertain.
        assert ledger.in_flight(ISSUE) == {"a@example.com", "b@example.com"}
        assert ledger.uncertain(ISSUE) == set()


def test_ledger_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ledger.sqlite"
    with Ledger(path) as ledger, ledger.run(purpose="send") as run:
        run.mark_in_flight(ISSUE, ["a@example.com"], "b1")
        modes = {
            p.name: stat.S_IMODE(p.stat().st_mode)
            for p in path.parent.iterdir()
            if "ledger" in p.name
        }
    assert modes["ledger.sqlite"] == 0o600
    assert modes["ledger.sqlite-wal"] == 0o600


def test_a_ledger_from_before_run_ids_keeps_its_rows_and_recovers_them(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE sends (
            issue TEXT NOT NULL, email TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN
                ('pending', 'in_flight', 'sent', 'uncertain', 'failed')),
            batch TEXT, message_id TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL, sent_at TEXT,
            PRIMARY KEY (issue, email)) WITHOUT ROWID;
        INSERT INTO sends VALUES ('2025-05', 'a@example.com', 'sent', 'b1', 'm1', NULL, 1,
                                  't', 't', 't');
        INSERT INTO sends VALUES ('2025-05', 'b@example.com', 'in_flight', 'b2', NULL, NULL, 1,
                                  't', 't', NULL);
        """
    )
    old.close()
    path.chmod(0o644)
    with Ledger(path) as ledger, ledger.run(purpose="send") as run:
        assert ledger.sent(ISSUE) == {"a@example.com"}
        assert run.recover(ISSUE) == ["b@example.com"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_having_answers_for_the_asked_addresses_only(ledger: Ledger, run: LedgerRun) -> None:
    run.mark_in_flight(ISSUE, ["a@example.com", "b@example.com"], "b1")
    all_sent(run, "b1", ["a@example.com", "b@example.com"], "m1")
    run.mark_in_flight(ISSUE, ["c@example.com"], "b2")
    many = [f"x{n}@example.com" for n in range(2000)] + ["a@example.com", "c@example.com"]
    assert set(ledger.statuses(ISSUE, many, ["sent"])) == {"a@example.com"}
    assert set(ledger.statuses(ISSUE, many, ["sent", "in_flight"])) == {
        "a@example.com",
        "c@example.com",
    }
    assert ledger.statuses("2025-06", many, ["sent"]) == {}


def test_settle_records_each_recipients_own_outcome(ledger: Ledger, run: LedgerRun) -> None:
    emails = ["a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"]
    run.mark_in_flight(ISSUE, emails, "b1")
    receipt = Receipt(
        sent={"A@example.com": "m1"},
        rejected={"b@example.com": "550 no such user"},
        deferred={"c@example.com": "451 try later"},
        uncertain={"d@example.com": "connection lost after the message"},
    )
    run.settle(ISSUE, "b1", receipt, rest="server gone")
    rows = dict(
        query(ledger, "SELECT email, status || ': ' || COALESCE(error, message_id) FROM sends")
    )
    assert rows == {
        "a@example.com": "sent: m1",
        "b@example.com": "rejected: 550 no such user",
        "c@example.com": "failed: 451 try later",
        "d@example.com": "uncertain: connection lost after the message",
        "e@example.com": "failed: server gone",  # never attempted: certainly not sent
    }
    assert ledger.problems(ISSUE, limit=5) == [
        ("b@example.com", "rejected", "550 no such user"),
        ("c@example.com", "failed", "451 try later"),
        ("e@example.com", "failed", "server gone"),
    ]


def test_recipients_without_an_outcome_and_no_reason_stay_in_flight(
    ledger: Ledger, run: LedgerRun
) -> None:
    run.mark_in_flight(ISSUE, ["a@example.com", "b@example.com"], "b1")
    run.settle(ISSUE, "b1", Receipt(sent={"a@example.com": "m1"}), rest=None)
    assert ledger.in_flight(ISSUE) == {"b@example.com"}  # the next run calls them uncertain


def test_rejected_recipients_are_not_retried_until_released(ledger: Ledger, run: LedgerRun) -> None:
    run.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    run.settle(ISSUE, "b1", Receipt(rejected={"a@example.com": "550"}), rest=None)
    with pytest.raises(LedgerError, match="rejected"):
        run.mark_in_flight(ISSUE, ["a@example.com"], "b2")
    assert run.release_rejected(ISSUE) == 1
    run.mark_in_flight(ISSUE, ["a@example.com"], "b2")


def test_a_change_rolled_back_is_forgotten_and_nothing_else(ledger: Ledger, run: LedgerRun) -> None:
    run.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    with pytest.raises(LedgerError), run.together():
        run.mark_in_flight(ISSUE, ["b@example.com"], "b2")
        run.mark_in_flight(ISSUE, ["b@example.com"], "b3")  # b is in flight: refused
    run.mark_in_flight(ISSUE, ["b@example.com"], "b4")  # b2 never happened
    with pytest.raises(LedgerError, match=r"a@example\.com"):
        run.mark_in_flight(ISSUE, ["a@example.com"], "b5")  # b1 still did
    assert ledger.in_flight(ISSUE) == {"a@example.com", "b@example.com"}


def test_a_ledger_that_kept_batches_in_a_second_table_keeps_each_recipients_state(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE sends (
            issue TEXT NOT NULL, email TEXT NOT NULL, status TEXT NOT NULL, batch TEXT,
            run TEXT, message_id TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL, sent_at TEXT, segment TEXT,
            UNIQUE (issue, email));
        CREATE TABLE flights (
            issue TEXT NOT NULL, batch TEXT NOT NULL, run TEXT NOT NULL, status TEXT NOT NULL,
            message_id TEXT, recipients TEXT NOT NULL, created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL, PRIMARY KEY (issue, batch));
        CREATE VIEW every_send AS SELECT * FROM sends;
        INSERT INTO sends VALUES ('2025-05', 'a@example.com', 'sent', 'b1', 'r1', 'm1', NULL,
                                  1, 't', 't', 't', 'client');
        INSERT INTO flights VALUES ('2025-05', 'b2', 'r1', 'sent', 'm2',
                                    '[["b@example.com", "partner"]]', 't', 't');
        INSERT INTO flights VALUES ('2025-05', 'b3', 'r1', 'in_flight', NULL,
                                    '[["c@example.com", "client"], ["d@example.com", null]]',
                                    't', 't');
        PRAGMA user_version = 6;
        """
    )
    old.close()
    with Ledger(path) as ledger, ledger.run(purpose="send") as run:
        assert ledger.sent(ISSUE) == {"a@example.com", "b@example.com"}
        assert run.recover(ISSUE) == ["c@example.com", "d@example.com"]  # the dead run's
        segments = query(ledger, "SELECT email, segment FROM sends ORDER BY email")
        tables = query(ledger, "SELECT name FROM sqlite_master WHERE type != 'index'")
    assert segments[1:3] == [("b@example.com", "partner"), ("c@example.com", "client")]
    assert tables == [("sends",)]
