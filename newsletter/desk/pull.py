"""``desk pull``: the desk's events into the files in git, idempotently.

The events come from the desk over HTTPS (``/admin/events`` with the admin token) or
straight from its SQLite file when the desk runs on this machine, a page at a time. They
are applied in order, by the rules of :mod:`.apply`, to the files as :mod:`.batch` holds
them (each read once, under its lock, for the whole pull); every :data:`BATCH` events and
at the end, each changed file is replaced atomically, once, and then the cursor
(``subscribers/desk.json``: the inbox's id and the last event applied) moves past them.
An event that cannot be applied is set aside in the quarantine
(:mod:`.quarantine`) with its reason, and the pull goes on. A pull killed anywhere leaves
the cursor before events that may be half-applied, and the next pull applies them again:
every rule is idempotent, so nothing is lost and nothing doubled; the next pull also
removes the temporary files a killed one left. Pulling twice changes nothing. The cursor
belongs to one inbox: a pull from another desk (or a desk whose inbox was started
afresh) is refused instead of skipping its first events.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from newsletter.config.files import DESK_CURSOR_FILE
from newsletter.desk.batch import PullFiles, PullReport
from newsletter.desk.inbox import Event, connect, events_after, inbox_id
from newsletter.errors import DeskError
from newsletter.fsutil import PRIVATE, atomic_write, remove_stale_temps
from newsletter.locks import locked
from newsletter.network import network_trouble

__all__ = ["DeskError", "FileSource", "HttpSource", "PullReport", "pending_opt_outs", "pull"]

CURSOR_FILE = DESK_CURSOR_FILE
PAGE = 500
"""Events fetched from the desk at a time (its admin endpoint gives at most 1,000)."""
BATCH = 50_000
"""Events applied in memory before the files and the cursor are written: each file is
rewritten whole, so a write per page would make a long pull quadratic; a batch bounds the
work a pull killed midway does again."""


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
            trouble = network_trouble(exc)
            raise DeskError(f"cannot reach the desk at {self.url}: {trouble}") from None
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
    batch_size: int = BATCH,
) -> PullReport:
    """Apply every event after the cursor; see the module docstring."""
    cursor_path = subscribers_dir / CURSOR_FILE
    report = PullReport()
    with locked(cursor_path, purpose="pull from the desk"), contextlib.ExitStack() as held:
        remove_stale_temps(cursor_path)
        cursor = read_cursor(cursor_path)
        report.cursor = cursor.after
        files = PullFiles(subscribers_dir, state_dir, tz, country, held)
        waiting = 0  # events applied in memory, not written yet
        while True:
            inbox, events = source.page(cursor.after, page_size)
            _same_inbox(cursor, inbox, cursor_path)
            if events:
                files.apply(events, report)
                cursor = Cursor(inbox, events[-1].id)
                waiting += len(events)
            if waiting and (not events or waiting >= batch_size):
                files.write(report)
                write_cursor(cursor_path, cursor)
                report.events += waiting
                report.cursor = cursor.after
                waiting = 0
            if not events:
                return report


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
