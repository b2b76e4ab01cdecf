"""What an import would change: each record read meets the list and becomes one change.

    added       a new row in subscribers.csv
    updated     a row already there gains what it lacked (see below)
    unchanged   already there with everything the record brings, or already suppressed
    suppressed  kept off the email list: an opt-out that becomes a suppression, or a
                person a suppression already covers, who is not added
    refused     not taken, with the reason and the line

A person is the same person whatever the case, the Unicode form or the IDN spelling of
their address (:func:`newsletter.audience.addresses.address_key`); one read twice is taken
the first time. A row already on the list is never overwritten: it gains blank names,
company and postal address, the consent it lacked, new tags, and the email channel when
the record carries consent and no suppression covers them. A new row with evidence of
consent gets email (and post when its postal address is complete); one without comes in
for post only, if it has a complete postal address, or is refused, as ``without_consent``
says: it is never emailed on no evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Literal

from newsletter.audience.addresses import EmailNotValidError, address_key, normalized_address
from newsletter.audience.importing.listed import Listed, list_problems, rows_at
from newsletter.audience.importing.records import Contact, Origin, Record, Refused
from newsletter.audience.suppressions import Suppression

ADDED, UPDATED, UNCHANGED, SUPPRESSED, REFUSED = (
    "added",
    "updated",
    "unchanged",
    "suppressed",
    "refused",
)
KINDS = (ADDED, UPDATED, UNCHANGED, SUPPRESSED, REFUSED)
WithoutConsent = Literal["post", "refuse"]
_FILLED = ("first_name", "last_name", "company")
_POSTAL = ("street", "city", "region", "postal_code", "country")


@dataclass(frozen=True)
class Choices:
    """What the business chose for the rows it imports."""

    segment: str = "client"
    source: str = "client"  # one of SOURCE_KINDS
    without_consent: WithoutConsent = "post"
    today: date = field(default_factory=date.today)
    """The date of an opt-out that carries none (the business's today, from the CLI)."""


@dataclass(frozen=True)
class Change:
    kind: str  # one of KINDS
    origin: Origin
    email: str  # as read ("" when the record had none)
    detail: str  # what changes, or why not, in a few words


@dataclass(frozen=True)
class Plan:
    """Everything an import would write, and the change each record read makes."""

    changes: tuple[Change, ...]
    added: tuple[dict[str, str], ...]  # new rows of subscribers.csv
    updated: Mapping[int, dict[str, str]]  # line in subscribers.csv -> its row, changed
    suppressions: tuple[Suppression, ...]
    consents: tuple[dict[str, str], ...]  # new consents.csv records

    def count(self, kind: str) -> int:
        return sum(1 for change in self.changes if change.kind == kind)


def plan(folder: Path, records: Iterable[Record], before: Listed, choices: Choices) -> Plan:
    """The plan for ``records`` (opt-outs first) against the list ``before``."""
    planner = _Planner(before, choices)
    for record in records:
        planner.take(record)
    return planner.finish(folder)


class _Planner:
    def __init__(self, before: Listed, choices: Choices) -> None:
        self.before, self.choices = before, choices
        self.suppressed = dict(before.suppressed)
        self.seen: dict[str, Origin] = {}
        self.changes: list[Change] = []
        # (slot of its change, contact, key, row) of each row to add or update, checked
        # against the list's rules all at once when every record has been taken
        self.candidates: list[tuple[int, Contact, str, dict[str, str]]] = []
        self.suppressions: list[Suppression] = []
        self.consents: list[tuple[int, dict[str, str]]] = []  # (its change's slot, record)
        self.matched: dict[int, tuple[int, Contact, str]] = {}  # line -> (slot, contact, key)

    def take(self, record: Record) -> None:
        if isinstance(record, Refused):
            self._note(REFUSED, record.origin, record.email, record.reason)
            return
        try:
            key = address_key(record.email)
        except EmailNotValidError as exc:
            self._note(REFUSED, record.origin, record.email, f"not a valid address: {exc}")
            return
        if record.opt_out is not None:
            self._opt_out(record, key)
            return
        first = self.seen.setdefault(key, record.origin)
        if first is not record.origin:
            self._note(REFUSED, record.origin, record.email, f"read already on {first}")
        elif key in self.before.subscribers:
            self._match(record, key)
        elif key in self.suppressed:
            entry = self.suppressed[key]
            where = f"line {entry.line} of suppressions.csv" if entry.line else "this import"
            why = f"{entry.reason} on {entry.date} ({where})"
            self._note(SUPPRESSED, record.origin, record.email, f"not added: {why}")
        else:
            self._add(record, key)

    def _note(self, kind: str, origin: Origin, email: str, detail: str) -> None:
        self.changes.append(Change(kind, origin, email, detail))

    def _opt_out(self, contact: Contact, key: str) -> None:
        assert contact.opt_out is not None
        known = self.suppressed.get(key)
        if known is not None:
            self._note(UNCHANGED, contact.origin, contact.email, "suppressed already")
            return
        entry = Suppression(
            email=normalized_address(contact.email),
            reason=contact.opt_out.reason,
            date=contact.opt_out.day or self.choices.today,
            source=contact.opt_out.source,
        )
        self.suppressed[key] = entry
        self.suppressions.append(entry)
        self._note(SUPPRESSED, contact.origin, contact.email, f"{entry.reason} on {entry.date}")

    def _add(self, contact: Contact, key: str) -> None:
        consented = contact.consent is not None
        if consented:
            channels = "both" if contact.postal.complete else "email"
        elif self.choices.without_consent == "refuse":
            why = f"{_NO_CONSENT} (--without-consent refuse)"
            self._note(REFUSED, contact.origin, contact.email, why)
            return
        elif contact.postal.complete:
            channels = "mail"
        else:
            why = f"{_NO_CONSENT}, and no complete postal address for post only"
            self._note(REFUSED, contact.origin, contact.email, why)
            return
        row = {
            "email": normalized_address(contact.email),
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "company": contact.company,
            "segment": self.choices.segment,
            "channels": channels,
            **_postal_values(contact),
            **_consent_values(contact),
            "tags": ";".join(contact.tags),
            "source": self.choices.source,
        }
        self.candidates.append((len(self.changes), contact, key, row))  # checked in finish()
        self._note(ADDED, contact.origin, contact.email, _described(row))

    def _match(self, contact: Contact, key: str) -> None:
        line = self.before.subscribers[key]
        self.matched[line] = (len(self.changes), contact, key)
        self._note(UNCHANGED, contact.origin, contact.email, "")  # decided in finish()

    def _keep_consent(self, slot: int, contact: Contact, key: str, email: str) -> None:
        """A consents.csv record of ``contact``'s consent, for ``email`` as the list
        writes it, unless the record is kept already."""
        consent = contact.consent
        if consent is None or not consent.recorded:
            return
        if (key, consent.form) in self.before.consents:
            return
        self.consents.append(
            (
                slot,
                {
                    "email": email,
                    "requested_at": consent.requested_at,
                    "confirmed_at": consent.confirmed_at,
                    "form": consent.form,
                    "request_ip": consent.request_ip,
                    "confirm_ip": consent.confirm_ip,
                    "desk_event": "",
                },
            )
        )

    def finish(self, folder: Path) -> Plan:
        added = len(self.candidates)
        lines = {}  # slot of a change -> the line it updates
        for line, row in rows_at(folder, self.matched).items():
            slot, contact, key = self.matched[line]
            emailable = key not in self.suppressed
            merged, gained = _merged(row, contact, emailable=emailable)
            if emailable and "email" in channels_of(merged["channels"]):
                self._keep_consent(slot, contact, key, row["email"])
            change = self.changes[slot]
            if gained:
                self.candidates.append((slot, contact, key, merged))
                lines[slot] = line
                detail = f"line {line} gains {'; '.join(gained)}"
                self.changes[slot] = replace(change, kind=UPDATED, detail=detail)
            else:
                self.changes[slot] = replace(change, detail=f"on line {line} already")
        problems = list_problems([row for *_, row in self.candidates])
        new_rows, updated = [], {}
        for index, (slot, contact, key, row) in enumerate(self.candidates):
            if index in problems:
                self.changes[slot] = replace(
                    self.changes[slot], kind=REFUSED, detail=problems[index]
                )
            elif index < added:
                new_rows.append(row)
                self._keep_consent(slot, contact, key, row["email"])
            else:
                updated[lines[slot]] = row
        return Plan(
            tuple(self.changes),
            tuple(new_rows),
            updated,
            tuple(self.suppressions),
            tuple(record for _, record in sorted(self.consents, key=lambda kept: kept[0])),
        )


_NO_CONSENT = "no evidence of consent to email"


def channels_of(written: str) -> set[str]:
    """The channels a ``channels`` cell names (``both``, ``email;mail``, ``email+mail``)."""
    if written.strip() == "both":
        return {"email", "mail"}
    return {c.strip() for c in written.replace("+", ";").split(";") if c.strip()}


def _postal_values(contact: Contact) -> dict[str, str]:
    postal = contact.postal
    return {
        "street": postal.street,
        "city": postal.city,
        "region": postal.region,
        "postal_code": postal.postal_code,
        "country": postal.country,
    }


def _consent_values(contact: Contact) -> dict[str, str]:
    consent = contact.consent
    if consent is None:
        return {"consent_source": "", "consent_date": ""}
    day = consent.day.isoformat() if consent.day else ""
    return {"consent_source": consent.source, "consent_date": day}


def _merged(
    row: dict[str, str], contact: Contact, *, emailable: bool
) -> tuple[dict[str, str], list[str]]:
    """``row`` with what ``contact`` adds, and what it gained, in words."""
    merged, gained = dict(row), []
    values = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "company": contact.company,
    }
    for column in _FILLED:
        if values[column] and not row.get(column):
            merged[column] = values[column]
            gained.append(f"{column} {values[column]}")
    if not any(row.get(column) for column in _POSTAL) and not contact.postal.empty:
        merged.update(_postal_values(contact))
        gained.append("postal address")
    if contact.consent is not None and not (row.get("consent_source") or row.get("consent_date")):
        merged.update(_consent_values(contact))
        gained.append("consent")
    tags = [t for t in row.get("tags", "").split(";") if t.strip()]
    new_tags = [t for t in contact.tags if t not in tags]
    if new_tags:
        merged["tags"] = ";".join([*tags, *new_tags])
        gained.append(f"tags {', '.join(new_tags)}")
    if contact.consent is not None and emailable and channels_of(row["channels"]) == {"mail"}:
        merged["channels"] = "both"
        gained.append("the email channel")
    return merged, gained


def _described(row: Mapping[str, str]) -> str:
    name = " ".join(filter(None, (row["first_name"], row["last_name"]))) or row["company"]
    channels = {"both": "email and post", "email": "email", "mail": "post only"}[row["channels"]]
    consent = f"consent {row['consent_date'] or 'undated'} ({row['consent_source']})"
    said = [name, f"{row['segment']}, {channels}"]
    if row["consent_source"]:
        said.append(consent)
    if row["tags"]:
        said.append(f"tags {row['tags'].replace(';', ', ')}")
    return "; ".join(filter(None, said))
