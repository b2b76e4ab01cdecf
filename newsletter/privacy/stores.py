"""Where one person's data is kept, each store found and changed by one function.

Each function takes ``apply``: False only finds (a dry run, an export), True also
changes, and both return the same :class:`Finding` list, so what a dry run lists is what
``--yes`` does.

    the lists (subscribers/*.csv)  rows removed; a referral lead anonymized, its business
                                   facts and value kept; a suppression kept as a keyed hash
    SQLite (ledger, events, inbox) every cell naming them redacted in place, rows kept
    addressed editions             a print folder whose mailing list names them (a
                                   month's print/, a quarter's cards) removed whole: its
                                   PDFs and zip are compressed, so their words cannot be
                                   found or redacted in place; print makes it again
    other build files              text files redacted; other files naming them removed
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from newsletter.audience.tokens import FORGOTTEN, forgotten_address
from newsletter.cards.content import CARDS_DIR
from newsletter.config import Settings
from newsletter.config.files import (
    EMAIL_EVENTS_FILE,
    REFERRALS_FILE,
    SUPPRESSIONS_FILE,
)
from newsletter.csvfile import ledger_csv
from newsletter.errors import StorageError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.locks import locked
from newsletter.model import normalize_email
from newsletter.pipeline.monthlock import month_lock
from newsletter.privacy.person import REDACTED, Person, csv_table

T = TypeVar("T")
LEAD_FIELDS = ("lead_name", "lead_address", "lead_phone", "lead_email", "notes")
REFERRER_FIELDS = ("referrer_email", "referrer_code")
MAILING_LIST = "mailing-list.csv"
"""The mailing list print and cards write into every addressed edition's folder."""


@dataclass(frozen=True)
class Finding:
    """What one store holds about the person, and what forgetting does to it."""

    place: str
    change: str
    records: tuple[dict[str, str], ...]


def _redact(person: Person, pattern: re.Pattern[str] | None, secret: bytes, value: str) -> str:
    """``value`` with every mention of ``person`` taken out; an address alone becomes its
    keyed hash, so a row keyed by it stays one row."""
    if "@" in value and normalize_email(value) in person.emails:
        return forgotten_address(secret, value)
    return pattern.sub(REDACTED, value) if pattern is not None else value


# ---- the lists ---------------------------------------------------------------------


def csv_stores(settings: Settings, person: Person, secret: bytes, apply: bool) -> list[Finding]:
    """The lists under ``paths.subscribers``: every CSV file there."""
    folder = settings.subscribers_dir
    findings = []
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        with locked(path, purpose="newsletter forget") if apply else _nothing():
            header, rows = csv_table(path)
            kept, records, change = _rows(path.name, header, rows, person, secret)
            if not records:
                continue
            findings.append(Finding(str(path.relative_to(settings.root)), change, records))
            if apply:
                atomic_write(path, ledger_csv(header, kept), mode=PRIVATE)
    return findings


def _rows(
    name: str, header: list[str], rows: list[list[str]], person: Person, secret: bytes
) -> tuple[list[list[str]], tuple[dict[str, str], ...], str]:
    """The rows kept (changed where they name ``person``), the records found, and what
    happens to them."""
    pattern = person.pattern()
    at = {column: i for i, column in enumerate(header)}
    kept, found = [], []
    for row in rows:
        row = [*row, *[""] * (len(header) - len(row))]
        record = dict(zip(header, row, strict=False))
        if name == REFERRALS_FILE:
            as_lead = record.get("id", "") in person.lead_ids or any(
                person.names_them(record.get(c, "")) for c in ("lead_email", "lead_phone")
            )
            as_referrer = any(person.names_them(record.get(c, "")) for c in REFERRER_FIELDS)
            if as_lead or as_referrer:
                found.append(record)
                if as_lead:
                    anonymize_lead(row, at, secret)
                for column in REFERRER_FIELDS if as_referrer else ():
                    if column in at:
                        row[at[column]] = ""
            kept.append(row)
        elif name == SUPPRESSIONS_FILE and person.names_them(record.get("email", "")):
            found.append(record)
            row[at["email"]] = forgotten_address(secret, record["email"])
            kept.append(row)
        elif any(person.names_them(c) for c in row) or (
            pattern is not None and any(pattern.search(c) for c in row if "{" in c)
        ):
            found.append(record)  # free text (a desk event's data) names them too
        else:
            kept.append(row)
    change = {
        REFERRALS_FILE: "anonymized: their details removed, the lead's facts and value kept",
        SUPPRESSIONS_FILE: "the address replaced by its keyed hash: mail to them stays stopped",
    }.get(name, "removed")
    return kept, tuple(found), f"{len(found)} row(s) {change}"


