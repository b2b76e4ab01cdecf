"""Load and validate ``subscribers/subscribers.csv``; every error names the file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from newsletter.audience.addresses import EmailNotValidError, normalized_address
from newsletter.csvfile import csv_rows
from newsletter.errors import ContentError
from newsletter.model import SEGMENTS, Address, Subscriber
from newsletter.yamlfile import read_text

COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "segment",
    "channels",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "consent_source",
    "consent_date",
    "tags",
)
CHANNELS = ("email", "mail")
POSTAL_FIELDS = ("street", "city", "postal_code", "country")


def load_subscribers(path: Path) -> tuple[Subscriber, ...]:
    """Every subscriber in ``path``; the first bad row raises ContentError with its line."""
    text = read_text(path, ContentError)
    subscribers: list[Subscriber] = []
    seen: dict[str, int] = {}
    for line, row in csv_rows(
        text, path, required=("email", "segment", "channels"), allowed=COLUMNS
    ):
        subscriber = _subscriber(row, line, path)
        key = subscriber.normalized_email
        if key in seen:
            raise ContentError(
                f"duplicate subscriber {subscriber.email} (first on line {seen[key]})",
                path=path,
                line=line,
                key="email",
            )
        seen[key] = line
        subscribers.append(subscriber)
    return tuple(subscribers)


def _subscriber(row: dict[str, str], line: int, path: Path) -> Subscriber:
    def fail(key: str, message: str) -> ContentError:
        return ContentError(message, path=path, line=line, key=key)

    try:
        email = normalized_address(row["email"])
    except EmailNotValidError as exc:
        raise fail("email", f"not a valid address {row['email']!r}: {exc}") from None
    segment = row["segment"]
    if segment not in SEGMENTS:
        raise fail(
            "segment", f"unknown segment {segment!r} (expected one of {', '.join(SEGMENTS)})"
        )
    channels = frozenset(c.strip() for c in row["channels"].replace("+", ";").split(";") if c)
    if row["channels"].strip() == "both":
        channels = frozenset(CHANNELS)
    if not channels or not channels <= set(CHANNELS):
        raise fail(
            "channels", f"unknown channel {row['channels']!r} (expected email, mail or both)"
        )
    address = None
    if any(row.get(f) for f in POSTAL_FIELDS):
        address = Address(
            row.get("street", ""),
            row.get("city", ""),
            row.get("region", ""),
            row.get("postal_code", ""),
            row.get("country", "") or "US",
        )
    if "mail" in channels:
        blank = [f for f in POSTAL_FIELDS if f != "country" and not row.get(f)]
        if blank:
            raise fail(blank[0], f"required for the mail channel (missing: {', '.join(blank)})")
    consent_date = None
    if row.get("consent_date"):
        try:
            consent_date = date.fromisoformat(row["consent_date"])
        except ValueError:
            raise fail(
                "consent_date", f"not a date (YYYY-MM-DD): {row['consent_date']!r}"
            ) from None
    return Subscriber(
        email=email,
        first_name=row.get("first_name", ""),
        last_name=row.get("last_name", ""),
        company=row.get("company", ""),
        segment=segment,
        channels=channels,
        address=address,
        consent_source=row.get("consent_source", ""),
        consent_date=consent_date,
        tags=tuple(t.strip() for t in row.get("tags", "").split(";") if t.strip()),
        line=line,
    )
