"""``newsletter referral report``: overdue leads, referrers and their rewards, and totals.

Everything is computed from the ledger, the rewards given and the subscriber list, as of an
injectable ``now``:

- Overdue: leads still new more than 24 hours (absolute time, so DST-safe) after they
  arrived, oldest first; shown in the business's timezone. This is a call list, whatever
  the month.
- Per referrer: counted leads received while the active offer ran (up to the end of the
  report month), how many are won and for how much, the offer's rewards earned, and
  those not yet handed out.
- Totals for the month and the year to date: leads received by current status, the
  conversion rate (won of received), and dollars won (won leads closed in the period).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal

from newsletter.audience.subscribers import load_subscribers
from newsletter.config import Settings
from newsletter.model import Milestone, Offer, Subscriber
from newsletter.months import month_name, next_month, parse_month
from newsletter.referrals.leads import counted_leads
from newsletter.referrals.ledger import STATUSES, Lead, load_leads
from newsletter.referrals.rewards import (
    Handout,
    counts_by_referrer,
    earned,
    load_handouts,
    outstanding,
)
from newsletter.referrals.times import elapsed, local_date
from newsletter.sources.offers import current_offer

FOLLOW_UP = timedelta(hours=24)
"""A referred lead is called back within a day: a friend's recommendation cools fast."""


@dataclass(frozen=True)
class OverdueLead:
    lead: Lead
    referrer: str
    due: datetime  # received_at + 24 hours
    waiting: timedelta


@dataclass(frozen=True)
class ReferrerLine:
    name: str
    code: str
    email: str
    leads: int
    won: int
    won_value: Decimal
    earned: tuple[Milestone, ...]
    to_hand_out: tuple[Milestone, ...]


@dataclass(frozen=True)
class Period:
    label: str  # "November 2026", "2026 to date"
    received: int
    by_status: Mapping[str, int]
    won_value: Decimal

    @property
    def conversion(self) -> float | None:
        """Won of received (None when nothing was received)."""
        return self.by_status["won"] / self.received if self.received else None


@dataclass(frozen=True)
class ReferralReport:
    month: str
    now: datetime
    tz: tzinfo
    offer: Offer
    overdue: tuple[OverdueLead, ...]
    referrers: tuple[ReferrerLine, ...]
    periods: tuple[Period, ...]  # the month, then the year to date


def is_overdue(lead: Lead, now: datetime) -> bool:
    """Still not contacted more than 24 hours after it arrived, counted in absolute time."""
    return lead.status == "new" and elapsed(lead.received_at, now) > FOLLOW_UP


def overdue_leads(
    leads: Iterable[Lead], now: datetime, names: Mapping[str, str]
) -> tuple[OverdueLead, ...]:
    """The overdue leads, oldest first."""
    late = sorted((x for x in leads if is_overdue(x, now)), key=lambda x: x.received_at)
    return tuple(
        OverdueLead(
            lead=x,
            referrer=names.get(x.referrer_email, x.referrer_email),
            due=x.received_at.astimezone(UTC) + FOLLOW_UP,  # in UTC: absolute, not wall clock
            waiting=elapsed(x.received_at, now),
        )
        for x in late
    )


def build_report(
    leads: Iterable[Lead],
    handouts: Iterable[Handout],
    names: Mapping[str, str],
    *,
    offer: Offer,
    month: date,
    now: datetime,
    tz: tzinfo,
) -> ReferralReport:
    """The report for the month starting ``month``, as of ``now``.

    ``names`` maps a referrer's normalized email to how the report shows them.
    """
    leads, handouts = tuple(leads), tuple(handouts)
    last_day = next_month(month) - timedelta(days=1)
    return ReferralReport(
        month=f"{month:%Y-%m}",
        now=now,
        tz=tz,
        offer=offer,
        overdue=overdue_leads(leads, now, names),
        referrers=_referrers(leads, handouts, names, offer, last_day, tz),
        periods=(
            _period(f"{month_name(month)} {month.year}", leads, month, last_day, tz),
            _period(f"{month.year} to date", leads, month.replace(month=1), last_day, tz),
        ),
    )


@dataclass(frozen=True)
class ReferralInputs:
    """What the referral figures are made from, as read from the project's files."""

    leads: tuple[Lead, ...]
    handouts: tuple[Handout, ...]
    names: Mapping[str, str]  # referrer's normalized email -> shown name
    offer: Offer  # the offer of the report month


