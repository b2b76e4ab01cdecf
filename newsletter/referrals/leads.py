"""Changing the ledger: adding leads, updating them, and telling repeats apart.

Each change loads the whole ledger (so a malformed line stops it before anything is
written), makes the change in memory and replaces the file atomically.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Required, TypedDict, Unpack

from newsletter.audience.tokens import canonical_code
from newsletter.errors import ContentError, ReferralError
from newsletter.locks import locked
from newsletter.model import QUALIFICATIONS, SOURCE_KINDS, normalize_email
from newsletter.referrals.ids import next_id
from newsletter.referrals.ledger import (
    CLOSED,
    LIMITS,
    STATUSES,
    Lead,
    checked_value,
    clean_email,
    clean_phone,
    load_leads,
    one_line,
    typed,
    write_leads,
)
from newsletter.referrals.repeats import DEFAULT_REGION as DEFAULT_REGION
from newsletter.referrals.repeats import Duplicate as Duplicate
from newsletter.referrals.repeats import counted_leads as counted_leads
from newsletter.referrals.repeats import identity as identity
from newsletter.referrals.repeats import likely_duplicates as likely_duplicates
from newsletter.referrals.times import format_stored, not_in_the_future


class LeadFields(TypedDict, total=False):
    """A new lead's values, as :func:`add_lead` and :func:`new_lead` take them."""

    referrer_code: Required[str]
    referrer_email: Required[str]  # "": no referrer credited
    name: Required[str]
    received_at: Required[datetime]
    phone: str
    email: str
    address: str
    need: str
    note: str
    thank_by_name: bool | None
    qualification: Qualification | None
    source: str
    network: str  # keyed hash of the network address (checks.network_key), desk leads


Check = Callable[[Lead, Sequence[Lead]], tuple[Lead, Sequence[Lead]]]
"""(new lead, the ledger's leads) -> (the lead with its flags, earlier leads given a flag
now): :meth:`newsletter.referrals.checks.LeadChecks.check` on the ledger as read."""


def add_lead(
    path: Path,
    *,
    region: str | None = DEFAULT_REGION,
    check: Check | None = None,
    **fields: Unpack[LeadFields],
) -> tuple[Lead, tuple[Duplicate, ...]]:
    """Append a lead to the ledger at ``path``; returns it and the leads it looks like
    (phone numbers compared as dialled in ``region``); see :func:`new_lead`. ``check``
    flags it (and the earlier leads of a burst) against the ledger as it is then.

    A likely duplicate is not refused (the caller warns): two people in one household can
    share a phone, and only a person can tell.
    """
    draft = new_lead(0, **fields)  # checked before the ledger is locked or read
    # The id is the next free one at the moment of writing: read, number and write under
    # the lock, or two adds at once would both take the same id and one lead would be lost.
    with locked(path, purpose="add a lead to the referral ledger"):
        leads = load_leads(path)
        try:
            lead = replace(draft, id=next_id(path, (lead.id for lead in leads)))
        except ContentError as exc:
            raise ReferralError(exc.message, path=exc.path, line=exc.line) from None
        if check is not None:
            lead, flagged = check(lead, leads)
            now = {x.id: x for x in flagged}
            leads = tuple(now.get(x.id, x) for x in leads)
        write_leads(path, (*leads, lead))
    return lead, likely_duplicates(lead, leads, region=region)


def new_lead(lead_id: int, **fields: Unpack[LeadFields]) -> Lead:
    """Lead ``lead_id`` with these values, checked (ReferralError names the option).

    Without ``qualification`` the lead is qualified: the business calls it within 24 hours,
    so a lead nobody judged is never left uncalled. ``source`` is a kind of
    :data:`~newsletter.model.SOURCE_KINDS` (blank: not recorded). A blank
    ``referrer_email`` records a lead no referrer is credited with (its code matched no
    subscriber, or none was given).
    """
    qualification = fields.get("qualification") or Qualification("qualified")
    source = fields.get("source", "")
    _check_source(source)
    received_at = fields["received_at"]
    if received_at.utcoffset() is None:
        raise ValueError("received_at needs a timezone")  # the ledger stores offsets
    _not_in_the_future(received_at, "--received-at")
    name = typed(fields["name"], "lead_name")
    if not name:
        raise ReferralError("a lead needs a name", key="--name")
    phone, email = fields.get("phone", ""), fields.get("email", "")
    if not phone.strip() and not email.strip():
        raise ReferralError("a lead needs a phone number or an email address", key="--phone")
    try:
        phone = clean_phone(phone)
    except ValueError as exc:
        raise ReferralError(str(exc), key="--phone") from None
    try:
        email = clean_email(email)
    except ValueError as exc:
        raise ReferralError(str(exc), key="--email") from None
    note = fields.get("note", "")
    notes = dated_note(note, received_at) if note.strip() else ""
    code = typed(canonical_code(fields["referrer_code"]), "referrer_code")
    referrer = normalize_email(fields["referrer_email"])
    if referrer and not code:
        raise ReferralError("a lead with a referrer needs the referrer's code", key="--ref")
    return Lead(
        id=lead_id,
        received_at=received_at,
        referrer_code=code,
        referrer_email=referrer,
        name=name,
        address=typed(fields.get("address", ""), "lead_address"),
        phone=typed(phone, "lead_phone"),
        email=typed(email, "lead_email"),
        need=typed(fields.get("need", ""), "need"),
        notes=typed(notes, "notes"),
        thank_by_name=fields.get("thank_by_name"),
        qualification=qualification.kind,
        qualification_reason=qualification.reason,
        source=source,
        network=_network(fields.get("network", "")),
    )


