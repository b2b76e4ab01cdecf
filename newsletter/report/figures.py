"""The monthly report's figures: frozen dataclasses computed from the ledgers, nothing drawn.

:func:`monthly_report` is a pure function of what was read (leads, rewards handed out,
referrers' names, the send ledger's counts) and an injectable ``now``; rendering lives in
``charts``, ``sections`` and ``outputs``. Every figure follows the referral report's rules
(:mod:`newsletter.referrals.reports`), which it builds on:

- Leads count by the business day they arrived, repeats of a person left out; dollars by
  the day a job was won. Conversion is won of received.
- The month's funnel partitions the month's leads twice: by first contact (within 24 hours,
  later, not yet — still within its day or overdue —, closed with no contact recorded, or
  nurture: not chased, by design) and by outcome (won, lost, open).
- Follow-up time is the absolute time from the start of a qualified lead's 24 hours
  (arrival, or promotion from nurture) to first contact, in hours.
- Qualified and nurture: the month's leads by their qualification now. Sources: the year's
  leads by kind of source (:func:`newsletter.referrals.reports.source_lines`).

``IssueSends.engagement`` (the desk's delivered/bounce/open/click events and referral page
visits by medium, :mod:`newsletter.report.events`) is ``None`` for an issue with no events
pulled, and the page says "no data yet".
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from newsletter.model import QUALIFICATIONS, Offer
from newsletter.months import next_month
from newsletter.referrals.counting import DEFAULT_RULE
from newsletter.referrals.hours import BusinessHours
from newsletter.referrals.leads import DEFAULT_REGION, counted_leads
from newsletter.referrals.ledger import Lead
from newsletter.referrals.reports import (
    FOLLOW_UP,
    OverdueLead,
    Period,
    ReferralReport,
    SourceLine,
    build_report,
    monthly_periods,
)
from newsletter.referrals.rewardfile import Reward
from newsletter.referrals.times import elapsed
from newsletter.report.speed import SpeedToLead, speed_to_lead

VOLUME_MONTHS = 12
HOUR_EDGES = (1, 2, 4, 8, 12, 24, 48, 72)
"""Upper edges (hours, inclusive) of the follow-up bins; the last bin is everything later.
24 is an edge, so the bins split exactly at the follow-up rule."""


@dataclass(frozen=True)
class Funnel:
    """The month's leads (repeats left out), by first contact and by outcome."""

    referred: int
    on_time: int  # first contact within 24 hours
    late: int  # first contact after 24 hours
    waiting: int  # not contacted, still within its 24 hours
    overdue: int  # not contacted, past its 24 hours
    unrecorded: int  # won or lost with no first contact recorded
    won: int
    lost: int
    open: int  # new or contacted
    nurture: int = 0  # nurture leads: kept in touch with, never chased (no 24 hours)


@dataclass(frozen=True)
class HoursBin:
    label: str  # "12–24 h"
    leads: int
    late: bool  # past the 24-hour line


@dataclass(frozen=True)
class FollowUp:
    """How long the month's contacted leads waited for their first call."""

    bins: tuple[HoursBin, ...]
    median_hours: float | None  # None: nobody was contacted
    overdue: tuple[OverdueLead, ...]  # every lead overdue now, whatever the month, oldest first

    @property
    def contacted(self) -> int:
        return sum(b.leads for b in self.bins)

    @property
    def on_time(self) -> int:
        return sum(b.leads for b in self.bins if not b.late)


@dataclass(frozen=True)
class Engagement:
    """What the desk's events say about one issue: readers (distinct addresses) the
    provider delivered to, bounced, who opened, who clicked; the most clicked links; and
    visits to the referral page by the medium its link named."""

    delivered: int
    bounced: int
    opened: int
    clicked: int
    top_links: tuple[tuple[str, int], ...]  # (url, clicks), most clicked first
    visits_by_medium: Mapping[str, int]  # "email", "print QR", "web archive", "typed address"


