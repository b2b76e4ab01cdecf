"""Opening hours (``desk.opening_hours``): when the business answers the phone.

Written as a mapping of days to hours, a day or a range of days at a time::

    mon-fri: "08:00-17:30"
    sat: "09:00-12:00"

Days are ``mon`` to ``sun``; a range runs forward (``fri-mon`` is Friday to Monday). A day
not listed is closed; a day listed twice, hours that end before they start, or a week
with no open hour at all is an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
WeekHours = tuple[tuple[time, time] | None, ...]
"""Monday to Sunday: the opening and closing time of each day, or None when closed."""
WEEKDAYS = "09:00-17:00"
DEFAULT_OPENING_HOURS = {"mon-fri": WEEKDAYS}


def week_hours(written: Mapping[str, str]) -> WeekHours:
    """The week that ``written`` describes; ValueError naming the first thing wrong."""
    week: list[tuple[time, time] | None] = [None] * len(DAYS)
    for days, hours in written.items():
        for day in _days(days):
            if week[day] is not None:
                raise ValueError(f"{DAYS[day]} is given twice")
            week[day] = _hours(hours)
    if not any(week):
        raise ValueError("the business must be open at some hour of the week")
    return tuple(week)


def _days(written: str) -> list[int]:
    first, _, last = written.strip().lower().partition("-")
    for name in (first, last or first):
        if name not in DAYS:
            raise ValueError(f"unknown day {name!r} (days: {', '.join(DAYS)}, or a range: mon-fri)")
    start, end = DAYS.index(first), DAYS.index(last or first)
    return [(start + step) % len(DAYS) for step in range((end - start) % len(DAYS) + 1)]


def _hours(written: str) -> tuple[time, time]:
    match = HOURS.match(str(written).strip())
    if not match:
        raise ValueError(f"hours are written like 09:00-17:00, not {written!r}")
    hour1, minute1, hour2, minute2 = (int(part) for part in match.groups())
    try:
        opens, closes = time(hour1, minute1), time(hour2, minute2)
    except ValueError:
        raise ValueError(f"not a time of day: {written!r}") from None
    if closes <= opens:
        raise ValueError(f"{written!r} closes before it opens")
    return opens, closes


DEFAULT_WEEK = week_hours(DEFAULT_OPENING_HOURS)
"""Monday to Friday, nine to five: the opening hours of a business that names none."""
