"""``newsletter referral report``: overdue leads, referrers and their rewards, and totals.

Everything is computed from the ledger, the rewards given and the subscriber list, as of an
injectable ``now``:

- Overdue: qualified leads still new more than 24 hours (absolute time, so DST-safe)
  after they arrived (or, for a nurture lead promoted later, after it was qualified),
  oldest first; shown in the business's timezone. This is a call list, whatever the
  month. A nurture lead is never overdue: nobody chases it.
- Due in the next 24 hours: the qualified leads still new and within their 24 hours,
  soonest due first: the rest of the call list.
- Flagged: leads a check flagged (:mod:`newsletter.referrals.checks`) that the business
  has not cleared, oldest first, each with its flags' reasons. They count toward nobody's
  reward until cleared, so this too is a list to work through, whatever the month.
- Per referrer: the leads that count by the business's rule (``leads.count_when``)
  received while the active offer ran (up to the end of the report month), how many are
  won and for how much, the offer's milestones reached, the rewards pending approval, and
  those approved but not yet handed out; and their leads waiting on a flag.
- Totals for the month and the year to date: leads received by current status, the
  conversion rate (won of received), and dollars won (won leads closed in the period).
- By source, the year to date: the leads received through each kind of relationship,
  how many of them are won and for how much. A lead's source is its own (``source``) or,
  when not recorded, its referrer's in the subscriber list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal

from newsletter.audience.subscribers import load_subscribers
from newsletter.config import Settings
from newsletter.model import SOURCE_KINDS, SOURCE_LABELS, Milestone, Offer, Subscriber
from newsletter.months import month_name, next_month, parse_month
from newsletter.referrals.counting import DEFAULT_RULE, rule_of
from newsletter.referrals.fields import business_region
from newsletter.referrals.leads import DEFAULT_REGION, counted_leads
from newsletter.referrals.ledger import STATUSES, Lead, load_leads
from newsletter.referrals.rewardfile import Reward, load_rewards
from newsletter.referrals.rewards import earned, leads_by_referrer
from newsletter.referrals.times import elapsed, local_date
from newsletter.sources.offers import current_offer

FOLLOW_UP = timedelta(hours=24)
"""A referred lead is called back within a day: a friend's recommendation cools fast."""


@dataclass(frozen=True)
class OverdueLead:
    """A qualified lead still to call: overdue, or due within the next 24 hours."""

    lead: Lead
    referrer: str
    due: datetime  # received_at + 24 hours
    waiting: timedelta  # since its 24 hours started


@dataclass(frozen=True)
class FlaggedLead:
    lead: Lead
    referrer: str


@dataclass(frozen=True)
class ReferrerLine:
    name: str
    code: str
    email: str
    leads: int
    won: int
    won_value: Decimal
    earned: tuple[Milestone, ...]  # the milestones their leads reach
    to_hand_out: tuple[Milestone, ...]  # approved, not handed out yet
    source: str = ""  # the referrer's kind of relationship ("" not recorded)
    pending: tuple[Milestone, ...] = ()  # reached, waiting for the business's approval
    flagged: int = 0  # their leads under the offer waiting for a flag to be cleared


@dataclass(frozen=True)
class SourceLine:
    """Leads received through one kind of source, and what they brought in."""

    kind: str  # one of SOURCE_KINDS, or "" (not recorded)
    leads: int
    won: int
    won_value: Decimal

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self.kind]


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
    sources: tuple[SourceLine, ...] = ()  # the year to date, most leads first
    due_soon: tuple[OverdueLead, ...] = ()  # within their 24 hours now, soonest due first
    flagged: tuple[FlaggedLead, ...] = ()  # waiting for the business to clear them


def is_overdue(lead: Lead, now: datetime) -> bool:
    """A qualified lead still not contacted more than 24 hours after its clock started
    (arrival, or promotion from nurture), counted in absolute time."""
    start = lead.clock_start
    return lead.status == "new" and start is not None and elapsed(start, now) > FOLLOW_UP


def due_at(lead: Lead) -> datetime | None:
    """When a qualified lead still not contacted must be called by (24 hours of absolute
    time after its clock started, in UTC); None for any other lead."""
    start = lead.clock_start
    if lead.status != "new" or start is None:
        return None
    return start.astimezone(UTC) + FOLLOW_UP


def overdue_leads(
    leads: Iterable[Lead], now: datetime, names: Mapping[str, str]
) -> tuple[OverdueLead, ...]:
    """The overdue leads, oldest first."""
    return _to_call(leads, now, names, overdue=True)


def due_soon_leads(
    leads: Iterable[Lead], now: datetime, names: Mapping[str, str]
) -> tuple[OverdueLead, ...]:
    """Qualified leads not contacted yet and still within their 24 hours: every one of
    them is due within the next 24 hours. Soonest due first."""
    return _to_call(leads, now, names, overdue=False)


