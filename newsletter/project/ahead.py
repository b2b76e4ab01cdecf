"""What the content will need soon: reminders ``newsletter check`` gives weeks ahead.

Content runs out on a date. When the referral offer valid today ends within
:data:`REMIND_DAYS` and no offer follows it, every build from the day after stops with "no
active referral offer"; when a project that writes quarterly cards has no card yet for the
quarter about to start, ``newsletter cards`` stops. Each reminder names the file, the date
and what to write, so the business (or the bundled sample's maintainer) fixes it before
the day comes. A reminder never fails a check, strict or not: nothing is wrong yet.
"""

from __future__ import annotations

from datetime import date, timedelta

from newsletter.cards.content import CARDS_DIR
from newsletter.cards.quarter import Quarter
from newsletter.config import Settings
from newsletter.sources.offers import load_offers

REMIND_DAYS = 42
"""Six weeks: time to write an offer or a card, have it approved and printed."""


def reminders(settings: Settings, today: date) -> tuple[str, ...]:
    """The reminders for the project of ``settings`` on ``today``."""
    return (*_offer_ends(settings, today), *_card_missing(settings, today))


def _offer_ends(settings: Settings, today: date) -> list[str]:
    offers = load_offers(settings.content_dir)
    found = []
    for offer in offers:
        if not offer.valid_from <= today <= offer.valid_to:
            continue
        following = offer.valid_to + timedelta(days=1)
        days = (offer.valid_to - today).days
        followed = any(o.valid_from <= following <= o.valid_to for o in offers)
        if days <= REMIND_DAYS and not followed:
            found.append(
                f"{offer.path}: the referral offer ends {offer.valid_to.isoformat()} "
                f"({_in_days(days)}) and no offer follows it: from {following.isoformat()} "
                "`newsletter build` stops; add the next offer to content/offers/ "
                f"(valid_from: {following.isoformat()}), or move this one's valid_to"
            )
    return found


def _card_missing(settings: Settings, today: date) -> list[str]:
    folder = settings.content_dir / CARDS_DIR
    if not folder.is_dir() or not any(folder.glob("*.md")):
        return []  # a project that writes no cards needs none
    coming = Quarter(today.year, (today.month - 1) // 3 + 1).next()
    days = (coming.first_day - today).days
    card = folder / f"{coming}.md"
    if days > REMIND_DAYS or card.exists():
        return []
    return [
        f"{settings.config.paths.content}/{CARDS_DIR}/{coming}.md: the card for {coming} "
        f"(from {coming.first_day.isoformat()}, {_in_days(days)}) is not written yet; "
        f"`newsletter cards --quarter {coming}` needs it"
    ]


def _in_days(days: int) -> str:
    if days == 0:
        return "today"
    if days < 14:
        return f"in {days} day{'s' if days != 1 else ''}"
    return f"in {days // 7} weeks"
