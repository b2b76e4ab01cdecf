"""Which column of an export holds which value, and a generic CSV's rows as contacts.

A generic CSV names its columns as its program likes; ``--map "E-mail=email,Given
name=first_name"`` says which is which. A column already named like a value below
(``email``, ``First Name``, ``postal-code``: case, spaces, ``-`` and ``_`` aside), and an
email column called ``Email Address`` or ``E-mail``, need no mapping. Columns that map
to nothing are listed in the dry run, so nothing is left out unseen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import PurePath
from typing import NamedTuple

from newsletter.audience.importing.records import (
    Consent,
    Contact,
    Origin,
    Postal,
    Record,
    Refused,
    cleaned,
    split_name,
    tag_names,
)
from newsletter.audience.importing.tables import Table
from newsletter.errors import ContentError

TARGETS = (
    "email",
    "first_name",
    "last_name",
    "name",  # the whole name, for a file without first and last name columns
    "company",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "consent_source",  # how they agreed to get email
    "consent_date",  # when (YYYY-MM-DD, or a date and time)
    "tags",  # separated by ; or ,
)
"""What an export's columns can be mapped to."""
EMAIL_NAMES = ("email_address", "e_mail", "e_mail_address")
"""Other names of an email column that need no mapping (``Email Address``, ``E-mail``)."""


def parse_mapping(texts: Sequence[str]) -> dict[str, str]:
    """``{"E-mail": "email", …}`` from ``--map`` values (``COLUMN=VALUE`` pairs separated
    by commas); ValueError names a pair that is not one, or a value not in TARGETS."""
    mapping: dict[str, str] = {}
    for text in texts:
        for pair in filter(None, (p.strip() for p in text.split(","))):
            column, equals, target = (part.strip() for part in pair.rpartition("="))
            if not equals or not column:
                raise ValueError(f"{pair!r} is not COLUMN=VALUE")
            if target not in TARGETS:
                raise ValueError(
                    f"{pair!r}: {target!r} is not a value to import (one of {', '.join(TARGETS)})"
                )
            mapping[column] = target
    taken = [t for t in TARGETS if list(mapping.values()).count(t) > 1]
    if taken:
        raise ValueError(f"two columns mapped to {taken[0]}")
    return mapping


class Columns(NamedTuple):
    """Where a file's values are, as :func:`resolve` found them."""

    at: dict[str, int]  # value -> the index of its column
    unused: list[str]  # the columns that map to nothing
    mapped: set[str]  # the columns of the user's mapping that this file has


def resolve(
    header: Sequence[str], mapping: Mapping[str, str], known: Mapping[str, str] | None = None
) -> Columns:
    """Which column of ``header`` holds which value. ``mapping`` is the user's (one for
    every file named, so a file may lack some of its columns); ``known`` an exporter's own
    names for its columns. Without ``known``, a column named like a value maps to it."""
    exact = {name: index for index, name in enumerate(header)}
    loose = {_loose(name): index for index, name in reversed(list(enumerate(header)))}
    found: dict[str, int] = {}
    mapped = set()
    for column, target in mapping.items():
        index = exact.get(column, loose.get(_loose(column)))
        if index is not None:
            found[target] = index
            mapped.add(column)
    for index, name in enumerate(header):
        target = known.get(name, "") if known is not None else _loose(name)
        target = "email" if target in EMAIL_NAMES else target
        if target in TARGETS and target not in found and index not in found.values():
            found[target] = index
    unused = [name for i, name in enumerate(header) if name and i not in found.values()]
    return Columns(found, unused, mapped)


def _loose(name: str) -> str:
    return re.sub(r"[\s_-]+", "_", name.strip().lower())


def generic_contacts(table: Table, columns: Mapping[str, int]) -> Iterator[Record]:
    """The contacts of a generic CSV whose values sit in ``columns``; a ContentError at
    once if none is the email column."""
    if "email" not in columns:
        raise ContentError(
            "no email column: name it with --map, e.g. --map 'E-mail=email' "
            f"(the columns: {', '.join(table.header)})",
            path=table.source.name,
            line=1,
        )
    return _generic_rows(table, columns)


def _generic_rows(table: Table, columns: Mapping[str, int]) -> Iterator[Record]:
    for line, cells, problem in table:
        origin = Origin(table.source.name, line)
        if problem:
            yield Refused(origin, problem)
            continue
        values = {target: cleaned(cells[index]) for target, index in columns.items()}
        yield _contact(values, origin, table.source.name)


def _contact(values: dict[str, str], origin: Origin, file: str) -> Record:
    email = values["email"]
    if not email:
        return Refused(origin, "no email address")
    first, last = values.get("first_name", ""), values.get("last_name", "")
    if not (first or last) and values.get("name"):
        first, last = split_name(values["name"])
    consent = None
    written = values.get("consent_date", "")
    if written or values.get("consent_source"):
        day = _day(written)
        if written and day is None:
            return Refused(origin, f"consent_date: not a date (YYYY-MM-DD): {written!r}", email)
        recorded = f"as recorded in {PurePath(file).name}"
        consent = Consent(values.get("consent_source") or recorded, day)
    return Contact(
        email=email,
        origin=origin,
        first_name=first,
        last_name=last,
        company=values.get("company", ""),
        postal=Postal(
            values.get("street", ""),
            values.get("city", ""),
            values.get("region", ""),
            values.get("postal_code", ""),
            values.get("country", ""),
        ),
        tags=tag_names(re.split(r"[;,]", values.get("tags", ""))),
        consent=consent,
    )


def _day(written: str) -> date | None:
    """The date of an ISO 8601 date or date and time; None for anything else."""
    try:
        return date.fromisoformat(written)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(written).date()
    except ValueError:
        return None
