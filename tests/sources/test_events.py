"""Events from iCalendar files and RSS event feeds, in the business's timezone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsletter.config.settings import FeedConfig
from newsletter.diagnostics import Diagnostics
from newsletter.errors import SourceError
from newsletter.model import Event
from newsletter.months import next_month
from newsletter.sources.events import parse_calendar, parse_event_feed
from tests.golden import FIXTURE_PROJECT

CALENDARS = Path(__file__).parents[1] / "fixtures" / "calendars"
SAMPLE_CALENDAR = FIXTURE_PROJECT / "content" / "feeds"
CHICAGO = ZoneInfo("America/Chicago")
NOVEMBER = date(2026, 11, 1)
ISSUE_WINDOW_END = date(2026, 12, 8)  # November plus the first week of December
FEED = FeedConfig(
    name="Test calendar",
    url="https://calendar.example.org/events.ics",
    kind="ics",
    section="events",
    max_items=100,  # these specify what is read; how many are listed has its own tests
)


def calendar(
    name: str,
    start: date = NOVEMBER,
    end: date = ISSUE_WINDOW_END,
    diagnostics: Diagnostics | None = None,
) -> tuple[Event, ...]:
    return parse_calendar(
        FEED,
        (CALENDARS / name).read_bytes(),
        start=start,
        end=end,
        tz=CHICAGO,
        diagnostics=diagnostics or Diagnostics(),
    )


def named(events: tuple[Event, ...], title: str) -> list[Event]:
    return [e for e in events if e.title == title]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)  # type: ignore[misc]


# --- recurrence ---------------------------------------------------------------------------


def test_weekly_recurring_event_is_expanded_in_the_issue_month() -> None:
    story_times = named(calendar("recurring.ics"), "Library story time")
    assert [e.start for e in story_times] == [
        local(2026, 11, 4, 10, 30),
        local(2026, 11, 11, 10, 30),
        local(2026, 11, 18, 10, 30),
        # 11-25 is cancelled by an overridden instance
        local(2026, 12, 2, 10, 30),
    ]


def test_duration_gives_the_end_of_each_occurrence() -> None:
    first = named(calendar("recurring.ics"), "Library story time")[0]
    assert first.end == local(2026, 11, 4, 11, 15)


def test_monthly_rule_by_weekday_is_expanded() -> None:
    meetings = named(calendar("recurring.ics"), "Schenk-Atwood neighborhood association meeting")
    assert [e.start for e in meetings] == [local(2026, 11, 10, 19, 0)]  # second Tuesday


def test_exdate_removes_an_occurrence() -> None:
    markets = [e for e in calendar("recurring.ics") if e.title.startswith("Winter farmers")]
    assert date(2026, 11, 28) not in {e.start_date for e in markets}


def test_rdate_adds_an_occurrence() -> None:
    markets = named(calendar("recurring.ics"), "Winter farmers' market")
    assert local(2026, 11, 27, 8, 0) in [e.start for e in markets]


def test_overridden_instance_replaces_its_occurrence() -> None:
    events = calendar("recurring.ics")
    on_the_21st = [e for e in events if e.start_date == date(2026, 11, 21)]
    assert len(on_the_21st) == 1
    moved = on_the_21st[0]
    assert moved.title == "Winter farmers' market — pre-Thanksgiving edition"
    assert moved.start == local(2026, 11, 21, 9, 0)
    assert moved.location == "Monona Terrace, 1 John Nolen Dr, Madison"


def test_cancelled_instance_is_left_out() -> None:
    events = calendar("recurring.ics")
    assert not [e for e in events if e.start_date == date(2026, 11, 25)]


def test_location_url_and_description_come_from_the_event() -> None:
    market = named(calendar("recurring.ics"), "Winter farmers' market")[0]
    assert market.location == "Garver Feed Mill, 3241 Garver Green, Madison"
    assert market.url == "https://market.example.org/winter"
    assert market.description == "Local growers, bakers and cheesemakers under one roof."
    assert market.source == "Test calendar"


def test_events_are_sorted_by_start_then_title() -> None:
    events = parse_calendar(
        FEED,
        _merge_calendars("recurring.ics", "zones.ics", "allday.ics"),
        start=NOVEMBER,
        end=ISSUE_WINDOW_END,
        tz=CHICAGO,
        diagnostics=Diagnostics(),
    )
    keys = [(e.start_date, "" if e.all_day else e.start.strftime("%H:%M"), e.title) for e in events]
    assert keys == sorted(keys)
    assert len(events) > 10


# --- time zones ---------------------------------------------------------------------------


def test_utc_event_is_shown_in_business_timezone() -> None:
    cleanup = named(calendar("zones.ics"), "Lakeshore path cleanup")[0]
    assert cleanup.start == local(2026, 11, 14, 9, 0)
    assert cleanup.start.tzinfo == CHICAGO


def test_utc_event_late_at_night_falls_on_its_local_date() -> None:
    # 03:00 UTC on 1 December is 21:00 on 30 November in Madison.
    late = named(calendar("zones.ics", end=date(2026, 12, 1)), "Late-night stargazing")
    assert [e.start for e in late] == [local(2026, 11, 30, 21, 0)]


def test_event_in_another_timezone_is_converted() -> None:
    webinar = named(calendar("zones.ics"), "Webinar: heat pumps in cold climates")[0]
    assert webinar.start == local(2026, 11, 18, 12, 0)  # 13:00 in New York


def test_floating_time_is_read_as_business_time() -> None:
    walk = named(calendar("zones.ics"), "Candlelight walk")[0]
    assert walk.start == local(2026, 11, 20, 18, 0)
    assert walk.end == local(2026, 11, 20, 19, 30)


def test_event_across_dst_change_keeps_local_time() -> None:
    trivia = named(calendar("zones.ics", start=date(2026, 10, 1)), "Thursday night trivia")
    assert [(e.start.hour, e.start.minute) for e in trivia] == [(19, 0)] * 4
    offsets = [e.start.utcoffset() for e in trivia]
    assert offsets[:2] == [timedelta(hours=-5)] * 2  # Oct 22, 29: daylight time
    assert offsets[2:] == [timedelta(hours=-6)] * 2  # Nov 5, 12: standard time


# --- all-day events and the window --------------------------------------------------------


def test_all_day_event_stays_on_its_date() -> None:
    saturday = named(calendar("allday.ics"), "Small Business Saturday")[0]
    assert saturday.all_day
    assert saturday.start == date(2026, 11, 28)
    assert not isinstance(saturday.start, datetime)
    assert saturday.end is None  # a single day


def test_multi_day_event_ends_on_its_last_day() -> None:
    lights = named(calendar("allday.ics"), "Holiday Express garden lights")[0]
    assert (lights.start, lights.end) == (date(2026, 11, 27), date(2027, 1, 2))


def test_event_that_began_before_the_month_and_continues_is_included() -> None:
    leaves = named(calendar("allday.ics"), "Fall leaf collection")
    assert [e.start for e in leaves] == [date(2026, 10, 20)]


def test_event_that_ended_before_the_month_is_left_out() -> None:
    assert not named(calendar("allday.ics"), "Halloween on Atwood")


def test_events_in_first_week_of_next_month_are_included() -> None:
    titles = {e.title for e in calendar("allday.ics")}
    assert "Winter festival on the Square" in titles  # 5 December
    assert "Frozen Assets on Lake Mendota" not in titles  # 11 December: too late


def test_window_end_is_exclusive() -> None:
    events = calendar("allday.ics", end=date(2026, 12, 5))
    assert not named(events, "Winter festival on the Square")


def test_sample_calendar_has_events_in_every_month_from_november_to_march() -> None:
    body = (SAMPLE_CALENDAR / "madison-community-calendar.ics").read_bytes()
    for first in (date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1), date(2027, 3, 1)):
        diagnostics = Diagnostics()
        events = parse_calendar(
            FEED, body, start=first, end=next_month(first), tz=CHICAGO, diagnostics=diagnostics
        )
        assert len(events) >= 5, first
        assert diagnostics.warnings == []


# --- broken input -------------------------------------------------------------------------


def test_malformed_calendar_warns_and_yields_nothing() -> None:
    diagnostics = Diagnostics()
    assert calendar("malformed.ics", diagnostics=diagnostics) == ()
    assert len(diagnostics.warnings) == 1
    assert diagnostics.warnings[0].startswith("Test calendar: cannot read calendar")


def test_malformed_calendar_is_an_error_under_strict() -> None:
    with pytest.raises(SourceError, match="Test calendar"):
        calendar("malformed.ics", diagnostics=Diagnostics(strict=True))


def test_event_with_unreadable_start_warns_and_yields_nothing() -> None:
    body = b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nDTSTART:2026bad\nEND:VEVENT\nEND:VCALENDAR\n"
    diagnostics = Diagnostics()
    parsed = parse_calendar(
        FEED, body, start=NOVEMBER, end=ISSUE_WINDOW_END, tz=CHICAGO, diagnostics=diagnostics
    )
    assert parsed == ()
    assert "Test calendar" in diagnostics.warnings[0]


def test_long_description_is_cut_at_a_word() -> None:
    words = "Warm cider and carols by the lake. " * 20
    body = (
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:Carols\nDTSTART;VALUE=DATE:20261120\n"
        f"DESCRIPTION:{words}\nEND:VEVENT\nEND:VCALENDAR\n"
    ).encode()
    event = parse_calendar(
        FEED, body, start=NOVEMBER, end=ISSUE_WINDOW_END, tz=CHICAGO, diagnostics=Diagnostics()
    )[0]
    assert event.description.endswith("…")
    assert len(event.description) <= 201
    assert words.startswith(event.description.removesuffix("…"))


# --- RSS event feeds ----------------------------------------------------------------------


def rss_events() -> tuple[Event, ...]:
    return parse_event_feed(
        FEED,
        (CALENDARS / "events.rss").read_bytes(),
        start=NOVEMBER,
        end=ISSUE_WINDOW_END,
        tz=CHICAGO,
        diagnostics=Diagnostics(),
    )


def test_rss_event_feed_uses_event_start_date() -> None:
    fair = named(rss_events(), "Willy Street holiday craft fair")[0]
    assert fair.start == local(2026, 12, 5, 10, 0)  # not its October publication date
    assert fair.end == local(2026, 12, 5, 16, 0)
    assert fair.location == "Wil-Mar Neighborhood Center"
    assert fair.description == "Forty local makers & a cocoa stand."


def test_rss_event_with_a_date_only_start_is_all_day() -> None:
    lighting = named(rss_events(), "Atwood Ave tree lighting")[0]
    assert lighting.all_day and lighting.start == date(2026, 11, 27)


def test_rss_entry_without_event_dates_uses_its_published_date() -> None:
    swap = named(rss_events(), "Snow shovel swap")[0]
    assert swap.start == local(2026, 11, 14, 10, 0)  # 16:00 GMT


def test_rss_events_outside_the_window_are_left_out() -> None:
    assert [e.title for e in rss_events()] == [
        "Snow shovel swap",
        "Atwood Ave tree lighting",
        "Willy Street holiday craft fair",
    ]


def test_an_event_feed_lists_at_most_its_max_items_the_earliest() -> None:
    events = parse_event_feed(
        FEED.model_copy(update={"max_items": 2}),
        (CALENDARS / "events.rss").read_bytes(),
        start=NOVEMBER,
        end=ISSUE_WINDOW_END,
        tz=CHICAGO,
        diagnostics=Diagnostics(),
    )
    assert [e.title for e in events] == [e.title for e in rss_events()][:2]


def test_unreadable_event_feed_warns_and_yields_nothing() -> None:
    diagnostics = Diagnostics()
    parsed = parse_event_feed(
        FEED,
        b"<html><p>oops",
        start=NOVEMBER,
        end=ISSUE_WINDOW_END,
        tz=CHICAGO,
        diagnostics=diagnostics,
    )
    assert parsed == ()
    assert diagnostics.warnings[0].startswith("Test calendar: cannot read event feed")


def _merge_calendars(*names: str) -> bytes:
    """One calendar holding the events of several fixtures (each already has the zones)."""
    parts: list[str] = []
    for index, name in enumerate(names):
        text = (CALENDARS / name).read_text()
        body = text.split("BEGIN:VEVENT", 1)[1].rsplit("END:VCALENDAR", 1)[0]
        head = text.split("BEGIN:VEVENT", 1)[0] if index == 0 else ""
        parts.append(head + "BEGIN:VEVENT" + body)
    return ("".join(parts) + "END:VCALENDAR\n").encode()