def referral_inputs(settings: Settings, month: date) -> ReferralInputs:
    """Read the ledger, the rewards handed out, the referrers' names from the subscriber
    list, and the offer valid on ``month`` (the first of a month)."""
    leads = load_leads(settings.referrals_csv)
    wanted = {lead.referrer_email for lead in leads}
    subscribers = load_subscribers(settings.subscribers_csv, postal="ignored") if wanted else ()
    names = {s.normalized_email: full_name(s) for s in subscribers if s.normalized_email in wanted}
    return ReferralInputs(
        leads=leads,
        handouts=load_handouts(settings.rewards_csv),
        names=names,
        offer=current_offer(settings.content_dir, month),
    )


def referral_report(settings: Settings, month: str, now: datetime) -> ReferralReport:
    """Read the ledger, rewards, subscribers and the month's offer, and build the report."""
    first = parse_month(month)
    inputs = referral_inputs(settings, first)
    return build_report(
        inputs.leads,
        inputs.handouts,
        inputs.names,
        offer=inputs.offer,
        month=first,
        now=now,
        tz=settings.tz,
    )


def full_name(subscriber: Subscriber) -> str:
    """``Karen Vogel (Lakeside Realty)``: reports are internal, so the whole name."""
    name = f"{subscriber.first_name} {subscriber.last_name}".strip() or subscriber.email
    return f"{name} ({subscriber.company})" if subscriber.company else name


def _referrers(
    leads: tuple[Lead, ...],
    handouts: tuple[Handout, ...],
    names: Mapping[str, str],
    offer: Offer,
    last_day: date,
    tz: tzinfo,
) -> tuple[ReferrerLine, ...]:
    counts = counts_by_referrer(leads, offer, tz, until=last_day)
    theirs: dict[str, list[Lead]] = defaultdict(list)  # one pass, however many referrers
    for x in counted_leads(leads):
        if offer.valid_from <= x.received_on(tz) <= last_day:
            theirs[x.referrer_email].append(x)
    lines = []
    for email, count in counts.items():
        won = [x for x in theirs[email] if x.status == "won"]
        lines.append(
            ReferrerLine(
                name=names.get(email, email),
                code=theirs[email][-1].referrer_code,
                email=email,
                leads=count,
                won=len(won),
                won_value=sum((x.value or Decimal(0) for x in won), Decimal(0)),
                earned=earned(count, offer),
                to_hand_out=outstanding(email, count, offer, handouts),
            )
        )
    return tuple(sorted(lines, key=lambda r: (-r.leads, -r.won, r.name.casefold())))


def _period(label: str, leads: tuple[Lead, ...], start: date, end: date, tz: tzinfo) -> Period:
    received = [x for x in counted_leads(leads) if start <= x.received_on(tz) <= end]
    closed_won = [x for x in leads if start <= (_won_on(x, tz) or date.min) <= end]
    return _tally(label, received, closed_won)


def monthly_periods(
    leads: Iterable[Lead], months: Sequence[date], tz: tzinfo
) -> tuple[Period, ...]:
    """One :class:`Period` per month in ``months`` (first days), by the same rules as the
    report's totals, in one pass over the ledger (a year of months for 10,000 leads)."""
    leads = tuple(leads)
    wanted = {(m.year, m.month): m for m in months}
    received: dict[date, list[Lead]] = defaultdict(list)
    closed_won: dict[date, list[Lead]] = defaultdict(list)
    for x in counted_leads(leads):
        arrived = x.received_on(tz)
        if (arrived.year, arrived.month) in wanted:
            received[wanted[arrived.year, arrived.month]].append(x)
    for x in leads:
        won = _won_on(x, tz)
        if won is not None and (won.year, won.month) in wanted:
            closed_won[wanted[won.year, won.month]].append(x)
    return tuple(_tally(f"{month_name(m)} {m.year}", received[m], closed_won[m]) for m in months)


def _won_on(lead: Lead, tz: tzinfo) -> date | None:
    """The business day a won lead was won on (None for any other lead)."""
    if lead.status == "won" and lead.closed_at:
        return local_date(lead.closed_at, tz)
    return None


def _tally(label: str, received: Sequence[Lead], closed_won: Sequence[Lead]) -> Period:
    # Leads count by the day they arrived (repeats left out: the caller passes counted
    # leads); dollars follow the day a job was won, and every won lead's money is real, so
    # they count all won leads closed in the period (a repeat lead included).
    by_status = {status: sum(1 for x in received if x.status == status) for status in STATUSES}
    value = sum((x.value or Decimal(0) for x in closed_won), Decimal(0))
    return Period(label=label, received=len(received), by_status=by_status, won_value=value)
