"""Issue months: ``YYYY-MM`` strings and the date ranges they stand for."""

from __future__ import annotations

import re
from datetime import date, timedelta

from newsletter.errors import NewsletterError

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
FIRST_YEAR = 2000
LAST_YEAR = 2099
"""The years of the months (and quarters) the tool makes issues for, as those a referral
lead's times may fall in (``newsletter.referrals.times``): another year is a typo. Every
command serves each month in them: the print shop's package is a ZIP, whose files are
dated the issue's day and whose dates run from 1980 to 2107, and a month's other dates (a
feed's window ten years back, holidays a year ahead) stay far inside Python's years 1 to
9999."""
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def parse_month(text: str) -> date:
    """'2026-11' -> date(2026, 11, 1); anything else, or a month outside FIRST_YEAR to
    LAST_YEAR, is an error naming the value."""
    match = _MONTH.match(text.strip())
    if not match:
        raise NewsletterError(f"not a month (expected YYYY-MM): {text!r}", key="--month")
    check_year(
        int(match[1]),
        text,
        key="--month",
        what="month",
        first=f"{FIRST_YEAR}-01",
        last=f"{LAST_YEAR}-12",
    )
    return date(int(match[1]), int(match[2]), 1)


def check_year(year: int, text: str, *, key: str, what: str, first: str, last: str) -> None:
    """A NewsletterError naming ``text`` (given as ``key``) unless ``year`` is one the tool
    makes issues for; ``what`` it is (``month``), and ``first`` and ``last`` the earliest
    and latest, written as ``text`` is (``2000-01``, ``2000Q1``)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NewsletterError(f"{text!r} is not a plausible {what} ({first} to {last})", key=key)


def next_month(first: date) -> date:
    """The first day of the month after ``first``'s month."""
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_name(first: date) -> str:
    return MONTH_NAMES[first.month - 1]