@dataclass(frozen=True)
class IssueSends:
    """One issue's rows in the send ledger, by status (and by segment when recorded)."""

    issue: str  # "2026-11"
    by_status: Mapping[str, int]  # every status of newsletter.deliver.ledger.STATUSES
    by_segment: Mapping[str, int] | None = None  # None: the ledger does not record segments
    engagement: Engagement | None = None  # None: no desk events pulled for this issue

    @property
    def recipients(self) -> int:
        return sum(self.by_status.values())

    @property
    def sent(self) -> int:
        return self.by_status.get("sent", 0)

    @property
    def failed(self) -> int:
        """Certainly not sent: failed (may be retried) or rejected by the provider."""
        return self.by_status.get("failed", 0) + self.by_status.get("rejected", 0)

    @property
    def uncertain(self) -> int:
        """Cut off mid-flight: uncertain, or in flight (a run that died, or one sending)."""
        return self.by_status.get("uncertain", 0) + self.by_status.get("in_flight", 0)

    @property
    def pending(self) -> int:
        return self.by_status.get("pending", 0)


@dataclass(frozen=True)
class PostCounts:
    """Who gets the issue by post now, and who is kept off it."""

    reached: int  # readers by post the next print run addresses
    returned: Mapping[str, int]  # held back after returned mail, by the post's reason
    opted_out: int  # readers by post with a postal opt-out


@dataclass(frozen=True)
class ReaderCounts:
    """Readers on the list who take email, by how they read (``newsletter engagement``'s
    rule), each by segment; readers moved for not answering, by segment."""

    active: Mapping[str, int]
    fading: Mapping[str, int]  # to be asked
    asked: Mapping[str, int]  # asked, the time to answer not over yet
    moved: Mapping[str, int]
    not_judged: str = ""  # why nobody is judged yet ("" when judged)


@dataclass(frozen=True)
class MonthlyReport:
    month: str  # "2026-11"
    now: datetime
    tz: tzinfo
    referrals: ReferralReport  # overdue, referrers and rewards, the month and the year to date
    volume: tuple[Period, ...]  # the last 12 months, oldest first, the report month last
    funnel: Funnel
    follow_up: FollowUp
    sends: tuple[IssueSends, ...]  # issues up to this month's, oldest first (up to 12)
    # The month's leads by qualification ("qualified", "nurture"); the year's by source.
    # None only for a report made without them.
    qualification: Mapping[str, int] | None = None
    sources: tuple[SourceLine, ...] | None = None
    # The desk's events of the month that desk pull set aside (its quarantine), by kind.
    set_aside: Mapping[str, int] | None = None
    post: PostCounts | None = None  # None only for a report made without the list
    speed: SpeedToLead | None = None  # None only for a report made without business hours
    readers: ReaderCounts | None = None  # None without an engagement: section

    @property
    def label(self) -> str:
        return self.referrals.periods[0].label  # "November 2026"

    @property
    def year_to_date(self) -> Period:
        return self.referrals.periods[1]

    @property
    def this_issue(self) -> IssueSends | None:
        """The report month's issue in the send ledger (None: nothing recorded for it)."""
        return next((s for s in self.sends if s.issue == self.month), None)


