"""Recurring events expanded within a bounded amount of work (newsletter/sources/
recurrence.py): the metered rule lists exactly what dateutil lists, a rule walks from just
before the window without changing a date, and no rule walks further than its budget.

These also guard the private parts of dateutil and recurring-ical-events the module uses
(pyproject.toml bounds their versions)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from newsletter.sources.recurrence import (
    MAX_PER_RULE,
    Meter,
    TooMuchWork,
    _closer,
    _MeteredRule,
)

CHICAGO = ZoneInfo("America/Chicago")
WINDOW = (datetime(2026, 10, 31, tzinfo=CHICAGO), datetime(2026, 12, 9, tzinfo=CHICAGO))


def metered(rule_text: str, start: datetime, meter: Meter | None = None) -> _MeteredRule:
    rule = rrulestr(rule_text, dtstart=start)
    rule.__class__ = _MeteredRule
    rule.meter = meter or Meter(steps=10**9, per_event=10**9)
    return rule


@pytest.mark.parametrize(
    "rule_text",
    [
        "FREQ=WEEKLY;BYDAY=SA;UNTIL=20270327T140000Z",
        "FREQ=MONTHLY;BYDAY=2TU",
        "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=DAILY;INTERVAL=3;COUNT=400",
        "FREQ=HOURLY;INTERVAL=5;BYHOUR=9,14,19",
        "FREQ=YEARLY;BYWEEKNO=47;BYDAY=WE",
    ],
)
def test_a_metered_rule_lists_exactly_what_dateutil_lists(rule_text: str) -> None:
    start = datetime(2025, 9, 8, 19, 0, tzinfo=CHICAGO)
    plain = rrulestr(rule_text, dtstart=start)
    assert metered(rule_text, start).between(*WINDOW, inc=True) == plain.between(*WINDOW, inc=True)


def test_a_rule_that_never_matches_stops_at_its_budget() -> None:
    meter = Meter(steps=5_000, per_event=1_000)
    rule = metered("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", datetime(2026, 1, 1), meter)
    with pytest.raises(TooMuchWork):
        rule.between(datetime(2026, 11, 1), datetime(2026, 12, 8))
    assert meter.event_left < 0 and meter.left == 5_000 - 1_001


def test_the_calendar_budget_is_shared_by_its_events() -> None:
    meter = Meter(steps=1_500, per_event=1_000)
    for _ in range(2):
        meter.begin_event()
        rule = metered("FREQ=SECONDLY", datetime(1900, 1, 1), meter)
        with pytest.raises(TooMuchWork):
            rule.between(datetime(2026, 11, 1), datetime(2026, 12, 8))
    assert meter.exhausted


def test_a_rule_lists_at_most_its_share_of_dates_in_the_window() -> None:
    meter = Meter(steps=10**6, per_event=10**6)
    found = metered("FREQ=MINUTELY", datetime(2026, 11, 1), meter).between(
        datetime(2026, 11, 1), datetime(2026, 12, 8)
    )
    assert len(found) == MAX_PER_RULE and meter.truncated
    assert found[0] == datetime(2026, 11, 1, 0, 1)


EARLIEST = {"WEEKLY": 1990, "DAILY": 1995, "HOURLY": 2026, "MINUTELY": 2026}
"""How far back a test rule may start: the reference walks from there, every period."""


@st.composite
def rules(draw: st.DrawFn) -> tuple[str, datetime]:
    frequency = draw(st.sampled_from(sorted(EARLIEST)))
    extra = draw(
        st.sampled_from(["", ";BYDAY=MO,WE", ";BYHOUR=9,17", ";BYMONTH=11,12", ";BYSETPOS=1"])
    )
    interval = draw(st.integers(1, 10))
    earliest = datetime(EARLIEST[frequency], 10 if frequency == "MINUTELY" else 1, 1)
    start = draw(st.datetimes(earliest, datetime(2026, 10, 30)))
    return f"FREQ={frequency};INTERVAL={interval}{extra}", start.replace(microsecond=0)


@settings(max_examples=60, deadline=None)
@given(rule=rules(), zone=st.sampled_from([CHICAGO, ZoneInfo("Europe/Berlin"), None]))
def test_a_rule_walking_from_just_before_the_window_finds_the_same_dates(
    rule: tuple[str, datetime], zone: ZoneInfo | None
) -> None:
    rule_text, start = rule
    low, high = WINDOW if zone else (w.replace(tzinfo=None) for w in WINDOW)
    if "MINUTELY" in rule_text:
        high = low + timedelta(hours=6)  # hours of minutes are plenty to compare
    try:
        original = rrulestr(rule_text, dtstart=start.replace(tzinfo=zone))
    except ValueError:
        assume(False)  # a combination dateutil refuses (no hour of the interval is listed)
        return
    original.string, original.until = rule_text, None
    moved = _closer(original, WINDOW[0])
    assert moved.between(low, high, inc=True) == original.between(low, high, inc=True)
