"""Repeats: telling when two leads are one person, and which of them counts.

A person is known by their phone (as dialled in the business's country), their email, or
their name and address together; a later lead for the same person is a repeat.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from newsletter.model import normalize_email
from newsletter.referrals.fields import phone_key
from newsletter.referrals.ledger import Lead

DEFAULT_REGION = "US"
"""The config's default country (``business.address.country``), for callers that do not
pass the business's own."""


@dataclass(frozen=True)
class Duplicate:
    """An earlier lead that a new one looks like, and why."""

    lead: Lead
    reason: str  # "same phone", "same email", "same name and address"


def likely_duplicates(
    lead: Lead, others: Iterable[Lead], *, region: str | None = DEFAULT_REGION
) -> tuple[Duplicate, ...]:
    """Leads among ``others`` that seem to be the same person as ``lead`` (phone numbers
    compared as dialled in ``region``, :func:`~newsletter.referrals.fields.phone_region`)."""
    mine = identity(lead, region)
    found = []
    for other in others:
        if other.id == lead.id:
            continue
        shared = [
            reason for reason, key in identity(other, region).items() if mine.get(reason) == key
        ]
        if shared:
            found.append(Duplicate(other, shared[0]))
    return tuple(found)


def counted_leads(
    leads: Iterable[Lead], *, region: str | None = DEFAULT_REGION
) -> tuple[Lead, ...]:
    """The leads that count as someone sent to the business: every lead, whatever became
    of it, except one that repeats an earlier lead's person (phone, email, or name and
    address; phone numbers compared as dialled in ``region``). The same neighbor referred
    twice counts once, for whoever sent them first."""
    global _last_counted
    given = tuple(leads)  # the very tuple passed in, when it is one
    # A report asks this of one ledger tuple several times (totals, referrers, months);
    # the last answer is kept for that same object. Tuples and Leads are immutable, and
    # holding the tuple keeps its id from being reused, so the answer cannot go stale.
    if _last_counted is not None and _last_counted[:2] == (given, region):
        return _last_counted[2]
    counted = _counted(given, region)
    _last_counted = (given, region, counted)
    return counted


_last_counted: tuple[tuple[Lead, ...], str | None, tuple[Lead, ...]] | None = None


def _counted(leads: tuple[Lead, ...], region: str | None) -> tuple[Lead, ...]:
    seen: set[tuple[str, str]] = set()
    counted = []
    for lead in sorted(leads, key=lambda x: (x.received_at.timestamp(), x.id)):
        keys = set(identity(lead, region).items())
        if not keys & seen:
            counted.append(lead)
        seen |= keys
    return tuple(counted)


def identity(lead: Lead, region: str | None) -> dict[str, str]:
    """What tells one person from another: reason ("same phone", …) -> the value compared."""
    keys = {}
    phone = phone_key(lead.phone, region)
    if phone:
        keys["same phone"] = phone
    if lead.email:
        keys["same email"] = normalize_email(lead.email)
    if lead.address:
        keys["same name and address"] = " ".join(f"{lead.name}|{lead.address}".casefold().split())
    return keys
