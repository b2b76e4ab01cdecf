"""Rewards: what the active offer's milestones give each referrer, and the progress line
each recipient reads.

Which leads count toward a milestone is the business's rule (``leads.count_when``,
:mod:`newsletter.referrals.counting`): leads a referrer sent while the offer ran (received
from ``valid_from`` to ``valid_to``, in the business's timezone), not repeats, not flagged.
Milestones are cumulative: five referrals under a 1/3/5 offer reach all three rewards.

A milestone reached becomes a reward pending the business's approval in
``subscribers/rewards.csv`` (:func:`sync_rewards`, :mod:`newsletter.referrals.rewardfile`);
the reader's copy shows a reward as earned only once it is approved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, tzinfo
from pathlib import Path
from typing import TypedDict, Unpack

from newsletter.config import Settings
from newsletter.config.files import REWARDS_FILE
from newsletter.model import Milestone, Offer
from newsletter.referrals.counting import DEFAULT_RULE, rewarded_leads, rule_of
from newsletter.referrals.fields import business_region
from newsletter.referrals.leads import DEFAULT_REGION
from newsletter.referrals.ledger import Lead, load_leads
from newsletter.referrals.rewardfile import Reward, load_rewards

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


# ---- counting ---------------------------------------------------------------------------


class CountOptions(TypedDict, total=False):
    """How leads are counted: up to the day ``until`` (inclusive; default: the offer's end),
    phone numbers as dialled in ``region``, by the business's ``rule``."""

    until: date | None
    region: str | None
    rule: str


def counts_by_referrer(
    leads: Iterable[Lead], offer: Offer, tz: tzinfo, **options: Unpack[CountOptions]
) -> dict[str, int]:
    """Leads that count under the rule per referrer (normalized email), received while
    ``offer`` ran (see :class:`CountOptions`). A lead no referrer is credited with counts
    for nobody."""
    theirs = leads_by_referrer(leads, offer, tz, **options)
    return {email: len(counted) for email, counted in theirs.items()}


def leads_by_referrer(
    leads: Iterable[Lead], offer: Offer, tz: tzinfo, **options: Unpack[CountOptions]
) -> dict[str, list[Lead]]:
    """The leads behind :func:`counts_by_referrer`, oldest first, by referrer."""
    until = options.get("until")
    last = min(offer.valid_to, until) if until else offer.valid_to
    rule, region = options.get("rule", DEFAULT_RULE), options.get("region", DEFAULT_REGION)
    theirs: dict[str, list[Lead]] = {}
    for lead in rewarded_leads(leads, rule, region=region):
        if offer.valid_from <= lead.received_on(tz) <= last:
            theirs.setdefault(lead.referrer_email, []).append(lead)
    return dict(sorted(theirs.items()))


def referral_counts(
    ledger_path: Path,
    offer: Offer,
    tz: tzinfo,
    *,
    region: str | None = DEFAULT_REGION,
    rule: str = DEFAULT_RULE,
) -> dict[str, int]:
    """Counted referrals per referrer's normalized email under ``offer``, read from the
    ledger (no ledger: nobody has referred anyone yet)."""
    return counts_by_referrer(load_leads(ledger_path), offer, tz, region=region, rule=rule)


def progress_lines(
    ledger_path: Path,
    offer: Offer,
    tz: tzinfo,
    *,
    region: str | None = DEFAULT_REGION,
    rule: str = DEFAULT_RULE,
    rewards_path: Path | None = None,
) -> Callable[[str], str]:
    """normalized email -> that reader's :func:`progress_line`, for a whole send or print
    run: the ledger is read once, and each distinct standing worded once. A milestone is
    earned in the line once its reward in ``rewards_path`` is approved (or handed out);
    without ``rewards_path``, the rewards file beside the ledger."""
    counts = referral_counts(ledger_path, offer, tz, region=region, rule=rule)
    approved = approved_milestones(
        load_rewards(rewards_path or ledger_path.with_name(REWARDS_FILE)), offer
    )
    worded: dict[tuple[int, frozenset[int]], str] = {}

    def line(email: str) -> str:
        standing = (counts.get(email, 0), approved.get(email, frozenset()))
        if standing not in worded:
            worded[standing] = progress_line(standing[0], offer, standing[1])
        return worded[standing]

    return line


def project_progress(settings: Settings, offer: Offer) -> Callable[[str], str]:
    """:func:`progress_lines` of the project's ledger and rewards, by its rule
    (``leads.count_when``) and with phones read in the business's country."""
    return progress_lines(
        settings.referrals_csv,
        offer,
        settings.tz,
        region=business_region(settings),
        rule=rule_of(settings),
    )


def approved_milestones(rewards: Iterable[Reward], offer: Offer) -> dict[str, frozenset[int]]:
    """Referrer's normalized email -> the milestones of ``offer`` whose reward is theirs
    (approved or handed out)."""
    found: dict[str, set[int]] = {}
    for reward in rewards:
        if reward.offer == offer.slug and reward.earned:
            found.setdefault(reward.referrer_email, set()).add(reward.milestone)
    return {email: frozenset(m) for email, m in found.items()}


def earned(count: int, offer: Offer) -> tuple[Milestone, ...]:
    """The milestones ``count`` referrals have reached (all of them, not just the last)."""
    return tuple(m for m in offer.milestones if m.referrals <= count)


def next_milestone(count: int, offer: Offer) -> Milestone | None:
    return next((m for m in offer.milestones if m.referrals > count), None)


# ---- the progress line ------------------------------------------------------------------


def progress_line(count: int, offer: Offer, approved: frozenset[int] | None = None) -> str:
    """One sentence on where a referrer stands, e.g. "You’ve sent us 2 friends — one more
    earns dinner for two." Empty when the offer has no milestones and nobody was sent.
    ``count`` is the referrer's entry in :func:`referral_counts` (0 when absent);
    ``approved`` the milestones whose reward the business approved (None: every milestone
    reached). A milestone reached but not approved is not called earned.

    The send step puts the same value into the HTML and the text part, so it is plain
    text without ``<``, ``>`` or ``&``.
    """
    milestones = offer.milestones
    coming = next_milestone(count, offer)

    def won(milestone: Milestone) -> bool:
        return approved is None or milestone.referrals in approved

    if count <= 0:
        if coming is None:
            return ""
        first = "your first friend" if coming.referrals == 1 else _friends(coming.referrals)
        return _plain(f"Send us {first} and you’ll earn {_reward(coming)}.")
    sent = f"You’ve sent us {_friends(count)}"
    if not milestones:
        return _plain(f"{sent} — thank you!")
    if coming is None:
        last = milestones[-1]
        if count == last.referrals and won(last):
            return _plain(f"{sent} and earned {_reward(last)} — thank you!")
        if all(won(m) for m in milestones):
            return _plain(f"{sent} and earned every reward we offer — thank you!")
        return _plain(f"{sent} — thank you!")
    left = coming.referrals - count
    more = f"{_number(left)} more earn{'s' if left == 1 else ''} {_reward(coming)}."
    reached = [m for m in milestones if m.referrals == count and won(m)]
    if reached:
        return _plain(f"{sent} and earned {_reward(reached[0])} — {more}")
    return _plain(f"{sent} — {more}")


def _friends(count: int, noun: str = "friend") -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _number(count: int) -> str:
    return NUMBER_WORDS[count] if count < len(NUMBER_WORDS) else str(count)


def _reward(milestone: Milestone) -> str:
    """The reward as a phrase mid-sentence: "A $15 coffee card." -> "a $15 coffee card".

    Only a capitalized ordinary first word is lowered; "NATE tickets" or "McNally's" keep
    theirs. (A reward starting with a proper name, "Packers tickets", would be lowered too:
    write it as "Two Packers tickets".)
    """
    text = milestone.reward.strip().rstrip(".")
    word = text.split(" ", 1)[0]
    if word[:1].isupper() and (len(word) == 1 or word[1:].islower()):
        text = text[0].lower() + text[1:]
    return text


def _plain(text: str) -> str:
    # Safe in HTML and text alike: the send step substitutes it into both unescaped.
    return text.replace("&", "and").replace("<", "").replace(">", "")