def _network(key: str) -> str:
    if key and not re.fullmatch(r"[0-9a-f]{8,32}", key):
        raise ReferralError(f"not a network key: {key[:40]!r}", key="network")
    return key


def clear_flags(path: Path, lead_id: int, *, by: str, at: datetime, reason: str = "") -> Lead:
    """Clear lead ``lead_id``'s flags: the business judged it a real referral, and it
    counts from now on. ``reason`` is kept as a dated note."""
    if at.utcoffset() is None:
        raise ValueError("at needs a timezone")
    by = typed(by, "cleared_by")
    with locked(path, purpose=f"clear the flags of lead {lead_id}"):
        leads = load_leads(path)
        index = next((i for i, x in enumerate(leads) if x.id == lead_id), None)
        if index is None:
            raise ReferralError(f"no lead {lead_id} in the ledger", path=path, key="ID")
        lead = leads[index]
        if not lead.flags:
            raise ReferralError(f"lead {lead_id} has no flags to clear", key="ID")
        if lead.cleared_at is not None:
            return lead
        note = f"flags cleared by {by}" + (f": {one_line(reason)}" if reason.strip() else "")
        new = replace(
            lead, cleared_at=at, cleared_by=by, notes=_appended(lead.notes, note, at, lead_id)
        )
        write_leads(path, (*leads[:index], new, *leads[index + 1 :]))
    return new


def update_lead(
    path: Path,
    lead_id: int,
    *,
    at: datetime,
    status: str | None = None,
    value: Decimal | None = None,
    note: str = "",
    replace_notes: str | None = None,
    thank_by_name: bool | None = None,
    qualification: Qualification | None = None,
    source: str | None = None,
) -> Lead:
    """Change one lead's status, value, notes, consent, qualification or source; see
    :func:`changed`.

    With ``replace_notes`` the lead's notes may be over the limit when read (that is what
    replacing them repairs); every other field of every lead must be sound.
    """
    if at.utcoffset() is None:
        raise ValueError("at needs a timezone")
    _not_in_the_future(at, "--at")
    with locked(path, purpose=f"update lead {lead_id} in the referral ledger"):
        leads = load_leads(path, repairing=lead_id if replace_notes is not None else None)
        for index, lead in enumerate(leads):
            if lead.id == lead_id:
                new = changed(
                    lead,
                    at=at,
                    status=status,
                    value=value,
                    note=note,
                    replace_notes=replace_notes,
                    thank_by_name=thank_by_name,
                    qualification=qualification,
                    source=source,
                )
                write_leads(path, (*leads[:index], new, *leads[index + 1 :]))
                return new
    raise ReferralError(f"no lead {lead_id} in the ledger", path=path, key="ID")


def changed(
    lead: Lead,
    *,
    at: datetime,
    status: str | None = None,
    value: Decimal | None = None,
    note: str = "",
    replace_notes: str | None = None,
    thank_by_name: bool | None = None,
    qualification: Qualification | None = None,
    source: str | None = None,
) -> Lead:
    """``lead`` after an update made at ``at``.

    Contacting records the first contact only (the 24-hour rule is about that one); a
    closed lead may switch between won and lost (a correction) but not reopen; a value
    belongs to a won lead. A note is appended, dated; when the notes would pass their
    limit the note is refused (nothing is cut), and ``replace_notes`` replaces them all.
    A nurture lead promoted to qualified gets its 24 hours from ``at``; see
    :func:`requalified`.
    """
    nothing = status is None and value is None and not note.strip() and thank_by_name is None
    if nothing and replace_notes is None and qualification is None and source is None:
        raise ReferralError(
            f"nothing to change for lead {lead.id}: give --status, --value, --note, "
            "--replace-notes, --thank, --no-thank, --qualify, --nurture or --source"
        )
    if status is not None and status not in STATUSES[1:]:
        raise ReferralError(f"unknown status {status!r} (contacted, won or lost)", key="--status")
    if (status or value is not None) and at < lead.received_at:
        raise _before_arrival(at, lead)
    new = lead
    if status == "contacted":
        if lead.status in CLOSED:
            raise ReferralError(
                f"lead {lead.id} is already {lead.status}; a closed lead is not reopened",
                key="--status",
            )
        new = replace(new, status="contacted", contacted_at=lead.contacted_at or at)
    elif status in CLOSED and status != lead.status:
        new = replace(new, status=status, closed_at=at)
        if lead.value is not None:
            # A lost job brought in nothing: its value goes (into the notes, so a person
            # can see what it was), and winning it again needs the value again.
            lost = f"lost; its value of ${lead.value:,.2f} no longer counts"
            new = replace(new, value=None, notes=_appended(new.notes, lost, at, lead.id))
    if value is not None:
        if new.status != "won":
            raise ReferralError(
                f"--value is for won leads (lead {lead.id} is {new.status})", key="--value"
            )
        try:
            new = replace(new, value=checked_value(value))
        except ValueError as exc:
            raise ReferralError(str(exc), key="--value") from None
    if replace_notes is not None:
        new = replace(new, notes=typed(replace_notes, "notes"))
    if note.strip():
        new = replace(new, notes=_appended(new.notes, note, at, lead.id))
    if thank_by_name is not None:
        new = replace(new, thank_by_name=thank_by_name)
    if qualification is not None:
        new = requalified(new, qualification, at)
    if source is not None:
        _check_source(source)
        new = replace(new, source=source)
    return new


