"""Local events from iCalendar files and RSS/Atom event feeds, in the business's timezone.

Both parsers return the events overlapping ``[start, end)``; the caller passes the issue
month plus the first week of the next one. A feed that cannot be read is a warning (an
error under ``--strict``), never a failed build: the issue can go out without it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from newsletter.config.settings import FeedConfig
from newsletter.diagnostics import Diagnostics
from newsletter.errors import SourceError
from newsletter.model import Event
from newsletter.sources.feeds import malformed, parse_feed
from newsletter.sources.html import html_to_text
from newsletter.sources.icsscan import scan_calendar
from newsletter.sources.links import feed_link
from newsletter.sources.recurrence import MAX_PER_RULE, Meter, TooMuchWork, event_series

DESCRIPTION_LENGTH = 200
_PADDING = timedelta(days=1)  # ask the library for a wider window, then cut it exactly here


def parse_calendar(
    feed: FeedConfig,
    body: bytes,
    *,
    start: date,
    end: date,
    tz: ZoneInfo,
    diagnostics: Diagnostics,
) -> tuple[Event, ...]:
    """The first ``feed.max_items`` events of an iCalendar ``body`` overlapping
    ``[start, end)``, recurrences expanded.

    RRULE, RDATE, EXDATE and overridden or cancelled instances are honoured. All-day events
    keep their dates; timed events are converted to ``tz`` (floating times are read as
    ``tz``). A calendar that cannot be parsed warns, naming the feed, and yields nothing.
    The work is bounded whatever the file holds (:mod:`newsletter.sources.icsscan`,
    :mod:`newsletter.sources.recurrence`): what does not fit is a warning naming the event.
    """
    try:
        scan = scan_calendar(body, start, end)
        parsed = icalendar.Calendar.from_ical(scan.text)
        meter = Meter(window_start=_local(start, tz) - _PADDING)
        found = _occurrences(feed, parsed, meter, start, end, tz, diagnostics)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        # icalendar and recurring-ical-events report bad input as ValueError subclasses;
        # the others cover structurally odd files that slip past their checks.
        diagnostics.warn(f"{feed.name}: cannot read calendar: {_reason(exc)}", error=SourceError)
        return ()
    if scan.left_out:
        diagnostics.warn(
            f"{feed.name}: calendar too large to read whole; {scan.left_out} events from "
            f"{scan.first_left_out!r} on are left out",
            error=SourceError,
        )
    window = (_local(start, tz), _local(end, tz))
    events: list[Event] = []
    for _, occurrence in sorted(found, key=lambda pair: pair[0]):
        event = _from_component(occurrence.as_component(False), feed, tz)
        if event is not None and _overlaps(event, *window, tz):
            events.append(event)
            if len(events) == feed.max_items:
                break
    return tuple(sorted(events, key=_order))


def _occurrences(
    feed: FeedConfig,
    parsed: Any,
    meter: Meter,
    start: date,
    end: date,
    tz: ZoneInfo,
    diagnostics: Diagnostics,
) -> list[tuple[datetime, Any]]:
    """Every occurrence near the window, with its start in ``tz`` for ordering them; an
    event that needs more work than its share is left out with a warning naming it."""
    names = {
        str(c.get("UID", "")): _one_line(str(c.get("SUMMARY", ""))) for c in parsed.walk("VEVENT")
    }
    found: list[tuple[datetime, Any]] = []
    span = (_local(start, tz) - _PADDING, _local(end, tz) + _PADDING)
    for series in event_series(parsed, meter):
        name = names.get(str(series.uid), "") or "(untitled)"
        meter.begin_event()
        try:
            occurrences = list(series.between(*span))
        except TooMuchWork:
            if meter.exhausted:
                diagnostics.warn(
                    f"{feed.name}: calendar needs too much work to expand; events from "
                    f"{name!r} on are left out",
                    error=SourceError,
                )
                break
            diagnostics.warn(
                f"{feed.name}: event {name!r} repeats too often to expand; left out",
                error=SourceError,
            )
            continue
        if meter.truncated:
            diagnostics.warn(
                f"{feed.name}: event {name!r} repeats more than {MAX_PER_RULE} times in the "
                "window; only the first are read",
                error=SourceError,
            )
        found.extend((_moment(o.start, tz), o) for o in occurrences)
    return found


def _moment(value: date | datetime, tz: ZoneInfo) -> datetime:
    """An occurrence's start as an aware datetime, to order dates and times together."""
    moment = _ical_time(value, tz)
    return moment if isinstance(moment, datetime) else _local(moment, tz)


