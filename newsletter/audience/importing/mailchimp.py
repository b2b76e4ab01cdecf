"""Mailchimp's audience export: the subscribed, unsubscribed and cleaned CSV files.

Mailchimp sends the export as a ZIP of three CSV files with one header each:

    Email Address, First Name, Last Name, Address, Phone Number, Birthday, [other merge
    fields], MEMBER_RATING, OPTIN_TIME, OPTIN_IP, CONFIRM_TIME, CONFIRM_IP, LATITUDE,
    LONGITUDE, GMTOFF, DSTOFF, TIMEZONE, CC, REGION,
      subscribed:   LAST_CHANGED,
      unsubscribed: UNSUB_TIME, UNSUB_CAMPAIGN_TITLE, UNSUB_CAMPAIGN_ID, UNSUB_REASON,
                    UNSUB_REASON_OTHER,
      cleaned:      CLEAN_TIME, CLEAN_CAMPAIGN_TITLE, CLEAN_CAMPAIGN_ID,
    LEID, EUID, NOTES, TAGS

Times are UTC, written ``2024-01-05 14:03:11``. The Address merge field packs street,
second line, city, state, ZIP and country into one value, the parts separated by two
spaces. TAGS holds each tag in double quotes, separated by commas.

A subscribed member's opt-in and confirmation times (and the addresses they came from)
are the evidence of consent; without either time a member has none. Unsubscribed members
become ``unsubscribe`` suppressions, cleaned ones (addresses that bounced) ``bounce``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, tzinfo
from pathlib import PurePath

from newsletter.audience.importing.records import (
    Consent,
    Contact,
    OptOut,
    Origin,
    Postal,
    Record,
    Refused,
    cleaned,
    tag_names,
)
from newsletter.audience.importing.tables import Table

EMAIL = "Email Address"
KNOWN = {
    EMAIL: "email",
    "First Name": "first_name",
    "Last Name": "last_name",
    "Company": "company",
    "TAGS": "tags",
}
"""Mailchimp's names for the values subscribers.csv keeps (Address is unpacked apart)."""
BOOKKEEPING = frozenset(
    (
        "Address",
        "MEMBER_RATING",
        "OPTIN_TIME",
        "OPTIN_IP",
        "CONFIRM_TIME",
        "CONFIRM_IP",
        "LATITUDE",
        "LONGITUDE",
        "GMTOFF",
        "DSTOFF",
        "TIMEZONE",
        "CC",
        "REGION",
        "LAST_CHANGED",
        "LEID",
        "EUID",
        "NOTES",
        "UNSUB_TIME",
        "UNSUB_CAMPAIGN_TITLE",
        "UNSUB_CAMPAIGN_ID",
        "UNSUB_REASON",
        "UNSUB_REASON_OTHER",
        "CLEAN_TIME",
        "CLEAN_CAMPAIGN_TITLE",
        "CLEAN_CAMPAIGN_ID",
    )
)
"""Columns Mailchimp writes for itself, read where needed and never listed as left out."""
_Cell = Callable[[str], str]  # a row's value in the column of that name, "" if none
# (as written: the Address value's double spaces separate its parts)
MAX_SOURCE = 200  # characters of a suppression's source (suppressions.csv's limit)
_FILE_NAME = re.compile(
    r"(?i)(subscribed|unsubscribed|cleaned)_(?:members|email_audience)_export"
)  # the names Mailchimp gives the export's files
_UNITED_STATES = {"usa", "u.s.a.", "united states", "united states of america", "u.s."}


def is_mailchimp(header: list[str], name: str) -> bool:
    """True for a file of a Mailchimp audience export: its email column, and one of
    Mailchimp's own columns or the name Mailchimp gives the file (for an export trimmed
    to a few columns)."""
    if EMAIL not in header:
        return False
    own = (BOOKKEEPING - {"Address"}) & set(header)
    return bool(own) or bool(_FILE_NAME.search(PurePath(name).name))


def kind_of(header: list[str], name: str) -> str:
    """Which of the export's files this is: subscribed, unsubscribed or cleaned (by its
    columns, else by its name)."""
    if any(column.startswith("UNSUB_") for column in header):
        return "unsubscribed"
    if any(column.startswith("CLEAN_") for column in header):
        return "cleaned"
    found = _FILE_NAME.search(PurePath(name).name)
    return found[1].lower() if found else "subscribed"


