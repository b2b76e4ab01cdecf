"""The referral ledger's values one at a time: phone numbers, addresses, amounts, and text
that fits its column. Each check raises ValueError saying what is wrong; the ledger's
loader and the commands turn that into an error naming the line or the option.
"""

from __future__ import annotations

import re
from decimal import Decimal

import phonenumbers

from newsletter.audience.addresses import EmailNotValidError, normalized_address
from newsletter.config import Settings
from newsletter.errors import ReferralError
from newsletter.model import normalize_email

MIN_PHONE_DIGITS = 7
LIMITS = {
    "referrer_code": 32,
    "referrer_email": 254,
    "lead_name": 200,
    "lead_address": 300,
    "lead_phone": 40,
    "lead_email": 254,
    "need": 500,
    "notes": 4000,
    "qualification_reason": 200,
    "flags": 1000,
    "cleared_by": 100,
    "network": 32,
}
"""Characters each text column may hold: room for any real value, never a wall of text."""
OPTIONS = {
    "lead_name": "--name",
    "lead_address": "--address",
    "lead_phone": "--phone",
    "lead_email": "--email",
    "need": "--need",
    "notes": "--note",
    "qualification_reason": "--qualify/--nurture",
}
"""The command-line option that fills each column, for messages."""
MAX_VALUE = Decimal("100000000")
"""Dollars: more than any one job is worth, less than any typo like 1e400 would make."""
# C0 and C1 controls (but tab, LF, CR), and the bidirectional overrides that reorder what a
# terminal or page shows: never part of a name, a phone number or a note.
_AMOUNT = re.compile(r"^\$?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_phone(text: str) -> str:
    """The phone number as written, if it has enough digits to dial; blank stays blank."""
    text = one_line(text)
    if text and len(re.sub(r"\D", "", text)) < MIN_PHONE_DIGITS:
        raise ValueError(f"not a phone number: {text!r}")
    return text


def phone_region(country: str) -> str | None:
    """The region numbers written without a country code are read in: the business's
    country (``business.address.country``), or None for a code the phone library does not
    know (then only numbers written with ``+`` and a country code are normalized)."""
    region = country.strip().upper()
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


def business_region(settings: Settings) -> str | None:
    """:func:`phone_region` of the project's business (``business.address.country``)."""
    return phone_region(settings.config.business.address.country)


def phone_key(text: str, region: str | None) -> str:
    """The number ``text`` dials, for comparing: ``+16085559999`` for ``608 555 9999``,
    ``(608) 555-9999`` and ``+1 608 555 9999`` alike (``region`` from :func:`phone_region`).
    What the library cannot read is compared by its digits; blank stays blank.

    Only for comparing: the ledger and the desk keep a number as the person wrote it."""
    if not text.strip():
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return re.sub(r"\D", "", text)


def clean_email(text: str) -> str:
    """The address, checked and lower-cased; blank stays blank."""
    text = text.strip()
    if not text:
        return ""
    try:
        return normalize_email(normalized_address(text))
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid address {text!r}: {exc}") from None


def one_line(text: str) -> str:
    # One physical line per lead keeps the CSV readable in a diff and line numbers exact.
    return " ".join(text.split())


def check_text(value: str, column: str, limits: dict[str, int] = LIMITS) -> str:
    """``value`` for ``column`` if it fits: no control character, at most the column's
    limit of characters. ValueError says what is wrong."""
    bad = _CONTROL.search(value)
    if bad:
        raise ValueError(f"contains a control character (U+{ord(bad.group()):04X})")
    limit = limits.get(column)
    if limit is not None and len(value) > limit:
        raise ValueError(f"{len(value):,} characters, more than the {limit:,} allowed")
    return value


def typed(text: str, column: str) -> str:
    """A value typed on the command line for ``column``, on one line and checked;
    ReferralError names the option."""
    try:
        return check_text(one_line(text), column)
    except ValueError as exc:
        raise ReferralError(str(exc), key=OPTIONS.get(column, column)) from None


def parse_amount(text: str) -> Decimal:
    """Dollars as people write them: ``1200``, ``1,200.50``, ``$385``; ValueError for
    anything else (``1,2,3``, ``5e8``, ``NaN``)."""
    if not _AMOUNT.match(text.strip()):
        raise ValueError(f"not an amount (e.g. 1200 or 1,200.50): {text[:40]!r}")
    return Decimal(text.strip().lstrip("$").replace(",", ""))


def checked_value(value: Decimal) -> Decimal:
    """Dollars won, to the cent; ValueError for a negative or implausibly large amount."""
    if not value.is_finite() or value < 0 or value > MAX_VALUE:
        raise ValueError(f"not an amount from $0 to ${MAX_VALUE:,.0f}: {value}")
    return value.quantize(Decimal("0.01"))
