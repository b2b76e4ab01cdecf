"""Who gets the quarter's card, and where each one's QR code leads.

The nurture list (segment ``prospect``) and the segments ``cards.segments`` adds, by post:
:func:`newsletter.audience.postal.postal_list` chooses exactly as it does for the printed
issue (the mail channel, no suppression covering mail, a complete address), in postal-code
order. A reader whose segment the quarter's referral offer is for has a referral code, and
the QR code opens their personal referral page (the desk's ``/r/CODE`` when there is a
desk); anyone else's opens the sign-up page.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.audience.links import referral_link
from newsletter.audience.postal import postal_list
from newsletter.audience.tokens import referral_codes
from newsletter.cards.quarter import Quarter
from newsletter.config import Settings
from newsletter.config.desk import referral_base, signup_page
from newsletter.model import Subscriber
from newsletter.sources.offers import current_offer

LINK_MEDIUM = "card"
"""``utm_medium`` of a card's referral link, so the reports tell cards from the issue."""


@dataclass(frozen=True)
class CardReader:
    """One card's reader: who, their referral code (if they have one) and their QR link."""

    subscriber: Subscriber
    code: str  # "" when the quarter's offer is not for their segment
    link: str  # the personal referral page, or the sign-up page when there is no code


@dataclass(frozen=True)
class CardRoster:
    quarter: Quarter
    segments: tuple[str, ...]  # who the cards are for: prospect and the configured ones
    readers: tuple[CardReader, ...]  # in postal-code order
    opted_out: int = 0  # chosen by segment, with a postal opt-out
    returned: int = 0  # chosen, whose mail came back undeliverable
    incomplete: int = 0  # chosen, left off for a missing address (skip mode)
    warnings: tuple[str, ...] = ()


def card_segments(settings: Settings) -> tuple[str, ...]:
    """The segments a quarter's card (and nurture email) is for: ``prospect`` and those in
    ``cards.segments``."""
    return settings.config.cards.all_segments()


def card_roster(
    settings: Settings, quarter: Quarter, *, secret: bytes, skip_incomplete: bool = False
) -> CardRoster:
    """Everyone who gets ``quarter``'s card by post, with their code and QR link."""
    segments = card_segments(settings)
    chosen = postal_list(
        settings.subscribers_csv,
        settings.suppressions_csv,
        home_country=settings.address.country,
        skip_incomplete=skip_incomplete,
        chosen=lambda s: s.segment in segments,
        what="the quarterly card",
        returned_csv=settings.returned_mail_csv,
    )
    offer = current_offer(settings.content_dir, quarter.first_day)
    base = referral_base(settings.config, offer.landing_url)
    signup = signup_page(settings.config)
    # Codes over the whole list, as the email send makes them: a rare collision gets the
    # same longer code on a card as in the inbox.
    codes = referral_codes(secret, (s.email for s in chosen.everyone))
    readers = []
    for subscriber in chosen.subscribers:
        if subscriber.segment in offer.segments:
            code = codes[subscriber.normalized_email]
            link = referral_link(base, code, str(quarter), medium=LINK_MEDIUM)
            readers.append(CardReader(subscriber, code, link))
        else:
            readers.append(CardReader(subscriber, "", signup))
    return CardRoster(
        quarter=quarter,
        segments=segments,
        readers=tuple(readers),
        opted_out=chosen.opted_out,
        returned=chosen.returned,
        incomplete=chosen.incomplete,
        warnings=chosen.warnings,
    )
