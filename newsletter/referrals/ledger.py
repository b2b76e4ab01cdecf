"""``subscribers/referrals.csv``: the ledger of leads that subscribers sent to the business.

One row per lead, in the order they were added; a lead is never deleted (one that goes
nowhere is marked lost). Columns:

    id              1, 2, 3 … given by ``referral add``
    received_at     when the lead arrived: ISO 8601 with offset, 2026-11-02T09:14:00-06:00
    referrer_code   the referrer's personal code, as the lead quoted it
    referrer_email  the referrer's address, resolved from the code when the lead was added,
                    so reports and the build name referrers without the secret
    lead_name, lead_address, lead_phone, lead_email, need
    status          new | contacted | won | lost
    contacted_at    first contact (required once contacted)
    closed_at       when it was won or lost (required for won and lost)
    value           dollars won, e.g. 1200.00
    notes           free text; ``referral update --note`` appends dated notes
    thank_by_name   yes | no | blank (not asked): may the referrer be thanked by name?

Every change reads and validates the whole file first and then replaces it atomically: a
malformed line is an error naming it, and nothing is written until it is fixed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path

from newsletter.audience.addresses import EmailNotValidError, normalized_address
from newsletter.audience.tokens import canonical_code, normalize_email
from newsletter.csvfile import csv_rows, ledger_csv
from newsletter.errors import ContentError, ReferralError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.referrals.times import local_date, parse_stored, stored
from newsletter.yamlfile import read_text

LEDGER_FILE = "referrals.csv"
STATUSES = ("new", "contacted", "won", "lost")
CLOSED = ("won", "lost")
COLUMNS = (
    "id",
    "received_at",
    "referrer_code",
    "referrer_email",
    "lead_name",
    "lead_address",
    "lead_phone",
    "lead_email",
    "need",
    "status",
    "contacted_at",
    "closed_at",
    "value",
    "notes",
    "thank_by_name",
)
CONSENT = {"yes": True, "no": False, "": None}
MIN_PHONE_DIGITS = 7


@dataclass(frozen=True)
class Lead:
    """One referred lead, validated."""

    id: int
    received_at: datetime
    referrer_code: str
    referrer_email: str  # normalized
    name: str
    address: str = ""
    phone: str = ""
    email: str = ""
    need: str = ""
    status: str = "new"
    contacted_at: datetime | None = None
    closed_at: datetime | None = None
    value: Decimal | None = None
    notes: str = ""
    thank_by_name: bool | None = None  # None: the referrer was not asked
    line: int | None = field(default=None, compare=False)

    def received_on(self, tz: tzinfo) -> date:
        return local_date(self.received_at, tz)


# ---- reading and writing --------------------------------------------------------------


def load_leads(path: Path) -> tuple[Lead, ...]:
    """Every lead in ``path`` (none when it does not exist yet); a bad line names itself."""
    if not path.exists():
        return ()
    text = read_text(path, ContentError)
    leads: list[Lead] = []
    seen: dict[int, int] = {}
    for line, row in csv_rows(text, path, required=COLUMNS, allowed=COLUMNS):
        lead = _lead(row, line, path)
        if lead.id in seen:
            raise ContentError(
                f"lead id {lead.id} used twice (first on line {seen[lead.id]})",
                path=path,
                line=line,
                key="id",
            )
        seen[lead.id] = line
        leads.append(lead)
    return tuple(leads)


def ledger_text(leads: Iterable[Lead]) -> str:
    """The CSV for ``leads``, header first; one line per lead, values exactly as stored."""
    return ledger_csv(COLUMNS, (_row(lead) for lead in leads))


def write_leads(path: Path, leads: Sequence[Lead]) -> None:
    """Replace the ledger with ``leads`` atomically (a crash leaves the previous file)."""
    try:
        atomic_write(path, ledger_text(leads), mode=PRIVATE)
    except OSError as exc:
        raise ReferralError(f"cannot write the ledger: {exc.strerror or exc}", path=path) from None


# ---- fields -----------------------------------------------------------------------------


def clean_phone(text: str) -> str:
    """The phone number as written, if it has enough digits to dial; blank stays blank."""
    text = one_line(text)
    if text and len(re.sub(r"\D", "", text)) < MIN_PHONE_DIGITS:
        raise ValueError(f"not a phone number: {text!r}")
    return text


def clean_email(text: str) -> str:
    """The address, checked and lower-cased; blank stays blank."""
    text = text.strip()
    if not text:
        return ""
    try:
        return normalize_email(normalized_address(text))
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid address {text!r}: {exc}") from None


def one_line(text: str) -> str:
    # One physical line per lead keeps the CSV readable in a diff and line numbers exact.
    return " ".join(text.split())


def _row(lead: Lead) -> list[str]:
    consent = {True: "yes", False: "no", None: ""}[lead.thank_by_name]
    return [
        str(lead.id),
        stored(lead.received_at),
        lead.referrer_code,
        lead.referrer_email,
        lead.name,
        lead.address,
        lead.phone,
        lead.email,
        lead.need,
        lead.status,
        stored(lead.contacted_at) if lead.contacted_at else "",
        stored(lead.closed_at) if lead.closed_at else "",
        f"{lead.value:.2f}" if lead.value is not None else "",
        lead.notes,
        consent,
    ]


EMAILS = ("referrer_email", "lead_email")


def _checked(
    row: dict[str, str],
    key: str,
    clean: Callable[[str], str],
    fail: Callable[[str, str], ContentError],
) -> str:
    try:
        return clean(row[key])
    except ValueError as exc:
        raise fail(key, str(exc)) from None


def _lead(row: dict[str, str], line: int, path: Path) -> Lead:
    def fail(key: str, message: str) -> ContentError:
        return ContentError(message, path=path, line=line, key=key)

    def moment(key: str) -> datetime | None:
        if not row[key]:
            return None
        try:
            return parse_stored(row[key])
        except ValueError as exc:
            raise fail(key, f"not an ISO 8601 time with offset: {exc}") from None

    if not row["id"].isdigit() or int(row["id"]) < 1:
        raise fail("id", f"not a lead number: {row['id']!r}")
    received_at = moment("received_at")
    if received_at is None:
        raise fail("received_at", "required")
    code = canonical_code(row["referrer_code"])
    if not code:
        raise fail("referrer_code", "required")
    referrer, email = (_checked(row, key, clean_email, fail) for key in EMAILS)
    if not referrer:
        raise fail("referrer_email", "required")
    if not row["lead_name"]:
        raise fail("lead_name", "required")
    phone = _checked(row, "lead_phone", clean_phone, fail)
    if not phone and not email:
        raise fail("lead_phone", "a lead needs a phone number or an email address")
    status = row["status"]
    if status not in STATUSES:
        raise fail("status", f"unknown status {status!r} (expected {', '.join(STATUSES)})")
    contacted_at, closed_at = moment("contacted_at"), moment("closed_at")
    if status == "contacted" and contacted_at is None:
        raise fail("contacted_at", "required for a contacted lead")
    if (status in CLOSED) != (closed_at is not None):
        raise fail("closed_at", "required for won and lost leads, and only for them")
    for key, when in (("contacted_at", contacted_at), ("closed_at", closed_at)):
        if when is not None and when < received_at:
            raise fail(key, "before the lead was received")
    value = None
    if row["value"]:
        try:
            value = Decimal(row["value"].replace(",", "").lstrip("$"))
        except InvalidOperation:
            raise fail("value", f"not an amount: {row['value']!r}") from None
        if not value.is_finite() or value < 0:
            raise fail("value", f"not an amount: {row['value']!r}")
    consent = row["thank_by_name"].lower()
    if consent not in CONSENT:
        raise fail("thank_by_name", f"expected yes, no or blank, not {row['thank_by_name']!r}")
    return Lead(
        id=int(row["id"]),
        received_at=received_at,
        referrer_code=code,
        referrer_email=referrer,
        name=row["lead_name"],
        address=row["lead_address"],
        phone=phone,
        email=email,
        need=row["need"],
        status=status,
        contacted_at=contacted_at,
        closed_at=closed_at,
        value=value,
        notes=row["notes"],
        thank_by_name=CONSENT[consent],
        line=line,
    )
