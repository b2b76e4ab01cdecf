"""Two runs, one month: the commands that write or read build/YYYY-MM hold the month's lock,
so a build never replaces the folder under a print; a rebuild keeps the month's print/
and says when it was printed from another build."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsletter.errors import BuildError
from newsletter.fsutil import replace_folder
from newsletter.pipeline.monthlock import month_lock
from tests.project_factory import MONTH, build, make_project, newsletter
from tests.referral_factory import SECRET


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)
    root = make_project(tmp_path / "p")
    assert build(root).returncode == 0
    return root


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize(
    ("holder", "command"),
    [
        ("print", ("build", "--offline")),
        ("build", ("print",)),
        ("send", ("build", "--offline")),
        ("build", ("send",)),
    ],
)
def test_a_command_on_a_month_another_holds_is_refused_naming_it(
    project: Path, holder: str, command: tuple[str, ...]
) -> None:
    before = folder_bytes(project / "build" / MONTH)
    with month_lock(project / "build", MONTH, doing=holder) as held:
        done = newsletter(project, *command, "--month", MONTH)
    doing = command[0]
    assert (done.returncode, done.stderr) == (
        2,
        f"newsletter: build/{MONTH}: cannot {doing} {MONTH}: {holder} {MONTH} (pid {os.getpid()}"
        f" on {held.host}, since {held.started}) is using it; try again when it has finished\n",
    )
    assert folder_bytes(project / "build" / MONTH) == before


def print_month(project: Path) -> None:
    printed = newsletter(project, "print", "--month", MONTH)
    assert printed.returncode == 0, printed.stderr


def test_rebuilding_a_month_keeps_its_print_edition(project: Path) -> None:
    print_month(project)
    printed = project / "build" / MONTH / "print"
    before = folder_bytes(printed)
    again = build(project)
    assert again.returncode == 0
    assert "print" not in again.stderr  # the same build: the paper still says what it says
    assert folder_bytes(printed) == before


def test_a_rebuild_that_changes_the_issue_keeps_print_and_says_so_until_printed_again(
    project: Path,
) -> None:
    print_month(project)
    editorial = project / "content" / "editorials" / MONTH / "welcome.md"
    editorial.write_text(editorial.read_text("utf-8").replace("first note", "new note"), "utf-8")
    said = (
        f"warning: build/{MONTH}/print/ is kept, printed from an earlier build of {MONTH} that "
        f"differs from this one: run `newsletter print --month {MONTH}` again before it goes "
        "to the print shop\n"
    )
    changed = build(project)
    assert changed.returncode == 0 and said in changed.stderr
    assert (project / "build" / MONTH / "print" / "issue.pdf").is_file()
    assert said in build(project).stderr  # a rebuild like the last: still not what was printed
    print_month(project)
    assert said not in build(project).stderr


def test_a_failed_replacement_leaves_the_old_folder_with_what_it_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "build" / MONTH
    replace_folder(target, {"email.html": b"old"})
    (target / "print").mkdir()
    (target / "print" / "issue.pdf").write_bytes(b"paper")
    real_replace = os.replace

    def fail_on_the_swap(source: str | Path, destination: str | Path) -> None:
        if ".staging-" in Path(source).name:  # the new folder, taking the old one's place
            raise OSError(28, "No space left on device")
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", fail_on_the_swap)
    with pytest.raises(BuildError):
        replace_folder(target, {"email.html": b"new"}, keep=("print",))
    assert folder_bytes(target) == {"email.html": b"old", "print/issue.pdf": b"paper"}
    assert sorted(p.name for p in target.parent.iterdir()) == [MONTH]


def test_what_a_new_folder_keeps_is_the_same_file_not_a_copy(tmp_path: Path) -> None:
    target = tmp_path / "build" / MONTH
    replace_folder(target, {"email.html": b"old"})
    (target / "print").mkdir(mode=0o700)
    kept = target / "print" / "issue.pdf"
    kept.write_bytes(b"paper")
    inode = kept.stat().st_ino
    replace_folder(target, {"email.html": b"new"}, keep=("print",))
    assert folder_bytes(target) == {"email.html": b"new", "print/issue.pdf": b"paper"}
    assert kept.stat().st_ino == inode
    assert (target / "print").stat().st_mode & 0o777 == 0o700


def test_a_writer_killed_between_its_two_renames_loses_nothing(tmp_path: Path) -> None:
    target = tmp_path / "build" / MONTH
    retired = target.with_name(f".{MONTH}.retired")  # where the old folder waits for the new
    (retired / "print").mkdir(parents=True)
    (retired / "email.html").write_bytes(b"old")
    (retired / "print" / "issue.pdf").write_bytes(b"paper")
    replace_folder(target, {"email.html": b"new"}, keep=("print",))
    assert folder_bytes(target) == {"email.html": b"new", "print/issue.pdf": b"paper"}
    assert sorted(p.name for p in target.parent.iterdir()) == [MONTH]