def monthly_report(
    leads: Iterable[Lead],
    rewards: Iterable[Reward],
    names: Mapping[str, str],
    sends: Sequence[IssueSends],
    *,
    offer: Offer,
    month: date,
    now: datetime,
    tz: tzinfo,
    sources: Mapping[str, str] | None = None,
    region: str | None = DEFAULT_REGION,
    rule: str = DEFAULT_RULE,
    business_hours: BusinessHours | None = None,
) -> MonthlyReport:
    """The report for the month starting ``month``, as of ``now``.

    ``names`` maps a referrer's normalized email to how the report shows them, ``sources``
    to their kind of source; ``sends`` are the send ledger's counts per issue
    (:func:`newsletter.report.sends.read_sends`).
    """
    leads = tuple(leads)
    referrals = build_report(
        leads,
        rewards,
        names,
        offer=offer,
        month=month,
        now=now,
        tz=tz,
        sources=sources,
        region=region,
        rule=rule,
    )
    last_day = next_month(month) - timedelta(days=1)
    counted = counted_leads(leads, region=region)
    in_month = [x for x in counted if month <= x.received_on(tz) <= last_day]
    hours = first_contact_hours(in_month)
    return MonthlyReport(
        month=f"{month:%Y-%m}",
        now=now,
        tz=tz,
        referrals=referrals,
        volume=monthly_periods(leads, last_months(month, VOLUME_MONTHS), tz, region=region),
        funnel=funnel(in_month, now),
        follow_up=FollowUp(
            bins=hours_bins(hours),
            median_hours=statistics.median(hours) if hours else None,
            overdue=referrals.overdue,
        ),
        sends=tuple(s for s in sends if s.issue <= f"{month:%Y-%m}")[-VOLUME_MONTHS:],
        qualification={
            kind: sum(1 for x in in_month if x.qualification == kind) for kind in QUALIFICATIONS
        },
        sources=referrals.sources,
        speed=speed_to_lead(in_month, business_hours) if business_hours else None,
    )


def last_months(month: date, count: int) -> tuple[date, ...]:
    """The first days of the ``count`` months ending with ``month``, oldest first."""
    firsts = [month]
    for _ in range(count - 1):
        previous = firsts[-1] - timedelta(days=1)
        firsts.append(previous.replace(day=1))
    return tuple(reversed(firsts))


def funnel(leads: Sequence[Lead], now: datetime) -> Funnel:
    """The funnel of ``leads`` (a month's counted leads) as of ``now``."""
    contact = {"on_time": 0, "late": 0, "waiting": 0, "overdue": 0, "unrecorded": 0, "nurture": 0}
    for lead in leads:
        start = lead.clock_start
        if start is None:
            contact["nurture"] += 1
        elif lead.contacted_at is not None:
            late = elapsed(start, lead.contacted_at) > FOLLOW_UP
            contact["late" if late else "on_time"] += 1
        elif lead.status == "new":
            late = elapsed(start, now) > FOLLOW_UP
            contact["overdue" if late else "waiting"] += 1
        else:
            contact["unrecorded"] += 1
    won = sum(1 for x in leads if x.status == "won")
    lost = sum(1 for x in leads if x.status == "lost")
    return Funnel(referred=len(leads), won=won, lost=lost, open=len(leads) - won - lost, **contact)


def first_contact_hours(leads: Iterable[Lead]) -> list[float]:
    """Hours from the start of their 24 hours to first contact, for the qualified leads
    with a first contact (a promoted lead's clock starts when it was promoted; a call
    before that counts as 0 hours)."""
    return [
        max(0.0, elapsed(x.clock_start, x.contacted_at).total_seconds() / 3600)
        for x in leads
        if x.contacted_at is not None and x.clock_start is not None
    ]


def hours_bins(hours: Iterable[float]) -> tuple[HoursBin, ...]:
    """``hours`` counted into the bins of :data:`HOUR_EDGES` (upper edges inclusive)."""
    counts = [0] * (len(HOUR_EDGES) + 1)
    for value in hours:
        counts[next((i for i, edge in enumerate(HOUR_EDGES) if value <= edge), -1)] += 1
    lows = (0, *HOUR_EDGES)
    labels = [f"{lo}–{hi} h" for lo, hi in zip(lows, HOUR_EDGES, strict=False)]
    labels.append(f"over {HOUR_EDGES[-1]} h")
    return tuple(
        HoursBin(label, count, late=lows[i] >= FOLLOW_UP.total_seconds() / 3600)
        for i, (label, count) in enumerate(zip(labels, counts, strict=True))
    )