def _to_call(
    leads: Iterable[Lead], now: datetime, names: Mapping[str, str], *, overdue: bool
) -> tuple[OverdueLead, ...]:
    chosen = sorted(
        (x for x in leads if due_at(x) is not None and is_overdue(x, now) == overdue),
        key=_clock,
    )
    return tuple(
        OverdueLead(
            lead=x,
            referrer=names.get(x.referrer_email, x.referrer_email),
            due=_clock(x).astimezone(UTC) + FOLLOW_UP,  # in UTC: absolute, not wall clock
            waiting=elapsed(_clock(x), now),
        )
        for x in chosen
    )


def flagged_leads(leads: Iterable[Lead], names: Mapping[str, str]) -> tuple[FlaggedLead, ...]:
    """The leads whose flags the business has not cleared, oldest first."""
    waiting = sorted((x for x in leads if x.flagged), key=lambda x: (x.received_at, x.id))
    return tuple(FlaggedLead(x, names.get(x.referrer_email, x.referrer_email)) for x in waiting)


def _clock(lead: Lead) -> datetime:
    return lead.clock_start or lead.received_at


def build_report(
    leads: Iterable[Lead],
    rewards: Iterable[Reward],
    names: Mapping[str, str],
    *,
    offer: Offer,
    month: date,
    now: datetime,
    tz: tzinfo,
    sources: Mapping[str, str] | None = None,
    region: str | None = DEFAULT_REGION,
    rule: str = DEFAULT_RULE,
) -> ReferralReport:
    """The report for the month starting ``month``, as of ``now``; referrers' leads count
    by ``rule`` (``leads.count_when``).

    ``names`` maps a referrer's normalized email to how the report shows them; ``sources``
    to their kind of relationship (the subscriber list's ``source``). Phone numbers are
    compared as dialled in ``region`` (repeats of a person count once).
    """
    leads, rewards = tuple(leads), tuple(rewards)
    sources = sources or {}
    last_day = next_month(month) - timedelta(days=1)
    return ReferralReport(
        month=f"{month:%Y-%m}",
        now=now,
        tz=tz,
        offer=offer,
        overdue=overdue_leads(leads, now, names),
        due_soon=due_soon_leads(leads, now, names),
        referrers=_referrers(
            leads, rewards, names, offer, last_day, tz, sources, region=region, rule=rule
        ),
        periods=(
            _period(f"{month_name(month)} {month.year}", leads, month, last_day, tz, region),
            _period(f"{month.year} to date", leads, month.replace(month=1), last_day, tz, region),
        ),
        sources=source_lines(leads, sources, month.replace(month=1), last_day, tz, region=region),
        flagged=flagged_leads(leads, names),
    )


def lead_source(lead: Lead, sources: Mapping[str, str]) -> str:
    """The kind of relationship ``lead`` came through: its own, else its referrer's."""
    return lead.source or sources.get(lead.referrer_email, "")


def source_lines(
    leads: Iterable[Lead],
    sources: Mapping[str, str],
    start: date,
    end: date,
    tz: tzinfo,
    *,
    region: str | None = DEFAULT_REGION,
) -> tuple[SourceLine, ...]:
    """Leads received from ``start`` to ``end`` (repeats left out) by source, with how many
    of them are won and for how much; most leads first, then most dollars."""
    tally: dict[str, list[Lead]] = defaultdict(list)
    for x in counted_leads(leads, region=region):
        if start <= x.received_on(tz) <= end:
            tally[lead_source(x, sources)].append(x)
    lines = []
    for kind, theirs in tally.items():
        won = [x for x in theirs if x.status == "won"]
        value = sum((x.value or Decimal(0) for x in won), Decimal(0))
        lines.append(SourceLine(kind, len(theirs), len(won), value))
    order = {kind: i for i, kind in enumerate((*SOURCE_KINDS, ""))}
    return tuple(sorted(lines, key=lambda s: (-s.leads, -s.won_value, order[s.kind])))


@dataclass(frozen=True)
class ReferralInputs:
    """What the referral figures are made from, as read from the project's files."""

    leads: tuple[Lead, ...]
    rewards: tuple[Reward, ...]
    names: Mapping[str, str]  # referrer's normalized email -> shown name
    offer: Offer  # the offer of the report month
    sources: Mapping[str, str] = field(default_factory=dict)  # email -> kind of source
    region: str | None = DEFAULT_REGION  # where phone numbers are dialled from
    rule: str = DEFAULT_RULE  # leads.count_when


