"""Load and validate ``subscribers/subscribers.csv``; every error names the file and line.

Every value must be fit to go into an email as it is: at most ``MAX_VALUE_CHARS``
characters and none of :mod:`newsletter.characters`' unfit ones (a quoted line break in a
spreadsheet export, a tab, a bidirectional override).
A line break in a name would split the To header; a name of 50,000 characters makes a
header line no server takes. With values this short, no header line the send writes can
exceed SMTP's 998 bytes once encoded: the longest piece that cannot be folded is a
200-character name in quotes, every character escaped (tests/audience/test_subscribers.py checks
generated rows against the real encoder).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Literal, NamedTuple

from newsletter.audience.addresses import EmailNotValidError, normalized_address
from newsletter.audience.hooks import Fact, parse_facts
from newsletter.characters import UNFIT, unfit_character
from newsletter.csvfile import csv_records, csv_rows, file_lines, ledger_csv
from newsletter.errors import ContentError
from newsletter.model import SEGMENTS, SOURCE_KINDS, Address, Subscriber, normalize_email

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
    "source",
    "lead_id",
    "referred_by",
    "facts",
)
CHANNELS = ("email", "mail")
MAX_VALUE_CHARS = 200
POSTAL_FIELDS = ("street", "city", "postal_code", "country")
Postal = Literal["required", "ignored"]


def load_subscribers(path: Path, *, postal: Postal = "required") -> tuple[Subscriber, ...]:
    """Every subscriber in ``path``; the first bad row raises ContentError with its line."""
    return tuple(iter_subscribers(path, postal=postal))


def iter_subscribers(
    path: Path, *, check_duplicates: bool = True, postal: Postal = "required"
) -> Iterator[Subscriber]:
    """The subscribers in ``path`` one at a time, validated as they are read.

    Rows are streamed; the duplicate check keeps one hash per address rather than the
    addresses. A hash already seen is confirmed (and the first line found) by reading the
    file again, which only a real duplicate or a one-in-billions hash clash causes. A
    caller that finds duplicates another way (the send's code book, whose memory does
    not grow) turns the check off.

    ``postal="ignored"`` is for readers that need no address (the thank-you roll names
    referrers) or decide themselves what a missing one means (the mailing list): a mail
    row missing postal fields is kept, without the mail channel and with
    ``missing_postal`` naming the fields, instead of being an error.
    """
    seen: set[int] = set()
    for line, row in csv_rows(
        file_lines(path), path, required=("email", "segment", "channels"), allowed=COLUMNS
    ):
        subscriber = _subscriber(row, line, path, postal)
        if not check_duplicates:
            yield subscriber
            continue
        key = hash(subscriber.normalized_email)
        if key in seen:
            first = _first_line_of(path, subscriber.normalized_email, before=line)
            if first is not None:
                raise ContentError(
                    f"duplicate subscriber {subscriber.email} (first on line {first})",
                    path=path,
                    line=line,
                    key="email",
                )
        seen.add(key)
        yield subscriber


def check_new_row(row: Mapping[str, str], path: Path) -> Subscriber:
    """The subscriber that a new line of ``path`` holding ``row`` (column -> value) reads
    as; ContentError, naming the column and the value, for a line the list would refuse."""
    text = ledger_csv(COLUMNS, [[row.get(column, "") for column in COLUMNS]])
    for line, values in csv_rows(text, path, required=COLUMNS, allowed=COLUMNS):
        return _subscriber(values, line, path, "required")
    raise ContentError("no row to check", path=path)  # a header alone: never reached


def _unfit_value(row: dict[str, str]) -> tuple[str, str] | None:
    """(column, problem) for the first value that cannot go into an email, else None."""
    every = "".join(row.values())
    if len(every) <= MAX_VALUE_CHARS and not UNFIT.search(every):
        return None  # the common row, checked at once
    for key, value in row.items():
        if len(value) > MAX_VALUE_CHARS:
            return key, f"{len(value):,} characters long (at most {MAX_VALUE_CHARS})"
        problem = unfit_character(value)
        if problem:
            return key, problem
    return None


@functools.lru_cache(maxsize=64)
def _channels(written: str) -> frozenset[str] | None:
    """The channels a ``channels`` cell names, or None if it names none or an unknown one
    (the few distinct spellings of a list are parsed once each)."""
    if written.strip() == "both":
        return frozenset(CHANNELS)
    channels = frozenset(c.strip() for c in written.replace("+", ";").split(";") if c)
    return channels if channels and channels <= set(CHANNELS) else None


def _first_line_of(path: Path, normalized_email: str, *, before: int) -> int | None:
    for line, row in csv_rows(file_lines(path), path, required=(), allowed=COLUMNS):
        if line >= before:
            return None
        try:
            if normalize_email(normalized_address(row["email"])) == normalized_email:
                return line
        except EmailNotValidError:
            continue
    return None


def iter_readers(
    path: Path, lines: Iterable[str] | None = None, *, postal: Postal = "required"
) -> Iterator[ReaderFields]:
    """(email, first name, last name, segment, channels, tags, facts) of each row of
    ``path`` (tags and facts as written), checked exactly as :func:`iter_subscribers`
    checks it (``postal`` as there), for a send: no Subscriber objects, and no duplicate
    check (the send's code book finds those). ``lines``: the header and some of the file's
    lines, to read only those (an import checks its new rows this way).

    This runs for every row of a long list, so a row is looked at by position: the common
    row, whose every value is plainly fine, passes a few quick tests; any other row goes
    through the one full check (:func:`_checked`), which raises the error naming its line
    and column.
    """
    records = csv_records(
        file_lines(path) if lines is None else lines,
        path,
        required=("email", "segment", "channels"),
        allowed=COLUMNS,
    )
    _, header = next(records)
    quick = _QuickCheck(header)
    at = _positions(header)
    first_name, last_name = at.get("first_name"), at.get("last_name")
    tags, facts = at.get("tags"), at.get("facts")
    for line, cells in records:
        fit = quick(cells)
        if fit is None:
            checked = _checked(dict(zip(header, cells, strict=True)), line, path, postal)
            fit = checked.email, checked.segment, checked.channels
        email, segment, channels = fit
        yield (
            email,
            "" if first_name is None else cells[first_name],
            "" if last_name is None else cells[last_name],
            segment,
            channels,
            "" if tags is None else cells[tags],
            "" if facts is None else cells[facts],
        )


class _QuickCheck:
    """(email, segment, channels) of a row whose every value is plainly fine, or None for
    any row :func:`_checked` must look at. It passes no row that check would refuse (a
    hypothesis test holds them to that), so a row it passes needs no other check."""

    def __init__(self, header: list[str]) -> None:
        at = _positions(header)
        self._email, self._segment, self._channels = at["email"], at["segment"], at["channels"]
        self._postal = [at.get(f) for f in POSTAL_FIELDS if f != "country"]
        # Columns whose non-empty values need a check of their own.
        self._rare = [
            (at[column], check)
            for column, check in (
                ("consent_date", _is_date),
                ("source", SOURCE_KINDS.__contains__),
                ("lead_id", _is_lead_id),
                ("facts", _are_facts),
            )
            if column in at
        ]

    def __call__(self, cells: list[str]) -> tuple[str, str, frozenset[str]] | None:
        every = "".join(cells)
        if len(every) > MAX_VALUE_CHARS or UNFIT.search(every):
            return None
        segment = cells[self._segment]
        channels = _channels(cells[self._channels])
        if segment not in SEGMENTS or channels is None:
            return None
        if "mail" in channels and not all(i is not None and cells[i] for i in self._postal):
            return None
        for index, check in self._rare:
            if cells[index] and not check(cells[index]):
                return None
        try:
            return normalized_address(cells[self._email]), segment, channels
        except EmailNotValidError:
            return None


def _positions(header: list[str]) -> dict[str, int]:
    """column -> its cell's index; of a column named twice, the last (as in a row's dict)."""
    return {column: index for index, column in enumerate(header)}


@functools.lru_cache(maxsize=1024)
def _is_date(cell: str) -> bool:
    try:
        date.fromisoformat(cell)
    except ValueError:
        return False
    return True


def _is_lead_id(cell: str) -> bool:
    return cell.isdecimal() and int(cell) >= 1


def _are_facts(cell: str) -> bool:
    try:
        _facts(cell)
    except ValueError:
        return False
    return True


ReaderFields = tuple[str, str, str, str, frozenset[str], str, str]


class _Checked(NamedTuple):
    email: str
    segment: str
    channels: frozenset[str]
    address: Address | None
    missing_postal: tuple[str, ...]
    consent_date: date | None
    source: str = ""
    lead_id: int | None = None
    facts: tuple[Fact, ...] = ()


def _subscriber(row: dict[str, str], line: int, path: Path, postal: Postal) -> Subscriber:
    checked = _checked(row, line, path, postal)
    tags = row.get("tags", "")
    return Subscriber(
        email=checked.email,
        first_name=row.get("first_name", ""),
        last_name=row.get("last_name", ""),
        company=row.get("company", ""),
        segment=checked.segment,
        channels=checked.channels,
        address=checked.address,
        consent_source=row.get("consent_source", ""),
        consent_date=checked.consent_date,
        tags=tuple(t.strip() for t in tags.split(";") if t.strip()) if tags else (),
        line=line,
        missing_postal=checked.missing_postal,
        source=checked.source,
        lead_id=checked.lead_id,
        referred_by=row.get("referred_by", ""),
        facts=checked.facts,
    )


def _checked(row: dict[str, str], line: int, path: Path, postal: Postal) -> _Checked:
    """Every check of one row; the first problem raises ContentError naming line and key."""

    def fail(key: str, message: str) -> ContentError:
        return ContentError(message, path=path, line=line, key=key)

    unfit = _unfit_value(row)
    if unfit:
        raise fail(*unfit)
    try:
        email = normalized_address(row["email"])
    except EmailNotValidError as exc:
        raise fail("email", f"not a valid address {row['email']!r}: {exc}") from None
    segment = row["segment"]
    if segment not in SEGMENTS:
        raise fail(
            "segment", f"unknown segment {segment!r} (expected one of {', '.join(SEGMENTS)})"
        )
    channels = _channels(row["channels"])
    if channels is None:
        raise fail(
            "channels", f"unknown channel {row['channels']!r} (expected email, mail or both)"
        )
    address = None
    if row.get("street") or row.get("city") or row.get("postal_code") or row.get("country"):
        address = Address(
            row.get("street", ""),
            row.get("city", ""),
            row.get("region", ""),
            row.get("postal_code", ""),
            row.get("country", "") or "US",
        )
    blank: list[str] = []
    if "mail" in channels:
        blank = [f for f in POSTAL_FIELDS if f != "country" and not row.get(f)]
        if blank and postal == "ignored":
            channels, address = channels - {"mail"}, None
        elif blank:
            raise fail(blank[0], f"required for the mail channel (missing: {', '.join(blank)})")
    consent_date = None
    if row.get("consent_date"):
        try:
            consent_date = date.fromisoformat(row["consent_date"])
        except ValueError:
            raise fail(
                "consent_date", f"not a date (YYYY-MM-DD): {row['consent_date']!r}"
            ) from None
    source = row.get("source", "")
    if source and source not in SOURCE_KINDS:
        raise fail("source", f"unknown source {source!r} (expected {', '.join(SOURCE_KINDS)})")
    lead_id = row.get("lead_id", "")
    if lead_id and not (lead_id.isdecimal() and int(lead_id) >= 1):
        raise fail("lead_id", f"not a lead number (its id in referrals.csv): {lead_id!r}")
    facts: tuple[Fact, ...] = ()
    if row.get("facts"):
        try:
            facts = _facts(row["facts"])
        except ValueError as exc:
            raise fail("facts", str(exc)) from None
    return _Checked(
        email,
        segment,
        channels,
        address,
        tuple(blank),
        consent_date,
        source,
        int(lead_id) if lead_id else None,
        facts,
    )


@functools.lru_cache(maxsize=1024)
def _facts(cell: str) -> tuple[Fact, ...]:
    return parse_facts(cell)
