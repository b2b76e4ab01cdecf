"""Batches out over a bounded pool of threads, every outcome recorded in the ledger.

A transport that takes a batch and returns at once (``submit``: the process transport of
offload.py) is given each batch directly, with no thread of the pool waiting on it. The
calling thread does all ledger work (SQLite connections stay on one thread): it marks
a batch in flight and commits that *before* a worker may send it, and it settles each
batch from its receipt once the worker is done (batches finished meanwhile are settled in
the commit that puts the next one in flight: one write to disk per batch). At most
``transport.concurrency`` batches are in flight; the caller blocks until one finishes
when that many are out. So at any moment the ledger says exactly this: settled batches
are settled, and the batches in flight (at most ``concurrency``) are the only ones a kill
leaves for the next run to call uncertain.

The first error that stops a batch (the key refused, SendGrid down after every retry, the
message itself refused) stops the send: no new batch goes out, the ones in flight are
waited for and settled, and :meth:`Dispatcher.close` raises that error. An interruption
(Ctrl+C) does the same: batches in flight are finished and recorded before it goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass

from newsletter.deliver.ledger import LedgerRun
from newsletter.deliver.transport import HandOver, Message, Receipt, Recipient, Transport
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
    """Sends batches for ``run`` over ``transport``; see the module docstring."""

    def __init__(
        self,
        transport: Transport,
        run: LedgerRun,
        issue: str,
        *,
        on_settled: Callable[[int], None] | None = None,
    ) -> None:
        self._transport = transport
        self._run = run
        self._issue = issue
        self._on_settled = on_settled
        self._pool = ThreadPoolExecutor(transport.concurrency, thread_name_prefix="send")
        self._hand_over: HandOver | None = getattr(transport, "submit", None)
        self._in_flight: dict[Future[Receipt], tuple[str, Receipt, int]] = {}
        self.tally = Tally()
        self.stopped_by: BaseException | None = None

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
        refused: Exception | None = None
        with self._run.together():
            for future in done:
                self._settle(future)
            if self.stopped_by:
                return False
            try:
                emails = [r.email for r in recipients]
                self._run.mark_in_flight(self._issue, emails, batch, segments)
            except Exception as error:  # undone alone: the outcomes above are still kept
                refused = error
        if refused is not None:
            raise refused
        receipt = Receipt()
        if self._hand_over is not None:  # the transport takes it without a thread of ours
            try:
                future = self._hand_over(message, recipients, receipt)
            except Exception as error:  # settled as the pool's worker would have it
                future = Future()
                future.set_exception(error)
        else:
            future = self._pool.submit(self._transport.send_batch, message, recipients, receipt)
        self._in_flight[future] = (batch, receipt, len(recipients))
        return True

    def close(self, *, raise_stop: bool = True) -> None:
        """Wait for every batch in flight and settle it; then raise what stopped the send."""
        try:
            while self._in_flight:
                done = self._finished(wait=True)
                with self._run.together():
                    for future in done:
                        self._settle(future)
        finally:
            self._pool.shutdown(wait=not self._in_flight)
        if raise_stop and self.stopped_by is not None:
            raise self.stopped_by

    def _finished(self, *, wait: bool) -> set[Future[Receipt]]:
        """Batches whose sending is over: at least one if ``wait``, else those already."""
        if not self._in_flight:
            return set()
        done, _ = futures_wait(
            self._in_flight, timeout=None if wait else 0, return_when=FIRST_COMPLETED
        )
        return done

    def _settle(self, future: Future[Receipt]) -> None:
        batch, receipt, size = self._in_flight.pop(future)
        error = future.exception()
        if error is None:
            rest = None
        elif isinstance(error, NewsletterError):
            # A transport's own error: whoever has no outcome was not delivered.
            rest = error.one_line()
        else:
            rest = None  # a bug: nobody can say, so the rest stay for recovery
        self._run.settle(self._issue, batch, receipt, rest=rest, size=size)
        self._count(receipt, size, rest)
        if error is not None and self.stopped_by is None:
            self.stopped_by = error
        if self._on_settled:
            self._on_settled(size)

    def _count(self, receipt: Receipt, size: int, rest: str | None) -> None:
        tally = self.tally
        tally.batches += 1
        tally.sent += len(receipt.sent)
        tally.rejected += len(receipt.rejected)
        tally.uncertain += len(receipt.uncertain)
        tally.failed += len(receipt.deferred)
        if rest is not None:
            tally.failed += size - receipt.count()
