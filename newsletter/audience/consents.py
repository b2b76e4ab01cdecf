"""``subscribers/consents.csv``: the proof of each subscriber's consent, beside the list.

One row per consent given: a confirmed sign-up on the desk's /join page (``desk pull``
writes it), or a nurture lead who agreed to hear from the business (``referral
subscribe``). The file is personal data: locked while changed, replaced atomically, 0600.

    email         the address the consent is for
    requested_at  when it was asked for (ISO 8601 with offset; blank if not recorded)
    confirmed_at  when it was given
    form          where: the desk's form, or ``referral lead 12: by phone``
    request_ip, confirm_ip   the addresses a web form was used from (blank otherwise)
    desk_event    the desk's event id (blank for a consent not taken by the desk)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from newsletter.config.files import CONSENTS_FILE
from newsletter.config.yamlfile import read_text
from newsletter.csvfile import appended_csv, csv_rows
from newsletter.errors import ContentError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.locks import locked

CONSENT_FILE = CONSENTS_FILE
CONSENT_COLUMNS = (
    "email",
    "requested_at",
    "confirmed_at",
    "form",
    "request_ip",
    "confirm_ip",
    "desk_event",
)


def load_consents(path: Path) -> list[dict[str, str]]:
    """Every consent record in ``path`` (none when it does not exist yet)."""
    if not path.exists():
        return []
    text = read_text(path, ContentError)
    rows = csv_rows(text, path, required=CONSENT_COLUMNS, allowed=CONSENT_COLUMNS)
    return [row for _, row in rows]


def record_consent(path: Path, record: Mapping[str, str]) -> bool:
    """Add ``record`` unless the same consent (email and form) is kept already; True if
    it was added. Locked, and the file replaced atomically."""
    with locked(path, purpose="keep a consent record"):
        kept = load_consents(path)
        same = (record["email"].lower(), record["form"])
        if any((row["email"].lower(), row["form"]) == same for row in kept):
            return False
        text = read_text(path, ContentError) if path.exists() else ""
        atomic_write(path, appended_csv(text, CONSENT_COLUMNS, [record]), mode=PRIVATE)
    return True
