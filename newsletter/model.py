"""The plain, frozen values the pipeline stages hand to each other.

Sources build an :class:`Issue`; renderers are pure functions of it. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any


def normalize_email(email: str) -> str:
    """The one key for an address everywhere (lists, suppressions, ledgers, codes, tokens):
    surrounding blanks dropped, lower case, and an internationalized domain in the one form
    email-validator gives it (IDNA 2008, Unicode NFC), so ``ann@bücher.de`` and
    ``ann@xn--bcher-kva.de`` are one mailbox. Not validation (an address that is not one
    keeps its lower case): see audience/addresses.py, whose ``address_key`` this is."""
    key = email.strip().lower()
    if key.isascii() and "xn--" not in key:
        return key  # nearly every address: nothing international to put in one form
    return _international_key(key)


def _international_key(key: str) -> str:
    import contextlib
    import unicodedata

    # Imported here: most runs meet no international address, and the validator costs a
    # tenth of the start-up of a command that loads only the config.
    from email_validator import EmailNotValidError, validate_email

    with contextlib.suppress(EmailNotValidError):
        key = validate_email(key, check_deliverability=False).normalized.lower()
    return unicodedata.normalize("NFC", key)


class Segment(StrEnum):
    """Who a subscriber is to the business: clients, referral partners, prospects being
    nurtured. Members are strings: ``Segment.CLIENT == "client"``."""

    CLIENT = "client"
    PARTNER = "partner"
    PROSPECT = "prospect"


SEGMENTS: tuple[str, ...] = tuple(segment.value for segment in Segment)
"""Every segment's name, in the order issues list them."""


class SectionKind(StrEnum):
    """What a section of the issue holds; configured sections that are not built in are news."""

    EDITORIALS = "editorials"
    NEWS = "news"
    EVENTS = "events"
    HOLIDAYS = "holidays"
    OFFER = "offer"


class Placeholder(StrEnum):
    """Per-recipient values left in the rendered issue for the send step to fill.

    The build renders once per segment, never per recipient. These tokens use only
    letters, digits and ``%`` and ``_`` so they survive HTML serialization, CSS inlining and
    URL attributes unchanged, and they work as SendGrid substitution keys as they are.
    """

    FIRST_NAME = "%%FIRST_NAME%%"
    REFERRAL_CODE = "%%REFERRAL_CODE%%"
    REFERRAL_LINK = "%%REFERRAL_LINK%%"
    REFERRAL_PROGRESS = "%%REFERRAL_PROGRESS%%"
    UNSUBSCRIBE_URL = "%%UNSUBSCRIBE_URL%%"


SOURCE_KINDS: tuple[str, ...] = (
    "client",
    "contact-sphere",
    "power-team",
    "business-contact",
    "benefiting-business",
    "referral-group",
    "social-group",
    "staff-friend",
    "key-partner",
    "other",
)
"""Where referrals come from: the kind of relationship a subscriber (a potential referrer)
or a lead comes through. Labels for people are in :data:`SOURCE_LABELS`."""
SOURCE_LABELS: dict[str, str] = {
    "client": "Clients",
    "contact-sphere": "Contact spheres",
    "power-team": "Power teams",
    "business-contact": "People we do business with (or nearly did)",
    "benefiting-business": "Businesses that benefit from ours",
    "referral-group": "Referral groups",
    "social-group": "Business and social groups",
    "staff-friend": "Staff and friends",
    "key-partner": "Key referral partners",
    "other": "Other",
    "": "Not recorded",
}
QUALIFICATIONS: tuple[str, ...] = ("qualified", "nurture")
"""A qualified lead can buy and is called within 24 hours; a nurture lead is not ready
and is kept in touch with (cards, informational email), never chased."""


@dataclass(frozen=True)
class Image:
    src: str  # what email and web reference: a URL (newsletter/images.py)
    alt: str
    file: str | None = None  # "images/NAME" when it is a file in content/images/


@dataclass(frozen=True)
class Item:
    """One entry of a news feed, already sanitized and cut to length."""

    title: str
    link: str
    summary_html: str
    summary_text: str
    published: datetime | None
    source: str
    guid: str


@dataclass(frozen=True)
class Event:
    """A local event, times already in the business's timezone."""

    title: str
    start: datetime | date
    end: datetime | date | None
    all_day: bool
    location: str
    url: str
    description: str
    source: str

    @property
    def start_date(self) -> date:
        return self.start.date() if isinstance(self.start, datetime) else self.start


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str


