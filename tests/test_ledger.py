"""The send ledger: a rerun skips the sent; a batch in flight at a kill becomes uncertain."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsletter.deliver.ledger import Ledger, LedgerError

REPO = Path(__file__).resolve().parent.parent
ISSUE = "2025-05"
FIXED = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "state" / "ledger.sqlite3", clock=lambda: FIXED) as opened:
        yield opened


def test_new_ledger_creates_its_folder_and_counts_nothing(tmp_path: Path) -> None:
    with Ledger(tmp_path / "state" / "sub" / "ledger.sqlite3") as ledger:
        assert ledger.counts(ISSUE) == {
            "pending": 0,
            "in_flight": 0,
            "sent": 0,
            "uncertain": 0,
            "failed": 0,
        }
    assert (tmp_path / "state" / "sub" / "ledger.sqlite3").exists()


def test_ledger_uses_wal_and_full_sync(ledger: Ledger) -> None:
    assert ledger._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ledger._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_sent_batch_is_listed_as_sent_with_normalized_emails(ledger: Ledger) -> None:
    ledger.mark_in_flight(ISSUE, ["A@Example.com ", "b@example.com"], "b1")
    assert ledger.mark_sent(ISSUE, "b1", "msg-1") == 2
    assert ledger.sent(ISSUE) == {"a@example.com", "b@example.com"}
    assert ledger.counts(ISSUE)["sent"] == 2


def test_times_and_message_id_are_recorded(ledger: Ledger) -> None:
    ledger.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    ledger.mark_sent(ISSUE, "b1", "msg-1")
    row = ledger._db.execute(
        "SELECT batch, message_id, created_at, sent_at FROM sends WHERE email = ?",
        ("a@example.com",),
    ).fetchone()
    assert row == ("b1", "msg-1", "2025-05-01T09:30:00.000+00:00", "2025-05-01T09:30:00.000+00:00")


def test_issues_are_kept_apart(ledger: Ledger) -> None:
    ledger.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    ledger.mark_sent(ISSUE, "b1", None)
    assert ledger.sent("2025-06") == set()
    ledger.mark_in_flight("2025-06", ["a@example.com"], "b1")  # next month: allowed


def test_marking_a_sent_recipient_in_flight_again_is_refused(ledger: Ledger) -> None:
    ledger.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    ledger.mark_sent(ISSUE, "b1", None)
    with pytest.raises(LedgerError, match=r"a@example\.com"):
        ledger.mark_in_flight(ISSUE, ["c@example.com", "A@example.com"], "b2")
    # The whole batch was rolled back, not just the offender.
    assert ledger.counts(ISSUE)["in_flight"] == 0


def test_reusing_a_batch_id_still_in_flight_is_refused(ledger: Ledger) -> None:
    ledger.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    with pytest.raises(LedgerError, match="already in flight"):
        ledger.mark_in_flight(ISSUE, ["b@example.com"], "b1")


def test_failed_batch_is_retryable(ledger: Ledger) -> None:
    ledger.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    assert ledger.mark_failed(ISSUE, "b1", "503 try later") == 1
    assert ledger.counts(ISSUE)["failed"] == 1
    ledger.mark_in_flight(ISSUE, ["a@example.com"], "b2")
    ledger.mark_sent(ISSUE, "b2", "msg-2")
    assert ledger.sent(ISSUE) == {"a@example.com"}


def test_recover_turns_in_flight_into_uncertain(ledger: Ledger) -> None:
    ledger.mark_in_flight(ISSUE, ["b@example.com", "a@example.com"], "b1")
    assert ledger.recover(ISSUE) == ["a@example.com", "b@example.com"]
    assert ledger.uncertain(ISSUE) == {"a@example.com", "b@example.com"}
    assert ledger.recover(ISSUE) == []


def test_uncertain_recipients_are_not_resent_until_released(ledger: Ledger) -> None:
    ledger.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    ledger.recover(ISSUE)
    with pytest.raises(LedgerError):
        ledger.mark_in_flight(ISSUE, ["a@example.com"], "b2")
    assert ledger.release_uncertain(ISSUE) == 1
    ledger.mark_in_flight(ISSUE, ["a@example.com"], "b2")
    ledger.mark_sent(ISSUE, "b2", None)
    assert ledger.sent(ISSUE) == {"a@example.com"}
    assert ledger.uncertain(ISSUE) == set()


def test_mark_sent_only_touches_its_own_batch(ledger: Ledger) -> None:
    ledger.mark_in_flight(ISSUE, ["a@example.com"], "b1")
    ledger.mark_in_flight(ISSUE, ["b@example.com"], "b2")
    ledger.mark_sent(ISSUE, "b2", None)
    assert ledger.sent(ISSUE) == {"b@example.com"}
    assert ledger.counts(ISSUE)["in_flight"] == 1


# -- a real process, killed with SIGKILL --------------------------------------------------

_CHILD = """
import sys, time
from pathlib import Path
from newsletter.deliver.ledger import Ledger

path, stage = Path(sys.argv[1]), sys.argv[2]
ledger = Ledger(path)
ledger.mark_in_flight("2025-05", ["done@example.com"], "b0")
ledger.mark_sent("2025-05", "b0", "msg-0")
ledger.mark_in_flight("2025-05", ["a@example.com", "b@example.com"], "b1")
if stage == "after-sent":
    ledger.mark_sent("2025-05", "b1", "msg-1")
print("ready", flush=True)
time.sleep(60)
"""


def _run_and_kill(path: Path, stage: str) -> None:
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
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


def test_kill_between_in_flight_and_sent_leaves_the_batch_uncertain(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ledger.sqlite3"
    _run_and_kill(path, "in-flight")
    with Ledger(path) as ledger:
        assert ledger.recover(ISSUE) == ["a@example.com", "b@example.com"]
        assert ledger.sent(ISSUE) == {"done@example.com"}
        assert ledger.uncertain(ISSUE) == {"a@example.com", "b@example.com"}


def test_kill_after_sent_keeps_the_batch_sent(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ledger.sqlite3"
    _run_and_kill(path, "after-sent")
    with Ledger(path) as ledger:
        assert ledger.recover(ISSUE) == []
        assert ledger.sent(ISSUE) == {"done@example.com", "a@example.com", "b@example.com"}


def test_having_answers_for_the_asked_addresses_only(ledger: Ledger) -> None:
    ledger.mark_in_flight(ISSUE, ["a@example.com", "b@example.com"], "b1")
    ledger.mark_sent(ISSUE, "b1", "m1")
    ledger.mark_in_flight(ISSUE, ["c@example.com"], "b2")
    many = [f"x{n}@example.com" for n in range(2000)] + ["a@example.com", "c@example.com"]
    assert ledger.having(ISSUE, many, ["sent"]) == {"a@example.com"}
    assert ledger.having(ISSUE, many, ["sent", "in_flight"]) == {"a@example.com", "c@example.com"}
    assert ledger.having("2025-06", many, ["sent"]) == set()
