"""``newsletter retention``: personal data the business no longer needs, anonymized after
the times set in ``retention:`` (:mod:`newsletter.config.retention`).

    closed leads      the lead's details removed, facts and value kept
    consents          removed, for people no longer subscribed, after the years set
    desk events       once pulled: addresses keyed-hashed, other personal values removed
    provider events   once counted: addresses keyed-hashed (the reports count them alike)

Run monthly after ``desk pull`` and the report; a dry run unless ``yes``. Every file is
rewritten under its lock and atomically, and a second run changes nothing more.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from newsletter.audience.tokens import FORGOTTEN, forgotten_address
from newsletter.config import Settings
from newsletter.config.files import CONSENTS_FILE, DESK_CURSOR_FILE, EMAIL_EVENTS_FILE
from newsletter.csvfile import ledger_csv
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.locks import locked
from newsletter.model import normalize_email
from newsletter.privacy.person import REDACTED, csv_table
from newsletter.privacy.stores import anonymize_lead, in_transaction, place_of

KEPT_KEYS = frozenset({"code", "issue", "kind", "event", "medium", "segment", "status", "source"})
"""A desk event's values that name no one (a referral code is the referrer's pseudonym,
kept so the report still credits the lead)."""


@dataclass(frozen=True)
class Retained:
    """What retention changes (or, in a dry run, would change), place by place."""

    changes: tuple[tuple[str, int, str, str], ...]  # (place, how many, of what, done how)
    done: bool


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _moment(text: str) -> date | None:
    try:
        return datetime.fromisoformat(text.strip()).date()
    except ValueError:
        return None


def apply_retention(settings: Settings, secret: bytes, *, yes: bool, today: date) -> Retained:
    """Anonymize what ``retention:`` says is kept long enough; only count unless ``yes``."""
    policy = settings.config.retention
    changes: list[tuple[str, int, str, str]] = []
    if policy.closed_leads_years is not None:
        cutoff = _years_ago(today, policy.closed_leads_years)
        count = _rewrite_csv(settings.referrals_csv, yes, _old_closed_leads(cutoff, secret))
        changes.append((place_of(settings, settings.referrals_csv), count, "leads", "anonymized"))
    if policy.consents_years is not None:
        cutoff = _years_ago(today, policy.consents_years)
        _, subscribers = csv_table(settings.subscribers_csv)
        current = {normalize_email(r[0]) for r in subscribers if r}
        path = settings.subscribers_dir / CONSENTS_FILE
        count = _rewrite_csv(path, yes, _consents_of_people_gone(cutoff, current))
        changes.append((place_of(settings, path), count, "consent records", "removed"))
    if policy.desk_events_days is not None:
        before = datetime.now(UTC) - timedelta(days=policy.desk_events_days)
        inbox = settings.desk_inbox
        if inbox.is_file():
            pulled = _pulled_up_to(settings, inbox)
            count = _redact_inbox(inbox, secret, before, pulled, yes)
            changes.append((place_of(settings, inbox), count, "desk events", "redacted"))
        events = settings.state_dir / EMAIL_EVENTS_FILE
        if events.is_file():
            count = _hash_email_events(events, secret, before, yes)
            changes.append((place_of(settings, events), count, "provider events", "keyed-hashed"))
    return Retained(tuple(changes), yes)


# ---- the lists ------------------------------------------------------------------------

RowChange = Callable[[dict[str, int], list[str]], "list[str] | None"]
"""Given the columns and a row: None to keep it, [] to remove it, or the changed row."""


def _rewrite_csv(path: Path, yes: bool, change: RowChange) -> int:
    if not path.exists():
        return 0
    with locked(path, purpose="newsletter retention"):
        header, rows = csv_table(path)
        at = {column: i for i, column in enumerate(header)}
        kept, count = [], 0
        for row in rows:
            row = [*row, *[""] * (len(header) - len(row))]
            changed = change(at, row)
            if changed is None:
                kept.append(row)
                continue
            count += 1
            if changed:
                kept.append(changed)
        if yes and count:
            atomic_write(path, ledger_csv(header, kept), mode=PRIVATE)
    return count


def _old_closed_leads(cutoff: date, secret: bytes) -> RowChange:
    def change(at: dict[str, int], row: list[str]) -> list[str] | None:
        closed = _moment(row[at["closed_at"]]) if "closed_at" in at else None
        if closed is None or closed >= cutoff or row[at["lead_name"]] == REDACTED:
            return None
        anonymize_lead(row, at, secret)
        return row

    return change


def _consents_of_people_gone(cutoff: date, current: set[str]) -> RowChange:
    def change(at: dict[str, int], row: list[str]) -> list[str] | None:
        email = normalize_email(row[at["email"]])
        when = _moment(row[at["confirmed_at"]] or row[at["requested_at"]])
        return [] if email not in current and when is not None and when < cutoff else None

    return change


# ---- the desk's inbox and the provider's events ---------------------------------------


def _pulled_up_to(settings: Settings, inbox: Path) -> int:
    """The last inbox event ``desk pull`` applied here (0: none, or another inbox's)."""
    cursor_path = settings.subscribers_dir / DESK_CURSOR_FILE
    if not cursor_path.exists():
        return 0
    try:
        cursor = json.loads(cursor_path.read_text(encoding="utf-8"))
        with sqlite3.connect(f"file:{inbox}?mode=ro", uri=True) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'inbox'").fetchone()
        return int(cursor["after"]) if row and str(row[0]) == str(cursor["inbox"]) else 0
    except (ValueError, KeyError, TypeError, sqlite3.Error):
        return 0


def _redacted_value(key: str, value: Any, secret: bytes) -> Any:
    if isinstance(value, dict):
        return {k: _redacted_value(k, v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted_value(key, v, secret) for v in value]
    if not isinstance(value, str) or key in KEPT_KEYS or value in ("", REDACTED):
        return value
    if value.startswith(FORGOTTEN):
        return value
    return forgotten_address(secret, value) if "@" in value else REDACTED


def _redact_inbox(inbox: Path, secret: bytes, before: datetime, pulled: int, yes: bool) -> int:
    return in_transaction(inbox, yes, lambda db: _redact_events(db, secret, before, pulled, yes))


def _redact_events(
    db: sqlite3.Connection, secret: bytes, before: datetime, pulled: int, yes: bool
) -> int:
    count = 0
    rows = db.execute(
        "SELECT id, data FROM events WHERE id <= ? AND at < ?", (pulled, before.isoformat())
    ).fetchall()
    for event, data in rows:
        try:
            redacted = json.dumps(
                _redacted_value("", json.loads(data), secret), separators=(",", ":")
            )
        except ValueError:
            redacted = json.dumps({})
        if redacted != data:
            count += 1
            if yes:
                db.execute("UPDATE events SET data = ? WHERE id = ?", (redacted, event))
    return count


def _hash_email_events(path: Path, secret: bytes, before: datetime, yes: bool) -> int:
    def change(db: sqlite3.Connection) -> int:
        rows = db.execute(
            "SELECT rowid, email FROM email_events WHERE at < ? AND email NOT LIKE ?",
            (before.isoformat(), FORGOTTEN + "%"),
        ).fetchall()
        if yes:
            db.executemany(
                "UPDATE email_events SET email = ?, reason = NULL WHERE rowid = ?",
                [(forgotten_address(secret, email), rowid) for rowid, email in rows],
            )
        return len(rows)

    return in_transaction(path, yes, change)
