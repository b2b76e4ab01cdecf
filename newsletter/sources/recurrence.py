"""Recurring events expanded within a bounded amount of work.

recurring-ical-events expands a calendar's events with dateutil's rules, and dateutil walks
a rule from its first date: ``FREQ=SECONDLY`` from 1900 takes days, and a rule whose parts
never match (``BYMONTH=2;BYMONTHDAY=30``) walks on to the year 9999 without finding
anything. Here each rule is a :class:`_MeteredRule`, which counts every step of dateutil's
walk and every date it finds against the calendar's :class:`Meter`: an event that needs
more than its share is left out (and named), and a calendar that needs more than its whole
budget stops there. Within the window each rule lists at most :data:`MAX_PER_RULE` dates.

dateutil's walk (``rrule._iter``) is one long function; the step count comes from running
that same code with its per-step helper (``_iterinfo``) replaced by a counting one. Both are
private to dateutil, so pyproject.toml bounds its version and tests/sources/
test_recurrence.py checks that the metered rule gives exactly what dateutil gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from types import FunctionType
from typing import Any

import dateutil.rrule as dateutil_rrule
import recurring_ical_events
from recurring_ical_events.selection.name import ComponentsWithName
from recurring_ical_events.series import Series

MAX_STEPS = 40_000
"""dateutil steps (a period walked, a date found) for a whole calendar."""
MAX_STEPS_PER_EVENT = 10_000
"""… and for one event. A rule without COUNT walks from just before the window; one with
COUNT from its first date: daily since 1999 fits, every minute for a week does not."""
MAX_PER_RULE = 1_000
"""Dates one rule lists within the window; more is no event a listing can show."""


class TooMuchWork(Exception):
    """The event being expanded (or the calendar) used up its budget."""


class Meter:
    """The work budget of one calendar, and the share of the event being expanded."""

    def __init__(
        self,
        steps: int = MAX_STEPS,
        per_event: int = MAX_STEPS_PER_EVENT,
        window_start: datetime | None = None,
    ) -> None:
        self.window_start = window_start  # rules may begin their walk near it
        self.left = steps
        self.per_event = per_event
        self.event_left = per_event
        self.truncated = False  # a rule of the current event had more than MAX_PER_RULE

    def begin_event(self) -> None:
        self.event_left = self.per_event
        self.truncated = False

    def step(self) -> None:
        self.left -= 1
        self.event_left -= 1
        if self.left < 0 or self.event_left < 0:
            raise TooMuchWork

    @property
    def exhausted(self) -> bool:
        return self.left <= 0


def _counted(name: str) -> Callable[..., Any]:
    """dateutil's helper method ``name``, charging the rule's meter one step first."""
    plain = getattr(dateutil_rrule._iterinfo, name)

    def step_then(self: Any, *args: int) -> Any:
        self.rrule.meter.step()
        return plain(self, *args)

    return step_then


class _CountingInfo(dateutil_rrule._iterinfo):  # type: ignore[misc]  # untyped private
    """dateutil's per-step helper: its walk asks it for each period's days once, so each
    period is one step. (No ``__slots__`` of its own: the parent initializes the slots it
    finds on the instance.)"""

    ydayset = _counted("ydayset")
    mdayset = _counted("mdayset")
    wdayset = _counted("wdayset")
    ddayset = _counted("ddayset")


_walk: Callable[[Any], Iterator[datetime]] = FunctionType(
    dateutil_rrule.rrule._iter.__code__,
    {**vars(dateutil_rrule), "_iterinfo": _CountingInfo},
    "_iter",
    dateutil_rrule.rrule._iter.__defaults__,
    dateutil_rrule.rrule._iter.__closure__,
)
"""dateutil's own walk, its steps counted by :class:`_CountingInfo`."""


class _MeteredRule(dateutil_rrule.rrule):  # type: ignore[misc]  # dateutil is untyped
    """A dateutil rule whose walk charges a :class:`Meter`, uncached (the cache would
    keep every date of the walk)."""

    meter: Meter

    def __iter__(self) -> Iterator[datetime]:
        for found in _walk(self):
            self.meter.step()
            yield found

    def between(
        self, after: datetime, before: datetime, inc: bool = False, count: int = 1
    ) -> list[datetime]:
        found: list[datetime] = []
        for moment in self:
            if moment > before or (moment == before and not inc):
                break
            if moment > after or (moment == after and inc):
                if len(found) == MAX_PER_RULE:
                    self.meter.truncated = True
                    break
                found.append(moment)
        return found


DST_MARGIN = timedelta(hours=3)
"""More than any change of a zone's offset (two hours at most, in history)."""
PERIODS = {
    dateutil_rrule.WEEKLY: timedelta(weeks=1),
    dateutil_rrule.DAILY: timedelta(days=1),
    dateutil_rrule.HOURLY: timedelta(hours=1),
    dateutil_rrule.MINUTELY: timedelta(minutes=1),
    dateutil_rrule.SECONDLY: timedelta(seconds=1),
}
"""Frequencies whose periods are fixed lengths of wall-clock time."""


def _closer(rule: Any, window_start: datetime) -> Any:
    """``rule`` starting a whole number of its periods later, just before the window, when
    that gives the same dates from there on: the walk then begins near the window, not
    years before it. Only a rule without COUNT (which counts from the first date) and with
    a period of fixed length qualifies; the first date itself stays an occurrence (the
    series lists DTSTART on its own). dateutil steps in wall-clock time, and so does the
    shift, so a time of day stays that time of day across a change of daylight saving."""
    period = PERIODS.get(rule._freq)
    if period is None or rule._count is not None:
        return rule
    first: datetime = rule._dtstart
    # Counted in the rule's own wall-clock time, as dateutil steps, with a margin for the
    # hours a change of daylight saving in between moves the window there.
    target = window_start.astimezone(first.tzinfo) if first.tzinfo else window_start
    wall = target.replace(tzinfo=None) - first.replace(tzinfo=None) - DST_MARGIN
    step = period * rule._interval
    periods = wall // step
    if periods <= 0:
        return rule
    moved = rule.replace(dtstart=first + step * periods)
    moved.string, moved.until = rule.string, rule.until  # recurring-ical-events reads these
    return moved


def _metered_series(meter: Meter) -> type[Series]:
    """recurring-ical-events' series, with every rule it makes metered by ``meter``."""

    class Rules(Series.RecurrenceRules):  # type: ignore[misc]
        def rrulestr(self, rule_string: str) -> Any:
            rule = super().rrulestr(rule_string)
            if type(rule) is not dateutil_rrule.rrule:
                raise ValueError(f"not one rule: {rule_string[:60]!r}")
            if meter.window_start is not None:
                rule = _closer(rule, meter.window_start)
            rule.__class__ = _MeteredRule
            rule.meter = meter
            return rule

    class MeteredSeries(Series):  # type: ignore[misc]
        RecurrenceRules = Rules

    return MeteredSeries


def event_series(calendar: Any, meter: Meter) -> list[Any]:
    """The calendar's events, each as a series of occurrences (recurring-ical-events'
    ``Series``, with ``uid`` and ``between(start, end)``), their rules metered."""
    selection = ComponentsWithName("VEVENT", series=_metered_series(meter))
    query = recurring_ical_events.of(calendar, components=[selection])
    return list(query.series)
