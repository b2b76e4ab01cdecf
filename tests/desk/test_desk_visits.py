"""Visits to the referral page: counted by medium and issue for the report, nothing kept
about the visitor."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from newsletter.desk.pull import FileSource, pull
from tests.desk.support import MARIA_CODE, RunningDesk

QR_LINK = "r/{code}?utm_source=newsletter&utm_medium=print&utm_campaign=referral-2026-11"


def visit(desk: RunningDesk, path: str) -> None:
    assert httpx.get(desk.url + path).status_code == 200


def page_visits(project: Path) -> list[tuple[str | None, str]]:
    db = sqlite3.connect(project / "state" / "email-events.sqlite")
    try:
        return db.execute("SELECT issue, medium FROM page_visits ORDER BY desk_event").fetchall()
    finally:
        db.close()


def pull_all(desk: RunningDesk) -> None:
    pull(
        FileSource(desk.inbox),
        subscribers_dir=desk.project / "subscribers",
        state_dir=desk.project / "state",
        tz=ZoneInfo("America/Chicago"),
    )


def test_a_visit_keeps_the_medium_and_issue_of_its_link_and_nothing_of_the_visitor(
    desk: RunningDesk,
) -> None:
    visit(desk, QR_LINK.format(code=MARIA_CODE))
    (event,) = desk.events("visit")
    assert event["data"] == {"medium": "print", "issue": "2026-11"}


def test_a_quarterly_cards_qr_code_is_a_card_visit_of_its_quarter(desk: RunningDesk) -> None:
    visit(desk, f"r/{MARIA_CODE}?utm_medium=card&utm_campaign=referral-2026Q4")
    (event,) = desk.events("visit")
    assert event["data"] == {"medium": "card", "issue": "2026Q4"}


def test_a_typed_address_is_a_visit_with_no_medium_or_issue(desk: RunningDesk) -> None:
    visit(desk, "r?utm_medium=fax&utm_campaign=referral-2026-13")
    (event,) = desk.events("visit")
    assert event["data"] == {"medium": "", "issue": None}


def test_a_client_reloading_the_page_is_counted_up_to_its_hourly_allowance(
    desk: RunningDesk,
) -> None:
    for _ in range(65):
        visit(desk, QR_LINK.format(code=MARIA_CODE))
    assert len(desk.events("visit")) == 60


def test_pull_keeps_each_visit_once_for_the_report(desk: RunningDesk) -> None:
    visit(desk, QR_LINK.format(code=MARIA_CODE))
    visit(desk, QR_LINK.format(code=MARIA_CODE).replace("print", "email"))
    pull_all(desk)
    pull_all(desk)
    assert page_visits(desk.project) == [("2026-11", "print"), ("2026-11", "email")]
