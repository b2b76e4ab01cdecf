"""Which reader reads which file: a vCard file, a Mailchimp export's CSV, or a generic CSV.

A file is a vCard file by its name (``.vcf``, ``.vcard``) or its first line
(``BEGIN:VCARD``); a CSV is Mailchimp's by its header (``Email Address`` with
Mailchimp's own columns). Files of opt-outs (Mailchimp's unsubscribed and cleaned) are
read first, so that a person both in them and among the subscribed is kept off the list
whichever file was named first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo

from newsletter.audience.importing.columns import generic_contacts, resolve
from newsletter.audience.importing.inputs import Input, raw_lines
from newsletter.audience.importing.mailchimp import (
    BOOKKEEPING,
    KNOWN,
    is_mailchimp,
    kind_of,
    mailchimp_contacts,
)
from newsletter.audience.importing.records import Record
from newsletter.audience.importing.tables import Table
from newsletter.audience.importing.vcard import vcard_contacts
from newsletter.errors import ContentError

VCARD_SUFFIXES = (".vcf", ".vcard")


@dataclass(frozen=True)
class Reading:
    """One file being read: what it was taken for, and its records as they are read."""

    description: str  # "FILE: Mailchimp audience export (subscribed)", for the dry run
    opt_outs: bool  # a file of people who left the old list (read before the others)
    records: Iterator[Record]
    header: tuple[str, ...]  # its columns (none for vCard)
    mapped: frozenset[str]  # the columns of the user's --map it has


def readings(
    inputs: Sequence[Input], mapping: Mapping[str, str], encoding: str, tz: tzinfo
) -> list[Reading]:
    """A reading of each of ``inputs`` (its header already checked), opt-out files first.
    A column of ``mapping`` that no file has is a ContentError (naming the header of a
    lone file, and its columns)."""
    found = [_reading(source, mapping, encoding, tz) for source in inputs]
    missing = [c for c in mapping if not any(c in r.mapped for r in found)]
    if missing and len(found) == 1:
        raise ContentError(
            f"no column {missing[0]!r} to map (the columns: {', '.join(found[0].header)})",
            path=inputs[0].name,
            line=1,
        )
    if missing:
        raise ContentError(f"no file named has a column {missing[0]!r}", key="--map")
    return sorted(found, key=lambda r: not r.opt_outs)


def _reading(source: Input, mapping: Mapping[str, str], encoding: str, tz: tzinfo) -> Reading:
    if source.suffix in VCARD_SUFFIXES or _starts_a_vcard(source):
        contacts = vcard_contacts(source, encoding)
        return Reading(f"{source.name}: vCard contacts", False, contacts, (), frozenset())
    table = Table(source, encoding)
    header = tuple(table.header)
    if is_mailchimp(table.header, source.name):
        kind = kind_of(table.header, source.name)
        columns = resolve(table.header, mapping, known=KNOWN)
        left_out = [name for name in columns.unused if name not in BOOKKEEPING]
        return Reading(
            f"{source.name}: Mailchimp audience export ({kind}){_left_out(left_out)}",
            kind != "subscribed",
            mailchimp_contacts(table, columns.at, tz),
            header,
            frozenset(columns.mapped),
        )
    columns = resolve(table.header, mapping)
    mapped = ", ".join(f"{table.header[i]} → {target}" for target, i in columns.at.items())
    return Reading(
        f"{source.name}: CSV ({mapped}){_left_out(columns.unused)}",
        False,
        generic_contacts(table, columns.at),
        header,
        frozenset(columns.mapped),
    )


def _starts_a_vcard(source: Input) -> bool:
    for _, raw in raw_lines(source):
        if raw.strip():
            return raw.lstrip(b"\xef\xbb\xbf").strip().upper() == b"BEGIN:VCARD"
    return False


def _left_out(columns: list[str]) -> str:
    return f"; not imported: {', '.join(columns)}" if columns else ""
