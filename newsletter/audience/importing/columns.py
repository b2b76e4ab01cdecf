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

TARGETS: dict[str, str] = {
    "email": "the address (required)",
    "first_name": "first name",
    "last_name": "last name",
    "name": "the whole name, when there is no first and last name column",
    "company": "company",
    "street": "street and number",
    "city": "city",
    "region": "state or region",
    "postal_code": "ZIP or postal code",
    "country": "country",
    "consent_source": "how they agreed to get email (their consent)",
    "consent_date": "when they agreed (YYYY-MM-DD)",
    "tags": "tags, separated by ; or ,",
}
"""What an export's columns can be mapped to, and what each holds."""
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


def resolve(
    header: Sequence[str],
    mapping: Mapping[str, str],
    where: str,
    known: Mapping[str, str] | None = None,
) -> tuple[dict[str, int], list[str]]:
    """(value -> index of its column, the columns that map to nothing) for ``header``.

    ``mapping`` is the user's; ``known`` an exporter's own names for its columns. Without
    ``known``, a column named like a value maps to it. A mapped column that the header
    does not have is a ContentError naming the header line of ``where``.
    """
    exact = {name: index for index, name in enumerate(header)}
    loose = {_loose(name): index for index, name in reversed(list(enumerate(header)))}
    found: dict[str, int] = {}
    for column, target in mapping.items():
        index = exact.get(column, loose.get(_loose(column)))
        if index is None:
            raise ContentError(
                f"no column {column!r} to map (the columns: {', '.join(header)})",
                path=where,
                line=1,
            )
        found[target] = index
    for index, name in enumerate(header):
        target = known.get(name, "") if known is not None else _loose(name)
        target = "email" if target in EMAIL_NAMES else target
        if target in TARGETS and target not in found and index not in found.values():
            found[target] = index
    unused = [name for i, name in enumerate(header) if name and i not in found.values()]
    return found, unused


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
