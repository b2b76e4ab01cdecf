"""scripts/state_branch.py when runs meet on the state branch: a save goes on top of what
another job saved meanwhile, keeps both's email events, never overwrites another's ledger,
and says in one line why a push was refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.jobs.remote import git
from tests.state_branch_support import (
    SCRIPT,
    bare_remote,
    branch_file,
    ledger_of,
    ok,
    pull_visits,
    run_script,
    runner_clone,
    send_to,
    sent,
)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return bare_remote(tmp_path)


def visits(events: Path) -> list[int]:
    db = sqlite3.connect(events)
    try:
        return [row[0] for row in db.execute("SELECT desk_event FROM page_visits ORDER BY 1")]
    finally:
        db.close()


def head(remote: Path, ref: str = "state") -> str:
    return git(remote, "rev-parse", ref).strip()


def a_first_send(tmp_path: Path, remote: Path) -> None:
    """The state branch as a first send leaves it: one reader sent, one visit pulled."""
    first = runner_clone(tmp_path, "first", remote)
    ok(first, "restore")
    send_to(first, "first@example.com")
    pull_visits(first, 1)
    ok(first, "save")


def a_desk_job_and_a_send_job(tmp_path: Path, remote: Path) -> tuple[Path, Path]:
    """After a first send, the checkouts of a desk job and a send job, both restored."""
    a_first_send(tmp_path, remote)
    desk, send = runner_clone(tmp_path, "desk", remote), runner_clone(tmp_path, "send", remote)
    ok(desk, "restore", "--ledger-only")
    ok(send, "restore", "--ledger-only")
    return desk, send


def test_a_desk_save_after_a_sends_save_keeps_the_sends_ledger_and_adds_its_events(
    tmp_path: Path, remote: Path
) -> None:
    desk, send = a_desk_job_and_a_send_job(tmp_path, remote)
    send_to(send, "a@example.com", "b@example.com")
    ok(send, "save")
    pull_visits(desk, 2, 3)
    out = ok(desk, "save")  # its ledger is the one it restored, older than the send's
    assert "merged" not in out  # the send changed no events: the desk's go in as they are
    assert sent(branch_file(remote, "ledger.sqlite")) == {
        "first@example.com",
        "a@example.com",
        "b@example.com",
    }
    assert visits(branch_file(remote, "email-events.sqlite")) == [1, 2, 3]


def test_a_sends_save_after_a_desk_save_keeps_both_runs_events(
    tmp_path: Path, remote: Path
) -> None:
    desk, send = a_desk_job_and_a_send_job(tmp_path, remote)
    pull_visits(desk, 2)
    ok(desk, "save")
    pull_visits(send, 3)  # the send job pulls the desk again before it sends
    send_to(send, "a@example.com")
    assert "merged email-events.sqlite" in ok(send, "save")
    assert visits(branch_file(remote, "email-events.sqlite")) == [1, 2, 3]
    assert sent(branch_file(remote, "ledger.sqlite")) == {"first@example.com", "a@example.com"}
    # and a later save from the same checkout merges again, losing the desk's visit never
    pull_visits(send, 4)
    ok(send, "save")
    assert visits(branch_file(remote, "email-events.sqlite")) == [1, 2, 3, 4]


def test_a_save_whose_content_is_unchanged_makes_no_commit_though_sqlite_touched_the_file(
    tmp_path: Path, remote: Path
) -> None:
    a_first_send(tmp_path, remote)
    job = runner_clone(tmp_path, "job", remote)
    ok(job, "restore", "--ledger-only")
    before = ledger_of(job).read_bytes()
    db = sqlite3.connect(ledger_of(job))
    db.execute("VACUUM")  # every page written again, no value changed
    db.close()
    assert ledger_of(job).read_bytes() != before  # SQLite's change counter moved
    start = head(remote)
    assert "already up to date" in ok(job, "save")
    assert head(remote) == start


def test_a_ledger_changed_on_the_branch_and_here_is_set_aside_never_overwritten(
    tmp_path: Path, remote: Path
) -> None:
    a_first_send(tmp_path, remote)
    one, two = runner_clone(tmp_path, "one", remote), runner_clone(tmp_path, "two", remote)
    ok(one, "restore")
    ok(two, "restore")
    send_to(one, "a@example.com")
    send_to(two, "b@example.com")
    ok(one, "save")
    saved_by_one = head(remote)
    done = run_script(two, "save")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("state_branch: ledger.sqlite on state changed since the restore")
    assert "this run's copy is on branch state-unsaved/" in line
    assert head(remote) == saved_by_one
    assert sent(branch_file(remote, "ledger.sqlite")) == {"first@example.com", "a@example.com"}
    (aside,) = [b for b in git(remote, "branch", "--format=%(refname:short)").split() if "/" in b]
    assert sent(branch_file(remote, "ledger.sqlite", aside)) == {
        "first@example.com",
        "b@example.com",
    }


def test_a_push_refused_by_the_remote_fails_in_one_line_naming_the_rejection(
    tmp_path: Path, remote: Path
) -> None:
    job = runner_clone(tmp_path, "job", remote)
    ok(job, "restore")
    send_to(job, "a@example.com")
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'state is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    done = run_script(job, "save")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("state_branch: cannot push to origin state: ! [remote rejected] ")
    assert line.endswith(" -> state (pre-receive hook declined)")
    assert "hint:" not in done.stderr


def test_a_save_goes_on_top_of_a_branch_that_moved_while_it_pushed(
    tmp_path: Path, remote: Path
) -> None:
    desk, send = a_desk_job_and_a_send_job(tmp_path, remote)
    pull_visits(desk, 2)
    send_to(send, "a@example.com")
    # The desk's save lands between the send's look at the branch and its push.
    hook = send / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        '[ -e "$0.done" ] && exit 0\n'
        'touch "$0.done"\n'
        "unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"cd {desk} && python3 {SCRIPT} save >/dev/null\n"
    )
    hook.chmod(0o755)
    ok(send, "save")
    assert (send / ".git" / "hooks" / "pre-push.done").exists()
    assert visits(branch_file(remote, "email-events.sqlite")) == [1, 2]
    assert sent(branch_file(remote, "ledger.sqlite")) == {"first@example.com", "a@example.com"}


def test_a_state_branch_deleted_since_the_restore_comes_back_with_this_runs_ledger(
    tmp_path: Path, remote: Path
) -> None:
    a_first_send(tmp_path, remote)
    restored_from = head(remote)
    job = runner_clone(tmp_path, "job", remote)
    ok(job, "restore")
    send_to(job, "a@example.com")
    git(remote, "branch", "-D", "state")
    ok(job, "save")
    files = git(remote, "ls-tree", "--name-only", "state").split()
    assert files == git(remote, "ls-tree", "--name-only", restored_from).split()
    assert sent(branch_file(remote, "ledger.sqlite")) == {"first@example.com", "a@example.com"}
    assert visits(branch_file(remote, "email-events.sqlite")) == [1]