def mailchimp_contacts(table: Table, columns: Mapping[str, int], tz: tzinfo) -> Iterator[Record]:
    """The members of one file of the export; ``columns`` from :func:`resolve` with
    :data:`KNOWN` (and the user's ``--map``), ``tz`` the business's time zone (a consent
    or an opt-out is dated by its day there)."""
    kind = kind_of(table.header, table.source.name)
    at = {name: index for index, name in enumerate(table.header)}
    form = f"Mailchimp audience export ({PurePath(table.source.name.split(':')[-1]).name})"
    for line, cells, problem in table:
        origin = Origin(table.source.name, line)
        if problem:
            yield Refused(origin, problem)
            continue
        cell = _cells_by_name(at, cells)
        values = {target: cleaned(cells[index]) for target, index in columns.items()}
        email = values.get("email", "")
        if not email:
            yield Refused(origin, "no email address")
            continue
        try:
            consent, opt_out = _status(kind, cell, form, tz)
        except ValueError as exc:
            yield Refused(origin, str(exc), email)
            continue
        yield Contact(
            email=email,
            origin=origin,
            first_name=values.get("first_name", ""),
            last_name=values.get("last_name", ""),
            company=values.get("company", ""),
            postal=unpacked_address(cell("Address")),
            tags=tag_names(split_tags(values.get("tags", ""))),
            consent=consent,
            opt_out=opt_out,
        )


def _cells_by_name(at: Mapping[str, int], cells: list[str]) -> _Cell:
    def cell(name: str) -> str:
        index = at.get(name)
        return "" if index is None else cells[index]

    return cell


def _status(kind: str, cell: _Cell, form: str, tz: tzinfo) -> tuple[Consent | None, OptOut | None]:
    if kind == "unsubscribed":
        why = "; ".join(filter(None, (cell("UNSUB_REASON"), cell("UNSUB_CAMPAIGN_TITLE"))))
        source = f"mailchimp: unsubscribed ({why})" if why else "mailchimp: unsubscribed"
        return None, OptOut("unsubscribe", _local_day(cell, "UNSUB_TIME", tz), _fit(source))
    if kind == "cleaned":
        campaign = cell("CLEAN_CAMPAIGN_TITLE")
        source = f"mailchimp: cleaned ({campaign})" if campaign else "mailchimp: cleaned"
        return None, OptOut("bounce", _local_day(cell, "CLEAN_TIME", tz), _fit(source))
    opted_in, confirmed = _time(cell, "OPTIN_TIME"), _time(cell, "CONFIRM_TIME")
    given = confirmed or opted_in
    if given is None:
        return None, None
    double = opted_in is not None and confirmed is not None
    consent = Consent(
        source="Mailchimp sign-up" if opted_in else "Mailchimp audience",
        day=given.astimezone(tz).date(),
        form=form,
        requested_at=opted_in.isoformat() if double and opted_in else "",
        confirmed_at=given.isoformat(),
        request_ip=cell("OPTIN_IP") if double else "",
        confirm_ip=cell("CONFIRM_IP") if confirmed else cell("OPTIN_IP"),
    )
    return consent, None


def _time(cell: _Cell, name: str) -> datetime | None:
    written = cell(name)
    if not written:
        return None
    try:
        when = datetime.fromisoformat(written)
    except ValueError:
        raise ValueError(f"{name}: not a time (YYYY-MM-DD HH:MM:SS): {written!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _local_day(cell: _Cell, name: str, tz: tzinfo) -> date | None:
    when = _time(cell, name)
    return when.astimezone(tz).date() if when else None


def _fit(source: str) -> str:
    printable = "".join(c for c in cleaned(source) if c.isprintable())
    return printable if len(printable) <= MAX_SOURCE else printable[: MAX_SOURCE - 1] + "…"


def unpacked_address(packed: str) -> Postal:
    """The parts of Mailchimp's Address value (``street  [line 2]  city  state  ZIP
    [country]``, two spaces between parts). The last part is the country unless it holds
    a digit (then it is the ZIP of an address written without one); a second street line
    joins the first after a comma. Fewer than four parts is not an address to mail to: it
    is kept as the street, the rest left blank."""
    parts = [cleaned(part) for part in re.split(r" {2,}|\t|\n", packed) if part.strip()]
    if len(parts) < 4:
        return Postal(street=", ".join(parts))
    country = ""
    if len(parts) >= 5 and not any(c.isdigit() for c in parts[-1]):
        country = parts.pop()
    *street, city, region, postal_code = parts
    return Postal(", ".join(street), city, region, postal_code, country_code(country))


def country_code(country: str) -> str:
    """``US`` for the United States however written; a two-letter code in capitals; any
    other country as written."""
    if country.strip().lower() in _UNITED_STATES:
        return "US"
    return country.upper() if len(country) == 2 and country.isalpha() else country


def split_tags(cell: str) -> list[str]:
    """The tags of a TAGS value: ``"Customer","VIP 2024"`` (Mailchimp's form) or a plain
    ``Customer, VIP 2024``."""
    if not cell:
        return []
    return next(csv.reader([cell], skipinitialspace=True), [])
