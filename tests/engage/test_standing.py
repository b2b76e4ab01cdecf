"""The engagement rule (engage.standing.judge): who is active, fading, asked or due, from
the send ledger and the email events as ``desk pull`` keeps them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsletter.config import load_config
from newsletter.desk.inbox import Event
from newsletter.desk.tracking import record_email_events
from newsletter.engage.standing import Standing, judge
from tests.engage.support import ledger_sent, welcome_project
from tests.project_factory import newsletter, read_config, write_config

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
READERS = ["ana@example.com", "bo@example.com"]


def project_with(tmp_path: Path, **rule: object) -> Path:
    """Two readers, sent the issues 2026-10 and 2026-11, the rule looking at two."""
    project = welcome_project(tmp_path / "p", READERS)
    config = read_config(project)
    config["engagement"] = {"quiet_issues": 2, **rule}
    write_config(project, config)
    ledger_sent(project, "2026-10", READERS, at=NOW - timedelta(days=60))
    ledger_sent(project, "2026-11", READERS, at=NOW - timedelta(days=30))
    return project


def events(project: Path, *happened: tuple[str, str, str]) -> None:
    """(address, event, issue) as desk pull records them, at NOW - 1 day; a delivery of
    each issue to each reader comes first, so the events cover both issues."""
    delivered = [(e, "delivered", i) for e in READERS for i in ("2026-10", "2026-11")]
    at = NOW - timedelta(days=1)
    record_email_events(
        project / "state",
        [
            Event(n, "esp", at, {"email": email, "event": kind, "issue": issue})
            for n, (email, kind, issue) in enumerate([*delivered, *happened], 1)
        ],
    )


def standing(project: Path, now: datetime = NOW) -> Standing:
    settings = load_config(project / "newsletter.yaml")
    assert settings.config.engagement is not None
    return judge(settings, settings.config.engagement, now)


def test_nobody_is_judged_before_the_events_cover_every_issue_looked_at(tmp_path: Path) -> None:
    project = project_with(tmp_path)
    assert (
        standing(project).not_judged
        == "no email events for 2026-10, 2026-11 (desk pull brings them)"
    )


def test_nobody_is_judged_before_the_ledger_holds_enough_issues(tmp_path: Path) -> None:
    project = project_with(tmp_path, quiet_issues=3)
    events(project)
    assert "holds 2 issue(s) of the 3 looked at" in standing(project).not_judged


def test_an_open_keeps_a_reader_by_default_and_a_click_always(tmp_path: Path) -> None:
    project = project_with(tmp_path)
    events(project, ("ana@example.com", "click", "2026-11"), ("bo@example.com", "open", "2026-10"))
    judged = standing(project)
    assert (judged.active["client"], judged.fading["client"]) == (2, 0)


def test_with_opens_not_counted_an_opener_is_asked_never_moved_outright(tmp_path: Path) -> None:
    project = project_with(tmp_path, opens_count=False)
    events(project, ("ana@example.com", "click", "2026-11"), ("bo@example.com", "open", "2026-10"))
    judged = standing(project)
    assert judged.to_ask == {"bo@example.com"}
    assert judged.due == ()


def test_a_reader_asked_who_gives_no_sign_is_due_once_the_time_to_answer_is_over(
    tmp_path: Path,
) -> None:
    project = project_with(tmp_path, answer_days=30)
    ledger_sent(project, "still-reading-2026-11", ["bo@example.com"], at=NOW - timedelta(days=20))
    # a scanner opened and clicked the asking email: that is not the reader answering
    events(
        project,
        ("ana@example.com", "click", "2026-11"),
        ("bo@example.com", "open", "still-reading-2026-11"),
        ("bo@example.com", "click", "still-reading-2026-11"),
    )
    assert standing(project).asked["client"] == 1
    later = standing(project, NOW + timedelta(days=11))
    assert [(due.email, due.ask) for due in later.due] == [
        ("bo@example.com", "still-reading-2026-11")
    ]


def test_an_answer_keeps_a_reader_asked(tmp_path: Path) -> None:
    project = project_with(tmp_path)
    ledger_sent(project, "still-reading-2026-11", ["bo@example.com"], at=NOW - timedelta(days=40))
    events(project, ("ana@example.com", "click", "2026-11"), ("bo@example.com", "answer", ""))
    judged = standing(project)
    assert (judged.active["client"], judged.due) == (2, ())


def test_the_monthly_report_shows_readers_active_fading_asked_and_moved_per_segment(
    tmp_path: Path,
) -> None:
    project = project_with(tmp_path)
    events(project, ("ana@example.com", "click", "2026-11"))
    done = newsletter(project, "report", "--month", "2026-11", "--silent")
    assert done.returncode == 0, done.stderr
    summary = (project / "build" / "reports" / "2026-11" / "summary.md").read_text("utf-8")
    assert "**Readers who still read:** 1 readers active, 1 fading (to be asked)" in summary
    assert "| client | 1 | 1 | 0 | 0 |" in summary
    page = (project / "build" / "reports" / "2026-11" / "index.html").read_text("utf-8")
    assert 'id="readers"' in page and "Stacked bar chart of readers per segment" in page
