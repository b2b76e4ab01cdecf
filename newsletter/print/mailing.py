"""Who gets the newsletter by post: the mailing list behind addressed copies and labels.

Email and post are separate consents. A subscriber is on the mailing list when their
``channels`` include mail and no suppression covers the mail channel (``channel`` mail or
all). Email-only suppressions (unsubscribes, bounces, complaints from the email provider)
never take anyone off the post. A ``bounce`` suppressed for the ``mail`` channel marks mail
that came back undeliverable; it is skipped and counted apart on the job ticket.

A mail subscriber without street, city or postal code is an error naming the CSV line,
unless ``skip_incomplete`` is set: then the row is left off the mailing list with a warning.
Never a copy with a blank address.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from newsletter.audience.hooks import Fact
from newsletter.audience.subscribers import load_subscribers
from newsletter.audience.suppressions import load_suppressions
from newsletter.audience.tokens import referral_codes
from newsletter.config import Settings
from newsletter.config.files import SUBSCRIBERS_FILE
from newsletter.deliver.personalize import referral_link
from newsletter.errors import ContentError, together
from newsletter.model import Address, Subscriber
from newsletter.print.postal import address_lines


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

    @property
    def name(self) -> str:
        return " ".join(f"{self.first_name} {self.last_name}".split())


@dataclass(frozen=True)
class MailingList:
    recipients: tuple[MailRecipient, ...]  # sorted by postal code
    opted_out: int = 0  # mail subscribers with a postal opt-out
    returned: int = 0  # mail subscribers whose mail came back undeliverable
    incomplete: int = 0  # mail subscribers left off for a missing address (skip mode)
    warnings: tuple[str, ...] = ()


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
    # Every row validated as a send would; a mail row without an address is kept (without
    # its mail channel) so all of them can be named at once, or skipped.
    subscribers = load_subscribers(path, postal="ignored")
    incomplete = [s for s in subscribers if s.missing_postal]
    if incomplete and not skip_incomplete:
        raise together([_incomplete_error(path, s) for s in incomplete])
    warnings = [
        f"{path}:{s.line}: {s.email}: no postal address "
        f"(missing {', '.join(s.missing_postal)}); left off the mailing list"
        for s in incomplete
    ]
    # Codes over the whole list, as the email send makes them, so a rare collision gets the
    # same longer code on paper as in the inbox.
    codes = referral_codes(secret, (s.email for s in subscribers))
    blocked = _postal_suppressions(settings)
    home = settings.address.country
    recipients: list[MailRecipient] = []
    opted_out = returned = 0
    for subscriber in subscribers:
        if "mail" not in subscriber.channels:
            continue
        email = subscriber.normalized_email
        status = blocked.get(email)
        if status == "returned":
            returned += 1
            continue
        if status == "opted-out":
            opted_out += 1
            continue
        link = referral_link(landing_url, codes[email], month, medium="print")
        recipients.append(_recipient(path, subscriber, codes[email], link, home))
    recipients.sort(key=lambda r: _postal_order(r, home))
    return MailingList(
        recipients=tuple(recipients),
        opted_out=opted_out,
        returned=returned,
        incomplete=len(incomplete),
        warnings=tuple(warnings),
    )


def _incomplete_error(path: Path, subscriber: Subscriber) -> ContentError:
    missing = subscriber.missing_postal
    return ContentError(
        f"{subscriber.email} gets the newsletter by mail but has no {', '.join(missing)} "
        "(fix the row, or run with --skip-incomplete-addresses to leave it off)",
        path=path,
        line=subscriber.line,
        key=missing[0],
    )


def _postal_suppressions(settings: Settings) -> dict[str, str]:
    """Normalized address -> "returned" or "opted-out", for suppressions covering mail."""
    found: dict[str, str] = {}
    for entry in load_suppressions(settings.suppressions_csv):
        if not entry.covers("mail"):
            continue  # email-only: post is a separate consent
        status = "returned" if entry.channel == "mail" and entry.reason == "bounce" else None
        key = entry.normalized_email
        # An opt-out outranks a returned-mail mark: it is the subscriber's own choice.
        found[key] = "opted-out" if status is None or found.get(key) == "opted-out" else status
    return found


def _recipient(
    path: Path, subscriber: Subscriber, code: str, link: str, home: str
) -> MailRecipient:
    assert subscriber.address is not None  # the mail channel requires one
    address = replace(subscriber.address, country=subscriber.address.country.upper())
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


def _postal_order(recipient: MailRecipient, home: str) -> tuple[object, ...]:
    a = recipient.address
    return (
        a.country != home.upper(),
        a.country,
        a.postal_code.replace(" ", "").upper(),
        recipient.last_name.casefold(),
        recipient.first_name.casefold(),
        recipient.email,
    )