def referral_inputs(settings: Settings, month: date) -> ReferralInputs:
    """Read the ledger, the rewards handed out, the referrers' names from the subscriber
    list, and the offer valid on ``month`` (the first of a month)."""
    leads = load_leads(settings.referrals_csv)
    wanted = {lead.referrer_email for lead in leads}
    subscribers = load_subscribers(settings.subscribers_csv, postal="ignored") if wanted else ()
    theirs = [s for s in subscribers if s.normalized_email in wanted]
    return ReferralInputs(
        leads=leads,
        rewards=load_rewards(settings.rewards_csv),
        names={s.normalized_email: full_name(s) for s in theirs},
        offer=current_offer(settings.content_dir, month),
        sources={s.normalized_email: s.source for s in theirs if s.source},
        region=business_region(settings),
        rule=rule_of(settings),
    )


def referral_report(settings: Settings, month: str, now: datetime) -> ReferralReport:
    """Read the ledger, rewards, subscribers and the month's offer, and build the report."""
    first = parse_month(month)
    inputs = referral_inputs(settings, first)
    return build_report(
        inputs.leads,
        inputs.rewards,
        inputs.names,
        offer=inputs.offer,
        month=first,
        now=now,
        tz=settings.tz,
        sources=inputs.sources,
        region=inputs.region,
        rule=inputs.rule,
    )


def full_name(subscriber: Subscriber) -> str:
    """``Karen Vogel (Lakeside Realty)``: reports are internal, so the whole name."""
    name = f"{subscriber.first_name} {subscriber.last_name}".strip() or subscriber.email
    return f"{name} ({subscriber.company})" if subscriber.company else name


def _referrers(
    leads: tuple[Lead, ...],
    rewards: tuple[Reward, ...],
    names: Mapping[str, str],
    offer: Offer,
    last_day: date,
    tz: tzinfo,
    sources: Mapping[str, str],
    *,
    region: str | None,
    rule: str,
) -> tuple[ReferrerLine, ...]:
    theirs = leads_by_referrer(leads, offer, tz, until=last_day, region=region, rule=rule)
    flagged: dict[str, int] = defaultdict(int)
    for x in leads:
        if x.flagged and x.referrer_email and offer.valid_from <= x.received_on(tz) <= last_day:
            flagged[x.referrer_email] += 1
    milestones = {m.referrals: m for m in offer.milestones}
    decided: dict[tuple[str, str], list[Milestone]] = defaultdict(list)
    recorded = {r.key for r in rewards}
    for email, counted in theirs.items():
        # Reached, with no reward recorded yet: pending from the next change on.
        for m in earned(len(counted), offer):
            if (email, offer.slug, m.referrals) not in recorded:
                decided[email, "pending"].append(m)
    for r in rewards:
        if (
            r.offer == offer.slug
            and r.status in ("pending", "approved")
            and r.milestone in milestones
        ):
            decided[r.referrer_email, r.status].append(milestones[r.milestone])
    lines = []
    for email in sorted(theirs.keys() | flagged.keys()):
        counted = theirs.get(email, [])
        won = [x for x in counted if x.status == "won"]
        any_lead = counted or [x for x in leads if x.referrer_email == email]
        lines.append(
            ReferrerLine(
                name=names.get(email, email),
                code=any_lead[-1].referrer_code,
                email=email,
                leads=len(counted),
                won=len(won),
                won_value=sum((x.value or Decimal(0) for x in won), Decimal(0)),
                earned=earned(len(counted), offer),
                to_hand_out=tuple(decided[email, "approved"]),
                source=sources.get(email, ""),
                pending=tuple(decided[email, "pending"]),
                flagged=flagged.get(email, 0),
            )
        )
    return tuple(sorted(lines, key=lambda r: (-r.leads, -r.won, r.name.casefold())))


def _period(
    label: str,
    leads: tuple[Lead, ...],
    start: date,
    end: date,
    tz: tzinfo,
    region: str | None,
) -> Period:
    counted = counted_leads(leads, region=region)
    received = [x for x in counted if start <= x.received_on(tz) <= end]
    closed_won = [x for x in leads if start <= (_won_on(x, tz) or date.min) <= end]
    return _tally(label, received, closed_won)


def monthly_periods(
    leads: Iterable[Lead],
    months: Sequence[date],
    tz: tzinfo,
    *,
    region: str | None = DEFAULT_REGION,
) -> tuple[Period, ...]:
    """One :class:`Period` per month in ``months`` (first days), by the same rules as the
    report's totals, in one pass over the ledger (a year of months for 10,000 leads)."""
    leads = tuple(leads)
    wanted = {(m.year, m.month): m for m in months}
    received: dict[date, list[Lead]] = defaultdict(list)
    closed_won: dict[date, list[Lead]] = defaultdict(list)
    for x in counted_leads(leads, region=region):
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
