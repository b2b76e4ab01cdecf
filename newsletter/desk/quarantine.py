"""``subscribers/desk-quarantine.csv``: the desk's events that ``desk pull`` set aside.

An event the pull cannot apply — a SendGrid event whose address is empty or malformed, a
lead or sign-up the files would refuse, a status for a lead that is not in the ledger —
never stops the pull: it is kept here whole, with the reason, and the pull goes on with
the rest. The file sits beside the cursor (``desk.json``) and is written before it, so a
pull that moved past an event has it either applied or here; a later pull (or the same
events pulled again) finds its id here and does not keep it twice. Columns:

    desk_event   the desk's event id
    kind         unsubscribe, esp, signup_confirmed, lead, lead_status, …
    received_at  when the desk took it (ISO 8601, UTC)
    reason       why it was set aside, on one line
    data         the event's data as the desk kept it (JSON, on one line)

Review it as any change to ``subscribers/``: in the pull request, ``desk pull``'s output
and the monthly report's count. What an event asked for can be done by hand when it
should be (``newsletter referral add``, a line in suppressions.csv); its line stays as the
record. Personal data: locked while changed, replaced atomically, 0600.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path

from newsletter.config.files import DESK_QUARANTINE_FILE
from newsletter.config.yamlfile import read_text
from newsletter.csvfile import appended_csv, csv_rows
from newsletter.desk.inbox import Event, stamp
from newsletter.errors import ContentError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.referrals.fields import one_line

QUARANTINE_FILE = DESK_QUARANTINE_FILE
COLUMNS = ("desk_event", "kind", "received_at", "reason", "data")
MAX_REASON = 300
"""Characters of a reason: what is wrong, and the start of the value it is wrong about."""


@dataclass(frozen=True)
class SetAside:
    """One event set aside, and why."""

    desk_event: int
    kind: str
    received_at: datetime
    reason: str


def set_aside_row(event: Event, reason: str) -> dict[str, str]:
    """The quarantine's row for ``event``: its data as JSON in ASCII (a control character
    or a line break in a stranger's input stays an escape, never a new line)."""
    return {
        "desk_event": str(event.id),
        "kind": event.kind,
        "received_at": stamp(event.at),
        "reason": one_line(reason)[:MAX_REASON],
        "data": json.dumps(event.data, ensure_ascii=True, separators=(",", ":"), default=str),
    }


def load_set_aside(path: Path) -> tuple[SetAside, ...]:
    """Every event in the quarantine at ``path`` (none when it does not exist)."""
    if not path.exists():
        return ()
    found = []
    text = read_text(path, ContentError)
    for line, row in csv_rows(text, path, required=COLUMNS, allowed=COLUMNS):
        try:
            found.append(
                SetAside(
                    int(row["desk_event"]),
                    row["kind"],
                    datetime.fromisoformat(row["received_at"]),
                    row["reason"],
                )
            )
        except ValueError as exc:
            raise ContentError(f"not an event set aside: {exc}", path=path, line=line) from None
    return tuple(found)


def set_aside_in_month(path: Path, month: date, tz: tzinfo) -> dict[str, int]:
    """Kind of event -> how many the desk took in the month starting ``month`` (the
    business's days) that ``desk pull`` set aside."""
    counts: dict[str, int] = {}
    for entry in load_set_aside(path):
        day = entry.received_at.astimezone(tz).date()
        if (day.year, day.month) == (month.year, month.month):
            counts[entry.kind] = counts.get(entry.kind, 0) + 1
    return counts


class Quarantine:
    """The quarantine file, read once, with the events set aside since: the caller holds
    its lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._text = read_text(path, ContentError) if path.exists() else ""
        self.ids = {entry.desk_event for entry in load_set_aside(path)}
        self._new: list[dict[str, str]] = []

    def add(self, event: Event, reason: str) -> None:
        self.ids.add(event.id)
        self._new.append(set_aside_row(event, reason))

    def write(self) -> None:
        """Append the events set aside since the last write (nothing to do: no write)."""
        if not self._new:
            return
        self._text = appended_csv(self._text, COLUMNS, self._new)
        atomic_write(self.path, self._text, mode=PRIVATE)
        self._new = []
