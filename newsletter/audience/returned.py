"""``subscribers/returned-mail.csv``: postal addresses the post brought back, per reader.

One row per piece that came back: the reader's ``email``, the day it came back
(``returned_on``), the ``reason`` the post gave (one of :data:`REASONS`), the address it
was sent to (``street``, ``city``, ``region``, ``postal_code``, ``country``: the reader's
address in subscribers.csv when it was recorded) and where the record came from
(``source``: "by hand", or the print shop's returns file and its line).

A reader is *held back* from post while their address in subscribers.csv is still the
one that came back: compared as a door (:func:`newsletter.audience.standard.delivery_point`),
so writing it in Publication 28 form holds them still, and a new address lets their post
go again without anyone deleting a row. The rows stay as the record of what came back.
Email is untouched: a returned letter says nothing about an inbox.

The file is in git beside the list (personal data: 0600); new rows are appended under its
lock and the file replaced atomically, every earlier byte kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsletter.audience.addresses import EmailNotValidError, normalized_address
from newsletter.audience.standard import delivery_point
from newsletter.config.files import RETURNED_MAIL_FILE
from newsletter.config.yamlfile import read_text
from newsletter.csvfile import appended_csv, csv_rows
from newsletter.errors import ContentError
from newsletter.fsutil import PRIVATE, atomic_write, remove_stale_temps
from newsletter.locks import locked
from newsletter.model import Address, Subscriber, normalize_email

COLUMNS = (
    "email",
    "returned_on",
    "reason",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "source",
)
REQUIRED = ("email", "returned_on", "reason", "street", "postal_code")
MAX_VALUE = 300
"""Characters of any value: an address line, a returns file's name and line."""
REASONS: Mapping[str, str] = {
    "undeliverable": "Undeliverable as addressed",
    "no-such-number": "No such number",
    "no-such-street": "No such street",
    "vacant": "Vacant",
    "moved": "Moved, left no address",
    "forward-expired": "Forwarding time expired",
    "unable-to-forward": "Unable to forward",
    "not-known": "Attempted, not known",
    "insufficient": "Insufficient address",
    "refused": "Refused",
    "unclaimed": "Unclaimed",
    "deceased": "Deceased",
    "box-closed": "Box closed, no order",
    "no-receptacle": "No mail receptacle",
}
"""The reasons the USPS endorses a returned piece with (DMM 507, Exhibit 1.4.1), by the
key this file keeps, with the words the reports show."""


@dataclass(frozen=True)
class ReturnedMail:
    """One piece of post that came back: whose, when, why, and the address it went to."""

    email: str  # as written
    returned_on: date
    reason: str  # a key of REASONS
    address: Address
    source: str = ""
    line: int | None = None  # in returned-mail.csv; None for a record not written yet

    @property
    def normalized_email(self) -> str:
        return normalize_email(self.email)

    @property
    def reason_text(self) -> str:
        return REASONS[self.reason]


def load_returned(path: Path) -> tuple[ReturnedMail, ...]:
    """Every record in ``path`` (none if it does not exist); a bad row names its line."""
    if not path.exists():
        return ()
    text = read_text(path, ContentError)
    return tuple(
        _record(row, line, path)
        for line, row in csv_rows(text, path, required=REQUIRED, allowed=COLUMNS)
    )


class HeldBack:
    """Who gets no post because their current address came back."""

    def __init__(self, records: Iterable[ReturnedMail]) -> None:
        self._doors: dict[str, dict[str, ReturnedMail]] = {}
        for record in records:
            doors = self._doors.setdefault(record.normalized_email, {})
            doors[delivery_point(record.address)] = record  # the latest of a door wins

    def record_for(self, subscriber: Subscriber) -> ReturnedMail | None:
        """The record that holds ``subscriber`` back (their address is the one that came
        back), or None."""
        doors = self._doors.get(subscriber.normalized_email)
        if not doors or subscriber.address is None:
            return None
        return doors.get(delivery_point(subscriber.address))

    def cleared(self, subscribers: Iterable[Subscriber]) -> int:
        """How many of ``subscribers`` have a record whose address is no longer theirs:
        their post goes again."""
        return sum(
            1
            for s in subscribers
            if s.normalized_email in self._doors and self.record_for(s) is None
        )


def held_back(path: Path) -> HeldBack:
    return HeldBack(load_returned(path))


def record_returned(path: Path, records: Sequence[ReturnedMail]) -> tuple[ReturnedMail, ...]:
    """Append ``records`` to ``path`` under its lock, leaving out any whose reader and door
    are recorded already (running a returns file twice adds nothing); returns those added.
    Every record is checked as the loader would read it back before anything is written."""
    for record in records:
        check_record(record)
    with locked(path, purpose="record returned mail"):
        remove_stale_temps(path)  # a killed writer's personal data, under the lock
        known = {(r.normalized_email, delivery_point(r.address)) for r in load_returned(path)}
        added = []
        for record in records:
            key = (record.normalized_email, delivery_point(record.address))
            if key not in known:
                known.add(key)
                added.append(record)
        if added:
            text = read_text(path, ContentError) if path.exists() else ""
            atomic_write(path, appended_csv(text, COLUMNS, map(_cells, added)), mode=PRIVATE)
    return tuple(added)


def check_record(record: ReturnedMail) -> None:
    """ContentError, naming the field, for a record the loader would refuse."""
    cells = _cells(record)
    for key, value in cells.items():
        problem = _value_problem(value)
        if problem:
            raise ContentError(problem, key=key)
    _record(cells, 0, Path(RETURNED_MAIL_FILE))


def _cells(record: ReturnedMail) -> dict[str, str]:
    a = record.address
    return {
        "email": record.email.strip(),
        "returned_on": record.returned_on.isoformat(),
        "reason": record.reason,
        "street": a.street,
        "city": a.city,
        "region": a.region,
        "postal_code": a.postal_code,
        "country": a.country,
        "source": record.source,
    }


def _record(row: Mapping[str, str], line: int, path: Path) -> ReturnedMail:
    def fail(key: str, message: str) -> ContentError:
        return ContentError(message, path=path, line=line or None, key=key)

    for key, value in row.items():
        problem = _value_problem(value)
        if problem:
            raise fail(key, f"{problem}; shorten it in the file")
    try:
        normalized_address(row["email"])
    except EmailNotValidError as exc:
        raise fail("email", f"not a valid address {row['email']!r}: {exc}") from None
    try:
        returned_on = date.fromisoformat(row["returned_on"])
    except ValueError:
        raise fail("returned_on", f"not a date (YYYY-MM-DD): {row['returned_on']!r}") from None
    reason = row["reason"]
    if reason not in REASONS:
        raise fail("reason", f"unknown reason {reason!r} (expected {', '.join(REASONS)})")
    for key in ("street", "postal_code"):
        if not row[key]:
            raise fail(key, "required: the address the piece was sent to")
    address = Address(
        row["street"],
        row.get("city", ""),
        row.get("region", ""),
        row["postal_code"],
        (row.get("country") or "US").upper(),
    )
    return ReturnedMail(
        row["email"], returned_on, reason, address, row.get("source", ""), line or None
    )


def _value_problem(value: str) -> str:
    if len(value) > MAX_VALUE:
        return f"{len(value):,} characters, more than the {MAX_VALUE} allowed"
    if not value.isprintable():
        return "holds a line break or another control character"
    return ""
