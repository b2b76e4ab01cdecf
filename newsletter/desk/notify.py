"""The outbox worker: the emails the desk sends on its own, through the configured transport.

    notify_lead      to the business at once: "new referred lead: contact by <time>", with
                     the signed status links (contacted, won, lost)
    remind_lead      to the business 20 hours after a lead arrived, unless it has a status
    thank_referrer   to the referrer when their friend is contacted or won (if they agreed)
    confirm_signup   to a new sign-up: the confirmation link

The work lives in the inbox's ``outbox`` table, committed with the event that caused it,
so nothing is forgotten across a restart: the worker looks for work that has come due
when it starts, every ``outbox_poll`` seconds, and at once when a route wakes it. A
message is marked done after the transport took it; if the desk dies in between, the
message is sent again after the restart (at least once: a repeated note beats a lead
nobody hears about). A failure is retried with growing pauses, up to a day.
"""

from __future__ import annotations

import html
import logging
import re
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from newsletter.deliver.transport import Message, Recipient, Transport
from newsletter.desk.context import Desk
from newsletter.desk.inbox import Event, event, now, related, stamp
from newsletter.desk.join import confirm_link
from newsletter.desk.leads import contact_by, first_name, spoken
from newsletter.desk.status import current, status_link
from newsletter.errors import NewsletterError

log = logging.getLogger("newsletter.desk")
MAX_ATTEMPTS = 30
BATCH = 50
_URL = re.compile(r"https?://[^\s<>\"]+")