def anonymize_lead(row: list[str], at: dict[str, int], secret: bytes) -> None:
    """Take the lead's own details out of ``row`` (a referrals.csv row; ``at``: column ->
    index), keeping what the business did and earned: need, status, dates, value.

    The ledger needs a way to reach every lead, and the reports count a person referred
    twice once, by phone: the phone becomes ``000-`` and seven digits of a keyed hash of
    the lead's address (or phone), the same for both leads of one person and no one's
    number."""
    email, phone = (row[at[c]].strip() for c in ("lead_email", "lead_phone"))
    who = normalize_email(email) if email else re.sub(r"\D", "", phone)
    number = int(forgotten_address(secret, who).removeprefix(FORGOTTEN), 16) % 10**7
    for column in LEAD_FIELDS:
        if column in at:
            row[at[column]] = ""
    row[at["lead_name"]] = REDACTED
    row[at["lead_phone"]] = f"000-{number:07d}"


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


# ---- SQLite ---------------------------------------------------------------------------


def sqlite_files(settings: Settings) -> list[Path]:
    paths = [settings.send_ledger, settings.state_dir / EMAIL_EVENTS_FILE, settings.desk_inbox]
    return [p for p in dict.fromkeys(paths) if p.is_file()]


def sqlite_stores(settings: Settings, person: Person, secret: bytes, apply: bool) -> list[Finding]:
    """The send ledger, the provider's events and the desk's inbox, where they are here."""
    pattern = person.pattern()
    findings = []
    for path in sqlite_files(settings):

        def work(connection: sqlite3.Connection, path: Path = path) -> list[Finding]:
            return [
                Finding(
                    f"{place_of(settings, path)} ({table})",
                    f"{len(records)} row(s) redacted, kept and counted",
                    records,
                )
                for table, records in _tables(connection, person, pattern, secret, apply)
            ]

        findings += in_transaction(path, apply, work)
    return findings


