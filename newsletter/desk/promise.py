"""What the referral page promises a lead: a call within the business's opening hours.

The business's own deadline is absolute (``desk.contact_within_hours`` after the lead
arrived: its notice and reminder say so to the minute). A person is promised something a
business would say instead: the last stretch of opening hours before that deadline
("tomorrow morning", "on Wednesday"), or, when the business is closed all the way to the
deadline, its next opening ("a lead at 11:52 PM on a Friday is called on Monday morning").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from newsletter.config.hours import WeekHours

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NOON, FIVE = time(12), time(17)
LOOK_AHEAD_DAYS = 8
"""A week that opens at all opens within a week of any moment."""


@dataclass(frozen=True)
class CallPromise:
    """When a lead may expect the call, as the thank-you page words it."""

    day: str
    """``today`` or ``tomorrow`` (from the day the lead arrived), else the weekday
    (``Monday``), with its date beyond a week (``Monday, December 14``)."""
    part: str
    """``morning``, ``afternoon`` or ``evening``; empty: any time that day."""


def promised_call(
    received: datetime, deadline: datetime, week: WeekHours, tz: tzinfo
) -> CallPromise:
    """The promise for a lead ``received`` whom the business must call by ``deadline``,
    open as ``week`` says, in the business's zone ``tz``."""
    start, end = received.astimezone(tz), deadline.astimezone(tz)
    within = _last_open_moment(start, end, week, tz)
    if within is not None:
        moment, whole_day = within
        part = "" if whole_day else _part_of(moment.time())
    else:
        moment = _next_opening(end, week, tz)
        part = _part_of(moment.time())
    return CallPromise(_day_word(start, moment), part)


def _open_hours(day: datetime, week: WeekHours, tz: tzinfo) -> tuple[datetime, datetime] | None:
    hours = week[day.weekday()]
    if hours is None:
        return None
    opens, closes = hours
    return (
        datetime.combine(day.date(), opens, tzinfo=tz),
        datetime.combine(day.date(), closes, tzinfo=tz),
    )


def _last_open_moment(
    start: datetime, end: datetime, week: WeekHours, tz: tzinfo
) -> tuple[datetime, bool] | None:
    """The end of the last stretch of opening hours between ``start`` and ``end``, and
    whether it is the day's closing time (the whole rest of that day)."""
    found: tuple[datetime, bool] | None = None
    day = start
    while day.date() <= end.date():
        hours = _open_hours(day, week, tz)
        if hours is not None:
            opens, closes = hours
            if max(opens, start) < min(closes, end):
                found = (min(closes, end), closes <= end)
        day += timedelta(days=1)
    return found


def _next_opening(after: datetime, week: WeekHours, tz: tzinfo) -> datetime:
    for step in range(LOOK_AHEAD_DAYS):
        hours = _open_hours(after + timedelta(days=step), week, tz)
        if hours is not None and hours[0] >= after:
            return hours[0]
    raise ValueError("the week has no opening hours")  # refused when the config loads


def _part_of(moment: time) -> str:
    return "morning" if moment < NOON else "afternoon" if moment < FIVE else "evening"


def _day_word(start: datetime, moment: datetime) -> str:
    days = (moment.date() - start.date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    weekday = WEEKDAYS[moment.weekday()]
    return weekday if days < 7 else f"{weekday}, {moment:%B} {moment.day}"
