"""scripts/state_branch.py: the send ledger survives between workflow runs on a git branch.

Each "run" is a fresh checkout of the sample project whose `origin` is a bare repository in
tmp_path, as each monthly workflow run is a fresh clone of the real repository.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import main
from newsletter.config.files import EMAIL_EVENTS_FILE
from newsletter.deliver.ledger import Ledger
from newsletter.desk.inbox import Event
from newsletter.desk.tracking import record_page_visits
from tests.conftest import REPO
from tests.fake_sendgrid import API_KEY, FakeSendGrid
from tests.golden import copy_sample

SCRIPT = REPO / "scripts" / "state_branch.py"
SECRET = "a-test-secret-of-enough-length"
MONTH = "2026-11"


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout


def state_branch(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the script as the workflow does: from the checkout's root."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=checkout, capture_output=True, text=True
    )


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    path = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", str(path))
    return path


def fresh_checkout(tmp_path: Path, name: str, origin: Path) -> Path:
    """The sample project in a new git checkout, with no state/ and no build/."""
    checkout = tmp_path / name
    copy_sample(checkout)
    git(checkout, "init", "--quiet")
    git(checkout, "remote", "add", "origin", str(origin))
    return checkout


def newsletter(
    checkout: Path, *args: str, server: FakeSendGrid | None = None, exit_code: int = 0
) -> str:
    env = {"NEWSLETTER_SECRET": SECRET}
    if server is not None:
        env |= {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": server.base_url}
    result = CliRunner().invoke(
        main,
        [*args, "--config", str(checkout / "newsletter.yaml"), "--out", str(checkout / "build")],
        env=env,
    )
    assert result.exit_code == exit_code, result.output
    return result.stdout


def send(checkout: Path, server: FakeSendGrid, *extra: str, exit_code: int = 0) -> str:
    return newsletter(
        checkout,
        "send",
        "--month",
        MONTH,
        "--yes",
        "--silent",
        *extra,
        server=server,
        exit_code=exit_code,
    )


def restored(checkout: Path) -> str:
    result = state_branch(checkout, "restore")
    assert result.returncode == 0, result.stderr
    return result.stdout


def saved(checkout: Path, *args: str) -> str:
    result = state_branch(checkout, "save", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def an_unsent_subscriber(checkout: Path, sent: set[str]) -> str:
    """An address the sample would email that the ledger has not sent yet."""
    with open(checkout / "subscribers" / "suppressions.csv", encoding="utf-8") as handle:
        suppressed = {row["email"].lower() for row in csv.DictReader(handle)}
    with open(checkout / "subscribers" / "subscribers.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            email = row["email"].lower()
            if row["channels"] in ("email", "both") and email not in suppressed | sent:
                return email
    raise AssertionError("the sample has no unsent subscriber left")


def test_a_rerun_in_a_fresh_checkout_resumes_the_send_without_duplicates(
    tmp_path: Path, origin: Path, fake_sendgrid: FakeSendGrid
) -> None:
    # Run 1: no state branch yet. Five are sent, then a batch is cut off mid-flight (the
    # ledger is still open, its rows in the WAL file, as when the runner is killed).
    first = fresh_checkout(tmp_path, "run1", origin)
    assert "starting with an empty ledger" in restored(first)
    newsletter(first, "build", "--month", MONTH, "--offline")
    assert "sent 5 " in send(first, fake_sendgrid, "--limit", "5")
    killed = Ledger(first / "state" / "ledger.sqlite")
    cut_off = an_unsent_subscriber(first, killed.sent(MONTH))
    with killed.run(purpose=f"send {MONTH}") as run:
        run.mark_in_flight(MONTH, [cut_off], batch="killed")
        assert f"state: {MONTH}" in saved(first, "--month", MONTH)
    killed.close()
    assert set(git(origin, "ls-tree", "--name-only", "state").split()) == {
        "README.md",
        "issues",
        "ledger.sqlite",
    }

    # Run 2, on a new machine: the ledger and the very build that was sent come back,
    # and the send goes on with everyone else.
    second = fresh_checkout(tmp_path, "run2", origin)
    assert "issues: 2026-11" in restored(second)
    for name in json.loads((first / "build" / MONTH / "manifest.json").read_text())["outputs"]:
        sent_file = (first / "build" / MONTH / name).read_bytes()
        assert (second / "build" / MONTH / name).read_bytes() == sent_file
    out = send(second, fake_sendgrid, exit_code=1)  # 1: the cut-off one is news to look at
    assert "sent 11 " in out  # 17 to email, less the 5 sent and the 1 cut off
    assert "uncertain: 1 recipients" in out
    saved(second, "--month", MONTH)
    emails = fake_sendgrid.emails()
    assert len(emails) == len(set(emails)) == 16
    assert cut_off not in emails

    # Run 3: after checking the provider's activity, the uncertain one is resent; a
    # further rerun sends nobody.
    third = fresh_checkout(tmp_path, "run3", origin)
    restored(third)
    assert "sent 1 " in send(third, fake_sendgrid, "--resend-uncertain")
    assert "sent 0 " in send(third, fake_sendgrid)
    saved(third)
    assert sorted(fake_sendgrid.emails()) == sorted({*emails, cut_off})
    with Ledger(third / "state" / "ledger.sqlite") as ledger:
        assert ledger.counts(MONTH)["sent"] == 17


def test_an_unreachable_remote_fails_the_restore_and_writes_no_ledger(tmp_path: Path) -> None:
    checkout = fresh_checkout(tmp_path, "run", tmp_path / "no-such-origin.git")
    result = state_branch(checkout, "restore")
    assert result.returncode == 1
    assert "cannot read 'origin'" in result.stderr
    assert not (checkout / "state").exists()
    # ...and so no save can follow it.
    result = state_branch(checkout, "save")
    assert result.returncode == 1
    assert "run `restore` before `save`" in result.stderr


def test_restore_refuses_to_overwrite_a_ledger(tmp_path: Path, origin: Path) -> None:
    checkout = fresh_checkout(tmp_path, "run", origin)
    (checkout / "state").mkdir()
    (checkout / "state" / "ledger.sqlite").write_bytes(b"precious")
    result = state_branch(checkout, "restore")
    assert result.returncode == 1
    assert "move it away first" in result.stderr
    assert (checkout / "state" / "ledger.sqlite").read_bytes() == b"precious"


def test_saving_an_unchanged_ledger_makes_no_commit(tmp_path: Path, origin: Path) -> None:
    checkout = fresh_checkout(tmp_path, "run", origin)
    restored(checkout)
    with Ledger(checkout / "state" / "ledger.sqlite") as ledger, ledger.run("send") as run:
        run.mark_in_flight(MONTH, ["a@example.com"], batch="1")
    saved(checkout)
    head = git(origin, "rev-parse", "state")
    assert "already up to date" in saved(checkout)
    assert git(origin, "rev-parse", "state") == head


def test_site_puts_each_issue_in_its_month_and_the_newest_archive_on_top(
    tmp_path: Path,
) -> None:
    build = tmp_path / "build"
    for month in ("2026-10", "2026-11"):
        web = build / month / "web"
        web.mkdir(parents=True)
        for name in ("index.html", "archive.html", "feed.xml"):
            (web / name).write_text(f"{month} {name}")
    (build / "not-a-month" / "web").mkdir(parents=True)
    for private in ("reports/2026-11", "referrals/2026-11"):  # leads' names: never published
        (build / private).mkdir(parents=True)
        (build / private / "index.html").write_text("Leo Santos (608) 555-0175")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--build-dir", str(build), "site", "--out", "_site"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    site = tmp_path / "_site"
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert files == [
        "2026-10/archive.html",
        "2026-10/feed.xml",
        "2026-10/index.html",
        "2026-11/archive.html",
        "2026-11/feed.xml",
        "2026-11/index.html",
        "archive.html",
        "feed.xml",
        "index.html",
    ]
    assert (site / "index.html").read_text() == "2026-11 archive.html"
    assert (site / "feed.xml").read_text() == "2026-11 feed.xml"


def test_the_pulled_email_events_go_with_the_ledger_to_the_next_run(
    tmp_path: Path, origin: Path
) -> None:
    first = fresh_checkout(tmp_path, "run1", origin)
    restored(first)
    at = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    record_page_visits(
        first / "state", [Event(1, "visit", at, {"medium": "print", "issue": MONTH})]
    )
    saved(first)
    second = fresh_checkout(tmp_path, "run2", origin)
    restored(second)
    events = second / "state" / EMAIL_EVENTS_FILE
    db = sqlite3.connect(events)
    try:
        assert db.execute("SELECT issue, medium FROM page_visits").fetchall() == [(MONTH, "print")]
    finally:
        db.close()
    assert stat.S_IMODE(events.stat().st_mode) == 0o600
