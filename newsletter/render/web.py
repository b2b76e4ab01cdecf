"""The web edition: each issue as a page, an archive of every issue, and an Atom feed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import jinja2

from newsletter.config import Settings
from newsletter.model import Issue
from newsletter.render.environment import issue_context, render_template, site_context

ISSUE_TEMPLATE = "web/issue.html.j2"
ARCHIVE_TEMPLATE = "web/archive.html.j2"
FEED_TEMPLATE = "web/feed.xml.j2"


@dataclass(frozen=True)
class ArchiveEntry:
    """One built issue, as the archive page and the feed list it."""

    month: str  # "YYYY-MM"
    title: str
    issue_date: date
    summary: str
    url: str


def render_web_issue(issue: Issue, settings: Settings, env: jinja2.Environment) -> str:
    """The complete issue as a standalone, responsive web page ("view in your browser").

    A page has no recipient: it greets everyone with ``issue.first_name_fallback`` and
    shows the offer with its public landing page instead of a personal code and link.
    """
    context = issue_context(issue, settings, segment=None, personal=False)
    return _ending(render_template(env, ISSUE_TEMPLATE, context))


def render_archive(
    entries: Sequence[ArchiveEntry], settings: Settings, env: jinja2.Environment, *, web_url: str
) -> str:
    """An index page of every issue in ``entries``, newest first, built with the issue
    published at ``web_url`` (its logo is referenced there)."""
    context = {**site_context(settings, web_url=web_url), "entries": newest_first(entries)}
    return _ending(render_template(env, ARCHIVE_TEMPLATE, context))


def render_atom(
    entries: Sequence[ArchiveEntry], settings: Settings, env: jinja2.Environment, *, web_url: str
) -> str:
    """An Atom 1.0 feed of ``entries``, newest first, linking each issue's page (built with
    the issue published at ``web_url``).

    Timestamps come from the issue dates (midnight, business's timezone), never the clock,
    so rebuilding an issue gives the same feed.
    """
    ordered = newest_first(entries)
    # An empty feed still needs <updated>; the epoch is at least reproducible.
    updated = ordered[0].issue_date if ordered else date(1970, 1, 1)
    context = {**site_context(settings, web_url=web_url), "entries": ordered, "updated": updated}
    return _ending(render_template(env, FEED_TEMPLATE, context))


def newest_first(entries: Sequence[ArchiveEntry]) -> list[ArchiveEntry]:
    """``entries`` sorted by issue date then month, newest first."""
    return sorted(entries, key=lambda e: (e.issue_date, e.month), reverse=True)


def _ending(text: str) -> str:
    return text.rstrip("\n") + "\n"
