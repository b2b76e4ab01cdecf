"""Business hours: how much of a span of time the business was open, and when a number of
open hours after a moment runs out.

A lead that arrives on Friday evening has not waited while the shop was shut: "contacted
within an hour of business time" counts only the hours of ``leads.business_hours``. The
hours are wall-clock times in the business's zone on each open day; spans are measured
in absolute time, so a DST change neither adds nor takes an hour.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from newsletter.config.leads import BusinessHoursConfig

MAX_DAYS = 3700
"""Days looked through at most: a deadline always falls within a week of open days, and a
span longer than ten years is not a lead's waiting time."""


@dataclass(frozen=True)
class BusinessHours:
    weekdays: frozenset[int]  # date.weekday() numbers of the open days
    opens: time
    closes: time
    tz: tzinfo

    @classmethod
    def of(cls, config: BusinessHoursConfig, tz: tzinfo) -> BusinessHours:
        return cls(config.weekdays, config.open_at, config.close_at, tz)

    def windows(self, first: date) -> Iterator[tuple[datetime, datetime]]:
        """The open hours of each open day from ``first`` on, as UTC (start, end)."""
        day = first
        for _ in range(MAX_DAYS):
            if day.weekday() in self.weekdays:
                start = datetime.combine(day, self.opens, tzinfo=self.tz).astimezone(UTC)
                end = datetime.combine(day, self.closes, tzinfo=self.tz).astimezone(UTC)
                yield start, end
            day += timedelta(days=1)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """The open time between ``start`` and ``end`` (none when ``end`` is earlier)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta(0)
        if end <= start:
            return total
        for opened, closed in self.windows(start.astimezone(self.tz).date()):
            if opened >= end:
                break
            overlap = min(closed, end) - max(opened, start)
            total += max(overlap, timedelta(0))
        return total

    def deadline(self, start: datetime, span: timedelta) -> datetime:
        """The moment ``span`` of open time after ``start`` has passed."""
        start = start.astimezone(UTC)
        left = span
        for opened, closed in self.windows(start.astimezone(self.tz).date()):
            begin = max(opened, start)
            if closed <= begin:
                continue
            if closed - begin >= left:
                return (begin + left).astimezone(self.tz)
            left -= closed - begin
        raise ValueError("no open hours in the business hours")  # days is never empty
