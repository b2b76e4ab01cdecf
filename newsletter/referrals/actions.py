"""What the ``referral`` commands do, on a project's settings: the library behind them.

Each function takes what a user types (a code as given, times and amounts as text) and the
project's :class:`~newsletter.config.Settings`, and does one whole action; the command line
only reads options and prints.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path

from newsletter.audience.subscribers import load_subscribers
from newsletter.audience.tokens import referral_codes
from newsletter.config import Settings
from newsletter.errors import ContentError, ReferralError
from newsletter.model import Subscriber
from newsletter.months import parse_month
from newsletter.referrals.approval import RewardLine, decide_reward, reward_lines, sync_rewards
from newsletter.referrals.checks import LeadChecks
from newsletter.referrals.counting import rule_of
from newsletter.referrals.fields import business_region
from newsletter.referrals.leads import Duplicate, Qualification, add_lead, referrer_for_code
from newsletter.referrals.ledger import Lead, load_leads, parse_amount
from newsletter.referrals.outputs import write_report
from newsletter.referrals.reports import ReferralReport, full_name, referral_report
from newsletter.referrals.rewardfile import Reward, load_rewards
from newsletter.referrals.rewards import counts_by_referrer
from newsletter.referrals.times import parse_typed
from newsletter.render.environment import make_environment
from newsletter.sources.offers import current_offer


def ledger_path(settings: Settings) -> Path:
    """The referral ledger: subscribers/referrals.csv."""
    return settings.referrals_csv


def referrer_names(settings: Settings) -> dict[str, str]:
    """Referrers' names for display, by normalized email (none if there is no list)."""
    path = settings.subscribers_csv
    if not path.exists():
        return {}
    return {s.normalized_email: full_name(s) for s in load_subscribers(path)}


def parse_time_option(text: str | None, tz: tzinfo, key: str) -> datetime:
    """A time typed for option ``key`` in the zone ``tz``; now (to the second) when None."""
    if text is None:
        return datetime.now(tz).replace(microsecond=0)
    return parse_typed(text, tz, key=key)


def parse_value_option(text: str, key: str = "--value") -> Decimal:
    """Dollars typed as people write them (1,200.50); a ReferralError naming ``key``."""
    try:
        return parse_amount(text)
    except ValueError as exc:
        raise ReferralError(str(exc), key=key) from None


@dataclass(frozen=True)
class AddedLead:
    lead: Lead
    code: str  # the referrer's code, canonical
    referrer: str  # the referrer's full name
    duplicates: tuple[Duplicate, ...]  # earlier leads this one looks like
    rewards: tuple[Reward, ...] = ()  # rewards it made reached, pending approval


def add_referred_lead(
    settings: Settings,
    secret: bytes,
    *,
    code: str,
    name: str,
    received_at: datetime,
    phone: str = "",
    email: str = "",
    address: str = "",
    need: str = "",
    note: str = "",
    thank_by_name: bool | None = None,
    qualification: Qualification | None = None,
    source: str | None = None,
) -> AddedLead:
    """Add a lead referred by the subscriber whose code is ``code`` (checked with
    ``secret`` against the subscriber list) to the referral ledger. Without ``source``,
    the lead's is its referrer's (``source`` in the subscriber list)."""
    subscribers = load_subscribers(settings.subscribers_csv)
    canonical, referrer = referrer_for_code(
        code, referral_codes(secret, (s.email for s in subscribers))
    )
    theirs = next(s for s in subscribers if s.normalized_email == referrer)
    lead, duplicates = add_lead(
        ledger_path(settings),
        referrer_code=canonical,
        referrer_email=referrer,
        name=name,
        received_at=received_at,
        phone=phone,
        email=email,
        address=address,
        need=need,
        note=note,
        thank_by_name=thank_by_name,
        qualification=qualification,
        source=source if source is not None else theirs.source,
        region=business_region(settings),
        check=checker(settings, subscribers),
    )
    reached = sync_project_rewards(settings)
    return AddedLead(lead, canonical, full_name(theirs), tuple(duplicates), reached)


def checker(
    settings: Settings, subscribers: tuple[Subscriber, ...]
) -> Callable[[Lead, Sequence[Lead]], tuple[Lead, tuple[Lead, ...]]]:
    """The checks of a new lead against ``subscribers`` and the ledger as read."""

    def check(lead: Lead, leads: Sequence[Lead]) -> tuple[Lead, tuple[Lead, ...]]:
        checks = LeadChecks(
            subscribers,
            leads,
            region=business_region(settings),
            country=settings.config.business.address.country,
        )
        return checks.check(lead)

    return check


def sync_project_rewards(settings: Settings, today: date | None = None) -> tuple[Reward, ...]:
    """Add the rewards reached under the offer of ``today`` (default: today in the
    business's zone), pending approval; none without an offer valid then."""
    today = today or datetime.now(settings.tz).date()
    try:
        offer = current_offer(settings.content_dir, today)
    except ContentError:
        return ()  # no offer runs today: no milestone to reach
    return sync_rewards(
        settings.rewards_csv,
        load_leads(ledger_path(settings)),
        offer,
        settings.tz,
        today=today,
        rule=rule_of(settings),
        region=business_region(settings),
    )


def listed_rewards(settings: Settings, today: date) -> tuple[RewardLine, ...]:
    """Every reward (the ones reached by now added, pending), with the leads behind each
    and how many leads count now under today's offer."""
    sync_project_rewards(settings, today)
    leads = load_leads(ledger_path(settings))
    offer = current_offer(settings.content_dir, today)
    counts = counts_by_referrer(
        leads, offer, settings.tz, region=business_region(settings), rule=rule_of(settings)
    )
    return reward_lines(load_rewards(settings.rewards_csv), leads, counts, offer)


def decide(
    settings: Settings, reward_id: int, action: str, *, by: str, at: datetime, reason: str = ""
) -> tuple[Reward, bool]:
    """Approve, deny or hand out reward ``reward_id`` (see :func:`decide_reward`)."""
    return decide_reward(settings.rewards_csv, reward_id, action, by=by, at=at, reason=reason)


def who_decides(given: str | None) -> str:
    """Who a decision is recorded as made by: ``--by``, else the login name."""
    if given is not None and given.strip():
        return given
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this user id (a container)
        return "unknown"


@dataclass(frozen=True)
class WrittenReport:
    report: ReferralReport
    out_dir: Path
    files: tuple[str, ...]


def write_referral_report(
    settings: Settings, month: str, *, out_root: Path, now: datetime
) -> WrittenReport:
    """The referral report of ``month`` as of ``now``, written to OUT/referrals/YYYY-MM/."""
    month = f"{parse_month(month):%Y-%m}"
    report = referral_report(settings, month, now)
    out_dir = out_root / "referrals" / month
    env = make_environment(settings.templates_dir)
    return WrittenReport(report, out_dir, write_report(report, out_dir, env))
