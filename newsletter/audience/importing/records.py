"""What the readers of other tools' exports hand on: one :class:`Contact` per person read,
or one :class:`Refused` naming the line and the reason it cannot come in.

A reader decides nothing about the list: whether a contact is new, already there, or kept
off by a suppression is :mod:`newsletter.audience.importing.plan`'s business.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

_SPACES = re.compile(r"\s+")
_NOT_IN_TAG = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True)
class Origin:
    """Where a record was read: the file as the user named it (``export.zip:members.csv``
    for a file in an archive) and the line the record starts on."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Postal:
    """A postal address as subscribers.csv keeps it; any part may be blank."""

    street: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""

    @property
    def complete(self) -> bool:
        """Enough to mail to (what subscribers.csv requires for the mail channel)."""
        return bool(self.street and self.city and self.postal_code)

    @property
    def empty(self) -> bool:
        return not (self.street or self.city or self.region or self.postal_code or self.country)


@dataclass(frozen=True)
class Consent:
    """The evidence of consent to email that a row carries.

    ``source`` and ``day`` go into subscribers.csv (consent_source, consent_date). An
    export that recorded when and from where consent was asked for and given (Mailchimp's
    opt-in and confirmation times and addresses) also fills a consents.csv record: ``form``
    names the export, the times are ISO 8601 with their offset.
    """

    source: str
    day: date | None
    form: str = ""
    requested_at: str = ""
    confirmed_at: str = ""
    request_ip: str = ""
    confirm_ip: str = ""

    @property
    def recorded(self) -> bool:
        """True when there is a time to keep in consents.csv."""
        return bool(self.requested_at or self.confirmed_at)


@dataclass(frozen=True)
class OptOut:
    """The person left the old list (``unsubscribe``) or their mail bounced (``bounce``):
    they become a suppression, never a reader."""

    reason: str  # a suppressions.csv reason: unsubscribe or bounce
    day: date | None  # None: not recorded (the import's own date is used)
    source: str  # where it came from, for suppressions.csv


@dataclass(frozen=True)
class Contact:
    """One person read from an export, values cleaned (see :func:`cleaned`)."""

    email: str  # as written
    origin: Origin
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    postal: Postal = Postal()
    tags: tuple[str, ...] = ()
    consent: Consent | None = None
    opt_out: OptOut | None = None


@dataclass(frozen=True)
class Refused:
    """A row (or card) that cannot come in, and why, in words the business can act on."""

    origin: Origin
    reason: str
    email: str = ""


Record = Contact | Refused


def cleaned(value: str) -> str:
    """``value`` on one line: every run of white space (a line break a spreadsheet kept in
    a cell, a tab) becomes one space, and the ends are trimmed. Other control characters
    stay, for the list's own check to refuse by name."""
    return _SPACES.sub(" ", value).strip()


def tag_names(values: list[str]) -> tuple[str, ...]:
    """Tags as subscribers.csv and editorials' ``::: only TAG`` blocks name them: lower
    case, letters, digits, ``-`` and ``_`` (``VIP Customer`` -> ``vip-customer``, ``Café``
    -> ``cafe``); each once, in the order given; a tag with no letter or digit is dropped."""
    names: list[str] = []
    for value in values:
        ascii_form = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
        name = _NOT_IN_TAG.sub("-", ascii_form.lower()).strip("-_")
        if name and name not in names:
            names.append(name)
    return tuple(names)


def split_name(full: str) -> tuple[str, str]:
    """(first, last) of a name written whole: the last word is the last name."""
    first, _, last = cleaned(full).rpartition(" ")
    return (first, last) if first else (last, "")