def in_transaction(path: Path, apply: bool, work: Callable[[sqlite3.Connection], T]) -> T:
    """``work`` on the SQLite file at ``path`` in one transaction (a writing one when
    ``apply``), what it returns."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        # Overwritten values are zeroed in the file, not left in its free pages.
        connection.execute("PRAGMA secure_delete = ON")
        connection.execute("BEGIN IMMEDIATE" if apply else "BEGIN")
        result = work(connection)
        connection.execute("COMMIT")
        if apply:  # the old pages leave the write-ahead log too
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return result
    finally:
        connection.close()


def _tables(
    connection: sqlite3.Connection,
    person: Person,
    pattern: re.Pattern[str] | None,
    secret: bytes,
    apply: bool,
) -> Iterator[tuple[str, tuple[dict[str, str], ...]]]:
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    for table in tables:
        columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
        quoted = ", ".join(f'"{c}"' for c in columns)
        found = []
        for rowid, *values in connection.execute(f'SELECT rowid, {quoted} FROM "{table}"'):
            texts = {c: v for c, v in zip(columns, values, strict=True) if isinstance(v, str)}
            if not any(
                person.names_them(v) or (pattern is not None and pattern.search(v))
                for v in texts.values()
            ):
                continue
            found.append(
                {c: "" if v is None else str(v) for c, v in zip(columns, values, strict=True)}
            )
            if apply:
                changed = {c: _redact(person, pattern, secret, v) for c, v in texts.items()}
                sets = ", ".join(f'"{c}" = ?' for c in changed)
                connection.execute(
                    f'UPDATE "{table}" SET {sets} WHERE rowid = ?', [*changed.values(), rowid]
                )
        if found:
            yield table, tuple(found)


# ---- build folders ------------------------------------------------------------------


def build_stores(settings: Settings, person: Person, apply: bool, out_root: Path) -> list[Finding]:
    """The files under ``out_root`` (every built month, reports, call lists)."""
    pattern = person.pattern()
    findings: list[Finding] = []
    if pattern is None or not out_root.is_dir():
        return findings
    editions = edition_stores(settings, pattern, apply, out_root)
    findings += [finding for finding, _ in editions]
    removed = [folder for _, folder in editions]
    for path in sorted(p for p in out_root.rglob("*") if p.is_file() and not p.is_symlink()):
        if any(path.is_relative_to(folder) for folder in removed):
            continue  # a dry run lists the edition once, as a whole
        data = path.read_bytes()
        try:
            text: str | None = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if not pattern.search(text if text is not None else data.decode("latin-1")):
            continue
        place = place_of(settings, path)
        if text is None:
            findings.append(Finding(place, "removed (not text: cannot be redacted)", ()))
            if apply:
                path.unlink()
            continue
        findings.append(Finding(place, "redacted", ()))
        if apply:
            mode = path.stat().st_mode & 0o777
            atomic_write(path, pattern.sub(REDACTED, text), mode=mode)
    return findings


def edition_stores(
    settings: Settings, pattern: re.Pattern[str], apply: bool, out_root: Path
) -> list[tuple[Finding, Path]]:
    """The addressed editions under ``out_root`` (a folder holding ``mailing-list.csv``)
    whose mailing list names the person, each with its folder; removed when ``apply``.

    Each is looked at and removed under the lock print holds while it writes one, so a
    print at work is never half removed, nor an edition written after the look kept."""
    found = []
    for listing in sorted(out_root.rglob(MAILING_LIST)):
        folder = listing.parent
        if listing.is_symlink() or not listing.is_file():
            continue
        with _edition_lock(out_root, folder) if apply else _nothing():
            records = _mailing_rows(listing, pattern)
            if not records:
                continue
            change = (
                "removed whole (an addressed edition: its PDFs, labels and mailing list "
                f"name them); {_remake(out_root, folder)} makes it again without them"
            )
            found.append((Finding(place_of(settings, folder), change, records), folder))
            if apply:
                remove_edition(folder)
    return found


def _mailing_rows(listing: Path, pattern: re.Pattern[str]) -> tuple[dict[str, str], ...]:
    """The rows of the mailing list at ``listing`` that name the person."""
    try:
        text = listing.read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff")
    except FileNotFoundError:
        return ()  # replaced or removed since it was listed
    except OSError as exc:
        raise StorageError(f"cannot read: {exc.strerror or exc}", path=listing) from None
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0] if rows else []
    return tuple(
        dict(zip(header, row, strict=False))
        for row in rows[1:]
        if any(pattern.search(cell) for cell in row)
    )


def _edition_lock(out_root: Path, folder: Path) -> AbstractContextManager[object]:
    """The lock print and cards hold while they write ``folder``: the month's for a
    month's print/, the quarter folder's own for the cards."""
    parts = folder.relative_to(out_root).parts
    if len(parts) >= 2 and parts[0] != CARDS_DIR:
        return month_lock(out_root, parts[0], doing="forget")
    return locked(folder, purpose="newsletter forget", wait=0)


def _remake(out_root: Path, folder: Path) -> str:
    """The command that makes the edition in ``folder`` again."""
    parts = folder.relative_to(out_root).parts
    if len(parts) >= 2 and parts[0] == CARDS_DIR:
        quarter = parts[1].lstrip(".").split(".")[0]  # a removal cut short: .2026Q4.forgotten-…
        return f"`newsletter cards --quarter {quarter}`"
    if len(parts) >= 2:
        return f"`newsletter print --month {parts[0]}`"
    return "`newsletter print`"


def remove_edition(folder: Path) -> None:
    """Remove ``folder`` whole: first out of its place in one rename (nothing reads half
    an edition there), then its files, the mailing list last, so a removal cut short
    leaves a folder the next ``forget`` still recognizes and finishes."""
    gone = folder.with_name(f".{folder.name}.forgotten-{secrets.token_hex(4)}")
    try:
        os.rename(folder, gone)
        for entry in gone.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            elif entry.name != MAILING_LIST:
                entry.unlink()
        (gone / MAILING_LIST).unlink(missing_ok=True)
        gone.rmdir()
    except OSError as exc:
        raise StorageError(f"cannot remove: {exc.strerror or exc}", path=folder) from None


def place_of(settings: Settings, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(settings.root.resolve()))
    except ValueError:
        return str(path)


def all_findings(
    settings: Settings, person: Person, secret: bytes, *, apply: bool, out_root: Path
) -> list[Finding]:
    """Every store's findings, changed when ``apply``."""
    found = csv_stores(settings, person, secret, apply)
    found += sqlite_stores(settings, person, secret, apply)
    return found + build_stores(settings, person, apply, out_root)
