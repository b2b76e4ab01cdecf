"""The referral page's promise: a call within the business's opening hours, while the
business's own deadline stays 24 hours of absolute time."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from newsletter.config import load_config
from newsletter.config.hours import DAYS, DEFAULT_WEEK, WeekHours, week_hours
from newsletter.desk.promise import CallPromise, promised_call
from newsletter.errors import ConfigError
from tests.project.support import init_bakery

CHICAGO = ZoneInfo("America/Chicago")
DAY = timedelta(hours=24)
SATURDAY_MORNINGS = week_hours({"mon-fri": "08:00-17:30", "sat": "09:00-12:00"})


def promise(received: str, week: WeekHours = DEFAULT_WEEK) -> CallPromise:
    at = datetime.fromisoformat(received).replace(tzinfo=CHICAGO)
    return promised_call(at, at + DAY, week, CHICAGO)


def test_a_lead_at_11_52_pm_on_a_friday_is_promised_monday_morning() -> None:
    assert promise("2026-12-04T23:52") == CallPromise("Monday", "morning")


def test_a_saturday_opening_before_the_deadline_is_promised() -> None:
    assert promise("2026-12-04T23:52", SATURDAY_MORNINGS) == CallPromise("tomorrow", "")


def test_a_deadline_in_the_morning_is_promised_that_morning() -> None:
    assert promise("2026-12-08T10:14") == CallPromise("tomorrow", "morning")


def test_a_deadline_in_the_afternoon_is_promised_that_afternoon() -> None:
    assert promise("2026-12-08T15:40") == CallPromise("tomorrow", "afternoon")


def test_a_deadline_after_closing_is_promised_the_whole_open_day_before_it() -> None:
    assert promise("2026-12-08T18:00") == CallPromise("tomorrow", "")


def test_a_lead_before_opening_is_promised_today() -> None:
    assert promise("2026-12-07T07:30") == CallPromise("today", "")


def test_a_lead_on_a_sunday_afternoon_is_promised_monday_afternoon() -> None:
    assert promise("2026-12-06T14:00") == CallPromise("tomorrow", "afternoon")


def test_a_business_open_one_hour_a_week_names_the_date_beyond_a_week() -> None:
    week = week_hours({"mon": "10:00-11:00"})
    at = datetime(2026, 12, 7, 11, 30, tzinfo=CHICAGO)  # Monday, just after closing
    found = promised_call(at, at + DAY, week, CHICAGO)
    assert found == CallPromise("Monday, December 14", "morning")


def test_the_promise_is_in_the_businesss_time_across_a_change_of_clocks() -> None:
    # Saturday 31 October 2026, 11:30 PM CDT; clocks fall back on Sunday 1 November
    assert promise("2026-10-31T23:30") == CallPromise("Monday", "morning")


@given(
    received=st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31)),
    hours=st.integers(1, 24 * 7),
    opens=st.sets(st.sampled_from(DAYS), min_size=1),
    start=st.integers(0, 22),
)
def test_every_lead_gets_a_promise_a_person_can_read(
    received: datetime, hours: int, opens: set[str], start: int
) -> None:
    week = week_hours({day: f"{start:02d}:00-{start + 1:02d}:30" for day in opens})
    at = received.replace(tzinfo=CHICAGO)
    found = promised_call(at, at + timedelta(hours=hours), week, CHICAGO)
    assert found.part in ("", "morning", "afternoon", "evening")
    assert found.day in ("today", "tomorrow") or found.day.split(",")[0].endswith("day")


# -- desk.opening_hours in newsletter.yaml ------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"mon-fri": "09:00-17:00", "fri": "09:00-12:00"}, "fri is given twice"),
        ({"mon": "17:00-09:00"}, "'17:00-09:00' closes before it opens"),
        ({"monday": "09:00-17:00"}, "unknown day 'monday'"),
        ({"mon": "9 to 5"}, "hours are written like 09:00-17:00, not '9 to 5'"),
        ({"mon": "25:00-26:00"}, "not a time of day: '25:00-26:00'"),
        ({}, "the business must be open at some hour of the week"),
    ],
)
def test_opening_hours_that_make_no_sense_are_an_error_naming_the_line(
    tmp_path: Path, hours: dict[str, str], message: str
) -> None:
    init_bakery(tmp_path / "shop")
    config = tmp_path / "shop" / "newsletter.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["desk"] = {"public_url": "https://desk.example.com/", "opening_hours": hours}
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(config)
    assert raised.value.key == "desk.opening_hours"
    assert message in raised.value.message
    assert raised.value.line is not None


def test_opening_hours_ranges_run_forward_through_the_weekend() -> None:
    week = week_hours({"fri-mon": "10:00-14:00"})
    assert [day is not None for day in week] == [True, False, False, False, True, True, True]