class Notifier:
    def __init__(self, desk: Desk, *, clock: Callable[[], datetime] = now) -> None:
        self.desk = desk
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="desk-outbox", daemon=True)
        self._transport: Transport | None = None

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)
        if self._transport is not None:
            self._transport.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                while self.run_due() and not self._stop.is_set():
                    pass
            except Exception:  # the worker must outlive any one bad job
                log.exception("outbox worker failed; trying again")
            self._wake.wait(self.desk.settings.outbox_poll)
            self._wake.clear()

    def run_due(self) -> int:
        """Do the work that is due now; how many jobs were looked at."""
        moment = stamp(self._clock())
        jobs = self.desk.inbox.read_now(
            lambda db: db.execute(
                "SELECT id, event, kind, attempts FROM outbox WHERE state = 'due' AND due_at <= ? "
                "ORDER BY due_at LIMIT ?",
                (moment, BATCH),
            ).fetchall()
        )
        for job_id, event_id, kind, attempts in jobs:
            self._do(job_id, event_id, kind, attempts)
        return len(jobs)

    def _do(self, job_id: int, event_id: int, kind: str, attempts: int) -> None:
        try:
            mail = self.desk.inbox.read_now(lambda db: self._compose(db, kind, event_id))
        except Exception as exc:
            log.exception("outbox job %s (%s) cannot be composed", job_id, kind)
            self._settle(job_id, "dropped", f"cannot compose: {type(exc).__name__}")
            return
        if mail is None:
            self._settle(job_id, "dropped", "nothing to send any more")
            return
        if self.desk.settings.transport is None:
            log.warning("outbox job %s (%s): no transport configured, not sent", job_id, kind)
            self._settle(job_id, "dropped", "no transport configured")
            return
        message, recipient = mail
        try:
            if self._transport is None:
                self._transport = self.desk.settings.transport()
            receipt = self._transport.send_batch(message, [recipient])
            problem = None if recipient.email in receipt.sent else _why(receipt, recipient.email)
        except NewsletterError as exc:  # DeliveryError, or a transport that cannot be made
            problem = exc.one_line()
            self._reset_transport()
        except OSError as exc:
            problem = f"{type(exc).__name__}: {exc.strerror or exc}"
            self._reset_transport()
        if problem is None:
            log.info("outbox job %s (%s) sent", job_id, kind)
            self._settle(job_id, "done", None)
        elif attempts + 1 >= MAX_ATTEMPTS:
            log.error("outbox job %s (%s) given up: %s", job_id, kind, problem)
            self._settle(job_id, "dropped", problem)
        else:
            log.warning("outbox job %s (%s) failed, will retry: %s", job_id, kind, problem)
            self._retry(job_id, attempts + 1, problem)

    def _reset_transport(self) -> None:
        if self._transport is not None:
            try:
                self._transport.close()
            finally:
                self._transport = None

    def _settle(self, job_id: int, state: str, error: str | None) -> None:
        def settle(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE outbox SET state = ?, last_error = ?, done_at = ?, attempts = attempts + 1 "
                "WHERE id = ?",
                (state, error, stamp(self._clock()), job_id),
            )

        self.desk.inbox.write_now(settle)

    def _retry(self, job_id: int, attempts: int, error: str) -> None:
        pause = min(timedelta(seconds=5 * 2**attempts), timedelta(hours=1))

        def retry(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE outbox SET attempts = ?, last_error = ?, due_at = ? WHERE id = ?",
                (attempts, error[:500], stamp(self._clock() + pause), job_id),
            )

        self.desk.inbox.write_now(retry)

    # ---- the messages ---------------------------------------------------------------

    def _compose(
        self, db: sqlite3.Connection, kind: str, event_id: int
    ) -> tuple[Message, Recipient] | None:
        if kind in ("notify_lead", "remind_lead"):
            lead = event(db, event_id, "lead")
            if lead is None:
                return None
            status, _ = current(related(db, "lead_status", "lead", event_id))
            if kind == "remind_lead" and status != "new":
                return None  # contacted (or closed) in time: no reminder
            return self._lead_mail(lead, reminder=kind == "remind_lead")
        if kind == "thank_referrer":
            change = event(db, event_id, "lead_status")
            lead = event(db, change.data["lead"], "lead") if change else None
            if change is None or lead is None or not lead.data.get("referrer_email"):
                return None
            return self._thanks(lead, change.data["status"])
        if kind == "confirm_signup":
            signup = event(db, event_id, "signup")
            if signup is None:
                return None
            return self._confirmation(signup)
        raise ValueError(f"unknown outbox job {kind!r}")

    def _mail(
        self, to: str, name: str, subject: str, template: str, **context: Any
    ) -> tuple[Message, Recipient]:
        settings = self.desk.settings
        text = self.desk.pages.render(f"mail/{template}.txt.j2", **context)
        message = Message(
            subject=subject,
            from_email=settings.from_email,
            from_name=settings.from_name,
            reply_to=None,
            html=_as_html(text),
            text=text,
            categories=("desk",),
        )
        return message, Recipient(email=to, name=name, substitutions={})

    def _lead_mail(self, lead: Event, *, reminder: bool) -> tuple[Message, Recipient]:
        settings = self.desk.settings
        due = contact_by(lead.at, settings.contact_within)
        left = max(due - self._clock(), timedelta())
        when = spoken(due, settings.timezone)
        name = lead.data["name"]
        subject = (
            f"Reminder: call {name} by {when}"
            if reminder
            else f"New referred lead: {name} — contact by {when}"
        )
        links = {
            action: status_link(settings, lead.id, action)
            for action in ("contacted", "won", "lost")
        }
        referrer = None
        if lead.data.get("code"):
            referrer = self.desk.directory.lookup(lead.data["code"])
        return self._mail(
            settings.notify_to,
            settings.business_name,
            subject,
            "lead",
            lead=lead.data,
            lead_id=lead.id,
            received=spoken(lead.at, settings.timezone),
            contact_by=when,
            hours_left=int(left.total_seconds() // 3600),
            reminder=reminder,
            referrer=referrer,
            links=links,
        )

    def _thanks(self, lead: Event, status: str) -> tuple[Message, Recipient]:
        referrer = self.desk.directory.lookup(lead.data.get("code", ""))
        friend = first_name(lead.data["name"])
        greeting = referrer.first_name if referrer and referrer.first_name else ""
        return self._mail(
            lead.data["referrer_email"],
            greeting,
            f"Thank you for sending {friend} our way",
            "thanks",
            friend=friend,
            greeting=greeting,
            status=status,
        )

    def _confirmation(self, signup: Event) -> tuple[Message, Recipient]:
        settings = self.desk.settings
        return self._mail(
            signup.data["email"],
            signup.data.get("first_name", ""),
            f"Confirm your subscription to the {settings.business_name} newsletter",
            "confirm",
            link=confirm_link(settings, signup.id),
            first_name=signup.data.get("first_name", ""),
        )


def _why(receipt: Any, email: str) -> str:
    for outcome in (receipt.rejected, receipt.deferred, receipt.uncertain):
        if email in outcome:
            return str(outcome[email])
    return "no outcome from the transport"


def _as_html(text: str) -> str:
    """The plain text as a simple HTML part: escaped, links clickable, lines kept."""
    escaped = html.escape(text)
    linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return (
        '<!doctype html><html><body><div style="font-family:Arial,sans-serif;font-size:15px;'
        f'line-height:1.5;white-space:pre-wrap">{linked}</div></body></html>'
    )