@dataclass(frozen=True)
class Editorial:
    slug: str
    title: str
    order: int
    summary: str
    body_html: str
    body_text: str
    segments: tuple[str, ...]
    image: Image | None
    path: str
    # ``::: only TAG`` blocks, each (tag, html, text); body_html and body_text leave them
    # out. Empty for an editorial without such blocks.
    tagged: tuple[TaggedBlock, ...] = ()
    marked_html: str = ""  # the whole body, each tagged block between markers (variants)
    marked_text: str = ""

    def with_blocks(self) -> Editorial:
        """This editorial with its tagged blocks in place, between markers that
        :mod:`newsletter.pipeline.variants` keeps or cuts per reader."""
        if not self.tagged:
            return self
        return replace(self, body_html=self.marked_html, body_text=self.marked_text)


@dataclass(frozen=True)
class TaggedBlock:
    tag: str
    html: str
    text: str


@dataclass(frozen=True)
class Milestone:
    referrals: int
    reward: str


@dataclass(frozen=True)
class Offer:
    slug: str
    title: str
    body_html: str
    body_text: str
    valid_from: date
    valid_to: date
    landing_url: str
    milestones: tuple[Milestone, ...]
    segments: tuple[str, ...]
    path: str
    friends_html: str = ""
    """What the referral page (``/r``) tells the friend who was sent, addressed to them; the
    body speaks to the referrer. Empty: the page shows no offer text."""


Entry = Item | Event | Holiday | Editorial | Offer


@dataclass(frozen=True)
class Section:
    """One block of the issue, in the configured order, shown to the listed segments."""

    id: str
    title: str
    kind: SectionKind
    segments: tuple[str, ...]
    entries: tuple[Entry, ...] = ()

    def for_segment(self, segment: str | None) -> Section | None:
        """This section as ``segment`` sees it (None: everyone's content), or None if hidden."""
        if segment is not None and segment not in self.segments:
            return None
        entries = tuple(
            e
            for e in self.entries
            if segment is None or segment in getattr(e, "segments", (segment,))
        )
        if not entries:
            return None
        return Section(self.id, self.title, self.kind, self.segments, entries)


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    region: str
    postal_code: str
    country: str

    def one_line(self) -> str:
        return f"{self.street}, {self.city}, {self.region} {self.postal_code}".strip(", ")


@dataclass(frozen=True)
class ThankYouRoll:
    """Last month's referrers who agreed to be thanked by name, and how many people they
    sent. Never any lead's data."""

    month: date  # the first day of the month being thanked
    names: tuple[str, ...]  # "María G." or a company, sorted
    people_helped: int


@dataclass(frozen=True)
class Issue:
    """Everything one monthly issue says, before it is rendered."""

    month: str  # "YYYY-MM"
    issue_date: date
    title: str
    preheader: str
    web_url: str
    sections: tuple[Section, ...]
    offer: Offer
    warnings: tuple[str, ...] = field(default=(), compare=False)
    thanks: ThankYouRoll | None = None
    """The thank-you roll for the previous month's referrals (None: nobody was referred)."""

    def for_segment(self, segment: str | None) -> tuple[Section, ...]:
        """The sections a segment receives, in order (None: the complete issue)."""
        shown = (s.for_segment(segment) for s in self.sections)
        return tuple(s for s in shown if s is not None)


@dataclass(frozen=True)
class Subscriber:
    """One row of subscribers.csv, validated."""

    email: str  # as written, for display
    first_name: str
    last_name: str
    company: str
    segment: str
    channels: frozenset[str]  # {"email"}, {"mail"} or both
    address: Address | None
    consent_source: str
    consent_date: date | None
    tags: tuple[str, ...]
    line: int  # line in the CSV, for messages
    # Postal fields a mail subscriber lacks; only ever set when the list was read with
    # ``postal="ignored"``, which then also drops "mail" from ``channels``.
    missing_postal: tuple[str, ...] = ()
    source: str = ""  # the kind of relationship (SOURCE_KINDS), "" not recorded
    lead_id: int | None = None  # a prospect who was a lead: its id in referrals.csv
    referred_by: str = ""  # … and the code of the subscriber who referred them
    facts: tuple[Any, ...] = ()  # dated facts (newsletter.audience.hooks.Fact)

    @property
    def normalized_email(self) -> str:
        return normalize_email(self.email)
