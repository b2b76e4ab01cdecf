"""``subscribers/referrals.csv``: the ledger of leads that subscribers sent to the business.

One row per lead, in the order they were added; a lead is never deleted (one that goes
nowhere is marked lost). Columns:

    id              1, 2, 3 … given by ``referral add``
    received_at     when the lead arrived: ISO 8601 with offset, 2026-11-02T09:14:00-06:00
    referrer_code   the referrer's personal code, as the lead quoted it
    referrer_email  the referrer's address, resolved from the code when the lead was added,
                    so reports and the build name referrers without the secret; blank
                    for a lead no referrer is credited with (a lead from the desk whose
                    code matched no subscriber, or that gave none: its notes say which)
    lead_name, lead_address, lead_phone, lead_email, need
    status          new | contacted | won | lost
    contacted_at    first contact (required once contacted)
    closed_at       when it was won or lost (required for won and lost)
    value           dollars won, e.g. 1200.00
    notes           free text; ``referral update --note`` appends dated notes
    thank_by_name   yes | no | blank (not asked): may the referrer be thanked by name?
    qualification   qualified (can buy: called within 24 hours) | nurture (not ready:
                    kept in touch with, never chased)
    qualification_reason  why, in a few words (required for nurture)
    qualified_at    when a nurture lead was promoted to qualified: its 24 hours start then
                    (blank: they start when the lead arrived)
    source          the kind of relationship the lead came through (newsletter.model.
                    SOURCE_KINDS: client, power-team, …) or blank (not recorded)
    flags           why the lead may not be a real referral, found when it was added
                    (:mod:`newsletter.referrals.checks`), ``; ``-separated; blank: none
    cleared_at, cleared_by  when and by whom the business cleared the flags (the lead
                    then counts like any other)
    network         a keyed hash of the network address a desk lead came from (never the
                    address itself): what tells several leads from one place apart

A ledger written before the later columns existed loads as it is (every lead qualified
from its arrival, source not recorded, no flags) and gains them, values kept, at its next
change.

Ids are numbers of at most nine digits, never given twice (:mod:`newsletter.referrals.ids`);
a value belongs to a won lead only; no time lies more than a day in the future.

Every change reads and validates the whole file first and then replaces it atomically: a
malformed line is an error naming it, and nothing is written until it is fixed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from newsletter.audience.tokens import canonical_code
from newsletter.config.files import REFERRALS_FILE
from newsletter.config.yamlfile import read_text
from newsletter.csvfile import csv_rows, ledger_csv
from newsletter.errors import ContentError, ReferralError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.model import QUALIFICATIONS, SOURCE_KINDS

# The values' own checks live in .fields; these names are imported from here too.
from newsletter.referrals.fields import LIMITS as LIMITS
from newsletter.referrals.fields import check_text as check_text
from newsletter.referrals.fields import checked_value as checked_value
from newsletter.referrals.fields import clean_email as clean_email
from newsletter.referrals.fields import clean_phone as clean_phone
from newsletter.referrals.fields import one_line as one_line
from newsletter.referrals.fields import parse_amount as parse_amount
from newsletter.referrals.fields import typed as typed
from newsletter.referrals.ids import parse_id, remember
from newsletter.referrals.times import format_stored, local_date, not_in_the_future, parse_stored

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
    "qualification",
    "qualification_reason",
    "qualified_at",
    "source",
    "flags",
    "cleared_at",
    "cleared_by",
    "network",
)
LEGACY_COLUMNS = COLUMNS[:15]
"""The columns every ledger has; a ledger from before qualification has only these."""
CONSENT = {"yes": True, "no": False, "": None}
T = TypeVar("T")
FLAG_SEPARATOR = "; "


@dataclass(frozen=True)
class Lead:
    """One referred lead, validated."""

    id: int
    received_at: datetime
    referrer_code: str
    referrer_email: str  # normalized; "" when no referrer is credited
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
    qualification: str = "qualified"  # or "nurture"
    qualification_reason: str = ""
    qualified_at: datetime | None = None  # a nurture lead promoted; None: from arrival
    source: str = ""  # one of SOURCE_KINDS, or "" (not recorded)
    flags: tuple[str, ...] = ()  # why it may not be a real referral (checks.py)
    cleared_at: datetime | None = None  # the business cleared the flags then
    cleared_by: str = ""
    network: str = ""  # keyed hash of the network address it came from (desk leads)
    line: int | None = field(default=None, compare=False)

    def received_on(self, tz: tzinfo) -> date:
        return local_date(self.received_at, tz)

    @property
    def qualified(self) -> bool:
        return self.qualification == "qualified"

    @property
    def flagged(self) -> bool:
        """Whether the lead waits for the business to clear its flags before it counts."""
        return bool(self.flags) and self.cleared_at is None

    @property
    def clock_start(self) -> datetime | None:
        """When this lead's 24 hours to a first call started (None: a nurture lead, which
        nobody chases)."""
        if not self.qualified:
            return None
        return self.qualified_at or self.received_at


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
    for line, row in csv_rows(text, path, required=LEGACY_COLUMNS, allowed=COLUMNS):
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


def write_leads(path: Path, leads: Sequence[Lead], *, each_checked: bool = False) -> None:
    """Replace the ledger with ``leads`` atomically (a crash leaves the previous file).

    The text is read back with the loader's own rules before it is written: the tool never
    writes a ledger that it (and so every command, the build and print) would refuse.
    ``each_checked`` says the caller has made sure of that lead by lead: every lead was
    read from the file or passed :func:`check_lead`, and no id is used twice.
    """
    check = None if each_checked else parse_leads
    write_numbered(path, ledger_text(leads), (lead.id for lead in leads), check)


def write_numbered(
    path: Path,
    text: str,
    ids: Iterable[int],
    reads_back: Callable[[str, Path], object] | None,
) -> None:
    """Replace the file at ``path`` with ``text`` atomically (0600), once ``reads_back``
    (the file's loader) takes it, and keep the highest of ``ids`` as given."""
    try:
        if reads_back is not None:
            reads_back(text, path)
    except ContentError as exc:
        raise ReferralError(f"not written, it would not read back: {exc.one_line()}") from None
    atomic_write(path, text, mode=PRIVATE)  # a refused write: StorageError, file as it was
    # After the file: a crash between the two leaves the numbers in the file itself,
    # which the next number is above as well (and a pull run again numbers as before).
    remember(path, ids)


def check_lead(lead: Lead, path: Path) -> Lead:
    """``lead`` as the ledger at ``path`` would read it back; ContentError, naming the
    column, for a lead it would refuse."""
    return _lead(dict(zip(COLUMNS, _row(lead), strict=True)), 0, path)


def _row(lead: Lead) -> list[str]:
    consent = {True: "yes", False: "no", None: ""}[lead.thank_by_name]
    return [
        str(lead.id),
        format_stored(lead.received_at),
        lead.referrer_code,
        lead.referrer_email,
        lead.name,
        lead.address,
        lead.phone,
        lead.email,
        lead.need,
        lead.status,
        format_stored(lead.contacted_at) if lead.contacted_at else "",
        format_stored(lead.closed_at) if lead.closed_at else "",
        f"{lead.value:.2f}" if lead.value is not None else "",
        lead.notes,
        consent,
        lead.qualification,
        lead.qualification_reason,
        format_stored(lead.qualified_at) if lead.qualified_at else "",
        lead.source,
        FLAG_SEPARATOR.join(lead.flags),
        format_stored(lead.cleared_at) if lead.cleared_at else "",
        lead.cleared_by,
        lead.network,
    ]


EMAILS = ("referrer_email", "lead_email")


def checked_cell(
    row: Mapping[str, str],
    key: str,
    read: Callable[[str], T],
    fail: Callable[[str, str], ContentError],
) -> T:
    """``read`` of the row's value for ``key`` (blank when absent); its ValueError as
    ``fail``'s error naming the column."""
    try:
        return read(row.get(key, ""))
    except ValueError as exc:
        raise fail(key, str(exc)) from None


def _lead(row: dict[str, str], line: int, path: Path, repairing: int | None = None) -> Lead:
    def fail(key: str, message: str) -> ContentError:
        return ContentError(message, path=path, line=line, key=key)

    def time_in(key: str) -> datetime | None:
        if not row.get(key):
            return None
        try:
            return not_in_the_future(parse_stored(row[key]))
        except ValueError as exc:
            raise fail(key, str(exc)) from None

    _check_columns(row, fail, repairing)
    lead_id = parse_id(row["id"])
    if lead_id is None:
        raise fail("id", f"not a lead number (1 to 999999999): {row['id'][:40]!r}")
    received_at = time_in("received_at")
    if received_at is None:
        raise fail("received_at", "required")
    code = canonical_code(row["referrer_code"])
    referrer, email = (checked_cell(row, key, clean_email, fail) for key in EMAILS)
    if referrer and not code:
        raise fail("referrer_code", "required for a lead with a referrer")
    if not row["lead_name"]:
        raise fail("lead_name", "required")
    phone = checked_cell(row, "lead_phone", clean_phone, fail)
    if not phone and not email:
        raise fail("lead_phone", "a lead needs a phone number or an email address")
    status = row["status"]
    if status not in STATUSES:
        raise fail("status", f"unknown status {status!r} (expected {', '.join(STATUSES)})")
    contacted_at, closed_at = time_in("contacted_at"), time_in("closed_at")
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
        if status != "won":
            raise fail("value", f"a value belongs to a won lead (this one is {status})")
    consent = row["thank_by_name"].lower()
    if consent not in CONSENT:
        raise fail("thank_by_name", f"expected yes, no or blank, not {row['thank_by_name']!r}")
    qualification, reason, qualified_at, source = _qualification(row, fail, time_in)
    if qualified_at is not None and qualified_at < received_at:
        raise fail("qualified_at", "before the lead was received")
    flags = tuple(f for f in row.get("flags", "").split(FLAG_SEPARATOR.strip()) if f.strip())
    cleared_at = time_in("cleared_at")
    if cleared_at is not None and not flags:
        raise fail("cleared_at", "only for a lead with flags")
    return Lead(
        id=lead_id,
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
        qualification=qualification,
        qualification_reason=reason,
        qualified_at=qualified_at,
        source=source,
        flags=tuple(f.strip() for f in flags),
        cleared_at=cleared_at,
        cleared_by=row.get("cleared_by", ""),
        network=row.get("network", ""),
        line=line,
    )


def _qualification(
    row: dict[str, str],
    fail: Callable[[str, str], ContentError],
    time_in: Callable[[str], datetime | None],
) -> tuple[str, str, datetime | None, str]:
    """(qualification, its reason, when promoted, source) of a row; a ledger from before
    these columns (or a blank cell) reads as qualified from arrival, source not recorded."""
    qualification = row.get("qualification", "") or "qualified"
    if qualification not in QUALIFICATIONS:
        raise fail(
            "qualification", f"expected {' or '.join(QUALIFICATIONS)}, not {qualification!r}"
        )
    reason = row.get("qualification_reason", "")
    if qualification == "nurture" and not reason:
        raise fail("qualification_reason", "a nurture lead needs a short reason (why not now)")
    qualified_at = time_in("qualified_at")
    if qualified_at is not None and qualification != "qualified":
        raise fail("qualified_at", "only for qualified leads")
    source = row.get("source", "")
    if source and source not in SOURCE_KINDS:
        raise fail("source", f"unknown source {source!r} (expected {', '.join(SOURCE_KINDS)})")
    return qualification, reason, qualified_at, source


def _check_columns(
    row: dict[str, str], fail: Callable[[str, str], ContentError], repairing: int | None
) -> None:
    """Every text column within its limit, without control characters."""
    for column in LIMITS:
        try:
            check_text(row.get(column, ""), column)
        except ValueError as exc:
            lead_id = row["id"] if row["id"].isdecimal() else "ID"
            if column != "notes":
                raise fail(column, f"{exc}; shorten it in the file") from None
            if repairing is not None and lead_id == str(repairing) and "characters" in str(exc):
                continue
            raise fail(
                column,
                f"{exc}; shorten them with `newsletter referral update {lead_id} "
                '--replace-notes "…"`, or in the file',
            ) from None
