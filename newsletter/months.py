"""Issue months: ``YYYY-MM`` strings and the date ranges they stand for."""

from __future__ import annotations

import re
from datetime import date, timedelta

from newsletter.errors import NewsletterError

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
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
    """'2026-11' -> date(2026, 11, 1); anything else is an error naming the value."""
    match = _MONTH.match(text.strip())
    if not match:
        raise NewsletterError(f"not a month (expected YYYY-MM): {text!r}", key="--month")
    return date(int(match[1]), int(match[2]), 1)


def next_month(first: date) -> date:
    """The first day of the month after ``first``'s month."""
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_name(first: date) -> str:
    return MONTH_NAMES[first.month - 1]
