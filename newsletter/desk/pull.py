"""``desk pull``: the desk's events into the files in git, idempotently.

The events come from the desk over HTTPS (``/admin/events`` with the admin token) or
straight from its SQLite file when the desk runs on this machine. They are applied a
page at a time, in order, by the rules of :mod:`.apply`, each file changed under its own
lock and replaced atomically; then the cursor (``subscribers/desk.json``: the inbox's id
and the last event applied) moves past the page. A pull killed anywhere leaves the
cursor before events that may be half-applied, and the next pull applies them again:
every rule is idempotent, so nothing is lost and nothing doubled. Pulling twice changes
nothing. The cursor belongs to one inbox: a pull from another desk (or a desk whose
inbox was started afresh) is refused instead of skipping its first events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from newsletter.audience.suppressions import merge_suppressions
from newsletter.config.files import DESK_CURSOR_FILE, SUPPRESSIONS_FILE
from newsletter.desk.apply import desk_leads, suppression_for
from newsletter.desk.inbox import Event, connect, events_after, inbox_id
from newsletter.desk.leads import ledger_fields
from newsletter.desk.signups import add_signups
from newsletter.desk.tracking import record_email_events, record_page_visits
from newsletter.errors import NewsletterError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.locks import locked
from newsletter.referrals.leads import add_lead, update_lead
from newsletter.referrals.ledger import LEDGER_FILE, load_leads

CURSOR_FILE = DESK_CURSOR_FILE
PAGE = 500


class DeskError(NewsletterError):
    """The desk cannot be reached, refuses the token, or is not the one pulled before."""


class Source(Protocol):
    """Where events come from: the desk over HTTPS, or its inbox file."""

    def page(self, after: int, limit: int) -> tuple[str, list[Event]]:
        """(the inbox's id, up to ``limit`` events after ``after``, oldest first)."""
        ...

    def opt_outs_after(self, after: int) -> tuple[str, int]:
        """(the inbox's id, how many opt-outs wait after ``after``)."""
        ...


class FileSource:
    """The inbox file of a desk on this machine, read while the desk may be running."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise DeskError("no desk inbox here", path=path)
        self.path = path

    def page(self, after: int, limit: int) -> tuple[str, list[Event]]:
        db = connect(self.path, readonly=True)
        try:
            return inbox_id(db), events_after(db, after, limit)
        finally:
            db.close()

    def opt_outs_after(self, after: int) -> tuple[str, int]:
        from newsletter.desk.apply import opt_outs_after

        db = connect(self.path, readonly=True)
        try:
            return inbox_id(db), opt_outs_after(db, after)
        finally:
            db.close()


class HttpSource:
    """The desk's admin endpoints at ``url``, with its admin token."""

    def __init__(self, url: str, token: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise DeskError(f"the desk's address must be https (the token goes with it): {url}")
        self.url = url if url.endswith("/") else url + "/"
        self._client = httpx.Client(
            timeout=timeout, headers={"authorization": f"Bearer {token}"}, trust_env=False
        )

    def _get(self, path: str, params: dict[str, int]) -> dict[str, object]:
        try:
            answer = self._client.get(self.url + path, params=params)
        except httpx.HTTPError as exc:
            raise DeskError(f"cannot reach the desk at {self.url}: {type(exc).__name__}") from None
        if answer.status_code == 401:
            raise DeskError("the desk refused the admin token (NEWSLETTER_DESK_TOKEN)")
        if answer.status_code != 200:
            raise DeskError(f"the desk answered {answer.status_code} for {path}")
        try:
            body = answer.json()
        except ValueError:
            raise DeskError(f"the desk's answer to {path} is not JSON") from None
        if not isinstance(body, dict):
            raise DeskError(f"the desk's answer to {path} is not an object")
        return body

    def page(self, after: int, limit: int) -> tuple[str, list[Event]]:
        from datetime import datetime

        body = self._get("admin/events", {"after": after, "limit": limit})
        raw = body.get("events")
        if not isinstance(raw, list):
            raise DeskError("the desk's events are not a list")
        events = [
            Event(int(e["id"]), str(e["kind"]), datetime.fromisoformat(e["at"]), dict(e["data"]))
            for e in raw
        ]
        return str(body.get("inbox", "")), events

    def opt_outs_after(self, after: int) -> tuple[str, int]:
        body = self._get("admin/pending", {"after": after})
        count = body.get("opt_outs")
        return str(body.get("inbox", "")), int(count) if isinstance(count, int) else 0

    def close(self) -> None:
        self._client.close()


@dataclass
class PullReport:
    events: int = 0
    suppressions: int = 0
    subscribers: int = 0
    leads: int = 0
    statuses: int = 0
    email_events: int = 0
    visits: int = 0
    cursor: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Cursor:
    inbox: str
    after: int


def read_cursor(path: Path) -> Cursor:
    if not path.exists():
        return Cursor("", 0)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Cursor(str(data["inbox"]), int(data["after"]))
    except (ValueError, KeyError, TypeError):
        raise DeskError(
            'not a desk cursor (expected {"inbox": …, "after": N})', path=path
        ) from None


def write_cursor(path: Path, cursor: Cursor) -> None:
    text = json.dumps({"inbox": cursor.inbox, "after": cursor.after}, indent=2) + "\n"
    atomic_write(path, text, mode=PRIVATE)


def pull(
    source: Source,
    *,
    subscribers_dir: Path,
    state_dir: Path,
    tz: tzinfo,
    country: str = "US",
    page_size: int = PAGE,
) -> PullReport:
    """Apply every event after the cursor; see the module docstring."""
    cursor_path = subscribers_dir / CURSOR_FILE
    report = PullReport()
    with locked(cursor_path, purpose="pull from the desk"):
        cursor = read_cursor(cursor_path)
        report.cursor = cursor.after
        while True:
            inbox, events = source.page(cursor.after, page_size)
            _same_inbox(cursor, inbox, cursor_path)
            if not events:
                return report
            _apply(events, subscribers_dir, state_dir, tz, country, report)
            cursor = Cursor(inbox, events[-1].id)
            write_cursor(cursor_path, cursor)
            report.events += len(events)
            report.cursor = cursor.after


def pending_opt_outs(source: Source, subscribers_dir: Path) -> int:
    """How many opt-outs the desk holds that were not pulled yet (a send waits for them)."""
    cursor_path = subscribers_dir / CURSOR_FILE
    cursor = read_cursor(cursor_path)
    inbox, count = source.opt_outs_after(cursor.after)
    _same_inbox(cursor, inbox, cursor_path)
    return count


def _same_inbox(cursor: Cursor, inbox: str, path: Path) -> None:
    if cursor.inbox and inbox != cursor.inbox:
        raise DeskError(
            f"this cursor belongs to desk inbox {cursor.inbox}, and the desk now has inbox "
            f"{inbox or '(unknown)'}; if the desk was moved or started afresh on purpose, "
            "remove the file to pull everything it holds (every event is applied only once)",
            path=path,
        )


def _apply(
    events: list[Event],
    subscribers_dir: Path,
    state_dir: Path,
    tz: tzinfo,
    country: str,
    report: PullReport,
) -> None:
    entries = [s for s in (suppression_for(e, tz) for e in events) if s is not None]
    if entries:
        report.suppressions += merge_suppressions(subscribers_dir / SUPPRESSIONS_FILE, entries)
    confirmed = [e for e in events if e.kind == "signup_confirmed"]
    if confirmed:
        added, warnings = add_signups(subscribers_dir, confirmed, tz, country)
        report.subscribers += added
        report.warnings += warnings
    _apply_leads(
        [e for e in events if e.kind in ("lead", "lead_status")], subscribers_dir, tz, report
    )
    report.email_events += record_email_events(state_dir, [e for e in events if e.kind == "esp"])
    report.visits += record_page_visits(state_dir, [e for e in events if e.kind == "visit"])


def _apply_leads(events: Iterable[Event], folder: Path, tz: tzinfo, report: PullReport) -> None:
    path = folder / LEDGER_FILE
    for event in events:
        known = desk_leads(load_leads(path))
        if event.kind == "lead":
            if event.id in known:
                continue
            if not event.data.get("known"):
                raise DeskError(
                    f"desk lead {event.id} came with a code that matches no subscriber "
                    f"({event.data.get('code') or 'none'}); the ledger cannot hold it yet"
                )
            add_lead(path, **ledger_fields(event.id, event.data, event.at.astimezone(tz)))
            report.leads += 1
            continue
        lead_id = known.get(int(event.data["lead"]))
        if lead_id is None:
            report.warnings.append(
                f"desk event {event.id}: desk lead {event.data['lead']} is not in the ledger; "
                "its status was not recorded"
            )
            continue
        value = event.data.get("value")
        try:
            before = {lead.id: lead for lead in load_leads(path)}[lead_id]
            after = update_lead(
                path,
                lead_id,
                at=event.at.astimezone(tz),
                status=event.data["status"],
                value=Decimal(value) if value else None,
            )
        except NewsletterError as exc:
            report.warnings.append(f"desk event {event.id}: lead {lead_id}: {exc.message}")
            continue
        report.statuses += before != after
