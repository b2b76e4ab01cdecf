"""Pieces of post that came back, matched to the readers they were for.

A returned piece is known by what is printed on it, whichever the business has at hand:
the reader's email (the business looked them up), the referral code on its label
(``Ref. K7QH3MZX``, the ``referral_code`` of ``mailing-list.csv``), or the name and address
it was sent to. The print shop's returns file is a CSV of such pieces, one a row; its
columns are those of ``mailing-list.csv`` (so a shop can copy the rows that came back) with
the USPS's ``reason`` and the day it came back (``returned_on``): see :data:`COLUMNS`.

Matching, for each piece:

- a referral code or an email names its reader; with ``print.one_per_household`` a code
  names the household's copy, so every reader at that door;
- an address alone names every reader at that door (the same door however it is written:
  :func:`newsletter.audience.standard.delivery_point`); with a name, the readers at that
  door whose whole name is in it ("Anh Nguyen and Sam Lee"), else whose last name is
  ("The Nguyen family");
- a piece whose reader has another address by now is not recorded (nothing to hold back);
- a piece that names nobody who gets post, or cannot be read, is set aside with the reason:
  the rest of the file is recorded all the same.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsletter.audience.addresses import EmailNotValidError, normalized_address
from newsletter.audience.returned import (
    MAX_VALUE,
    REASONS,
    ReturnedMail,
    load_returned,
    record_returned,
)
from newsletter.audience.standard import delivery_point, plain_words
from newsletter.audience.subscribers import load_subscribers
from newsletter.audience.tokens import referral_codes
from newsletter.config import Settings
from newsletter.csvfile import FORMULA_STARTS, csv_rows, file_lines
from newsletter.model import Address, Subscriber, normalize_email

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "referral_code": ("referral_code", "ref", "code"),
    "email": ("email",),
    "name": ("name",),
    "address_1": ("address_1", "street", "address"),
    "address_2": ("address_2",),
    "city": ("city",),
    "region": ("region", "state"),
    "postal_code": ("postal_code", "zip", "zip_code"),
    "country": ("country",),
    "reason": ("reason", "endorsement"),
    "returned_on": ("returned_on", "date"),
}
"""The returns file's columns, each with the headers it may have (any case; spaces and
hyphens read as ``_``). Only ``reason`` is required; other columns are ignored."""
_ALIASES = {
    "uaa": "undeliverable",
    "undeliverable": "undeliverable",
    "nsn": "no-such-number",
    "nss": "no-such-street",
    "vac": "vacant",
    "mlna": "moved",
    "moved": "moved",
    "moved no forwarding address": "moved",
    "fte": "forward-expired",
    "forward time expired": "forward-expired",
    "utf": "unable-to-forward",
    "ank": "not-known",
    "not known": "not-known",
    "attempted not known": "not-known",
    "insufficient": "insufficient",
    "box closed": "box-closed",
    "box closed no forwarding order": "box-closed",
}
_RETURN_TO_SENDER = re.compile(r"^(?:return(?:ed)? to sender|rts)\s*")


def reason_key(text: str) -> str | None:
    """The REASONS key a written reason stands for (its words, key or USPS abbreviation:
    "Moved, Left No Address", "MLNA", "moved"), or None."""
    words = _RETURN_TO_SENDER.sub("", plain_words(text))
    for key, wording in REASONS.items():
        if words in (plain_words(key), plain_words(wording)):
            return key
    return _ALIASES.get(words)


@dataclass(frozen=True)
class ReturnedPiece:
    """One piece of post that came back, as the business or the print shop describes it."""

    reason: str  # a key of REASONS
    returned_on: date
    email: str = ""
    code: str = ""  # the referral code printed on it
    name: str = ""
    address: Address | None = None  # where it was sent: street and postal code at least
    source: str = "by hand"  # or "returns.csv:4"

    def describe(self) -> str:
        said = self.email or (f"Ref. {self.code}" if self.code else "") or self.name
        where = self.address.one_line() if self.address else ""
        return ", ".join(part for part in (said, where) if part) or "a piece naming nobody"


@dataclass(frozen=True)
class Unrecorded:
    """A piece that is not recorded, and why."""

    source: str
    what: str
    why: str


@dataclass(frozen=True)
class ReturnsPlan:
    records: tuple[ReturnedMail, ...]  # to record (new)
    recorded_before: tuple[ReturnedMail, ...]  # its reader and door are in the file already
    moved_on: tuple[Unrecorded, ...]  # the reader has another address by now
    set_aside: tuple[Unrecorded, ...]  # names nobody who gets post, or cannot be read


@dataclass(frozen=True)
class ReturnsResult:
    plan: ReturnsPlan
    added: tuple[ReturnedMail, ...]  # written into ``path`` (none in a dry run)
    path: Path


def returned_mail(
    settings: Settings,
    pieces: Sequence[ReturnedPiece | Unrecorded],
    *,
    secret: bytes | None,
    write: bool,
) -> ReturnsResult:
    """Match ``pieces`` to the readers on the list and, when ``write``, record them in
    ``returned-mail.csv`` (under its lock, atomically, 0600). ``secret`` looks up the
    referral codes printed on pieces (None: a piece known by its code is set aside)."""
    subscribers = load_subscribers(settings.subscribers_csv, postal="ignored")
    codes = None
    if secret is not None and any(isinstance(p, ReturnedPiece) and p.code for p in pieces):
        emails = referral_codes(secret, (s.email for s in subscribers))
        codes = {code: email for email, code in emails.items()}
    path = settings.returned_mail_csv
    plan = plan_returns(
        pieces,
        subscribers,
        load_returned(path),
        codes=codes,
        one_per_household=settings.config.print.one_per_household,
    )
    added = record_returned(path, plan.records) if write and plan.records else ()
    return ReturnsResult(plan, added, path)


def returns_lines(result: ReturnsResult, *, written: bool) -> list[str]:
    """What recording did (or, unless ``written``, would do): a line per piece — ``+`` to
    record, ``=`` recorded before, ``~`` its reader has moved on, ``!`` set aside — then
    the counts."""
    plan = result.plan
    lines = [f"+ {r.email}: {r.reason_text} ({r.address.one_line()})" for r in plan.records]
    before = plan.recorded_before
    lines += [f"= {r.email}: recorded before ({r.address.one_line()})" for r in before]
    lines += [f"~ {p.source}: {p.what}: {p.why}" for p in plan.moved_on]
    lines += [f"! {p.source}: {p.what}: {p.why}" for p in plan.set_aside]
    counts = (
        f"{len(plan.recorded_before)} recorded before, {len(plan.moved_on)} with another "
        f"address by now, {len(plan.set_aside)} set aside"
    )
    if written:
        lines.append(
            f"recorded {len(result.added)} in {result.path} ({counts}): no post to them "
            "until their address changes"
        )
    else:
        lines.append(f"dry run: {len(plan.records)} to record ({counts}); add --yes to record")
    return lines


def plan_returns(
    pieces: Iterable[ReturnedPiece | Unrecorded],
    subscribers: Sequence[Subscriber],
    known: Iterable[ReturnedMail],
    *,
    codes: Mapping[str, str] | None = None,
    one_per_household: bool = False,
) -> ReturnsPlan:
    """What recording ``pieces`` does. ``codes`` maps a referral code to its reader's
    normalized email (None: codes cannot be looked up, without the secret)."""
    posted = [s for s in subscribers if "mail" in s.channels and s.address is not None]
    by_email = {s.normalized_email: s for s in subscribers}
    doors: dict[str, list[Subscriber]] = {}
    for s in posted:
        assert s.address is not None
        doors.setdefault(delivery_point(s.address), []).append(s)
    seen = {(r.normalized_email, delivery_point(r.address)) for r in known}
    records: list[ReturnedMail] = []
    before: list[ReturnedMail] = []
    moved: list[Unrecorded] = []
    aside: list[Unrecorded] = []
    for piece in pieces:
        if isinstance(piece, Unrecorded):
            aside.append(piece)
            continue
        readers, why = _readers(piece, by_email, doors, codes, one_per_household)
        if why:
            aside.append(Unrecorded(piece.source, piece.describe(), why))
            continue
        for reader in readers:
            assert reader.address is not None
            door = delivery_point(reader.address)
            if piece.address is not None and delivery_point(piece.address) != door:
                why = f"{reader.email} has another address by now: nothing to hold back"
                moved.append(Unrecorded(piece.source, piece.describe(), why))
                continue
            record = ReturnedMail(
                reader.email, piece.returned_on, piece.reason, reader.address, piece.source
            )
            if (record.normalized_email, door) in seen:
                before.append(record)
            else:
                seen.add((record.normalized_email, door))
                records.append(record)
    return ReturnsPlan(tuple(records), tuple(before), tuple(moved), tuple(aside))


def _readers(
    piece: ReturnedPiece,
    by_email: Mapping[str, Subscriber],
    doors: Mapping[str, Sequence[Subscriber]],
    codes: Mapping[str, str] | None,
    one_per_household: bool,
) -> tuple[Sequence[Subscriber], str]:
    """The readers ``piece`` was for, or the reason it names none."""
    if piece.code:
        if codes is None:
            return (), "a referral code is looked up with NEWSLETTER_SECRET, which is not set"
        email = codes.get(piece.code.strip().upper())
        if email is None:
            return (), f"no reader has the referral code {piece.code}"
        reader = by_email[email]
        if one_per_household and "mail" in reader.channels and reader.address is not None:
            return doors.get(delivery_point(reader.address), [reader]), ""
        return _posted(reader)
    if piece.email:
        listed = by_email.get(_email_key(piece.email))
        if listed is None:
            return (), f"{piece.email} is not on the list"
        return _posted(listed)
    if piece.address is None:
        return (), "no email, referral code or address (street and postal code) to go by"
    there = doors.get(delivery_point(piece.address), ())
    if not there:
        return (), "nobody who gets post lives at that address"
    if not piece.name:
        return there, ""
    name = plain_words(piece.name)
    named = [s for s in there if f" {plain_words(f'{s.first_name} {s.last_name}')} " in f" {name} "]
    if not named:
        words = set(name.split())
        named = [s for s in there if s.last_name and set(plain_words(s.last_name).split()) <= words]
    if not named:
        return (), f"nobody named {piece.name!r} gets post at that address"
    return named, ""


def _posted(reader: Subscriber) -> tuple[Sequence[Subscriber], str]:
    if "mail" not in reader.channels or reader.address is None:
        return (), f"{reader.email} does not get post"
    return (reader,), ""


def _email_key(text: str) -> str:
    try:
        return normalize_email(normalized_address(text))
    except EmailNotValidError:
        return normalize_email(text)


def read_returns_file(path: Path, today: date) -> list[ReturnedPiece | Unrecorded]:
    """The pieces of a print shop's returns file, a row each; a row that cannot be read is
    an :class:`Unrecorded` with the reason. A file that is not such a CSV at all (no
    ``reason`` column, not UTF-8, malformed) raises ContentError naming it."""
    lines = file_lines(path)
    columns = [_column(c) for c in next(csv.reader([next(lines, "")]), [])]
    renamed = itertools.chain([",".join(map(_csv_cell, columns)) + "\n"], lines)
    pieces: list[ReturnedPiece | Unrecorded] = []
    for line, row in csv_rows(renamed, path, required=("reason",), allowed=columns):
        source = f"{path.name}:{line}"
        values = {key: _value(row.get(key, "")) for key in COLUMNS}
        if not any(values.values()):
            continue
        pieces.append(_piece(values, source, today))
    return pieces


def _piece(values: Mapping[str, str], source: str, today: date) -> ReturnedPiece | Unrecorded:
    street = " ".join(v for v in (values["address_1"], values["address_2"]) if v)
    address = None
    if street and values["postal_code"]:
        country = values["country"].upper() or "US"
        address = Address(street, values["city"], values["region"], values["postal_code"], country)
    what = ", ".join(v for v in (values["email"], values["name"], street) if v) or "a row"
    too_long = [k for k, v in values.items() if len(v) > MAX_VALUE]
    if too_long:
        return Unrecorded(source, what, f"{too_long[0]}: more than {MAX_VALUE} characters")
    reason = reason_key(values["reason"])
    if reason is None:
        return Unrecorded(source, what, f"unknown reason {values['reason']!r}")
    returned_on = today
    if values["returned_on"]:
        try:
            returned_on = date.fromisoformat(values["returned_on"])
        except ValueError:
            return Unrecorded(source, what, f"returned_on: not a date {values['returned_on']!r}")
        if returned_on > today:
            return Unrecorded(source, what, f"returned_on: {returned_on} is in the future")
    return ReturnedPiece(
        reason,
        returned_on,
        email=values["email"],
        code=values["referral_code"],
        name=values["name"],
        address=address,
        source=source,
    )


def _column(header: str) -> str:
    written = re.sub(r"[\s-]+", "_", header.strip().lower())
    return next((key for key, names in COLUMNS.items() if written in names), f"other:{header}")


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _value(cell: str) -> str:
    """A cell as written, less the ``'`` that the mailing list puts before a value a
    spreadsheet would take for a formula."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell
