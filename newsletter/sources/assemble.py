"""The sources stage: turn config, content and a feed snapshot into one :class:`Issue`.

Pure apart from reading content files: the same snapshot and content give the same Issue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from newsletter.config.desk import landing_url
from newsletter.config.settings import FeedConfig, Settings
from newsletter.diagnostics import Diagnostics
from newsletter.errors import ContentError
from newsletter.model import Editorial, Entry, Event, Issue, Item, Offer, Section, ThankYouRoll
from newsletter.months import month_name, next_month
from newsletter.sources.editorials import load_editorials
from newsletter.sources.events import parse_calendar, parse_event_feed
from newsletter.sources.feeds import merge_news, parse_news, without_repeats
from newsletter.sources.holidays import upcoming_holidays
from newsletter.sources.markup import content_path
from newsletter.sources.offers import current_offer

EVENTS_SPILL_OVER = timedelta(days=7)
"""Events in the first week of the next month are listed too: the issue lands early in it."""


def assemble_issue(
    settings: Settings,
    first: date,
    bodies: Mapping[str, bytes],
    diagnostics: Diagnostics,
    *,
    thanks: ThankYouRoll | None,
) -> Issue:
    """Gather every source for the month starting ``first`` into an Issue.

    ``bodies`` maps a feed's slug to the saved bytes of that feed; feeds missing from it
    were unavailable and are simply absent (the fetch step already warned). ``thanks`` is
    the referral thank-you roll of the month, which the referrals stage makes.
    """
    config = settings.config
    month = f"{first:%Y-%m}"
    end = next_month(first)
    web_url = f"{config.web.base_url.rstrip('/')}/{month}/"
    editorials = load_editorials(
        settings.content_dir,
        month,
        diagnostics=diagnostics,
        web_url=web_url,
        tags=config.personal.tags,
    )
    if not editorials:
        folder = settings.content_dir / "editorials" / month
        diagnostics.warn(
            f"no editorials for {month}",
            error=ContentError,
            path=content_path(folder, settings.content_dir),
        )
    offer = current_offer(settings.content_dir, first)
    offer = replace(offer, landing_url=landing_url(config, offer.landing_url))
    with diagnostics.batch():  # under --strict, every unreadable feed is named at once
        news = _news_by_section(settings, first, end, bodies, diagnostics)
        events = _events(settings, first, end, bodies, diagnostics)
    holidays = upcoming_holidays(config.holidays, first)

    entries_for: dict[str, tuple[Entry, ...]] = {
        "editorials": editorials,
        "events": events,
        "holidays": holidays,
        "offer": (offer,),
        **news,
    }
    sections = tuple(
        Section(
            id=s.id,
            title=s.title or s.id.replace("-", " ").capitalize(),
            kind=settings.section_kind(s.id),
            segments=tuple(s.segments),
            entries=entries_for.get(s.id, ()),
        )
        for s in config.sections
    )
    for section in sections:
        if not section.entries and section.kind == "news":
            diagnostics.warn(f"section {section.id!r} has nothing for {month}; left out")
    title = config.issue.title.format(
        business=config.business.name, month_name=month_name(first), year=first.year
    )
    return Issue(
        month=month,
        issue_date=first,
        title=title,
        preheader=config.issue.preheader or _preheader(editorials, offer),
        web_url=web_url,
        sections=sections,
        offer=offer,
        warnings=tuple(diagnostics.warnings),
        thanks=thanks,
    )


def _preheader(editorials: tuple[Editorial, ...], offer: Offer) -> str:
    parts = [e.summary or e.title for e in editorials[:2]]
    return " · ".join(parts) if parts else offer.title


def _news_by_section(
    settings: Settings,
    first: date,
    end: date,
    bodies: Mapping[str, bytes],
    diagnostics: Diagnostics,
) -> dict[str, tuple[Item, ...]]:
    window_end = datetime.combine(end, time.min, tzinfo=settings.tz).astimezone(UTC)
    per_section: dict[str, list[tuple[Item, ...]]] = {}
    for feed in _feeds(settings, bodies, kinds=("rss", "atom")):
        if feed.section == "events":
            continue
        items = parse_news(
            feed,
            bodies[feed.slug],
            window_start=window_end - timedelta(days=feed.window_days),
            window_end=window_end,
            summary_length=settings.config.issue.summary_length,
            diagnostics=diagnostics,
        )
        per_section.setdefault(feed.section, []).append(items)
    merged = {section: merge_news(lists) for section, lists in per_section.items()}
    # A story two sections' feeds both carry is told once, in the section that comes first.
    ordered = [s.id for s in settings.config.sections if s.id in merged]
    return dict(zip(ordered, without_repeats([merged[i] for i in ordered]), strict=True))


def _events(
    settings: Settings,
    first: date,
    end: date,
    bodies: Mapping[str, bytes],
    diagnostics: Diagnostics,
) -> tuple[Event, ...]:
    found: list[Event] = []
    for feed in _feeds(settings, bodies, kinds=("rss", "atom", "ics")):
        if feed.section != "events":
            continue
        parse = parse_calendar if feed.kind == "ics" else parse_event_feed
        found.extend(
            parse(
                feed,
                bodies[feed.slug],
                start=first,
                end=end + EVENTS_SPILL_OVER,
                tz=settings.tz,
                diagnostics=diagnostics,
            )
        )
    unique = {(e.title, e.start, e.location): e for e in found}
    return tuple(sorted(unique.values(), key=_event_order))


def _event_order(event: Event) -> tuple[date, str, str]:
    start = event.start
    clock = start.strftime("%H:%M") if isinstance(start, datetime) else ""
    return (event.start_date, clock, event.title)


def _feeds(
    settings: Settings, bodies: Mapping[str, bytes], *, kinds: tuple[str, ...]
) -> list[FeedConfig]:
    return [f for f in settings.config.feeds if f.kind in kinds and f.slug in bodies]
