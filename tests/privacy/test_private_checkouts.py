"""A key holder's opened data files stay readable by their owner only whenever git
rewrites them (checkout, merge, pull, rebase, reset, stash): hooks of the tool's own,
installed with the filter, never in place of the owner's hooks."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from tests.privacy.support import Person, clone, ok, sealed_project

SUBSCRIBERS = "subscribers/subscribers.csv"
BO = "bo@example.com,Bo,,,client,email,,,,,,form,2025-02-01,\n"
HOOKS = ("post-checkout", "post-merge", "post-rewrite", "post-index-change")


def git(person: Person, root: Path, *args: str) -> str:
    """git as ``person`` with the usual umask, under which git writes files 0644."""
    return subprocess.run(
        ["git", *args],
        cwd=root,
        env=person.env(),
        capture_output=True,
        text=True,
        check=True,
        umask=0o022,
    ).stdout


def shop_with_a_branch_adding_bo(tmp_path: Path) -> tuple[Person, Path]:
    """The owner's repository, whose branch ``more`` adds Bo to the list; main does not."""
    owner = Person(tmp_path / "owner")
    root = sealed_project(tmp_path / "shop", owner)
    git(owner, root, "checkout", "-q", "-b", "more")
    with (root / SUBSCRIBERS).open("a", encoding="utf-8") as handle:
        handle.write(BO)
    git(owner, root, "commit", "-q", "-am", "Bo subscribes")
    git(owner, root, "checkout", "-q", "main")
    return owner, root


def unlocked_clone(tmp_path: Path) -> tuple[Person, Path]:
    owner, root = shop_with_a_branch_adding_bo(tmp_path)
    copy = clone(root, tmp_path / "copy", owner)
    ok(owner.run(copy, "keys", "unlock"))
    return owner, copy


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def holds_bo(root: Path) -> bool:
    return b"bo@example.com" in (root / SUBSCRIBERS).read_bytes()


@pytest.mark.parametrize(
    "command",
    [
        ("checkout", "-q", "more"),
        ("merge", "-q", "origin/more"),
        ("pull", "-q", "origin", "more"),
        ("rebase", "-q", "origin/more"),
        ("reset", "-q", "--hard", "origin/more"),
    ],
    ids=lambda command: command[0],
)
def test_a_data_file_git_rewrites_stays_private_and_opened(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    owner, copy = unlocked_clone(tmp_path)
    assert mode(copy / SUBSCRIBERS) == 0o600 and not holds_bo(copy)

    git(owner, copy, *command)

    assert holds_bo(copy)
    assert mode(copy / SUBSCRIBERS) == 0o600
    assert git(owner, copy, "status", "--porcelain") == ""


def test_a_stash_and_its_pop_leave_the_data_file_private(tmp_path: Path) -> None:
    owner, copy = unlocked_clone(tmp_path)
    with (copy / SUBSCRIBERS).open("a", encoding="utf-8") as handle:
        handle.write(BO)

    git(owner, copy, "stash", "-q")
    stashed = mode(copy / SUBSCRIBERS)
    git(owner, copy, "stash", "pop", "-q")

    assert stashed == 0o600
    assert holds_bo(copy) and mode(copy / SUBSCRIBERS) == 0o600


def test_a_data_file_missing_from_the_working_tree_is_skipped_quietly(tmp_path: Path) -> None:
    owner, copy = unlocked_clone(tmp_path)
    (copy / SUBSCRIBERS).unlink()

    switched = subprocess.run(
        ["git", "checkout", "-q", "-b", "elsewhere"],
        cwd=copy,
        env=owner.env(),
        capture_output=True,
        text=True,
        check=False,
    )

    assert (switched.returncode, switched.stderr) == (0, "")
    assert not (copy / SUBSCRIBERS).exists()


def test_the_owners_own_hook_is_kept_and_unlock_says_what_to_add(tmp_path: Path) -> None:
    owner, root = shop_with_a_branch_adding_bo(tmp_path)
    copy = clone(root, tmp_path / "copy", owner)
    theirs = copy / ".git" / "hooks" / "post-merge"
    theirs.write_text("#!/bin/sh\necho deploying\n", encoding="utf-8")
    theirs.chmod(0o755)

    unlocked = owner.run(copy, "keys", "unlock")

    assert unlocked.returncode == 0, unlocked.stderr
    assert theirs.read_text(encoding="utf-8") == "#!/bin/sh\necho deploying\n"
    (line,) = unlocked.stderr.strip().splitlines()
    assert str(theirs) in line and "chmod 600" in line and "filter=newsletter-sealed" in line
    git(owner, copy, "checkout", "-q", "more")  # the other hooks are ours, and work
    assert mode(copy / SUBSCRIBERS) == 0o600


def test_lock_removes_the_hooks_of_ours_and_only_those(tmp_path: Path) -> None:
    owner, copy = unlocked_clone(tmp_path)
    hooks = copy / ".git" / "hooks"
    assert all((hooks / name).is_file() for name in HOOKS)
    theirs = hooks / "pre-commit"
    theirs.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")

    ok(owner.run(copy, "keys", "lock"))

    assert not any((hooks / name).exists() for name in HOOKS)
    assert theirs.is_file()


def test_the_hooks_go_where_core_hooks_path_tells_git_to_look(tmp_path: Path) -> None:
    owner, root = shop_with_a_branch_adding_bo(tmp_path)
    copy = clone(root, tmp_path / "copy", owner)
    shared = tmp_path / "hooks"
    git(owner, copy, "config", "core.hooksPath", str(shared))

    ok(owner.run(copy, "keys", "unlock"))
    git(owner, copy, "checkout", "-q", "more")

    assert sorted(p.name for p in shared.iterdir()) == sorted(HOOKS)
    assert mode(copy / SUBSCRIBERS) == 0o600
