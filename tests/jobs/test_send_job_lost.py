"""The monthly workflow's send job with its runner lost in the middle of the send (tests/jobs/
hosted.py kills every process of the step): each group of batches was on the state branch,
in flight, before any of it went out, so the re-run reports exactly those as uncertain and
sends nobody twice."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.desk.support import RunningDesk, use_desk
from tests.fake_sendgrid import FakeSendGrid
from tests.jobs.conftest import MONTH, SEGMENTS, business, live
from tests.jobs.hosted import WorkflowRun
from tests.jobs.remote import Remote
from tests.jobs.test_send_job import ready_to_send, rerun_to_send, state_file

MANY = [f"reader{n:04d}@example.com" for n in range(2500)]  # a batch per segment
HELD_REQUEST = 2  # the second batch: taken by SendGrid, its answer never comes back


@pytest.fixture
def remote(tmp_path: Path, desk: RunningDesk) -> Remote:
    """The business with 2,500 readers, sending one batch at a time."""
    project = business(tmp_path / "first-commit")
    rows = "".join(f"{email},R{n},{SEGMENTS[n % 3]},email\n" for n, email in enumerate(MANY))
    (project / "subscribers" / "subscribers.csv").write_text(
        "email,first_name,segment,channels\n" + rows
    )
    config = project / "newsletter.yaml"
    config.write_text(
        config.read_text() + "\ndelivery:\n  sendgrid:\n    concurrency: 1\n", encoding="utf-8"
    )
    use_desk(project, desk.port)
    return Remote.create(tmp_path / "origin.git", project)


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid(hold_request=HELD_REQUEST, hold_limit=120) as running:
        yield running


def statuses(ledger: Path) -> dict[str, int]:
    with sqlite3.connect(ledger) as db:
        rows = db.execute("SELECT status, COUNT(*) FROM sends WHERE issue = ? GROUP BY 1", (MONTH,))
        return dict(rows.fetchall())


def test_a_runner_lost_mid_send_leaves_the_batches_in_flight_uncertain_and_sends_nobody_twice(
    remote: Remote,
    sendgrid: FakeSendGrid,
    new_run: Callable[..., WorkflowRun],
    tmp_path: Path,
) -> None:
    run = ready_to_send(new_run(**live()))
    lost = run.job("send", lost_during=("Send", sendgrid.held))
    sendgrid.release.set()  # the held answer goes to a runner that is no more
    assert lost.result == "lost", lost.log
    mailed = sendgrid.emails()
    assert len(sendgrid.requests) == HELD_REQUEST  # the first batch, and the one held
    assert len(mailed) == len(set(mailed)) < len(MANY)
    # Before any batch went out, the whole group was saved in flight.
    assert statuses(state_file(remote, tmp_path, "ledger.sqlite")) == {"in_flight": len(MANY)}

    job = rerun_to_send(run).job("send")
    send = job.step("Send")
    assert send.outcome == "failure"  # exit 1: some are uncertain
    assert f"uncertain: {len(MANY)} recipients of a batch cut off mid-flight" in send.log
    assert f"{MONTH}: sent 0 " in send.log
    assert sendgrid.emails() == mailed  # nobody twice, nobody from the lost group
    assert job.step("Save the send ledger").outcome == "success"
    assert statuses(state_file(remote, tmp_path, "ledger.sqlite")) == {"uncertain": len(MANY)}
