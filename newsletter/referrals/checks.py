"""The checks a referred lead passes before it counts toward its referrer's rewards.

Each check that fires puts a flag on the lead, ``kind: why`` (``self-referral: the
referrer's own phone``); a flagged lead does not count until the business clears it
(``referral clear ID``). The checks, each with the near miss it lets pass:

self-referral  the lead has the referrer's own email, phone (as dialled) or address (the
               same door: another apartment of the building is not it)
known          the lead is someone the business knows already: a subscriber or client on
               the list (same email, or living at the same door), or an earlier lead
               (same email, phone or door)
burst          the lead is one of several within a day (24 hours, either way) from one
               network address, or for one door; the earlier leads of the burst get the
               flag too, unless the business cleared them (a day and a minute apart is
               not a burst)
disposable     the lead's email is at a domain that hands out throwaway addresses (the
               list in ``disposable-domains.txt``, renewed by
               scripts/update_disposable_domains.py; a subdomain of one counts)

Flags are found when a lead is added (``referral add``, ``desk pull``) with what is known
then, and kept in the ledger: a lead does not turn into a repeat because its person later
became a client. The desk's alert shows the same checks for a lead that has just come in.

The network address is never kept: the desk keeps a keyed hash of it
(:func:`network_key`), which tells two leads from one place apart and nothing else.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import timedelta
from importlib import resources

from newsletter.model import Address, Subscriber, normalize_email
from newsletter.referrals.doors import Doors, same_door, typed_address
from newsletter.referrals.fields import phone_key
from newsletter.referrals.ledger import Lead

BURST_WINDOW = timedelta(hours=24)
DOMAINS_FILE = "disposable-domains.txt"
NETWORK_KEY_CHARS = 16
SELF, KNOWN, BURST, DISPOSABLE = "self-referral", "known", "burst", "disposable"
KINDS = (SELF, KNOWN, BURST, DISPOSABLE)


def network_key(secret: bytes, address: str) -> str:
    """A keyed hash of the network a client connects from: its IPv4 address, or the /64
    of an IPv6 one (what one household or office is given); "" for no address.

    Keyed with the project's secret, so the ledger in git cannot be turned back into
    addresses (there are only four billion IPv4 addresses to try)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        network = str(ipaddress.ip_network(f"{ip}/64", strict=False))
    else:
        network = str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)
    digest = hmac.new(secret, f"lead network v1|{network}".encode(), hashlib.sha256)
    return digest.hexdigest()[:NETWORK_KEY_CHARS]


@functools.cache
def disposable_domains() -> frozenset[str]:
    """The domains of the list kept in the repository."""
    text = resources.files("newsletter.referrals").joinpath(DOMAINS_FILE).read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def disposable_domain(email: str, domains: frozenset[str] | None = None) -> str | None:
    """The listed domain ``email`` is at (itself or a parent of its domain), or None."""
    listed = disposable_domains() if domains is None else domains
    labels = email.rpartition("@")[2].strip().lower().split(".")
    for start in range(len(labels) - 1):
        domain = ".".join(labels[start:])
        if domain in listed:
            return domain
    return None


def _segment(subscriber: Subscriber) -> str:
    return "client" if subscriber.segment == "client" else "subscriber"


