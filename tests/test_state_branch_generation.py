"""scripts/state_branch.py keeps the ledger from going back: each save of a changed ledger
raises its generation, tagged on the remote beside the branch; a restore refuses a branch
that was deleted, lost its ledger or was rolled back to an older generation, and says in one
line how to put the newest ledger back. Only a repository that never saved a ledger starts
from an empty one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.jobs.remote import PERSON, git
from tests.state_branch_support import (
    MONTH,
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

TAGS = "refs/tags/ledger-generation/"


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return bare_remote(tmp_path)


def generation_tags(remote: Path) -> list[str]:
    return git(remote, "for-each-ref", "--format=%(refname:short)", TAGS).split()


def recorded(ledger: Path) -> tuple[int, str, str]:
    with sqlite3.connect(ledger) as db:
        row = db.execute("SELECT generation, key, counts FROM ledger_generation").fetchone()
    return int(row[0]), str(row[1]), str(row[2])


def a_send_saved(tmp_path: Path, remote: Path, name: str, *emails: str) -> str:
    """A job that restores, sends ``emails`` and saves; the state commit it made."""
    job = runner_clone(tmp_path, name, remote)
    ok(job, "restore", "--ledger-only")
    send_to(job, *emails)
    ok(job, "save")
    return git(remote, "rev-parse", "state").strip()


def refused_restore(tmp_path: Path, remote: Path, name: str) -> str:
    """A restore that fails: its one line; no ledger and no marker written."""
    job = runner_clone(tmp_path, name, remote)
    done = run_script(job, "restore", "--ledger-only")
    assert done.returncode == 1, done.stdout
    [line] = done.stderr.splitlines()
    assert not (job / "state").exists() or list((job / "state").iterdir()) == []
    return line


def test_a_first_save_records_generation_1_in_the_ledger_and_as_a_tag_on_its_commit(
    tmp_path: Path, remote: Path
) -> None:
    commit = a_send_saved(tmp_path, remote, "first", "a@example.com", "b@example.com")
    assert generation_tags(remote) == ["ledger-generation/1"]
    assert git(remote, "rev-parse", "ledger-generation/1^{commit}").strip() == commit
    assert recorded(branch_file(remote, "ledger.sqlite")) == (1, MONTH, "2 sent")


def test_each_save_of_a_changed_ledger_moves_to_the_next_generation_and_keeps_one_tag(
    tmp_path: Path, remote: Path
) -> None:
    a_send_saved(tmp_path, remote, "first", "a@example.com")
    second = a_send_saved(tmp_path, remote, "second", "b@example.com")
    assert generation_tags(remote) == ["ledger-generation/2"]
    assert git(remote, "rev-parse", "ledger-generation/2^{commit}").strip() == second
    assert recorded(branch_file(remote, "ledger.sqlite")) == (2, MONTH, "2 sent")


def test_a_save_that_changed_no_ledger_row_keeps_the_generation(
    tmp_path: Path, remote: Path
) -> None:
    a_send_saved(tmp_path, remote, "first", "a@example.com")
    desk = runner_clone(tmp_path, "desk", remote)
    ok(desk, "restore", "--ledger-only")
    pull_visits(desk, 1)
    ok(desk, "save")
    assert generation_tags(remote) == ["ledger-generation/1"]
    assert recorded(branch_file(remote, "ledger.sqlite"))[0] == 1


def test_a_state_branch_rolled_back_is_refused_and_the_advice_puts_the_newest_back(
    tmp_path: Path, remote: Path
) -> None:
    older = a_send_saved(tmp_path, remote, "first", "a@example.com")
    a_send_saved(tmp_path, remote, "second", "b@example.com")
    git(remote, "update-ref", "refs/heads/state", older)  # someone forced state back
    line = refused_restore(tmp_path, remote, "job")
    assert line.startswith("state_branch: the ledger on state@")
    assert f"is generation 1, last send {MONTH}: 1 sent, older than generation 2" in line
    assert "git push --force origin ledger-generation/2^{commit}:refs/heads/state" in line
    # What the line says to do, done from a clone:
    fix = runner_clone(tmp_path, "fix", remote)
    git(fix, "fetch", "--quiet", "origin", "tag", "ledger-generation/2")
    git(
        fix, "push", "--quiet", "--force", "origin", "ledger-generation/2^{commit}:refs/heads/state"
    )
    job = runner_clone(tmp_path, "again", remote)
    assert "generation 2" in ok(job, "restore", "--ledger-only")
    assert sent(ledger_of(job)) == {"a@example.com", "b@example.com"}


def test_a_deleted_state_branch_of_a_repository_that_has_sent_is_refused(
    tmp_path: Path, remote: Path
) -> None:
    a_send_saved(tmp_path, remote, "first", "a@example.com")
    git(remote, "branch", "-D", "state")
    line = refused_restore(tmp_path, remote, "job")
    assert line.startswith("state_branch: branch 'state' is missing on 'origin'")
    assert "this repository has sent before (tag ledger-generation/1)" in line
    assert "nothing can be sent" in line


def test_a_state_branch_whose_ledger_was_removed_is_refused(tmp_path: Path, remote: Path) -> None:
    a_send_saved(tmp_path, remote, "first", "a@example.com")
    work = tmp_path / "by-hand"
    git(tmp_path, "clone", "--quiet", "--branch", "state", remote.as_uri(), str(work))
    git(work, "rm", "--quiet", "ledger.sqlite")
    git(work, *PERSON, "commit", "--quiet", "-m", "tidy up")
    git(work, "push", "--quiet", "origin", "state")
    line = refused_restore(tmp_path, remote, "job")
    assert "has no ledger, but one of generation 1 was saved" in line


def test_a_repository_that_never_saved_a_ledger_starts_from_an_empty_one(
    tmp_path: Path, remote: Path
) -> None:
    job = runner_clone(tmp_path, "job", remote)
    assert "starting with an empty ledger" in ok(job, "restore", "--ledger-only")
    desk = runner_clone(tmp_path, "desk", remote)  # the desk saved events, no ledger yet
    ok(desk, "restore", "--ledger-only")
    pull_visits(desk, 1)
    ok(desk, "save")
    assert "no ledger on the branch" in ok(runner_clone(tmp_path, "next", remote), "restore")
    assert generation_tags(remote) == []


def test_two_saves_of_the_same_generation_never_both_land(tmp_path: Path, remote: Path) -> None:
    a_send_saved(tmp_path, remote, "first", "a@example.com")
    one, two = runner_clone(tmp_path, "one", remote), runner_clone(tmp_path, "two", remote)
    ok(one, "restore", "--ledger-only")
    ok(two, "restore", "--ledger-only")
    send_to(one, "b@example.com")
    send_to(two, "c@example.com")
    ok(one, "save")
    done = run_script(two, "save")
    assert done.returncode == 1
    assert "changed since the restore" in done.stderr
    assert generation_tags(remote) == ["ledger-generation/2"]
    assert sent(branch_file(remote, "ledger.sqlite")) == {"a@example.com", "b@example.com"}