def parse_event_feed(
    feed: FeedConfig,
    body: bytes,
    *,
    start: date,
    end: date,
    tz: ZoneInfo,
    diagnostics: Diagnostics,
) -> tuple[Event, ...]:
    """The first ``feed.max_items`` events of an RSS/Atom feed overlapping ``[start, end)``.

    An entry's start is its RSS event module ``ev:startdate`` when present, else its
    published date; ``ev:enddate`` and ``ev:location`` are used when present.
    """
    parsed = parse_feed(body, feed.url)
    problem = malformed(parsed)
    if problem:
        reason = _reason(ValueError(problem))
        diagnostics.warn(
            f"{feed.name}: cannot read event feed: {reason}; its entries are left out",
            error=SourceError,
        )
        return ()
    events: list[Event] = []
    for entry in parsed.entries:
        begins = _feed_time(entry.get("ev_startdate"), tz) or _published(entry, tz)
        title = _one_line(entry.get("title", ""))
        if begins is None or not title:
            continue
        ends = _feed_time(entry.get("ev_enddate"), tz)
        all_day = not isinstance(begins, datetime)
        if all_day and isinstance(ends, datetime):
            ends = ends.date()
        elif not all_day and ends is not None and not isinstance(ends, datetime):
            ends = None  # a timed start with a date-only end says nothing useful
        events.append(
            Event(
                title=title,
                start=begins,
                end=_last_day(begins, ends) if all_day else ends,
                all_day=all_day,
                location=_one_line(entry.get("ev_location", "")),
                url=feed_link(entry.get("link", ""), base=feed.url),
                description=_describe(entry.get("summary", "")),
                source=feed.name,
            )
        )
    return _in_window(events, start, end, tz)[: feed.max_items]


def _from_component(component: Any, feed: FeedConfig, tz: ZoneInfo) -> Event | None:
    """One expanded occurrence as an Event; None for cancelled or untitled ones."""
    if str(component.get("STATUS", "")).upper() == "CANCELLED":
        return None
    title = _one_line(str(component.get("SUMMARY", "")))
    if not title or "DTSTART" not in component:
        return None
    begins = _ical_time(component.decoded("DTSTART"), tz)
    ends: datetime | date | None = None
    if "DTEND" in component:
        ends = _ical_time(component.decoded("DTEND"), tz)
    elif "DURATION" in component:
        ends = begins + component.decoded("DURATION")
    all_day = not isinstance(begins, datetime)
    if all_day:
        # iCalendar's DTEND of an all-day event is exclusive; readers expect the last day.
        last = ends - timedelta(days=1) if isinstance(ends, date) else None
        ends = _last_day(begins, last)
    return Event(
        title=title,
        start=begins,
        end=ends,
        all_day=all_day,
        location=_one_line(str(component.get("LOCATION", ""))),
        url=feed_link(str(component.get("URL", ""))),
        description=_describe(str(component.get("DESCRIPTION", ""))),
        source=feed.name,
    )


def _ical_time(value: date | datetime, tz: ZoneInfo) -> date | datetime:
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=tz)  # floating time: the business's own clock
    return value.astimezone(tz)


def _feed_time(value: str | None, tz: ZoneInfo) -> date | datetime | None:
    """An ISO 8601 date or date-time from a feed; unreadable values count as absent."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _ical_time(moment, tz)


def _published(entry: Any, tz: ZoneInfo) -> datetime | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if not stamp:
        return None
    # feedparser normalizes dates to UTC struct_time; timegm reads it back as UTC.
    return datetime.fromtimestamp(calendar.timegm(stamp), UTC).astimezone(tz)


def _last_day(first: date, last: date | None) -> date | None:
    """End of an all-day event: its last day, or None when it is a single day."""
    return last if last is not None and last > first else None


def _in_window(events: Iterable[Event], start: date, end: date, tz: ZoneInfo) -> tuple[Event, ...]:
    window = (_local(start, tz), _local(end, tz))
    return tuple(sorted((e for e in events if _overlaps(e, *window, tz)), key=_order))


def _overlaps(event: Event, window_start: datetime, window_end: datetime, tz: ZoneInfo) -> bool:
    begins, ends = _span(event, tz)
    # Events of no length (no end) are kept when they start inside the window.
    return begins < window_end and (ends > window_start or begins >= window_start)


def _span(event: Event, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The event as a half-open span of aware datetimes, for comparing with the window."""
    if isinstance(event.start, datetime):
        ends = event.end if isinstance(event.end, datetime) else event.start
        return event.start, max(ends, event.start)
    last = event.end if isinstance(event.end, date) else event.start
    return _local(event.start, tz), _local(last, tz) + timedelta(days=1)


def _order(event: Event) -> tuple[date, str, str]:
    clock = event.start.strftime("%H:%M") if isinstance(event.start, datetime) else ""
    return (event.start_date, clock, event.title)


def _local(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _describe(text: str) -> str:
    """Plain text of a description, cut at a word near DESCRIPTION_LENGTH characters."""
    if "<" in text and ">" in text:
        text = html_to_text(text)
    text = _one_line(text)
    if len(text) <= DESCRIPTION_LENGTH:
        return text
    cut = text[: DESCRIPTION_LENGTH + 1]
    cut = cut[: cut.rfind(" ")] if " " in cut else cut[:DESCRIPTION_LENGTH]
    return re.sub(r"[\s,;:.–—-]+$", "", cut) + "…"


def _reason(exc: BaseException) -> str:
    # icalendar quotes the offending input as a bytes literal; the feed name says enough.
    message = re.sub(r":\s*b['\"].*$", "", _one_line(str(exc))) or "it cannot be read"
    return message if len(message) <= 160 else message[:157] + "…"
