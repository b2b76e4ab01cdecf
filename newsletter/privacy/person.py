"""One person as the project knows them: every address, phone, name, referral code and
lead number that points to them, found from the one the owner was given.

Asked for an address, a phone number or a lead number, :func:`identify` reads the
subscribers and the referral ledger and gathers what else names the same person (the
lead's phone, the subscriber's name, the code they refer with), so that ``forget`` and
``export`` find them wherever any of these appears.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from newsletter.audience.tokens import referral_code
from newsletter.config import Settings
from newsletter.config.yamlfile import read_text
from newsletter.errors import ContentError, PrivacyError
from newsletter.model import normalize_email

MIN_PHONE_DIGITS = 7
REDACTED = "[forgotten]"
"""What stands in place of a forgotten person's words in free text and build files."""


def digits(text: str) -> str:
    """The digits of a phone number, without a leading 1 (North America's country code)."""
    found = re.sub(r"\D", "", text)
    return found[1:] if len(found) == 11 and found.startswith("1") else found


@dataclass(frozen=True)
class Person:
    """Everything that identifies one person in the project's files."""

    asked: str
    emails: frozenset[str]  # normalized
    phones: frozenset[str]  # digits (see :func:`digits`)
    written_phones: frozenset[str]  # as written in the files
    names: frozenset[str]  # full names as written
    codes: frozenset[str]  # referral codes
    lead_ids: frozenset[str]

    def names_them(self, cell: str) -> bool:
        """Whether ``cell`` (one value) is one of their addresses, phones or codes."""
        value = cell.strip()
        if not value:
            return False
        if normalize_email(value) in self.emails or value.upper() in self.codes:
            return True
        number = digits(value)
        return len(number) >= MIN_PHONE_DIGITS and number in self.phones

    def pattern(self) -> re.Pattern[str] | None:
        """Any of their addresses, phones, codes or names in free text (case ignored)."""
        words = sorted(
            {*self.emails, *self.written_phones, *self.names, *self.codes},
            key=len,
            reverse=True,
        )
        words = [w for w in words if len(w) >= 3]
        if not words:
            return None
        return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


def csv_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the CSV file at ``path`` ([] and [] if there is none)."""
    if not path.exists():
        return [], []
    rows = list(csv.reader(io.StringIO(read_text(path, ContentError).removeprefix("\ufeff"))))
    if not rows:
        return [], []
    return [c.strip() for c in rows[0]], [r for r in rows[1:] if r]


def identify(settings: Settings, asked: str, secret: bytes) -> Person:
    """The person ``asked`` (an address, a phone number, or a lead's number) names."""
    text = asked.strip()
    emails: set[str] = set()
    phones: set[str] = set()
    lead_ids: set[str] = set()
    if "@" in text:
        emails.add(normalize_email(text))
    elif text.isdecimal() and len(text) < MIN_PHONE_DIGITS:
        lead_ids.add(str(int(text)))
    elif len(digits(text)) >= MIN_PHONE_DIGITS:
        phones.add(digits(text))
    else:
        raise PrivacyError(f"not an address, a phone number or a lead number: {asked!r}", key="WHO")
    written_phones = {text} if phones else set()
    names: set[str] = set()
    codes: set[str] = set()
    header, leads = csv_table(settings.referrals_csv)
    column = {name: i for i, name in enumerate(header)}

    def cell(row: list[str], name: str) -> str:
        at = column.get(name)
        return row[at].strip() if at is not None and at < len(row) else ""

    for row in leads:
        as_lead = (
            cell(row, "id") in lead_ids
            or (cell(row, "lead_email") and normalize_email(cell(row, "lead_email")) in emails)
            or (cell(row, "lead_phone") and digits(cell(row, "lead_phone")) in phones)
        )
        if as_lead:
            lead_ids.add(cell(row, "id"))
            if cell(row, "lead_email"):
                emails.add(normalize_email(cell(row, "lead_email")))
            if digits(cell(row, "lead_phone")):
                phones.add(digits(cell(row, "lead_phone")))
                written_phones.add(cell(row, "lead_phone"))
            if cell(row, "lead_name"):
                names.add(cell(row, "lead_name"))
    for row in leads:
        referrer = cell(row, "referrer_email")
        if referrer and normalize_email(referrer) in emails and cell(row, "referrer_code"):
            codes.add(cell(row, "referrer_code").upper())
    header, subscribers = csv_table(settings.subscribers_csv)
    column = {name: i for i, name in enumerate(header)}
    for row in subscribers:
        if cell(row, "email") and normalize_email(cell(row, "email")) in emails:
            full = f"{cell(row, 'first_name')} {cell(row, 'last_name')}".strip()
            if " " in full:
                names.add(full)
    codes |= {referral_code(secret, e) for e in emails}
    return Person(
        asked=asked,
        emails=frozenset(emails),
        phones=frozenset(phones),
        written_phones=frozenset(p for p in written_phones if p),
        names=frozenset(names),
        codes=frozenset(codes),
        lead_ids=frozenset(i for i in lead_ids if i),
    )
