"""The monthly workflow's desk job, run as a hosted runner runs it (tests/jobs/hosted.py):
it commits what the desk took in to main, by name, with an identity of its own, on top of
whatever else reached main meanwhile."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.desk.support import RunningDesk
from tests.jobs.conftest import (
    CONSOLE_SCRIPT,
    MONTH,
    READERS,
    live,
    planned,
    unsubscribe,
    visit,
)
from tests.jobs.hosted import WorkflowRun
from tests.jobs.remote import Remote, runner_environment

BOT = "github-actions[bot]"


def suppressed(remote: Remote) -> list[str]:
    text = remote.show("main", "subscribers/suppressions.csv").decode()
    return [row["email"] for row in csv.DictReader(text.splitlines())]


def author(remote: Remote, ref: str) -> str:
    return subprocess.run(
        ["git", "log", "-1", "--format=%an", ref],
        cwd=remote.path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def desk_job(run: WorkflowRun, **options: object) -> None:
    planned(run, run.inputs["month"])
    job = run.job("desk", **options)  # type: ignore[arg-type]
    assert job.result == "success", job.log


def test_the_desk_job_commits_each_file_the_pull_changed_as_the_bot_without_an_identity(
    desk: RunningDesk, remote: Remote, new_run: Callable[..., WorkflowRun]
) -> None:
    unsubscribe(desk, READERS[3])
    before = remote.head("main")
    desk_job(new_run(**live()))
    head = remote.head("main")
    assert head != before
    assert sorted(remote.changed("main")) == [
        "subscribers/desk.json",
        "subscribers/suppressions.csv",
    ]
    assert author(remote, "main") == BOT
    assert suppressed(remote) == [READERS[3]]


def test_a_temporary_file_beside_the_data_files_is_never_committed(
    desk: RunningDesk, remote: Remote, tmp_path: Path, new_run: Callable[..., WorkflowRun]
) -> None:
    secrets = new_run().secrets
    # A pull killed on a machine that keeps its checkout leaves one of these behind.
    work = tmp_path / "kept-checkout"
    subprocess.run(["git", "clone", "--quiet", remote.url, str(work)], check=True)
    leftover = work / "subscribers" / ".referrals.csv.k1ll3d.tmp"
    leftover.write_text("id,lead_name\n7,A Lead's Name\n")
    unsubscribe(desk, READERS[1])
    done = subprocess.run(
        ["bash", "scripts/desk-pull.sh", str(CONSOLE_SCRIPT)],
        cwd=work,
        env={**runner_environment(tmp_path), "GITHUB_REF_NAME": "main", **secrets},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "committed" in done.stdout, done.stdout + done.stderr
    assert ".referrals.csv.k1ll3d.tmp" not in " ".join(remote.changed("main"))
    assert suppressed(remote) == [READERS[1]]


def test_a_commit_on_main_while_the_job_ran_stays_and_the_pull_goes_on_top_of_it(
    desk: RunningDesk, remote: Remote, new_run: Callable[..., WorkflowRun], tmp_path: Path
) -> None:
    unsubscribe(desk, READERS[0])
    person = remote.commit(
        tmp_path / "owner",
        "main",
        lambda work: (work / "content" / "NOTE.md").write_text("A fix while the issue waited\n"),
        "content: a fix",
    )
    run = new_run(**live())
    # The checkout was made before the owner's push: the job's push is refused at first.
    run.sha = remote.rev(f"{person}~1")
    desk_job(run)
    assert remote.show("main", "content/NOTE.md") == b"A fix while the issue waited\n"
    assert suppressed(remote) == [READERS[0]]
    assert author(remote, "main") == BOT
    assert author(remote, "main~1") == "Pat Owner"


def test_the_same_events_pulled_by_another_run_meanwhile_are_kept_once(
    desk: RunningDesk, remote: Remote, new_run: Callable[..., WorkflowRun]
) -> None:
    unsubscribe(desk, READERS[5])
    unsubscribe(desk, READERS[6])
    other, run = new_run(**live()), new_run(**live(month="2026-12"))
    # The other run's desk job pulls the same events and pushes just before this one's pull.
    desk_job(run, before={"Pull the desk": lambda: desk_job(other)})
    assert sorted(suppressed(remote)) == [READERS[5], READERS[6]]


def test_a_push_the_remote_refuses_fails_in_one_line_that_names_the_rejection(
    desk: RunningDesk, remote: Remote, new_run: Callable[..., WorkflowRun]
) -> None:
    unsubscribe(desk, READERS[2])
    remote.refuse_pushes("main is protected")
    run = planned(new_run(**live()))
    job = run.job("desk")
    assert job.result == "failure"
    pull = job.step("Pull the desk")
    assert pull.outcome == "failure"
    errors = [line for line in pull.log.splitlines() if line.startswith("desk-pull:")]
    assert errors == [
        "desk-pull: cannot push to origin main: ! [remote rejected] HEAD -> main "
        "(pre-receive hook declined)"
    ]
    assert "hint:" not in pull.log


def test_a_pull_that_fails_fails_the_step_and_commits_nothing(
    desk: RunningDesk, remote: Remote, new_run: Callable[..., WorkflowRun]
) -> None:
    unsubscribe(desk, READERS[4])
    before = remote.head("main")
    run = new_run(**live())
    run.secrets["NEWSLETTER_DESK_TOKEN"] = ""  # the environment's secret is missing
    planned(run)
    job = run.job("desk")
    assert job.step("Pull the desk").outcome == "failure"
    assert "NEWSLETTER_DESK_TOKEN" in job.step("Pull the desk").log
    assert "the desk had nothing new" not in job.step("Pull the desk").log
    assert remote.head("main") == before


DESK_STEPS = [step.get("name") or step["uses"] for step in WorkflowRun.steps_of("desk")]


def visits_on_state(remote: Remote, tmp_path: Path) -> list[tuple[str, str]]:
    if remote.head("state") is None:
        return []
    path = tmp_path / "state-email-events.sqlite"
    path.write_bytes(remote.show("state", "email-events.sqlite"))
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT issue, medium FROM page_visits").fetchall()
    finally:
        db.close()


@pytest.mark.parametrize("lost_before", DESK_STEPS[1:])
def test_a_desk_job_lost_at_a_step_boundary_and_run_again_loses_no_event_and_applies_none_twice(
    desk: RunningDesk,
    remote: Remote,
    new_run: Callable[..., WorkflowRun],
    tmp_path: Path,
    lost_before: str,
) -> None:
    unsubscribe(desk, READERS[8])
    visit(desk)
    run = planned(new_run(**live()))
    assert run.job("desk", lost_before=lost_before).result == "lost"
    again = run.rerun()
    desk_job(again)
    assert suppressed(remote) == [READERS[8]]
    assert visits_on_state(remote, tmp_path) == [(MONTH, "print")]


def test_a_pull_whose_push_to_main_never_happens_has_saved_its_events_and_a_rerun_adds_none(
    desk: RunningDesk, remote: Remote, new_run: Callable[..., WorkflowRun], tmp_path: Path
) -> None:
    unsubscribe(desk, READERS[9])
    visit(desk)
    main = remote.head("main")
    remote.refuse_pushes("main is frozen", refs="refs/heads/main")
    run = planned(new_run(**live()))
    assert run.job("desk").result == "failure"
    assert remote.head("main") == main  # the desk's cursor did not move...
    assert visits_on_state(remote, tmp_path) == [(MONTH, "print")]  # ...and the events are kept
    remote.allow_pushes()
    desk_job(run.rerun())
    assert suppressed(remote) == [READERS[9]]
    assert visits_on_state(remote, tmp_path) == [(MONTH, "print")]


def test_the_pulled_events_are_on_state_before_the_push_that_moves_the_cursor_on_main(
    desk: RunningDesk, remote: Remote, new_run: Callable[..., WorkflowRun], tmp_path: Path
) -> None:
    unsubscribe(desk, READERS[10])
    visit(desk)
    # What the state branch holds at the moment main receives the desk's commit.
    seen = tmp_path / "state-when-main-moved.sqlite"
    hook = remote.path / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        "while read old new ref; do\n"
        f'  [ "$ref" = refs/heads/main ] && git show state:email-events.sqlite > {seen}\n'
        "done\n"
        "exit 0\n"
    )
    hook.chmod(0o755)
    desk_job(planned(new_run(**live())))
    db = sqlite3.connect(seen)
    try:
        assert db.execute("SELECT issue, medium FROM page_visits").fetchall() == [(MONTH, "print")]
    finally:
        db.close()
