"""Files and folders the system refuses, as the console script meets them: an unreadable
folder or file, a read-only folder, a full disk. Each is one line naming it, exit 2, and
nothing half-written; an unreadable folder is never read as an empty one.

Root reads and writes through any permission, so as root the commands run without the
capabilities that allow it (``setpriv``), as an ordinary user would."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.audience.tokens import referral_codes
from newsletter.referrals.ledger import load_leads
from tests.project_factory import MONTH, NEWSLETTER, make_project, read_config, write_config
from tests.referral_factory import SECRET
from tests.tmpfs import fill, mounted_tmpfs

AS_A_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
"""Root without its power over permissions."""


def as_a_user(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The console script on ``project``, held to file permissions as any user is."""
    prefix = AS_A_USER if os.geteuid() == 0 else []
    if prefix and not shutil.which(prefix[0]):
        pytest.skip("running as root without setpriv (util-linux): permissions would not hold")
    return subprocess.run(
        [*prefix, NEWSLETTER, *args, "--config", str(project / "newsletter.yaml")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NEWSLETTER_SECRET": SECRET},
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsletter: "), lines
    return lines[0]


@contextlib.contextmanager
def mode(path: Path, bits: int) -> Iterator[None]:
    before = path.stat().st_mode & 0o777
    path.chmod(bits)
    try:
        yield
    finally:
        path.chmod(before)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "p")
    images = root / "content" / "images"
    images.mkdir()
    (images / "van.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    editorial = root / "content" / "editorials" / MONTH / "welcome.md"
    editorial.write_text(
        "---\ntitle: Welcome\nimage: {src: images/van.png, alt: Our van}\n---\nHello.\n",
        encoding="utf-8",
    )
    return root


# ---- reading -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", [("check",), ("build", "--offline")], ids=" ".join)
@pytest.mark.parametrize(
    ("unreadable", "said"),
    [
        ("content/editorials", "content/editorials: cannot read the folder"),
        (f"content/editorials/{MONTH}", f"content/editorials/{MONTH}: cannot read the folder"),
        ("content/offers", "content/offers: cannot read the folder"),
        ("content/images", "content/images/van.png: cannot read"),
        ("templates", "{project}/templates: cannot read the folder"),
        ("templates/email.html.j2", "{project}/templates/email.html.j2: cannot read"),
    ],
)
def test_an_unreadable_folder_or_file_is_one_line_naming_it(
    project: Path, command: tuple[str, ...], unreadable: str, said: str
) -> None:
    with mode(project / unreadable, 0):
        line = one_line(as_a_user(project, *command, "--month", MONTH))
    assert line == f"newsletter: {said.format(project=project)}: Permission denied"


def test_an_unreadable_subscribers_folder_stops_the_build_naming_what_it_reads(
    project: Path,
) -> None:
    with mode(project / "subscribers", 0):
        line = one_line(as_a_user(project, "build", "--offline", "--month", MONTH))
    assert line == f"newsletter: {project}/subscribers/referrals.csv: Permission denied"


@pytest.mark.parametrize("command", [("print",), ("preview",)], ids=" ".join)
def test_an_unreadable_build_is_named_not_taken_for_a_missing_one(
    project: Path, command: tuple[str, ...]
) -> None:
    assert as_a_user(project, "build", "--offline", "--month", MONTH).returncode == 0
    with mode(project / "build" / MONTH, 0):
        line = one_line(as_a_user(project, *command, "--month", MONTH))
    assert line == f"newsletter: build/{MONTH}/manifest.json: cannot read: Permission denied"


def test_an_unreadable_past_build_is_left_out_of_the_archive_with_a_warning(
    project: Path,
) -> None:
    assert as_a_user(project, "build", "--offline", "--month", "2026-10").returncode == 0
    with mode(project / "build" / "2026-10", 0):
        done = as_a_user(project, "build", "--offline", "--month", MONTH)
    said = "build/2026-10/manifest.json: cannot read: Permission denied; left out of the archive"
    assert done.returncode == 0, done.stderr
    assert f"warning: {said}" in done.stderr.splitlines()


def test_an_unreadable_config_is_one_line_naming_it(project: Path) -> None:
    with mode(project / "newsletter.yaml", 0):
        line = one_line(as_a_user(project, "check"))
    assert line == f"newsletter: {project}/newsletter.yaml: cannot read: Permission denied"


# ---- writing -----------------------------------------------------------------------------


def add_lead(project: Path, name: str) -> subprocess.CompletedProcess[str]:
    (code,) = referral_codes(SECRET.encode(), ["ana@example.com"]).values()
    return as_a_user(
        project, "referral", "add", "--ref", code, "--name", name, "--phone", "608 555 0175"
    )


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_referral_add_in_a_read_only_subscribers_folder_says_so_and_changes_nothing(
    project: Path,
) -> None:
    folder = project / "subscribers"
    before = sorted(p.name for p in folder.iterdir())
    with mode(folder, 0o555):
        line = one_line(add_lead(project, "Leo Santos"))
    assert line == (
        f"newsletter: {folder}/referrals.csv: cannot make its lock .referrals.csv.lock in its "
        "folder: Permission denied"
    )
    assert sorted(p.name for p in folder.iterdir()) == before


def test_referral_add_in_a_read_only_folder_holding_its_lock_leaves_the_ledger_as_it_was(
    project: Path,
) -> None:
    assert add_lead(project, "Leo Santos").returncode == 0
    ledger = project / "subscribers" / "referrals.csv"
    before = ledger.read_bytes()
    with mode(ledger.parent, 0o555):
        line = one_line(add_lead(project, "Mia Chen"))
    assert line == (
        f"newsletter: {ledger}: cannot write: Permission denied; the file is left as it was"
    )
    assert ledger.read_bytes() == before and not leftovers(ledger.parent)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KB tmpfs mounted for the test (root only; skipped where it cannot be)."""
    yield from mounted_tmpfs(tmp_path / "disk", "256k")


def test_referral_add_on_a_full_disk_fails_whole_and_the_rerun_adds_it_once(
    project: Path, small_disk: Path
) -> None:
    readers = small_disk / "subscribers"
    shutil.copytree(project / "subscribers", readers)
    config = read_config(project)
    config["paths"] = {"subscribers": str(readers)}
    write_config(project, config)
    assert add_lead(project, "Leo Santos").returncode == 0
    ledger = readers / "referrals.csv"
    before = ledger.read_bytes()
    filler = fill(small_disk)

    line = one_line(add_lead(project, "Mia Chen"))
    assert line == (
        f"newsletter: {ledger}: cannot write: No space left on device; the file is left as it was"
    )
    assert ledger.read_bytes() == before and not leftovers(readers)

    filler.unlink()
    assert add_lead(project, "Mia Chen").returncode == 0
    assert [lead.name for lead in load_leads(ledger)] == ["Leo Santos", "Mia Chen"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_build_on_a_full_disk_keeps_the_last_build_and_the_rerun_builds(
    project: Path, small_disk: Path
) -> None:
    out = small_disk / "build"
    build = ("build", "--offline", "--month", MONTH, "--out", str(out))
    assert as_a_user(project, *build).returncode == 0
    before = snapshot(out / MONTH)
    filler = fill(small_disk)

    done = as_a_user(project, *build)
    assert done.returncode == 2, done
    assert done.stderr.splitlines()[-1] == (
        f"newsletter: {out / MONTH}: cannot write: No space left on device; the folder is left "
        "as it was"
    )
    assert snapshot(out / MONTH) == before
    assert sorted(p.name for p in out.iterdir()) == [f".{MONTH}.lock", MONTH]

    filler.unlink()
    assert as_a_user(project, *build).returncode == 0
