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
from decimal import Decimal
from pathlib import Path

from newsletter.audience.addresses import EmailNotValidError, normalized_address
from newsletter.audience.tokens import canonical_code
from newsletter.config.files import REFERRALS_FILE
from newsletter.config.yamlfile import read_text
from newsletter.csvfile import csv_rows, ledger_csv
from newsletter.errors import ContentError, ReferralError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.model import normalize_email
from newsletter.referrals.times import local_date, parse_stored, stored

LEDGER_FILE = REFERRALS_FILE  # the desk reads the ledger by folder
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
LIMITS = {
    "referrer_code": 32,
    "referrer_email": 254,
    "lead_name": 200,
    "lead_address": 300,
    "lead_phone": 40,
    "lead_email": 254,
    "need": 500,
    "notes": 4000,
}
"""Characters each text column may hold: room for any real value, never a wall of text."""
OPTIONS = {
    "lead_name": "--name",
    "lead_address": "--address",
    "lead_phone": "--phone",
    "lead_email": "--email",
    "need": "--need",
    "notes": "--note",
}
"""The command-line option that fills each column, for messages."""
MAX_VALUE = Decimal("100000000")
"""Dollars: more than any one job is worth, less than any typo like 1e400 would make."""
# C0 and C1 controls (but tab, LF, CR), and the bidirectional overrides that reorder what a
# terminal or page shows: never part of a name, a phone number or a note.
_AMOUNT = re.compile(r"^\$?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


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


def load_leads(path: Path, *, repairing: int | None = None) -> tuple[Lead, ...]:
    """Every lead in ``path`` (none when it does not exist yet); a bad line names itself.

    ``repairing`` is the id of a lead whose notes are about to be replaced: its notes may
    be over the limit (an older version appended notes without one), so the file can be
    repaired with ``referral update ID --replace-notes``.
    """
    if not path.exists():
        return ()
    return parse_leads(read_text(path, ContentError), path, repairing=repairing)


def parse_leads(text: str, path: Path, *, repairing: int | None = None) -> tuple[Lead, ...]:
    """The leads in ``text``, the contents of the ledger at ``path``; see :func:`load_leads`."""
    leads: list[Lead] = []
    seen: dict[int, int] = {}
    for line, row in csv_rows(text, path, required=COLUMNS, allowed=COLUMNS):
        lead = _lead(row, line, path, repairing)
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
    """Replace the ledger with ``leads`` atomically (a crash leaves the previous file).

    The text is read back with the loader's own rules before it is written: the tool never
    writes a ledger that it (and so every command, the build and print) would refuse.
    """
    text = ledger_text(leads)
    try:
        parse_leads(text, path)
    except ContentError as exc:
        raise ReferralError(f"not written, it would not read back: {exc.one_line()}") from None
    try:
        atomic_write(path, text, mode=PRIVATE)
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


def check_text(value: str, column: str, limits: dict[str, int] = LIMITS) -> str:
    """``value`` for ``column`` if it fits: no control character, at most the column's
    limit of characters. ValueError says what is wrong."""
    bad = _CONTROL.search(value)
    if bad:
        raise ValueError(f"contains a control character (U+{ord(bad.group()):04X})")
    limit = limits.get(column)
    if limit is not None and len(value) > limit:
        raise ValueError(f"{len(value):,} characters, more than the {limit:,} allowed")
    return value


def typed(text: str, column: str) -> str:
    """A value typed on the command line for ``column``, on one line and checked;
    ReferralError names the option."""
    try:
        return check_text(one_line(text), column)
    except ValueError as exc:
        raise ReferralError(str(exc), key=OPTIONS.get(column, column)) from None


def parse_amount(text: str) -> Decimal:
    """Dollars as people write them: ``1200``, ``1,200.50``, ``$385``; ValueError for
    anything else (``1,2,3``, ``5e8``, ``NaN``)."""
    if not _AMOUNT.match(text.strip()):
        raise ValueError(f"not an amount (e.g. 1200 or 1,200.50): {text[:40]!r}")
    return Decimal(text.strip().lstrip("$").replace(",", ""))


def checked_value(value: Decimal) -> Decimal:
    """Dollars won, to the cent; ValueError for a negative or implausibly large amount."""
    if not value.is_finite() or value < 0 or value > MAX_VALUE:
        raise ValueError(f"not an amount from $0 to ${MAX_VALUE:,.0f}: {value}")
    return value.quantize(Decimal("0.01"))


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


def _lead(row: dict[str, str], line: int, path: Path, repairing: int | None = None) -> Lead:
    def fail(key: str, message: str) -> ContentError:
        return ContentError(message, path=path, line=line, key=key)

    def moment(key: str) -> datetime | None:
        if not row[key]:
            return None
        try:
            return parse_stored(row[key])
        except ValueError as exc:
            raise fail(key, str(exc)) from None

    _check_columns(row, fail, repairing)
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
            value = checked_value(parse_amount(row["value"]))
        except ValueError:
            raise fail("value", f"not an amount: {row['value'][:40]!r}") from None
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


def _check_columns(
    row: dict[str, str], fail: Callable[[str, str], ContentError], repairing: int | None
) -> None:
    """Every text column within its limit, without control characters."""
    for column in LIMITS:
        try:
            check_text(row[column], column)
        except ValueError as exc:
            lead_id = row["id"] if row["id"].isdigit() else "ID"
            if column != "notes":
                raise fail(column, f"{exc}; shorten it in the file") from None
            if repairing is not None and lead_id == str(repairing) and "characters" in str(exc):
                continue
            raise fail(
                column,
                f"{exc}; shorten them with `newsletter referral update {lead_id} "
                '--replace-notes "…"`, or in the file',
            ) from None
