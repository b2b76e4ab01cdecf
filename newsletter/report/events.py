"""What readers did with each issue, from the events ``desk pull`` keeps, read only.

``state/email-events.sqlite`` (:mod:`newsletter.desk.tracking`) holds the email provider's
events (delivered, bounce, dropped, open, click, …) matched to an issue, and the visits to
the referral page with the medium and issue their link named. The report counts people,
not events: a reader who opened an issue three times opened it once. Clicks on links
are counted as clicks (the top links), visits as visits. The file is opened with
``mode=ro``: the report never creates or changes it, and may run during a pull.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from newsletter.errors import ReportError
from newsletter.report.figures import Engagement

TOP_LINKS = 10
BOUNCES = ("bounce", "dropped")
"""Events that mean the message did not reach the reader."""
MEDIUMS = {
    "email": "email",
    "print": "print QR",
    "card": "postcard QR",
    "web": "web archive",
    "": "typed address",
}
"""How the report names each medium a referral link carries."""


def read_engagement(path: Path, issues: Sequence[str]) -> dict[str, Engagement]:
    """Each of ``issues`` that has events in the file at ``path`` -> what its readers
    did; nothing when the desk's events were never pulled."""
    if not path.is_file() or not issues:
        return {}
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ReportError(f"cannot open the email events: {exc}", path=path) from None
    try:
        db.execute("PRAGMA busy_timeout=5000")
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        people = _people(db, issues) if "email_events" in tables else {}
        links = _top_links(db, issues) if "email_events" in tables else {}
        visits = _visits(db, issues) if "page_visits" in tables else {}
    except sqlite3.Error as exc:
        raise ReportError(f"cannot read the email events: {exc}", path=path) from None
    finally:
        db.close()
    found = set(people) | set(visits)
    return {
        issue: Engagement(
            delivered=people.get(issue, {}).get("delivered", 0),
            bounced=people.get(issue, {}).get("bounced", 0),
            opened=people.get(issue, {}).get("open", 0),
            clicked=people.get(issue, {}).get("click", 0),
            top_links=tuple(links.get(issue, ())),
            visits_by_medium={
                label: visits.get(issue, {}).get(medium, 0) for medium, label in MEDIUMS.items()
            },
        )
        for issue in issues
        if issue in found
    }


def _placeholders(issues: Sequence[str]) -> str:
    return ", ".join("?" for _ in issues)


def _people(db: sqlite3.Connection, issues: Sequence[str]) -> dict[str, dict[str, int]]:
    """issue -> event ("bounced" for every kind of bounce) -> distinct addresses. Both
    queries walk the (issue, event, email) index in order, never the table."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    among = _placeholders(issues)
    for issue, event, people in db.execute(
        f"SELECT issue, event, COUNT(DISTINCT email) FROM email_events "
        f"WHERE issue IN ({among}) GROUP BY issue, event",
        tuple(issues),
    ):
        counts[issue][event] = people
    for issue, people in db.execute(
        f"SELECT issue, COUNT(DISTINCT email) FROM email_events "
        f"WHERE issue IN ({among}) AND event IN ({_placeholders(BOUNCES)}) GROUP BY issue",
        (*issues, *BOUNCES),
    ):
        counts[issue]["bounced"] = people
    return counts


def _top_links(db: sqlite3.Connection, issues: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """issue -> (url, clicks), most clicked first (ties by url), at most TOP_LINKS."""
    links: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for issue, url, clicks in db.execute(
        f"""
        SELECT issue, url, COUNT(*) AS clicks FROM email_events
        WHERE event = 'click' AND url IS NOT NULL AND issue IN ({_placeholders(issues)})
        GROUP BY issue, url ORDER BY issue, clicks DESC, url
        """,
        tuple(issues),
    ):
        if len(links[issue]) < TOP_LINKS:
            links[issue].append((url, clicks))
    return links


def _visits(db: sqlite3.Connection, issues: Sequence[str]) -> dict[str, dict[str, int]]:
    """issue -> medium -> visits to the referral page."""
    visits: dict[str, dict[str, int]] = defaultdict(dict)
    for issue, medium, count in db.execute(
        f"""
        SELECT issue, medium, COUNT(*) FROM page_visits
        WHERE issue IN ({_placeholders(issues)}) GROUP BY issue, medium
        """,
        tuple(issues),
    ):
        known = medium if medium in MEDIUMS else ""
        visits[issue][known] = visits[issue].get(known, 0) + count
    return visits
