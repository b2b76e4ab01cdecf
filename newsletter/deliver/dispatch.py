"""Batches out over a bounded pool of threads, every outcome recorded in the ledger.

The calling thread does all ledger work (a SQLite connection stays on one thread): it marks
a batch in flight and commits that *before* a worker may send it, and it settles each
batch from its receipt once the worker is done (batches finished meanwhile are settled in
the commit that puts the next one in flight: one write to disk per batch). Between the
commit and the hand-over to a worker, the caller's ``checkpoint`` runs (a place to make the
ledger durable elsewhere before anything goes out). At most ``transport.concurrency``
batches are in flight; the caller blocks until one finishes when that many are out. So at
any moment the ledger says exactly this: settled batches are settled, and the batches in
flight (at most ``concurrency``) are the only ones a kill leaves for the next run to call
uncertain.

The first error that stops a batch (the key refused, SendGrid down after every retry, the
message itself refused) stops the send: no new batch goes out, the ones in flight are
waited for and settled, and :meth:`Dispatcher.close` raises that error. An interruption
(Ctrl+C) does the same, wherever it lands: a batch is known to the dispatcher before it is
marked in flight, so one that no worker took yet is settled as not sent, and every other
is finished and recorded before the interruption goes on.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass

from newsletter.deliver.ledger import LedgerRun
from newsletter.deliver.transport import Message, Receipt, Recipient, Transport
from newsletter.errors import NewsletterError


@dataclass
class Tally:
    """What became of this run's recipients so far."""

    sent: int = 0
    rejected: int = 0
    failed: int = 0  # deferred, or left when the send stopped: retried by the next run
    uncertain: int = 0
    batches: int = 0


class Dispatcher:
    """Sends batches of ``key`` for ``run`` over ``transport``; see the module docstring."""

    def __init__(
        self,
        transport: Transport,
        run: LedgerRun,
        key: str,
        *,
        on_settled: Callable[[int], None] | None = None,
        checkpoint: Callable[[], None] | None = None,
    ) -> None:
        self._transport = transport
        self._run = run
        self._key = key
        self._on_settled = on_settled
        self._checkpoint = checkpoint
        self._in_flight: dict[Future[Receipt], tuple[str, Receipt, int]] = {}
        self.tally = Tally()
        self.stopped_by: BaseException | None = None
        self._work: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._workers = [
            threading.Thread(target=self._sending, name=f"send-{n}", daemon=True)
            for n in range(transport.concurrency)
        ]
        for worker in self._workers:
            worker.start()

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.close(raise_stop=exc is None)

    def send(
        self,
        message: Message,
        recipients: Sequence[Recipient],
        batch: str,
        segments: Sequence[str] | None = None,
    ) -> bool:
        """Put ``batch`` in flight once a place is free (``segments``: each recipient's,
        for the ledger); False (nothing sent) once the send has stopped. Batches
        finished meanwhile are settled in the same commit."""
        done = self._finished(wait=len(self._in_flight) >= self._transport.concurrency)
        receipt = Receipt()
        future: Future[Receipt] = Future()
        refused: Exception | None = None
        with self._run.together():
            for finished in done:
                self._settle(finished)
            if self.stopped_by:
                return False
            self._in_flight[future] = (batch, receipt, len(recipients))
            try:
                emails = [r.email for r in recipients]
                self._run.mark_in_flight(self._key, emails, batch, segments)
            except Exception as error:  # undone alone: the outcomes above are still kept
                del self._in_flight[future]
                refused = error
        if refused is not None:
            raise refused
        if self._checkpoint is not None:
            try:
                self._checkpoint()
            except BaseException:
                future.cancel()  # nothing of it went out
                raise
        self._work.put((future, message, recipients, receipt))
        return True

    def close(self, *, raise_stop: bool = True) -> None:
        """Wait for every batch in flight and settle it; then raise what stopped the send.
        Unless the send ended as it should (``raise_stop``), batches no worker took yet
        are settled as not sent."""
        try:
            if not raise_stop:
                for future in self._in_flight:
                    future.cancel()  # False once a worker has it: that one is waited for
            while self._in_flight:
                done = self._finished(wait=True)
                with self._run.together():
                    for future in done:
                        self._settle(future)
        finally:
            for _ in self._workers:
                self._work.put(None)
            for worker in self._workers:
                worker.join()
        if raise_stop and self.stopped_by is not None:
            raise self.stopped_by

    def _sending(self) -> None:
        """A worker: send each batch it takes, its receipt (or error) in the batch's future."""
        while (work := self._work.get()) is not None:
            future, message, recipients, receipt = work
            if not future.set_running_or_notify_cancel():
                continue  # settled as not sent
            try:
                future.set_result(self._transport.send_batch(message, recipients, receipt))
            except BaseException as error:
                future.set_exception(error)
            del work, future

    def _finished(self, *, wait: bool) -> set[Future[Receipt]]:
        """Batches whose sending is over: at least one if ``wait``, else those already."""
        while self._in_flight:
            # Waiting in short spells: Python runs a signal's handler between two steps of
            # this thread, so a Ctrl+C that came just as a wait began would otherwise be
            # seen only when a batch finished.
            done = {future for future in self._in_flight if future.cancelled()}
            if not done:
                done = futures_wait(
                    self._in_flight, timeout=_SPELL if wait else 0, return_when=FIRST_COMPLETED
                )[0]
            if done or not wait:
                return done
        return set()

    def _settle(self, future: Future[Receipt]) -> None:
        batch, receipt, size = self._in_flight.pop(future)
        error = None if future.cancelled() else future.exception()
        if future.cancelled():
            rest: str | None = "not sent: the send stopped before it went out"
        elif error is None:
            rest = None
        elif isinstance(error, NewsletterError):
            # A transport's own error: whoever has no outcome was not delivered.
            rest = error.one_line()
        else:
            rest = None  # a bug: nobody can say, so the rest stay for recovery
        self._run.settle(self._key, batch, receipt, rest=rest, size=size)
        tally = self.tally
        tally.batches += 1
        tally.sent += len(receipt.sent)
        tally.rejected += len(receipt.rejected)
        tally.uncertain += len(receipt.uncertain)
        tally.failed += len(receipt.deferred)
        if rest is not None:
            tally.failed += size - receipt.count()
        if error is not None and self.stopped_by is None:
            self.stopped_by = error
        if self._on_settled:
            self._on_settled(size)


_SPELL = 0.5  # seconds
_Work = tuple[Future[Receipt], Message, Sequence[Recipient], Receipt]