def _appended(notes: str, note: str, at: datetime, lead_id: int) -> str:
    """``notes`` with ``note`` appended, dated ``at``; refused (nothing cut) past the limit."""
    longer = "; ".join(n for n in (notes, typed(dated_note(note, at), "notes")) if n)
    if len(longer) > LIMITS["notes"]:
        raise ReferralError(
            f"the notes of lead {lead_id} would be {len(longer):,} characters, more than the "
            f"{LIMITS['notes']:,} a lead keeps; shorten the note, or rewrite the notes with "
            "--replace-notes",
            key="--note",
        )
    return longer


@dataclass(frozen=True)
class Qualification:
    """A judgement of a lead: ``qualified`` (call within 24 hours) or ``nurture`` (keep in
    touch, never chase), with a short reason (required for nurture)."""

    kind: str
    reason: str = ""

    def __post_init__(self) -> None:
        if self.kind not in QUALIFICATIONS:
            raise ReferralError(
                f"expected {' or '.join(QUALIFICATIONS)}, not {self.kind!r}",
                key="--qualify/--nurture",
            )
        reason = typed(self.reason, "qualification_reason")
        if self.kind == "nurture" and not reason:
            raise ReferralError(
                "a nurture lead needs a short reason (why not now), e.g. --nurture "
                '"renting until spring"',
                key="--nurture",
            )
        object.__setattr__(self, "reason", reason)

    @classmethod
    def given(cls, qualify: str | None, nurture: str | None) -> Qualification | None:
        """The judgement that ``--qualify REASON`` or ``--nurture REASON`` asks for (None:
        neither was given)."""
        if qualify is not None and nurture is not None:
            raise ReferralError(
                "a lead is qualified or nurture, not both", key="--qualify/--nurture"
            )
        if nurture is not None:
            return cls("nurture", nurture)
        return cls("qualified", qualify) if qualify is not None else None


def requalified(lead: Lead, qualification: Qualification, at: datetime) -> Lead:
    """``lead`` judged anew at ``at``. A nurture lead promoted to qualified starts its 24
    hours at ``at``; a qualified lead stays on its clock (only the reason changes); a lead
    put to nurture leaves the call list."""
    if qualification.kind == "nurture":
        return replace(
            lead,
            qualification="nurture",
            qualification_reason=qualification.reason,
            qualified_at=None,
        )
    if at < lead.received_at:
        raise _before_arrival(at, lead)
    promoted_at = lead.qualified_at if lead.qualified else at
    return replace(
        lead,
        qualification="qualified",
        # A promoted lead's nurture reason no longer says why: only a reason given now does.
        qualification_reason=qualification.reason
        or (lead.qualification_reason if lead.qualified else ""),
        qualified_at=promoted_at,
    )


def _check_source(source: str) -> None:
    if source and source not in SOURCE_KINDS:
        raise ReferralError(
            f"unknown source {source!r} (expected {', '.join(SOURCE_KINDS)})", key="--source"
        )


def referrer_for_code(typed: str, codes: Mapping[str, str]) -> tuple[str, str]:
    """(canonical code, referrer's normalized email) for a code as someone typed it.

    ``codes`` maps every subscriber's normalized email to their code
    (:func:`newsletter.audience.tokens.referral_codes`); a code no subscriber has is an error.
    """
    code = canonical_code(typed)
    owners = [email for email, owned in codes.items() if owned == code]
    if not code or not owners:
        raise ReferralError(
            f"unknown referral code {typed.strip()!r}: no subscriber has it", key="--ref"
        )
    return code, owners[0]


def _not_in_the_future(moment: datetime, key: str) -> None:
    try:
        not_in_the_future(moment)
    except ValueError as exc:
        raise ReferralError(str(exc), key=key) from None


def dated_note(note: str, at: datetime) -> str:
    return f"{at:%Y-%m-%d} {one_line(note)}"


def _before_arrival(at: datetime, lead: Lead) -> ReferralError:
    arrived = format_stored(lead.received_at)
    return ReferralError(
        f"{format_stored(at)} is before lead {lead.id} arrived ({arrived})", key="--at"
    )
