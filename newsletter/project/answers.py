"""The answers ``newsletter init`` asks for, and their checks: each bad answer is a
ConfigError naming its option, all of them at once."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars

from newsletter.config.validation import check_url
from newsletter.errors import ConfigError, together
from newsletter.project.kinds import kinds

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
"""The shape ``sender.email`` must have (newsletter.config.business.SenderConfig)."""
TRANSPORTS = ("sendgrid", "smtp")


@dataclass(frozen=True)
class Business:
    """Who the newsletter is from: one answer per field (``newsletter init --help``)."""

    name: str
    street: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str
    website: str
    sender_name: str
    sender_email: str
    timezone: str
    kind: str
    web_url: str = ""
    """Where the web archive is published; empty: ``{website}newsletter/``."""
    transport: str = "sendgrid"

    def __post_init__(self) -> None:
        for field in fields(self):
            object.__setattr__(self, field.name, " ".join(getattr(self, field.name).split()))
        object.__setattr__(self, "country", self.country.upper())
        if self.website and not self.website.endswith("/"):
            object.__setattr__(self, "website", self.website + "/")
        if not self.web_url and self.website:
            object.__setattr__(self, "web_url", self.website + "newsletter/")


REQUIRED = ("name", "street", "city", "country", "sender_name", "sender_email", "timezone", "kind")


def option(field: str) -> str:
    """The command line option of an answer: ``sender_email`` -> ``--sender-email``."""
    return "--" + field.replace("_", "-")


def check_business(business: Business) -> None:
    """ConfigError naming the option of every answer that is missing or wrong."""
    problems = [
        ConfigError("required", key=option(field))
        for field in REQUIRED
        if not getattr(business, field)
    ]
    checks = (
        ("kind", business.kind, _known_kind),
        ("country", business.country, _known_country),
        ("timezone", business.timezone, _known_timezone),
        ("sender_email", business.sender_email, _email),
        ("website", business.website, check_url),
        ("web_url", business.web_url, check_url),
        ("transport", business.transport, _transport),
    )
    for field, value, check in checks:
        if not value:
            continue
        try:
            check(value)
        except ValueError as exc:
            problems.append(ConfigError(str(exc), key=option(field)))
    if not business.web_url and not business.website:
        problems.append(
            ConfigError(
                "where the web archive is published (or a --website, under which it goes)",
                key=option("web_url"),
            )
        )
    if problems:
        raise together(problems)


def subdivision_of(country: str, region: str) -> str | None:
    """``region`` when the holidays of ``country`` know it as a subdivision (``OR`` in the
    US), else None: the country's holidays alone."""
    known = holiday_calendars.list_supported_countries().get(country, ())
    wanted = region.strip().upper()
    return next((code for code in known if code.upper() == wanted), None)


def _known_kind(value: str) -> None:
    if value not in kinds():
        raise ValueError(f"unknown kind {value!r} (kinds: {', '.join(kinds())})")


def _known_country(value: str) -> None:
    if value not in holiday_calendars.list_supported_countries():
        raise ValueError(
            f"{value!r} is not a two-letter country code whose holidays are known (US, CA, GB …)"
        )


def _known_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {value!r} (e.g. America/Los_Angeles)") from None


def _email(value: str) -> None:
    if not EMAIL.match(value):
        raise ValueError(f"not an email address: {value!r}")


def _transport(value: str) -> None:
    if value not in TRANSPORTS:
        raise ValueError(f"unknown transport {value!r} (transports: {', '.join(TRANSPORTS)})")
