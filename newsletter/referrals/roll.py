"""The thank-you roll: last month's referrers who agreed to be named, in the next issue.

The issue for month M thanks the referrers of leads received in M-1 (business timezone).
It names only referrers who said yes and never no: ``thank_by_name`` is yes on at least
one of their leads and no on none (a later "no" withdraws consent; a blank means not
asked and names nobody). A consenting referrer is named by company when the subscriber
list gives one, else by first name and last initial. The number of people helped counts
last month's leads that count by the business's rule (``leads.count_when``: repeats of a
person already in the ledger and flagged leads left out). Nothing about a lead ever leaves
the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta, tzinfo
from pathlib import Path

from newsletter.audience.subscribers import load_subscribers
from newsletter.model import Subscriber, ThankYouRoll
from newsletter.months import next_month
from newsletter.referrals.counting import DEFAULT_RULE, rewarded_leads
from newsletter.referrals.leads import DEFAULT_REGION
from newsletter.referrals.ledger import Lead, load_leads


def thank_you_roll(
    ledger_path: Path,
    subscribers_path: Path,
    issue_first: date,
    tz: tzinfo,
    *,
    region: str | None = DEFAULT_REGION,
    rule: str = DEFAULT_RULE,
) -> ThankYouRoll | None:
    """The roll for the issue of the month starting ``issue_first``; None without a ledger
    or without leads last month. A malformed ledger raises ContentError naming the line."""
    leads = load_leads(ledger_path)
    thanked = previous_month(issue_first)
    # The subscriber list is read only when someone may be named: nothing else needs it.
    named = named_referrers(leads)
    subscribers = load_subscribers(subscribers_path, postal="ignored") if named else ()
    return roll_for(leads, subscribers, thanked, tz, region=region, rule=rule)


def roll_for(
    leads: Iterable[Lead],
    subscribers: Iterable[Subscriber],
    month: date,
    tz: tzinfo,
    *,
    region: str | None = DEFAULT_REGION,
    rule: str = DEFAULT_RULE,
) -> ThankYouRoll | None:
    """The roll for leads received in the month starting ``month`` that count by ``rule``
    (None: no leads); phone numbers compared as dialled in ``region``."""
    leads = tuple(leads)
    end = next_month(month)
    counted = [
        lead
        for lead in rewarded_leads(leads, rule, region=region)
        if month <= lead.received_on(tz) < end
    ]
    if not counted:
        return None
    consenting = named_referrers(leads)
    by_email = {s.normalized_email: s for s in subscribers}
    names = set()
    for lead in counted:
        subscriber = by_email.get(lead.referrer_email)
        if lead.referrer_email in consenting and subscriber is not None:
            names.add(public_name(subscriber))
    names.discard("")
    return ThankYouRoll(
        month=month,
        names=tuple(sorted(names, key=str.casefold)),
        people_helped=len(counted),
    )


def named_referrers(leads: Iterable[Lead]) -> frozenset[str]:
    """Referrers (normalized email) who said yes on some lead and no on none."""
    yes, no = set(), set()
    for lead in leads:
        if lead.thank_by_name is True:
            yes.add(lead.referrer_email)
        elif lead.thank_by_name is False:
            no.add(lead.referrer_email)
    return frozenset(yes - no)


def public_name(subscriber: Subscriber) -> str:
    """``Lakeside Realty``, or ``María G.``: how the roll names a referrer."""
    if subscriber.company.strip():
        return subscriber.company.strip()
    first, last = subscriber.first_name.strip(), subscriber.last_name.strip()
    if not first:
        return ""  # an initial alone thanks nobody
    return f"{first} {last[0]}." if last else first


def previous_month(first: date) -> date:
    return (first.replace(day=1) - timedelta(days=1)).replace(day=1)