class LeadChecks:
    """The checks against what the business knows: its subscribers, and the leads so far
    (:meth:`remember` each new one, for the checks of the next)."""

    def __init__(
        self,
        subscribers: Iterable[Subscriber],
        leads: Iterable[Lead],
        *,
        region: str | None,
        country: str,
        names: Mapping[int, str] | None = None,
    ) -> None:
        """``names`` names leads in the flags' reasons where "lead N" would not (a lead the
        desk holds that is not in the ledger yet)."""
        self.region, self.country = region, country
        self._names = names or {}
        listed = tuple(subscribers)
        self._subscribers = {s.normalized_email: s for s in listed}
        self._subscriber_doors: Doors[Subscriber] = Doors((s.address, s) for s in listed)
        # The indexes hold ids; _leads holds each lead as it is now (a burst adds flags).
        self._leads: dict[int, Lead] = {}
        self._by_email: dict[str, list[int]] = defaultdict(list)
        self._by_phone: dict[str, list[int]] = defaultdict(list)
        self._by_network: dict[str, list[int]] = defaultdict(list)
        self._lead_doors: Doors[int] = Doors()
        for lead in leads:
            self.remember(lead)

    def remember(self, lead: Lead) -> None:
        """Count ``lead`` among the leads the next ones are checked against (or, for one
        already counted, take it as it is now)."""
        known = lead.id in self._leads
        self._leads[lead.id] = lead
        if known:
            return
        if lead.email:
            self._by_email[normalize_email(lead.email)].append(lead.id)
        if phone := phone_key(lead.phone, self.region):
            self._by_phone[phone].append(lead.id)
        if lead.network:
            self._by_network[lead.network].append(lead.id)
        self._lead_doors.add(typed_address(lead.address, self.country), lead.id)

    def _now(self, ids: Iterable[int]) -> list[Lead]:
        return [self._leads[i] for i in ids]

    def check(self, lead: Lead) -> tuple[Lead, tuple[Lead, ...]]:
        """``lead`` with the flags its checks give, and the earlier leads that gain a flag
        now (the rest of a burst it completes)."""
        where = typed_address(lead.address, self.country)
        flags = [*self._self_referral(lead, where), *self._known(lead, where)]
        bursts, partners = self._bursts(lead, where)
        flags += bursts
        domain = disposable_domain(lead.email) if lead.email else None
        if domain:
            flags.append(f"{DISPOSABLE}: {domain} hands out throwaway email addresses")
        return replace(lead, flags=tuple(dict.fromkeys(flags))), partners

    def _referrer_phones(self, referrer: str) -> set[str]:
        """The referrer's own numbers: those of their leads when they were a lead."""
        theirs = self._now(self._by_email.get(referrer, ()))
        subscriber = self._subscribers.get(referrer)
        if subscriber is not None and subscriber.lead_id in self._leads:
            theirs.append(self._leads[subscriber.lead_id])
        return {key for x in theirs if (key := phone_key(x.phone, self.region))}

    def _self_referral(self, lead: Lead, where: Address | None) -> list[str]:
        referrer = lead.referrer_email
        if not referrer:
            return []
        found = []
        if lead.email and normalize_email(lead.email) == referrer:
            found.append(f"{SELF}: the referrer's own email")
        if lead.phone and phone_key(lead.phone, self.region) in self._referrer_phones(referrer):
            found.append(f"{SELF}: the referrer's own phone")
        home = self._subscribers.get(referrer)
        if home is not None and same_door(where, home.address):
            found.append(f"{SELF}: the referrer's own address")
        return found

    def _known(self, lead: Lead, where: Address | None) -> list[str]:
        found = []
        referrer = lead.referrer_email
        email = normalize_email(lead.email) if lead.email else ""
        listed = self._subscribers.get(email) if email else None
        if listed is not None and email != referrer:
            found.append(f"{KNOWN}: already a {_segment(listed)} on the list (same email)")
        for neighbor in self._subscriber_doors.at(where):
            if neighbor.normalized_email != referrer:
                found.append(f"{KNOWN}: a {_segment(neighbor)} on the list lives at this address")
                break
        earlier = (
            ("email", self._by_email.get(email, []) if email else []),
            ("phone", self._by_phone.get(phone_key(lead.phone, self.region), [])),
            ("address", self._lead_doors.at(where)),
        )
        for what, others in earlier:
            other = next((i for i in others if i != lead.id), None)
            if other is not None:
                found.append(f"{KNOWN}: same {what} as {self._name(other)}")
                break
        return found

    def _bursts(self, lead: Lead, where: Address | None) -> tuple[list[str], tuple[Lead, ...]]:
        groups = (
            ("from one network address", self._now(self._by_network.get(lead.network, []))),
            ("for one address", self._now(self._lead_doors.at(where))),
        )
        flags: list[str] = []
        partners: dict[int, Lead] = {}
        for what, others in groups:
            near = [x for x in others if x.id != lead.id and _within_a_day(x, lead)]
            if not near:
                continue
            named = ", ".join(self._name(i) for i in sorted({x.id for x in near}))
            flags.append(f"{BURST}: one of several leads {what} within a day ({named})")
            for other in near:
                other = partners.get(other.id, other)
                already = any(f.startswith(f"{BURST}:") and what in f for f in other.flags)
                if other.cleared_at is None and not already:
                    why = (
                        f"{BURST}: one of several leads {what} within a day ({self._name(lead.id)})"
                    )
                    partners[other.id] = replace(other, flags=(*other.flags, why))
        return flags, tuple(partners.values())

    def _name(self, lead_id: int) -> str:
        return self._names.get(lead_id, f"lead {lead_id}")


def _within_a_day(one: Lead, other: Lead) -> bool:
    return abs(one.received_at - other.received_at) <= BURST_WINDOW
