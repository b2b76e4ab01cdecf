"""The monthly workflow's send job, run as a hosted runner runs it (tests/jobs/hosted.py):
another run's desk job saving the state branch in the middle of a send loses nothing and
sends nobody twice, a damaged ledger on the branch stops the send before anyone is mailed,
and what the run keeps as artifacts names no reader."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from tests.desk.support import RunningDesk
from tests.fake_sendgrid import FakeSendGrid
from tests.jobs.conftest import (
    MONTH,
    READERS,
    build_job,
    live,
    planned,
    unsubscribe,
    visit,
)
from tests.jobs.hosted import JobResult, WorkflowRun
from tests.jobs.remote import PERSON, Remote, git
from tests.state_branch_support import sent


def ready_to_send(run: WorkflowRun) -> WorkflowRun:
    """The run's plan, desk and build jobs done: the send job is next."""
    planned(run, run.inputs["month"])
    desk = run.job("desk")
    assert desk.result == "success", desk.log
    build_job(run, run.inputs["month"])
    return run


def rerun_to_send(run: WorkflowRun) -> WorkflowRun:
    """ "Re-run all jobs" of ``run``: its plan, desk and build jobs done again."""
    return ready_to_send(run.rerun())


def send_job(run: WorkflowRun, **options: object) -> JobResult:
    job = run.job("send", **options)  # type: ignore[arg-type]
    assert job.result == "success", job.log
    return job


def state_file(remote: Remote, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"state-{name}"
    path.write_bytes(remote.show("state", name))
    return path


def test_another_runs_desk_job_saving_state_mid_send_loses_nothing_and_sends_nobody_twice(
    desk: RunningDesk,
    remote: Remote,
    sendgrid: FakeSendGrid,
    new_run: Callable[..., WorkflowRun],
    tmp_path: Path,
) -> None:
    november = ready_to_send(new_run(**live()))
    december = planned(new_run(**live("2026-12")), "2026-12")

    def december_desk_job() -> None:
        # A reader opts out and someone opens the referral page while November waits;
        # December's desk job (another concurrency group) pulls them and saves state.
        unsubscribe(desk, READERS[7])
        visit(desk)
        assert december.job("desk").result == "success"

    send_job(november, before={"Pull the desk again": december_desk_job})
    emails = sendgrid.emails()
    assert len(emails) == len(set(emails)) == len(READERS) - 1
    assert READERS[7] not in emails
    assert len(sent(state_file(remote, tmp_path, "ledger.sqlite"))) == len(READERS) - 1
    events = sqlite3.connect(state_file(remote, tmp_path, "email-events.sqlite"))
    assert events.execute("SELECT issue, medium FROM page_visits").fetchall() == [(MONTH, "print")]
    events.close()

    # "Re-run all jobs" of November: the ledger comes back, nobody is sent again.
    rerun = send_job(rerun_to_send(november))
    assert f"{MONTH}: sent 0 " in rerun.step("Send").log
    assert sendgrid.emails() == emails


def test_a_zeroed_ledger_on_the_state_branch_stops_the_send_before_anyone_is_mailed(
    remote: Remote,
    sendgrid: FakeSendGrid,
    new_run: Callable[..., WorkflowRun],
    tmp_path: Path,
) -> None:
    run = ready_to_send(new_run(**live()))
    # While the issue waits for approval, someone empties the ledger on the branch.
    work = tmp_path / "by-hand"
    git(tmp_path, "clone", "--quiet", remote.url, str(work))
    git(work, "checkout", "--quiet", "--orphan", "state")
    git(work, "rm", "-r", "-q", "--cached", ".")
    (work / "ledger.sqlite").write_bytes(b"")
    git(work, "add", "ledger.sqlite")
    git(work, *PERSON, "commit", "--quiet", "-m", "a ledger emptied by mistake")
    git(work, "push", "--quiet", "origin", "state")
    job = run.job("send")
    assert job.result == "failure"
    restore = job.step("Restore the send ledger")
    assert restore.outcome == "failure"
    [line] = [line for line in restore.log.splitlines() if line.startswith("state_branch:")]
    assert "ledger.sqlite on state@" in line and "is damaged (zero bytes)" in line
    assert job.step("Send").outcome == "skipped"
    assert job.step("Save the send ledger").outcome == "skipped"
    assert sendgrid.emails() == []
    assert remote.show("state", "ledger.sqlite") == b""


def test_what_the_run_keeps_as_artifacts_logs_and_summaries_names_no_reader(
    desk: RunningDesk,
    remote: Remote,
    sendgrid: FakeSendGrid,
    new_run: Callable[..., WorkflowRun],
) -> None:
    run = ready_to_send(new_run(**live()))
    unsubscribe(desk, READERS[2])
    sendgrid.refuse = {READERS[5]}  # refused for good, with a reason naming the address
    job = send_job(run)
    assert sendgrid.emails()  # a real send happened
    send = job.step("Send")
    assert "not sent: 1 rejected for good" in send.log and "not sent: 1 rejected" in job.summary
    for shown in (job.log, job.summary):
        assert not [email for email in READERS if email in shown.lower()]
    kept = sorted(p for p in run.artifacts.rglob("*") if p.is_file())
    assert {p.relative_to(run.artifacts).parts[0] for p in kept} == {f"email-preview-{MONTH}"}
    for path in kept:
        text = path.read_bytes().decode(errors="replace").lower()
        assert not [email for email in READERS if email in text], path


def test_a_runner_lost_after_the_send_and_before_its_save_step_leaves_nobody_uncertain(
    sendgrid: FakeSendGrid, new_run: Callable[..., WorkflowRun]
) -> None:
    run = ready_to_send(new_run(**live()))
    lost = run.job("send", lost_before="Monthly report")
    assert lost.result == "lost"
    mailed = sendgrid.emails()
    assert len(mailed) == len(set(mailed)) == len(READERS)
    # The send's last checkpoint saved the settled ledger: the re-run has nothing to do.
    send = send_job(rerun_to_send(run)).step("Send")
    assert f"{MONTH}: sent 0 " in send.log
    assert "uncertain" not in send.log
    assert sendgrid.emails() == mailed


def test_a_state_branch_rolled_back_after_a_send_stops_the_next_run_before_anyone_is_mailed(
    remote: Remote, sendgrid: FakeSendGrid, new_run: Callable[..., WorkflowRun]
) -> None:
    run = ready_to_send(new_run(**live()))
    send_job(run)
    mailed = sendgrid.emails()
    # Someone forces state back one commit: the ledger as the send's first checkpoint left it.
    git(remote.path, "update-ref", "refs/heads/state", remote.rev("state~1"))
    again = run.rerun()
    planned(again)
    desk = again.job("desk")
    assert desk.result == "failure"  # its restore refuses: no build, no send follows
    again.needs["build"] = {"result": "success", "outputs": {}}  # and were one to follow:
    job = again.job("send")
    assert job.result == "failure"
    restore = job.step("Restore the send ledger")
    [line] = [line for line in restore.log.splitlines() if line.startswith("state_branch:")]
    assert "older than generation" in line and "git push --force origin" in line
    assert job.step("Send").outcome == "skipped"
    assert job.step("Save the send ledger").outcome == "skipped"
    assert sendgrid.emails() == mailed
