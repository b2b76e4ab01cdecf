"""Moments in the referral ledger: stored with their UTC offset, shown in the business's zone.

A stored time always carries its offset (``2026-11-01T08:30:00-06:00``), so the 24-hour
follow-up rule is computed on absolute time and a DST change cannot stretch or shrink a
day. Times typed without an offset are read in the business's timezone; a wall-clock time
that happens twice (the hour after clocks fall back) or never (the hour clocks skip) is an
error rather than a guess.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from newsletter.errors import ReferralError

PLAUSIBLE_YEARS = range(2000, 2100)
"""Years a lead, a contact or a reward can fall in. Year 1 or 9999 is a typo (and out at
the edge of what datetime can convert between zones)."""


def parse_stored(text: str) -> datetime:
    """A time as written in the ledger; ValueError unless ISO 8601 with an offset, in a
    plausible year."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time with offset: {exc}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"not an ISO 8601 time with offset: needs a UTC offset, "
            f"e.g. 2026-11-02T09:14:00-06:00: {text!r}"
        )
    check_plausible(moment)
    return moment


def check_plausible(moment: date) -> None:
    """ValueError unless ``moment`` (a date or a time) falls in :data:`PLAUSIBLE_YEARS`."""
    if moment.year not in PLAUSIBLE_YEARS:
        first, last = PLAUSIBLE_YEARS[0], PLAUSIBLE_YEARS[-1]
        raise ValueError(f"{moment.isoformat()} is not a plausible date (years {first} to {last})")


CLOCK_SLACK = timedelta(days=1)
"""How far ahead of now a time may lie: a clock that is off, an offset typed wrong by a few
hours. Anything later is a typo (2062 for 2026), and a lead from the future would sort
first in every list and never be overdue."""


def not_in_the_future(moment: datetime) -> datetime:
    """``moment``, if it is not more than :data:`CLOCK_SLACK` ahead of now; ValueError
    otherwise."""
    if moment > datetime.now(UTC) + CLOCK_SLACK:
        raise ValueError(f"{format_stored(moment)} is in the future")
    return moment


def format_stored(moment: datetime) -> str:
    """``moment`` as the ledger writes it: to the second, with the offset it was given
    (times the tool makes are in the business's zone), so a rewrite keeps rows as read."""
    return moment.isoformat(timespec="seconds")


def parse_typed(text: str, tz: tzinfo, *, key: str) -> datetime:
    """A time typed on the command line: ISO 8601, with an offset or in the zone ``tz``.

    A bare date means midnight. Raises ReferralError naming ``key`` for text that is not
    a time, or a local time that is ambiguous or skipped by a DST change.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReferralError(
            f"not a time (expected e.g. 2026-11-02T09:14 or 2026-11-02T09:14-06:00): {text!r}",
            key=key,
        ) from None
    try:
        check_plausible(moment)
    except ValueError as exc:
        raise ReferralError(str(exc), key=key) from None
    if moment.tzinfo is not None:
        return moment
    first, second = moment.replace(tzinfo=tz, fold=0), moment.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        # fold=0/1 differ only around a DST change: the time happened twice, or never.
        if _round_trips(first, tz) and _round_trips(second, tz):
            offsets = " or ".join(_offset(m) for m in (first, second))
            raise ReferralError(
                f"{text} happens twice on {moment:%Y-%m-%d} (clocks fall back); "
                f"add the offset, {offsets}",
                key=key,
            )
        raise ReferralError(
            f"{text} does not exist on {moment:%Y-%m-%d} (clocks spring forward)", key=key
        )
    return first


def _round_trips(moment: datetime, tz: tzinfo) -> bool:
    back = moment.astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) == moment.replace(tzinfo=None)


def _offset(moment: datetime) -> str:
    text = moment.isoformat()
    return text[-6:]


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Absolute time from ``start`` to ``end``.

    Both are converted to UTC first: subtracting two datetimes that share one ZoneInfo
    compares wall clocks, which is off by an hour across a DST change.
    """
    return end.astimezone(UTC) - start.astimezone(UTC)


def local_date(moment: datetime, tz: tzinfo) -> date:
    """The calendar day ``moment`` falls on in the business's zone."""
    return moment.astimezone(tz).date()


def format_shown(moment: datetime, tz: tzinfo) -> str:
    """``2026-11-01 08:30 CST``: the business's wall clock, with the zone's abbreviation
    so a reader sees which side of a DST change a time is on."""
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def hours(span: timedelta) -> str:
    """``31h`` or ``2d 7h`` for how long a lead has waited."""
    total = int(span.total_seconds() // 3600)
    days, rest = divmod(total, 24)
    return f"{days}d {rest}h" if days else f"{rest}h"
