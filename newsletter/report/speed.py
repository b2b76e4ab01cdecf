"""Speed to lead: how many of the month's qualified leads were called within an hour, within
an hour of business time, and within a day.

Online leads cool fast (the first hour matters most), so the business sees three shares of
the month's qualified leads (repeats left out), each from the start of the lead's clock
(arrival, or promotion from nurture) to its first contact:

- within 1 hour of clock time;
- within 1 hour of business time (``leads.business_hours``): a lead that arrives on
  Saturday night and is called at 8:30 on Monday counts, since the shop was shut;
- within 24 hours, the business's promise.

A lead not contacted counts in the whole and in no share. Nurture leads are left out:
nobody chases them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from newsletter.referrals.hours import BusinessHours
from newsletter.referrals.ledger import Lead
from newsletter.referrals.reports import FOLLOW_UP
from newsletter.referrals.times import elapsed
from newsletter.report.charts import Bars, Colors, bar_chart
from newsletter.tables import Block

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class SpeedToLead:
    qualified: int  # the month's qualified leads
    within_hour: int
    within_business_hour: int
    within_day: int

    def shares(self) -> tuple[tuple[str, int], ...]:
        return (
            ("Within 1 hour", self.within_hour),
            ("Within 1 hour of business time", self.within_business_hour),
            ("Within 24 hours", self.within_day),
        )


def speed_to_lead(leads: Iterable[Lead], hours: BusinessHours) -> SpeedToLead:
    """The shares of ``leads`` (a month's counted leads) by time to first contact."""
    qualified = [x for x in leads if x.clock_start is not None]
    called = [(x.clock_start, x.contacted_at) for x in qualified if x.contacted_at is not None]
    waits = [(start, max(elapsed(start, at), timedelta(0)), at) for start, at in called if start]
    return SpeedToLead(
        qualified=len(qualified),
        within_hour=sum(1 for _, wait, _ in waits if wait <= HOUR),
        within_business_hour=sum(1 for s, _, at in waits if hours.elapsed(s, at) <= HOUR),
        within_day=sum(1 for _, wait, _ in waits if wait <= FOLLOW_UP),
    )


def share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def speed_reading(speed: SpeedToLead, label: str) -> str:
    if not speed.qualified:
        return f"No qualified leads in {label}: no data yet."
    return (
        f"Of {speed.qualified} qualified lead{'s' if speed.qualified != 1 else ''} in {label}, "
        f"{share(speed.within_hour, speed.qualified)} were called within an hour, "
        f"{share(speed.within_business_hour, speed.qualified)} within an hour of business "
        f"time, {share(speed.within_day, speed.qualified)} within 24 hours."
    )


def speed_chart(speed: SpeedToLead, colors: Colors) -> str:
    """The three shares as horizontal bars, in percent of the month's qualified leads."""
    percents = [100 * count / speed.qualified for _, count in speed.shares()]
    return bar_chart(
        Bars(
            [name for name, _ in speed.shares()],
            percents,
            [colors.good, colors.primary, colors.accent],
            horizontal=True,
            shown=lambda value: f"{value:.0f}%",
            notes=[f"{p:.0f}% ({n})" for p, (_, n) in zip(percents, speed.shares(), strict=True)],
        ),
        colors,
    )


def speed_block(speed: SpeedToLead, label: str) -> Block:
    return Block(
        f"Qualified leads called, {label}",
        ("First call", "Leads", "Share"),
        (
            *((name, str(n), share(n, speed.qualified)) for name, n in speed.shares()),
            ("Qualified leads", str(speed.qualified), ""),
        ),
        frozenset({"Leads", "Share"}),
    )
