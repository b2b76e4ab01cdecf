"""What readers did with an issue, read back from the events ``desk pull`` keeps."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from newsletter.config.files import EMAIL_EVENTS_FILE
from newsletter.desk.inbox import Event
from newsletter.desk.tracking import record_email_events, record_page_visits
from newsletter.report.events import TOP_LINKS, read_engagement

AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
KINDS = ("delivered", "bounce", "dropped", "open", "click", "spamreport")
MEDIUMS = ("email", "print", "card", "web", "")


def esp(n: int, issue: str, email: str, kind: str, url: str | None = None) -> Event:
    data = {"email": email, "event": kind, "issue": issue, "message_id": ""}
    if url:
        data["url"] = url
    return Event(n, "esp", AT, data)


def test_no_events_file_means_no_engagement(tmp_path: Path) -> None:
    assert read_engagement(tmp_path / EMAIL_EVENTS_FILE, ["2026-11"]) == {}


def test_every_figure_matches_an_independent_count(tmp_path: Path) -> None:
    rng = random.Random(7)
    events, visits = [], []
    for n in range(1, 3001):
        issue = rng.choice(["2026-10", "2026-11"])
        kind = rng.choice(KINDS)
        url = f"https://example.com/{rng.randrange(15)}" if kind == "click" else None
        events.append(esp(n, issue, f"r{rng.randrange(300)}@example.com", kind, url))
    for n in range(5001, 5401):
        medium = rng.choice(MEDIUMS)
        visits.append(
            Event(n, "visit", AT, {"medium": medium, "issue": rng.choice(["2026-11", None])})
        )
    record_email_events(tmp_path, events)
    record_page_visits(tmp_path, visits)

    found = read_engagement(tmp_path / EMAIL_EVENTS_FILE, ["2026-10", "2026-11"])["2026-11"]

    mine = [e.data for e in events if e.data["issue"] == "2026-11"]

    def people(*kinds: str) -> int:
        return len({d["email"] for d in mine if d["event"] in kinds})

    assert found.delivered == people("delivered")
    assert found.bounced == people("bounce", "dropped")
    assert found.opened == people("open")
    assert found.clicked == people("click")
    clicks = Counter(d["url"] for d in mine if d["event"] == "click")
    ranked = sorted(clicks.items(), key=lambda item: (-item[1], item[0]))[:TOP_LINKS]
    assert list(found.top_links) == ranked
    by_medium = Counter(v.data["medium"] for v in visits if v.data["issue"] == "2026-11")
    assert found.visits_by_medium == {
        "email": by_medium["email"],
        "print QR": by_medium["print"],
        "postcard QR": by_medium["card"],
        "web archive": by_medium["web"],
        "typed address": by_medium[""],
    }


def test_an_issue_without_events_has_no_engagement(tmp_path: Path) -> None:
    record_email_events(tmp_path, [esp(1, "2026-11", "a@example.com", "open")])
    assert set(read_engagement(tmp_path / EMAIL_EVENTS_FILE, ["2026-10", "2026-11"])) == {"2026-11"}


def test_the_report_never_writes_the_events_file(tmp_path: Path) -> None:
    record_email_events(tmp_path, [esp(1, "2026-11", "a@example.com", "open")])
    path = tmp_path / EMAIL_EVENTS_FILE
    before = path.read_bytes()
    read_engagement(path, ["2026-11"])
    assert path.read_bytes() == before
