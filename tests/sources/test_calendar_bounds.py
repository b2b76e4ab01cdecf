"""A third party's calendar is read within bounds whatever it holds: the first pass keeps
only events near the window (newsletter/sources/icsscan.py), recurrences are expanded
within a budget, and what does not fit is a one-line warning naming the feed and event."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.config.settings import FeedConfig
from newsletter.diagnostics import Diagnostics
from newsletter.errors import SourceError
from newsletter.model import Event
from newsletter.sources import icsscan
from newsletter.sources.events import parse_calendar
from newsletter.sources.icsscan import scan_calendar
from newsletter.sources.links import reader_link

CHICAGO = ZoneInfo("America/Chicago")
FIRST, END = date(2026, 11, 1), date(2026, 12, 8)
FEED = FeedConfig(name="Town calendar", url="https://x.example/c.ics", kind="ics", section="events")


def calendar(*events: str) -> bytes:
    blocks = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{blocks}END:VCALENDAR\r\n".encode()


def read(
    body: bytes, feed: FeedConfig = FEED, strict: bool = False
) -> tuple[tuple[Event, ...], list[str]]:
    diagnostics = Diagnostics(strict=strict)
    events = parse_calendar(feed, body, start=FIRST, end=END, tz=CHICAGO, diagnostics=diagnostics)
    return events, diagnostics.warnings


def test_a_rule_every_second_since_1900_is_a_warning_naming_feed_and_event() -> None:
    events, warnings = read(
        calendar(
            "UID:a\nSUMMARY:Tick\nDTSTART:19000101T000000Z\nRRULE:FREQ=SECONDLY;COUNT=999999999",
            "UID:b\nSUMMARY:Market\nDTSTART:20261107T140000Z",
        )
    )
    assert [e.title for e in events] == ["Market"]
    assert warnings == ["Town calendar: event 'Tick' repeats too often to expand; left out"]


def test_a_rule_that_never_matches_is_a_warning_not_a_walk_to_the_year_9999() -> None:
    events, warnings = read(
        calendar(
            "UID:a\nSUMMARY:Never\nDTSTART:20260101T100000Z\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"
        )
    )
    assert events == ()
    assert warnings == ["Town calendar: event 'Never' repeats too often to expand; left out"]


def test_too_much_work_is_an_error_under_strict() -> None:
    body = calendar("UID:a\nSUMMARY:Tick\nDTSTART:20260101T000000Z\nRRULE:FREQ=SECONDLY")
    with pytest.raises(SourceError, match="Town calendar: event 'Tick'"):
        read(body, strict=True)


def test_an_old_daily_event_is_expanded_from_just_before_the_window() -> None:
    events, warnings = read(
        calendar("UID:a\nSUMMARY:Coffee hour\nDTSTART:19700101T150000Z\nRRULE:FREQ=DAILY")
    )
    assert warnings == []
    assert [e.start_date for e in events] == [date(2026, 11, d) for d in range(1, 6)]


def test_a_calendar_too_large_to_read_whole_keeps_its_earliest_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(icsscan, "MAX_VALUES", 30)  # a few events' worth
    body = calendar(
        *(f"UID:{d}\nSUMMARY:Day {d}\nDTSTART;VALUE=DATE:202611{d:02d}" for d in range(28, 0, -1))
    )
    feed = FEED.model_copy(update={"max_items": 3})
    events, warnings = read(body, feed)
    assert [e.title for e in events] == ["Day 1", "Day 2", "Day 3"]
    assert len(warnings) == 1
    assert warnings[0].startswith("Town calendar: calendar too large to read whole; ")
    assert "events from 'Day " in warnings[0]


def test_the_first_pass_keeps_events_near_the_window_and_what_a_listing_reads() -> None:
    scan = scan_calendar(
        calendar(
            "UID:past\nSUMMARY:Long ago\nDTSTART:20160101T100000Z\nDTEND:20160101T110000Z",
            "UID:later\nSUMMARY:Next year\nDTSTART:20271101T100000Z",
            "UID:long\nSUMMARY:Month-long show\nDTSTART;VALUE=DATE:20261015\nDURATION:P30D",
            "UID:now\nSUMMARY:Fair\nDTSTART:20261110T100000Z\nATTENDEE:mailto:a@b.example\n"
            "X-CUSTOM:whatever\nBEGIN:VALARM\nTRIGGER:-PT15M\nACTION:DISPLAY\nEND:VALARM",
            "UID:ended\nSUMMARY:Ended rule\nDTSTART:20200101T100000Z\n"
            "RRULE:FREQ=WEEKLY;UNTIL=20210101T000000Z",
        ),
        FIRST,
        END,
    )
    assert scan.events == 2 and scan.left_out == 0
    assert "Month-long show" in scan.text and "Fair" in scan.text
    for gone in ("Long ago", "Next year", "Ended rule", "ATTENDEE", "X-CUSTOM", "VALARM"):
        assert gone not in scan.text


@pytest.mark.parametrize(
    "body",
    [
        b"not a calendar",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:cut off",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VEVENT\r\nEND:VEVENT\r\n",
    ],
)
def test_a_file_whose_components_do_not_nest_is_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        scan_calendar(body, FIRST, END)


# ---- any calendar ------------------------------------------------------------------------

FREQUENCIES = ["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"]
PARTS = st.lists(
    st.sampled_from(
        [
            "INTERVAL=1",
            "INTERVAL=7",
            "COUNT=100000000",
            "UNTIL=20991231T000000Z",
            "BYMONTH=2",
            "BYMONTHDAY=30",
            "BYMONTHDAY=-1",
            "BYDAY=MO,TU",
            "BYDAY=5FR",
            "BYYEARDAY=366",
            "BYWEEKNO=53",
            "BYHOUR=0,12,23",
            "BYMINUTE=0,30",
            "BYSECOND=59",
            "BYSETPOS=-1",
            "BYSETPOS=400",
            "WKST=SU",
            "BYEASTER=0",
            "BYMONTH=13",
            "BYDAY=XX",
        ]
    ),
    max_size=5,
)
RULE = st.builds(lambda f, p: ";".join([f"FREQ={f}", *p]), st.sampled_from(FREQUENCIES), PARTS)
STARTS = st.sampled_from(
    ["19000101T000000Z", "20261101T090000", "20260101", "20261130T235959Z", "99991231T000000Z"]
)
URLS = st.one_of(
    st.sampled_from(
        [
            "javascript:alert(1)",
            "https://a:b@evil.example/",
            "data:,x",
            "https://ok.example/?utm_source=x&q=1",
        ]
    ),
    st.text(max_size=40),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules=st.lists(st.tuples(RULE, STARTS, URLS), min_size=1, max_size=4),
    max_items=st.integers(1, 20),
)
def test_any_calendar_gives_at_most_max_items_events_with_only_safe_links(
    rules: list[tuple[str, str, str]], max_items: int
) -> None:
    events = [
        f"UID:{n}\nSUMMARY:Event {n}\nDTSTART:{start}\nRRULE:{rule}\nURL:{' '.join(url.split())}"
        for n, (rule, start, url) in enumerate(rules)
    ]
    feed = FEED.model_copy(update={"max_items": max_items})
    found, warnings = read(calendar(*events), feed)
    assert len(found) <= max_items
    for event in found:
        assert event.url == "" or reader_link(event.url) == event.url
        assert "utm_" not in event.url and "@" not in event.url
    assert all(w.startswith("Town calendar: ") and "\n" not in w for w in warnings)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "BEGIN:VCALENDAR",
                    "END:VCALENDAR",
                    "BEGIN:VEVENT",
                    "END:VEVENT",
                    "BEGIN:VTIMEZONE",
                    "END:VTIMEZONE",
                    "BEGIN:VALARM",
                    "END:VALARM",
                    "DTSTART:20261110T100000Z",
                    'DTSTART;TZID="a:b";VALUE=DATE:2026',
                    "DTEND:2026",
                    "DURATION:P99999999W",
                    "RRULE:FREQ=DAILY;UNTIL=x",
                    "RECURRENCE-ID;RANGE=THISANDFUTURE:20261110",
                    "RDATE:20261110,x",
                    "SUMMARY:x\\",
                    " folded",
                    "TZID:Nowhere",
                    "X-WR-TIMEZONE:Mars/Base",
                ]
            ),
            st.text(max_size=20),
        ),
        max_size=30,
    )
)
def test_the_first_pass_reads_any_text_or_refuses_it_with_a_value_error(
    lines: list[str],
) -> None:
    body = "\r\n".join(["BEGIN:VCALENDAR", *lines]).encode("utf-8", "surrogatepass")
    try:
        scan = scan_calendar(body, FIRST, END)
    except ValueError:
        return
    assert scan.text.startswith("BEGIN:VCALENDAR\r\n") and scan.text.endswith("END:VCALENDAR\r\n")
    read(body)  # and the whole reader gives events or a warning, never a traceback
