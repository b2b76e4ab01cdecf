"""The changes one send makes to the ledger (:mod:`newsletter.deliver.ledger`), under its
lock: batches put in flight and settled, dead runs' batches recovered, released recipients.

A batch whose recipients have no row yet goes in flight as one row of ``flights`` and its
recipients' rows are written later, many batches at once (:mod:`newsletter.deliver.flights`);
any other batch is kept as a row per recipient from the start.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from newsletter.deliver.flights import LAND_EVERY, Flights
from newsletter.deliver.transport import Receipt
from newsletter.errors import LedgerError
from newsletter.model import normalize_email

if TYPE_CHECKING:
    from newsletter.deliver.ledger import Ledger


class LedgerRun:
    """The changes one send makes, under the ledger's lock (see :meth:`Ledger.run`)."""

    def __init__(self, ledger: Ledger, run_id: str) -> None:
        self.ledger = ledger
        self.id = run_id
        self._db = ledger._db
        self._now = ledger._now
        self._flights = Flights(self._db)
        # This run's flights whose rows are not written yet: (issue, batch) -> (status,
        # normalized emails), and every (issue, email) among them, so that an address is
        # never in flight twice. Read back from the table after a rollback.
        self._aloft: dict[tuple[str, str], tuple[str, list[str]]] = {}
        self._aloft_emails: set[tuple[str, str]] = set()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            with self.ledger._transaction():
                yield
        except BaseException:
            if not self._db.in_transaction:
                self._resync()  # what this run knows of its flights was rolled back
            raise

    def _resync(self) -> None:
        self._aloft = self._flights.of_run(self.id)
        self._aloft_emails = {
            (issue, email) for (issue, _), (_, emails) in self._aloft.items() for email in emails
        }

    def land_when_due(self) -> None:
        """:meth:`land` once :data:`~newsletter.deliver.flights.LAND_EVERY` flights are
        settled. The send calls it right after a batch goes out, not while settling: the
        process sending the requests then has every place full while this one writes."""
        self.land(at_least=LAND_EVERY)

    def together(self) -> contextlib.AbstractContextManager[None]:
        """Changes made in this block commit as one: one write to disk, not one each (the
        send settles finished batches and puts the next one in flight together)."""
        return self._transaction()

    def land(self, *, at_least: int = 1) -> None:
        """Write the rows of this run's settled flights (:mod:`newsletter.deliver.flights`),
        if there are ``at_least`` so many; committed with the transaction around it, or
        at once."""
        landed = [flight for flight, (status, _) in self._aloft.items() if status == "sent"]
        if not landed or len(landed) < at_least:
            return
        with self._transaction():
            self._flights.land("f.run = ? AND f.status = 'sent'", (self.id,))
        for issue, batch in landed:
            _, emails = self._aloft.pop((issue, batch))
            self._aloft_emails.difference_update((issue, email) for email in emails)

    def recover(self, issue: str) -> list[str]:
        """Turn rows that dead runs left in flight into ``uncertain``; returns their emails.

        Every run but this one is gone (this one holds the lock), so every row in flight
        under another run id is a dead run's. Call before this run sends anything.
        """
        now = self._now()
        with self._transaction():
            emails = [
                row[0]
                for row in self._db.execute(
                    "SELECT email FROM sends WHERE issue = ? AND status = 'in_flight' "
                    "AND run IS NOT ?",
                    (issue, self.id),
                )
            ]
            self._db.execute(
                "UPDATE sends SET status = 'uncertain', updated_at = ? "
                "WHERE issue = ? AND status = 'in_flight' AND run IS NOT ?",
                (now, issue, self.id),
            )
            # A dead run's flights: those settled keep their outcome, the rest are lost.
            emails += self._flights.lost(issue, self.id)
            self._db.execute(
                "UPDATE flights SET updated_at = ? "
                "WHERE issue = ? AND run IS NOT ? AND status = 'in_flight'",
                (now, issue, self.id),
            )
            self._flights.land(
                "f.issue = ? AND f.run IS NOT ?", (issue, self.id), lost_as="uncertain"
            )
        return sorted(emails)

    def release_uncertain(self, issue: str) -> int:
        """Make the uncertain recipients sendable again (``--resend-uncertain``)."""
        return self._release(issue, "uncertain")

    def mark_in_flight(
        self,
        issue: str,
        emails: Iterable[str],
        batch: str,
        segments: Iterable[str] | None = None,
    ) -> None:
        """Record that ``batch`` of this run is about to go to ``emails`` (of ``segments``,
        one each, when given: the report counts recipients by segment); committed when
        this returns.

        Raises LedgerError, changing nothing, if an address is already sent, uncertain,
        rejected or in flight, or if ``batch`` is already in flight: the caller must skip
        those.
        """
        labels: Iterable[str | None] = itertools.repeat(None) if segments is None else segments
        of = dict(zip(map(normalize_email, emails), labels, strict=False))
        keys = list(of)
        aloft = sorted(key for key in keys if (issue, key) in self._aloft_emails)
        if aloft:
            raise LedgerError(
                f"{len(aloft)} recipient(s) of {issue} already sent, uncertain, rejected or in "
                f"flight: {', '.join(aloft[:5])}"
            )
        now = self._now()
        with self._transaction():
            busy = (issue, batch) in self._aloft or self._db.execute(
                "SELECT 1 FROM sends INDEXED BY sends_batch "
                "WHERE issue = ? AND batch = ? AND status = 'in_flight'",
                (issue, batch),
            ).fetchone()
            if busy:
                raise LedgerError(f"batch {batch!r} of {issue} is already in flight")
            known = self._db.execute(
                "SELECT 1 FROM sends WHERE issue = ? AND email IN "
                "(SELECT value FROM json_each(?)) LIMIT 1",
                (issue, json.dumps(keys)),
            ).fetchone()
            if not known:  # the common case: nobody in it has a row yet
                self._flights.take_off(issue, batch, self.id, list(of.items()), now)
                self._aloft[issue, batch] = ("in_flight", keys)
                self._aloft_emails.update((issue, key) for key in keys)
                return
            # One statement over a JSON array, not one per address: sqlite3 lets other
            # threads run at every statement step, and a sending thread that takes over
            # keeps this one waiting.
            cursor = self._db.execute(
                """
                INSERT INTO sends (issue, email, status, batch, run, attempts, created_at,
                                   updated_at, segment)
                SELECT ?, value ->> 0, 'in_flight', ?, ?, 1, ?, ?, value ->> 1
                FROM json_each(?) WHERE true
                ON CONFLICT (issue, email) DO UPDATE SET
                    status = 'in_flight', batch = excluded.batch, run = excluded.run,
                    error = NULL, message_id = NULL, attempts = attempts + 1,
                    updated_at = excluded.updated_at,
                    segment = coalesce(excluded.segment, segment)
                WHERE status IN ('pending', 'failed')
                """,
                (issue, batch, self.id, now, now, json.dumps(list(of.items()))),
            )
            if cursor.rowcount != len(keys):
                # Rare path: name the offenders, then roll the whole batch back.
                ledger = self.ledger
                blocked = [key for key in keys if ledger._row(issue, key) != ("in_flight", batch)]
                shown = ", ".join(sorted(blocked)[:5])
                raise LedgerError(
                    f"{len(blocked)} recipient(s) of {issue} already sent, uncertain, "
                    f"rejected or in flight: {shown}"
                )

    def settle(
        self, issue: str, batch: str, receipt: Receipt, *, rest: str | None, size: int | None = None
    ) -> None:
        """Record each outcome in ``receipt`` for ``batch`` (of ``size`` recipients, if
        the caller knows), in one transaction.

        Recipients of the batch without an outcome become ``failed`` with the reason
        ``rest`` (the transport stopped before them: certainly not delivered), or stay in
        flight when ``rest`` is None (nobody can say: the next run will call them
        uncertain).
        """
        now = self._now()
        by_batch = """
            UPDATE sends INDEXED BY sends_batch
            SET status = ?, message_id = ?, error = ?, sent_at = ?, updated_at = ?
            WHERE issue = ? AND batch = ? AND status = 'in_flight'
        """
        by_email = """
            UPDATE sends SET status = ?, message_id = ?, error = ?, sent_at = ?, updated_at = ?
            WHERE issue = ? AND email = ? AND batch = ? AND status = 'in_flight'
        """
        with self._transaction():
            ids = set(receipt.sent.values())
            everyone_sent = len(ids) == 1 and receipt.count() == len(receipt.sent)
            flight = self._aloft.get((issue, batch))
            if flight is not None:
                _, emails = flight
                if everyone_sent and len(emails) == len(receipt.sent):
                    self._flights.sent(issue, batch, ids.pop(), now)
                    self._aloft[issue, batch] = ("sent", emails)
                    return
                # Outcomes of their own, one by one: the batch's rows are written now.
                self._flights.land("f.issue = ? AND f.batch = ?", (issue, batch))
                del self._aloft[issue, batch]
                self._aloft_emails.difference_update((issue, email) for email in emails)
            if everyone_sent and (size or self._in_flight(issue, batch)) == len(receipt.sent):
                # The common case, everyone sent in one request: one statement.
                self._db.execute(by_batch, ("sent", ids.pop(), None, now, now, issue, batch))
                return
            rows: list[tuple[str, str | None, str | None, str | None, str, str, str, str]]
            rows = [
                ("sent", message_id, None, now, now, issue, normalize_email(email), batch)
                for email, message_id in receipt.sent.items()
            ]
            for status, outcome in (
                ("rejected", receipt.rejected),
                ("failed", receipt.deferred),
                ("uncertain", receipt.uncertain),
            ):
                rows += [
                    (status, None, reason, None, now, issue, normalize_email(email), batch)
                    for email, reason in outcome.items()
                ]
            self._db.executemany(by_email, rows)
            if rest is not None:
                self._db.execute(by_batch, ("failed", None, rest, None, now, issue, batch))

    def release_rejected(self, issue: str) -> int:
        """Make the rejected recipients sendable again (``--retry-rejected``)."""
        return self._release(issue, "rejected")

    def _release(self, issue: str, status: str) -> int:
        """Make ``issue``'s recipients in ``status`` pending again; returns how many."""
        now = self._now()
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE sends SET status = 'pending', updated_at = ? "
                "WHERE issue = ? AND status = ?",
                (now, issue, status),
            )
        return cursor.rowcount

    def _in_flight(self, issue: str, batch: str) -> int:
        return int(
            self._db.execute(
                "SELECT COUNT(*) FROM sends INDEXED BY sends_batch "
                "WHERE issue = ? AND batch = ? AND status = 'in_flight'",
                (issue, batch),
            ).fetchone()[0]
        )
