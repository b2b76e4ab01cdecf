"""Who gets the newsletter by post: the mailing list behind addressed copies and labels.

Who is on it is :func:`newsletter.audience.postal.postal_list`'s rule (the mail channel, no
suppression covering mail, no address that came back, a complete address), the same one
the quarterly cards follow; this module adds each recipient's address block (in USPS
Publication 28 form for US addresses), referral code and personal link, and with
``print.one_per_household`` merges the readers at one door into one copy
(:mod:`newsletter.print.households`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from newsletter.audience.hooks import Fact
from newsletter.audience.links import referral_link
from newsletter.audience.postal import postal_list
from newsletter.audience.standard import print_form
from newsletter.audience.tokens import referral_codes
from newsletter.config import Settings
from newsletter.config.files import SUBSCRIBERS_FILE
from newsletter.model import Address, Subscriber
from newsletter.print.households import one_per_household
from newsletter.print.postal import address_lines
from newsletter.render.environment import make_environment


@dataclass(frozen=True)
class MailRecipient:
    email: str  # normalized: the key for codes, suppressions and progress lines
    first_name: str
    last_name: str
    company: str
    address: Address
    lines: tuple[str, ...]  # the address block, top to bottom
    code: str  # personal referral code
    link: str  # personal referral link (utm_medium=print)
    line: int  # line in subscribers.csv, for messages
    source: str = SUBSCRIBERS_FILE  # that file's path, for messages
    tags: tuple[str, ...] = ()  # as in subscribers.csv: what picks the copy's edition
    facts: tuple[Fact, ...] = ()  # … with these (newsletter.print.personal)
    # A copy for a household (print.one_per_household): the name on it ("The Nguyen
    # family") and every reader it is for (normalized emails); empty for one reader's copy.
    addressee: str = ""
    readers: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.addressee or " ".join(f"{self.first_name} {self.last_name}".split())


@dataclass(frozen=True)
class MailingList:
    recipients: tuple[MailRecipient, ...]  # sorted by postal code
    opted_out: int = 0  # mail subscribers with a postal opt-out
    returned: int = 0  # mail subscribers whose mail came back undeliverable
    incomplete: int = 0  # mail subscribers left off for a missing address (skip mode)
    warnings: tuple[str, ...] = ()
    shared: int = 0  # readers without a copy of their own: their household's is theirs too
    returned_reasons: tuple[str, ...] = ()  # why each of the ``returned`` came back


Progress = Callable[[str], str] | Mapping[str, str]
"""A subscriber's referral progress line, by normalized email address."""


def progress_line(progress: Progress | None, recipient: MailRecipient) -> str:
    """The progress line for ``recipient`` ("" when there is none)."""
    if progress is None:
        return ""
    if isinstance(progress, Mapping):
        return progress.get(recipient.email, "")
    return progress(recipient.email) or ""


def mailing_list(
    settings: Settings,
    *,
    secret: bytes,
    landing_url: str,
    month: str,
    skip_incomplete: bool = False,
) -> MailingList:
    """Everyone who gets this month's issue by post, sorted by postal code."""
    path = settings.subscribers_csv
    home = settings.address.country
    chosen = postal_list(
        path,
        settings.suppressions_csv,
        home_country=home,
        skip_incomplete=skip_incomplete,
        returned_csv=settings.returned_mail_csv,
    )
    # Codes over the whole list, as the email send makes them, so a rare collision gets the
    # same longer code on paper as in the inbox.
    codes = referral_codes(secret, (s.email for s in chosen.everyone))
    recipients = []
    for subscriber in chosen.subscribers:
        code = codes[subscriber.normalized_email]
        link = referral_link(landing_url, code, month, medium="print")
        recipients.append(mail_recipient(path, subscriber, code, link, home))
    copies = tuple(recipients)
    if settings.config.print.one_per_household:
        copies = one_per_household(recipients, settings, make_environment(settings.templates_dir))
    return MailingList(
        recipients=copies,
        opted_out=chosen.opted_out,
        returned=chosen.returned,
        incomplete=chosen.incomplete,
        warnings=chosen.warnings,
        shared=len(recipients) - len(copies),
        returned_reasons=chosen.returned_reasons,
    )


def mail_recipient(
    path: Path, subscriber: Subscriber, code: str, link: str, home: str
) -> MailRecipient:
    """``subscriber`` as a piece of mail: the address block as the carrier reads it, in
    USPS Publication 28 form where the address is in the US and can be read whole."""
    assert subscriber.address is not None  # the mail channel requires one
    address = print_form(replace(subscriber.address, country=subscriber.address.country.upper()))
    name = " ".join(f"{subscriber.first_name} {subscriber.last_name}".split())
    return MailRecipient(
        email=subscriber.normalized_email,
        first_name=subscriber.first_name,
        last_name=subscriber.last_name,
        company=subscriber.company,
        address=address,
        lines=address_lines(name, subscriber.company, address, home_country=home),
        code=code,
        link=link,
        line=subscriber.line,
        source=str(path),
        tags=subscriber.tags,
        facts=subscriber.facts,
    )
