"""The web edition: the issue page, the archive and the Atom feed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

import jinja2
import pytest

from newsletter.config import Settings
from newsletter.model import Issue
from newsletter.render.web import ArchiveEntry, render_archive, render_atom, render_web_issue

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://news.hartwellhvac.example.com/"
PAGE = f"{BASE}2026-11/"  # the page of the issue being built


@pytest.fixture(scope="module")
def page(issue: Issue, settings: Settings, env: jinja2.Environment) -> str:
    return render_web_issue(issue, settings, env)


def _entry(month: str, title: str = "") -> ArchiveEntry:
    first = date.fromisoformat(f"{month}-01")
    return ArchiveEntry(
        month=month,
        title=title or f"The Hartwell Home Letter — {month}",
        issue_date=first,
        summary=f"What happened in {month} & more",
        url=f"{BASE}{month}/",
    )


ENTRIES = [_entry("2026-10"), _entry("2026-11"), _entry("2026-09")]


def test_web_issue_has_no_recipient_placeholders(page: str) -> None:
    assert "%%" not in page


def test_web_issue_greets_everyone_with_the_fallback_name(page: str) -> None:
    assert "<p>Hi neighbor,</p>" in page


def test_web_offer_links_the_public_landing_page(page: str) -> None:
    assert 'href="https://hartwellhvac.example.com/refer"' in page
    assert "A free furnace or AC tune-up" in page


def test_web_issue_shows_every_segments_content(page: str) -> None:
    assert "Your maintenance plan visit is due" in page  # clients only, in the email


def test_web_issue_is_a_responsive_page_not_email_tables(page: str) -> None:
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media (max-width: 600px)" in page
    assert "<table" not in page


def test_web_issue_links_the_archive_and_feed(page: str) -> None:
    assert 'href="archive.html"' in page
    assert re.search(
        f'<link rel="alternate" type="application/atom[^>]* href="{BASE}feed.xml"', page
    )


def test_archive_lists_newest_first(settings: Settings, env: jinja2.Environment) -> None:
    archive = render_archive(ENTRIES, settings, env, web_url=PAGE)
    positions = [archive.index(f'href="{BASE}{m}/"') for m in ("2026-11", "2026-10", "2026-09")]
    assert positions == sorted(positions)
    assert "What happened in 2026-10 &amp; more" in archive


def test_atom_feed_is_well_formed(settings: Settings, env: jinja2.Environment) -> None:
    feed = ET.fromstring(render_atom(ENTRIES, settings, env, web_url=PAGE))
    assert feed.tag == f"{ATOM}feed"
    for child in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{child}") is not None, child
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        f"{BASE}2026-11/",
        f"{BASE}2026-10/",
        f"{BASE}2026-09/",
    ]
    for entry in entries:
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("href") == entry.findtext(f"{ATOM}id")
        assert entry.findtext(f"{ATOM}title")
        assert entry.findtext(f"{ATOM}updated")
    assert feed.findtext(f"{ATOM}title") == "Hartwell Heating & Cooling newsletter"


def test_atom_updated_comes_from_the_newest_issue_date(
    settings: Settings, env: jinja2.Environment
) -> None:
    feed = ET.fromstring(render_atom(ENTRIES, settings, env, web_url=PAGE))
    # Midnight in Madison on the newest issue's date: never the build's wall clock.
    assert feed.findtext(f"{ATOM}updated") == "2026-11-01T00:00:00-05:00"
    assert render_atom(ENTRIES, settings, env, web_url=PAGE) == render_atom(
        list(reversed(ENTRIES)), settings, env, web_url=PAGE
    )


def test_atom_feed_with_no_issues_is_still_valid(
    settings: Settings, env: jinja2.Environment
) -> None:
    feed = ET.fromstring(render_atom([], settings, env, web_url=PAGE))
    assert feed.findall(f"{ATOM}entry") == []
    assert re.match(r"\d{4}-\d{2}-\d{2}T", feed.findtext(f"{ATOM}updated") or "")


def test_web_render_is_deterministic(
    page: str, issue: Issue, settings: Settings, env: jinja2.Environment
) -> None:
    assert render_web_issue(issue, settings, env) == page
