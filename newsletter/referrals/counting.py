"""Which referred leads count toward their referrer's rewards: the business's rule.

``leads.count_when`` says when a lead starts to count: on ``arrival``, once ``qualified``
(every lead but those put to nurture), once ``contacted`` (or won), or once ``won``. Under
every rule a lead counts only when a referrer is credited with it, it is not a repeat of a
person already in the ledger (:func:`~newsletter.referrals.leads.counted_leads`: the same
neighbor sent twice counts once, for whoever sent them first), and it carries no flag the
business has not cleared (:mod:`newsletter.referrals.checks`).
"""

from __future__ import annotations

from collections.abc import Iterable

from newsletter.config import Settings
from newsletter.config.leads import COUNT_WHEN
from newsletter.referrals.leads import DEFAULT_REGION, counted_leads
from newsletter.referrals.ledger import Lead

DEFAULT_RULE = "qualified"


def rule_of(settings: Settings) -> str:
    """The project's rule (``leads.count_when``)."""
    return settings.config.leads.count_when


def counts_by_rule(lead: Lead, rule: str = DEFAULT_RULE) -> bool:
    """Whether ``lead`` has reached the point ``rule`` counts from, unflagged, with a
    referrer (repeats are left out by :func:`rewarded_leads`)."""
    if rule not in COUNT_WHEN:
        raise ValueError(f"unknown rule {rule!r}")
    if not lead.referrer_email or lead.flagged:
        return False
    if rule == "qualified":
        return lead.qualified
    if rule == "contacted":
        return lead.contacted_at is not None or lead.status == "won"
    if rule == "won":
        return lead.status == "won"
    return True


def rewarded_leads(
    leads: Iterable[Lead], rule: str = DEFAULT_RULE, *, region: str | None = DEFAULT_REGION
) -> tuple[Lead, ...]:
    """The leads that count toward rewards under ``rule``, oldest first."""
    return tuple(x for x in counted_leads(leads, region=region) if counts_by_rule(x, rule))
