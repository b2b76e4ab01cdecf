"""The outbox worker: the emails the desk sends on its own, through the configured transport.

    notify_lead      to the business at once: "new referred lead: contact by <time>", with
                     the signed status links (contacted, won, lost) and the lead's flags
    remind_lead      to the business 20 hours after a lead arrived, unless it has a status
    escalate_lead    to ``leads.escalate_to`` once ``leads.escalate_after`` of business
                     hours passed, unless the lead has a status
    notify_reward    to the business when a reward is reached (found pending in
                     rewards.csv), with the signed approve and deny links
    thank_referrer   to the referrer when their friend is contacted or won (if they agreed)
    confirm_signup   to a new sign-up: the confirmation link

The work lives in the inbox's ``outbox`` table, committed with the event that caused it,
so nothing is forgotten across a restart: the worker looks for work that has come due
when it starts, every ``outbox_poll`` seconds, and at once when a route wakes it. A
message is marked done after the transport took it; if the desk dies in between, the
message is sent again after the restart (at least once: a repeated note beats a lead
nobody hears about).

- Without a transport (``serve --no-email``) nothing is sent and nothing is given up: the
  jobs wait, and go out when the desk runs with one.
- A temporary failure (a 4xx, a lost answer, a mail server that cannot be reached) is
  retried with growing pauses up to an hour apart: for a day, and for as long as it takes
  for the business's notice of a new lead, which must never be lost.
- A refusal for good (a 5xx for the address) is final: sending it again would only be
  refused again.

The log names jobs by number and kind, never an address: a mail server's reply often
quotes the recipient, so it is logged scrubbed (:mod:`.logs`).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from newsletter.deliver.transport import Receipt, Transport
from newsletter.desk.context import Desk
from newsletter.desk.inbox import now, stamp
from newsletter.desk.logs import scrubbed
from newsletter.desk.mails import Mail, compose
from newsletter.desk.rewards import RewardWatch
from newsletter.errors import NewsletterError

log = logging.getLogger("newsletter.desk")
MAX_ATTEMPTS = 30
"""Tries of a job that keeps failing for a while (about a day of growing pauses)."""
NEVER_GIVEN_UP = ("notify_lead",)
"""Jobs retried for as long as their failures are temporary."""
LONGEST_PAUSE = timedelta(hours=1)
BATCH = 50


class Notifier:
    def __init__(self, desk: Desk, *, clock: Callable[[], datetime] = now) -> None:
        self.desk = desk
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="desk-outbox", daemon=True)
        self._transport: Transport | None = None
        self._waiting = 0
        self._rewards = RewardWatch(desk.settings.subscribers_dir)

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
        """Do the work that is due now; how many jobs were looked at (none without a
        transport: they wait for one)."""
        self._announce_rewards()
        moment = stamp(self._clock())
        if self.desk.settings.transport is None:
            self._note_waiting(moment)
            return 0
        jobs = self.desk.inbox.read_now(
            lambda db: db.execute(
                "SELECT id, event, kind, attempts, due_at FROM outbox "
                "WHERE state = 'due' AND due_at <= ? ORDER BY due_at LIMIT ?",
                (moment, BATCH),
            ).fetchall()
        )
        for job_id, event_id, kind, attempts, due in jobs:
            self._do(job_id, event_id, kind, attempts, due)
        return len(jobs)

    def _announce_rewards(self) -> None:
        """Put a ``notify_reward`` job on the outbox for each reward rewards.csv holds
        pending that the desk has not announced (once each, across restarts)."""
        pending = self._rewards.pending()
        if pending:
            added = self.desk.inbox.write_now(lambda db: self._rewards.announce(db, pending))
            if added:
                log.info("%s reward%s reached: the business is told", added, "s" * (added != 1))

    def _note_waiting(self, moment: str) -> None:
        waiting = self.desk.inbox.read_now(
            lambda db: db.execute(
                "SELECT count(*) FROM outbox WHERE state = 'due' AND due_at <= ?", (moment,)
            ).fetchone()[0]
        )
        if waiting > self._waiting:
            log.warning(
                "%s outbox email%s wait%s for a transport (the desk runs without email)",
                waiting,
                "s" if waiting != 1 else "",
                "" if waiting != 1 else "s",
            )
        self._waiting = waiting

    def _do(self, job_id: int, event_id: int, kind: str, attempts: int, due: str) -> None:
        try:
            mail = self.desk.inbox.read_now(
                lambda db: compose(self.desk, db, kind, event_id, due, self._clock())
            )
        except Exception as exc:
            log.exception("outbox job %s (%s) cannot be composed", job_id, kind)
            self._settle(job_id, "dropped", f"cannot compose: {type(exc).__name__}")
            return
        if mail is None:
            self._settle(job_id, "dropped", "nothing to send any more")
            return
        problem, final = self._send(mail)
        if problem is None:
            log.info("outbox job %s (%s) sent", job_id, kind)
            self._settle(job_id, "done", None)
        elif final:
            log.error("outbox job %s (%s) refused for good: %s", job_id, kind, scrubbed(problem))
            self._settle(job_id, "dropped", problem)
        elif attempts + 1 >= MAX_ATTEMPTS and kind not in NEVER_GIVEN_UP:
            log.error("outbox job %s (%s) given up: %s", job_id, kind, scrubbed(problem))
            self._settle(job_id, "dropped", problem)
        else:
            log.warning(
                "outbox job %s (%s) failed, will retry: %s", job_id, kind, scrubbed(problem)
            )
            self._retry(job_id, attempts + 1, problem)

    def _send(self, mail: Mail) -> tuple[str | None, bool]:
        """(why it was not sent or None, whether that is final)."""
        assert self.desk.settings.transport is not None
        email = mail.recipient.email
        try:
            if self._transport is None:
                self._transport = self.desk.settings.transport()
            receipt = self._transport.send_batch(mail.message, [mail.recipient])
        except NewsletterError as exc:  # DeliveryError, or a transport that cannot be made
            self._reset_transport()
            return exc.one_line(), False
        except OSError as exc:
            self._reset_transport()
            return f"{type(exc).__name__}: {exc.strerror or exc}", False
        if email in receipt.sent:
            return None, False
        if email in receipt.rejected:
            return str(receipt.rejected[email]), True
        return _why(receipt, email), False

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
                (state, error[:500] if error else None, stamp(self._clock()), job_id),
            )

        self.desk.inbox.write_now(settle)

    def _retry(self, job_id: int, attempts: int, error: str) -> None:
        pause = min(timedelta(seconds=5 * 2 ** min(attempts, 20)), LONGEST_PAUSE)

        def retry(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE outbox SET attempts = ?, last_error = ?, due_at = ? WHERE id = ?",
                (attempts, error[:500], stamp(self._clock() + pause), job_id),
            )

        self.desk.inbox.write_now(retry)


def _why(receipt: Receipt, email: str) -> str:
    for outcome in (receipt.deferred, receipt.uncertain):
        if email in outcome:
            return str(outcome[email])
    return "no outcome from the transport"
