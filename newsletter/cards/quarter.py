"""Quarters: ``2026Q4`` and the dates and months it stands for.

Cards and the nurture email go out once a quarter; a run is named by its quarter the way an
issue is named by its month (``YYYY-MM``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from newsletter.errors import NewsletterError
from newsletter.months import FIRST_YEAR, LAST_YEAR, check_year

_QUARTER = re.compile(r"^(\d{4})[Qq](\d)$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter: ``Quarter(2026, 4)`` is October to December 2026."""

    year: int
    number: int  # 1 to 4

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"a quarter is 1 to 4, not {self.number}")

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def months(self) -> tuple[str, ...]:
        """``("2026-10", "2026-11", "2026-12")``: the issue months it holds."""
        return tuple(
            f"{self.year}-{month:02d}" for month in range(3 * self.number - 2, 3 * self.number + 1)
        )

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def __contains__(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


def quarter_of(day: date) -> Quarter:
    """The quarter ``day`` falls in."""
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def parse_quarter(text: str, *, key: str = "--quarter") -> Quarter:
    """``"2026Q4"`` -> ``Quarter(2026, 4)``; anything else (``2026Q5``, ``26Q4``, ``2026-Q4``)
    is a NewsletterError naming the value and where it was given (``key``)."""
    match = _QUARTER.match(text.strip())
    if not match:
        raise NewsletterError(f"not a quarter (expected YYYYQn, e.g. 2026Q4): {text!r}", key=key)
    number = int(match[2])
    if not 1 <= number <= 4:
        raise NewsletterError(f"not a quarter (Q1 to Q4): {text!r}", key=key)
    first, last = f"{FIRST_YEAR}Q1", f"{LAST_YEAR}Q4"
    check_year(int(match[1]), text, key=key, what="quarter", first=first, last=last)
    return Quarter(int(match[1]), number)
