"""``newsletter report`` as a person runs it: the installed console script, on a terminal
and not, on the sample newsletter with a send ledger in its state folder."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsletter.desk.inbox import Event
from newsletter.desk.tracking import record_email_events, record_page_visits
from newsletter.report.sections import SECTION_COUNT
from tests.report_factory import write_send_ledger
from tests.terminal import DEADLINE, run_on_terminal

CONSOLE_SCRIPT = Path(sys.executable).with_name("newsletter")  # .venv/bin/newsletter
AS_OF = "2026-11-20T12:00"


def report_args(project: Path, *extra: str) -> list[str]:
    return [
        str(CONSOLE_SCRIPT),
        "report",
        "--config",
        str(project / "newsletter.yaml"),
        "--month",
        "2026-11",
        "--out",
        str(project / "build"),
        "--now",
        AS_OF,
        *extra,
    ]


@pytest.fixture
def project(sample_project: Path) -> Path:
    write_send_ledger(sample_project / "state" / "ledger.sqlite")
    return sample_project


def env(**extra: str) -> dict[str, str]:
    # No NEWSLETTER_SECRET: the report needs none (the ledger stores referrers' addresses).
    return {"PATH": os.environ["PATH"], "COLUMNS": "120", **extra}


def test_report_prints_the_month_and_writes_the_private_folder(project: Path) -> None:
    done = subprocess.run(
        report_args(project), env=env(), capture_output=True, text=True, timeout=DEADLINE
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == ("November 2026: referrals and the newsletter (as of 2026-11-20 12:00 CST)")
    assert "The November 2026 issue went to 9 recipients: 4 sent, 1 failed, 3 uncertain." in lines
    folder = project / "build" / "reports" / "2026-11"
    assert lines[-1] == f"wrote {folder}/ (index.html, summary.md)"
    assert done.stderr == ""  # piped: no progress bar
    html = (folder / "index.html").read_text()
    assert html.count('<img src="data:image/svg+xml;base64,') == 6
    assert stat.S_IMODE((folder / "index.html").stat().st_mode) == 0o600


def test_report_on_a_terminal_draws_its_progress_bar(project: Path) -> None:
    status, output = run_on_terminal(report_args(project), env(TERM="xterm-256color"))

    assert status == 0, output
    assert (
        "drawing the report" in output and f"/{SECTION_COUNT}" in output and "sections/s" in output
    )
    assert "wrote " in output and "Traceback" not in output


def test_a_malformed_ledger_line_is_one_error_and_writes_nothing(project: Path) -> None:
    ledger = project / "subscribers" / "referrals.csv"
    lines = ledger.read_text().splitlines()
    lines[3] = lines[3].replace(",won,", ",called,", 1)
    ledger.write_text("\n".join(lines) + "\n")

    done = subprocess.run(
        report_args(project), env=env(), capture_output=True, text=True, timeout=DEADLINE
    )

    assert done.returncode == 2
    assert done.stderr == (
        f"newsletter: {ledger}:4: status: unknown status 'called' "
        "(expected new, contacted, won, lost)\n"
    )
    assert not (project / "build" / "reports").exists()


def test_a_broken_send_ledger_is_one_error(project: Path) -> None:
    ledger = project / "state" / "ledger.sqlite"
    for leftover in ledger.parent.glob("ledger.sqlite*"):
        leftover.unlink()
    ledger.write_bytes(b"not a database " * 400)

    done = subprocess.run(
        report_args(project), env=env(), capture_output=True, text=True, timeout=DEADLINE
    )

    assert done.returncode == 2
    assert done.stderr.startswith(f"newsletter: {ledger}: cannot read the send ledger: ")
    assert done.stderr.count("\n") == 1


def test_events_pulled_from_the_desk_show_what_readers_did(project: Path) -> None:
    at = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    readers = [f"2026-11-{n}@example.com" for n in range(4)]
    record_email_events(
        project / "state",
        [
            Event(n, "esp", at, {"email": email, "event": kind, "issue": "2026-11"})
            for n, (email, kind) in enumerate(
                [(e, "delivered") for e in readers] + [(readers[0], "open")], start=1
            )
        ],
    )
    record_page_visits(
        project / "state", [Event(9, "visit", at, {"medium": "print", "issue": "2026-11"})]
    )

    done = subprocess.run(
        report_args(project), env=env(), capture_output=True, text=True, timeout=DEADLINE
    )

    assert done.returncode == 0, done.stderr
    html = (project / "build" / "reports" / "2026-11" / "index.html").read_text()
    assert "<caption>Issue 2026-11: what readers did</caption>" in html
    assert re.search(r"<th scope=\"row\">Delivered</th>\s*<td[^>]*>4</td>", html)
    assert re.search(r"<th scope=\"row\">Opened</th>\s*<td[^>]*>1</td>", html)
    assert re.search(r"<th scope=\"row\">Referral page visits</th>\s*<td[^>]*>1</td>", html)
