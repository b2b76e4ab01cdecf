"""``run_send()``: one email to a list, each reader exactly once: the one loop of every send
(the monthly issue, the quarter's nurture email, any later automated email).

A :class:`SendJob` is what to send: a ledger key, the readers (read once, in the groups that
share a message), each group's message and each reader's own values. ``run_send`` does the
rest, the same for every job::

    desk checked ─► job opened ─► ledger held ─► dead runs recovered ─► released ─► planned
      ─► each reader not done yet, in batches by message ─► dispatched ─► tallied ─► report

The desk check (nobody who opted out on the desk and is not yet in suppressions.csv may
be mailed) is a required argument: a caller skips it only by saying so. A dry run (no
transport) checks nothing, changes nothing and says what a send would do.

Batches go out over ``transport.concurrency`` threads (:class:`Dispatcher`). The calling
thread does all ledger work (a SQLite connection stays on one thread): it marks a batch in
flight and commits that *before* a worker may send it, and settles each batch from its
receipt once the worker is done, in the commit that puts the next one in flight. So at any
moment the ledger says exactly this: settled batches are settled, and the batches in flight
(at most ``concurrency``) are the only ones a kill leaves for the next run to call
uncertain. With the caller's ``checkpoint`` (a place to make the ledger durable elsewhere
before anything goes out, such as a push of it), every ``checkpoint_every`` batches put in
flight wait for one run of it before any of them goes, so a copy made by it names every
batch that may have gone (at most ``concurrency + checkpoint_every - 1`` in flight).

The first error that stops a batch (the key refused, SendGrid down after every retry, the
message itself refused) stops the send: no new batch goes out, those in flight are waited
for and settled, and the error is raised. An interruption (Ctrl+C) does the same wherever
it lands: a batch is known to the dispatcher before it is marked in flight, so one that no
worker took yet is settled as not sent, and every other is recorded before it goes on.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future
from concurrent.futures import wait as futures_wait
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import partial
from typing import TypedDict, Unpack

from newsletter.deliver.ledger import Ledger, LedgerRun
from newsletter.deliver.roster import Reader, Roster
from newsletter.deliver.transport import Message, Receipt, Recipient, Transport
from newsletter.errors import NewsletterError
from newsletter.model import SEGMENTS

PROBLEMS_SHOWN = 20  # rejected or failed recipients listed in a report
DONE = ("sent", "uncertain", "in_flight", "rejected")  # what a run does not send again

DeskCheck = Callable[[], object]
"""Raises (a NewsletterError naming what to do) while the desk holds opt-outs not pulled
into the lists: :func:`newsletter.desk.project.check_desk_pulled` for a project."""


class RunOptions(TypedDict, total=False):
    """What a caller may ask of a run, besides the job, transport, ledger and desk check."""

    limit: int | None  # address at most this many
    resend_uncertain: bool  # --resend-uncertain: the uncertain are sent again
    retry_rejected: bool  # --retry-rejected: the rejected are sent again
    on_plan: Callable[[int], None] | None  # told how many this run will address
    on_batch: Callable[[int], None] | None  # told how many each finished batch held
    checkpoint: Callable[[], None] | None  # runs after each batch is in flight, before it goes
    checkpoint_every: int  # with a checkpoint: batches put in flight before each (default 1)


def skip_desk_check() -> None:
    """The desk check of a send told to skip it (``--skip-desk-check``)."""


@dataclass(frozen=True)
class SendJob:
    """One email to a list (see the module docstring), as a job's opening makes it."""

    key: str  # the ledger's: "2026-11", "nurture-2026Q4"
    roster: Roster  # who, read once, in groups by message
    message: Callable[[str], Message]  # a group's message
    recipient: Callable[[Reader], Recipient]  # a reader's own values


@dataclass(frozen=True)
class Batch:
    """One request's worth of readers: their message, their normalized addresses and
    segments (the ledger's), and a maker of their recipients, which runs on the thread that
    sends them (so one batch is personalized while the ledger commits another)."""

    message: Message
    emails: Sequence[str]
    segments: Sequence[str]
    recipients: Callable[[], Sequence[Recipient]]


@dataclass
class SendReport:
    key: str
    by_segment: dict[str, int] = field(default_factory=dict)  # recipients this run addressed
    suppressed: int = 0
    not_email: int = 0
    already_sent: int = 0  # skipped: sent before this run
    done_otherwise: int = 0  # skipped: rejected or uncertain before this run
    uncertain: list[str] = field(default_factory=list)  # every uncertain one of the key
    sent: int = 0
    rejected: int = 0  # this run: refused for good, each with its own reason
    failed: int = 0  # this run: not taken this time; the next run retries them
    newly_uncertain: int = 0  # this run: the answer was lost, or a dead run's in flight
    batches: int = 0
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    """Up to PROBLEMS_SHOWN (email, status, reason) of the key's rejected and failed."""


def run_send(
    job: AbstractContextManager[SendJob],
    *,
    transport: Transport | None,
    ledger: Ledger,
    desk_check: DeskCheck,
    **options: Unpack[RunOptions],
) -> SendReport:
    """Send ``job`` to each of its readers not yet sent it (see the module docstring): a
    dry run without ``transport``. ``job`` is opened (its build and list read) once the
    desk check passed. A live send holds the ledger: a second one at the same time is
    refused at once with LockBusy, naming the first."""
    limit = options.get("limit")
    resend_uncertain = options.get("resend_uncertain", False)
    retry_rejected = options.get("retry_rejected", False)
    on_plan = options.get("on_plan")
    if transport is None:
        released = {"uncertain": resend_uncertain, "rejected": retry_rejected}
        with job as opened:
            return _dry_run(opened, ledger, limit, _skipped(released))
    desk_check()
    with job as opened, ledger.run(purpose=f"send {opened.key}") as run:
        key = opened.key
        recovered = run.recover(key)  # in flight when a run died: uncertain from now on
        if resend_uncertain:
            run.release_uncertain(key)
        if retry_rejected:
            run.release_rejected(key)
        report = _report(opened)
        if on_plan:
            done = ledger.counts(key)
            left = max(0, opened.roster.emailable - sum(done[s] for s in DONE))
            on_plan(left if limit is None else min(limit, left))
        due = _due(opened, ledger, DONE, report, limit)
        batches = _batches(opened, due, transport.max_batch)
        dispatching = Dispatcher(
            transport,
            run,
            report,
            on_settled=options.get("on_batch"),
            checkpoint=options.get("checkpoint"),
            checkpoint_every=options.get("checkpoint_every", 1),
        )
        with dispatching as out:
            for number, batch in enumerate(batches, 1):
                if not out.send(batch, f"{run.id}-{number:05d}"):
                    break
        if not resend_uncertain:  # the dead run never reported them: this run is the first
            report.newly_uncertain += len(recovered)
        report.uncertain = sorted(ledger.uncertain(key))
        report.problems = ledger.problems(key, limit=PROBLEMS_SHOWN)
        return report


def _skipped(released: Mapping[str, bool]) -> tuple[str, ...]:
    """The ledger statuses a run does not send again, less those ``released`` for it
    (``{"uncertain": True}`` with --resend-uncertain): a dry run, which changes nothing in
    the ledger, counts the released ones as due."""
    return tuple(status for status in DONE if not released.get(status))


def _report(job: SendJob) -> SendReport:
    roster = job.roster
    return SendReport(key=job.key, suppressed=roster.suppressed, not_email=roster.not_email)


def _due(
    job: SendJob, ledger: Ledger, skip: tuple[str, ...], report: SendReport, limit: int | None
) -> Iterator[list[Reader]]:
    """Each chunk of the readers this run addresses (a chunk is one group's), counted by
    segment in ``report``; those the ledger has in a ``skip`` status, or past ``limit``,
    are left out (the first counted as skipped)."""
    key, by_segment = job.key, Counter[str]()
    remaining = limit
    empty = not any(ledger.counts(key).values())
    for chunk in job.roster.chunks():
        done = {} if empty else ledger.statuses(key, [row[1] for row in chunk], skip)
        if done:
            already = sum(status == "sent" for status in done.values())
            report.already_sent += already
            report.done_otherwise += len(done) - already
            chunk = [row for row in chunk if row[1] not in done]
        if remaining is not None:
            chunk = chunk[:remaining]
            remaining -= len(chunk)
        by_segment.update(row[4] for row in chunk)
        report.by_segment = dict(sorted(by_segment.items(), key=_segment_order))
        if chunk:
            yield chunk


def _dry_run(job: SendJob, ledger: Ledger, limit: int | None, skip: tuple[str, ...]) -> SendReport:
    report = _report(job)
    for _ in _due(job, ledger, skip, report, limit):
        pass  # counted
    # Rows a killed run left in flight will become uncertain.
    report.uncertain = sorted(ledger.uncertain(job.key) | ledger.in_flight(job.key))
    report.problems = ledger.problems(job.key, limit=PROBLEMS_SHOWN)
    return report


def _batches(job: SendJob, chunks: Iterator[list[Reader]], size: int) -> Iterator[Batch]:
    """Each batch of ``size`` readers at most: each group's readers in turn (the roster
    gives them group by group)."""
    waiting: list[Reader] = []
    for chunk in itertools.chain(chunks, [[]]):
        group = chunk[0][6] if chunk else None
        if waiting and group != waiting[0][6]:  # the last of a group
            yield _batch(job, waiting)
            waiting = []
        waiting += chunk
        while len(waiting) >= size:
            yield _batch(job, waiting[:size])
            waiting = waiting[size:]


def _batch(job: SendJob, readers: list[Reader]) -> Batch:
    emails, segments = [r[1] for r in readers], [r[4] for r in readers]
    return Batch(job.message(readers[0][6]), emails, segments, partial(_personalized, job, readers))


def _personalized(job: SendJob, readers: list[Reader]) -> list[Recipient]:
    recipient = job.recipient
    return [recipient(reader) for reader in readers]


def _segment_order(item: tuple[str, int]) -> int:
    return SEGMENTS.index(item[0]) if item[0] in SEGMENTS else len(SEGMENTS)


class Dispatcher:
    """Sends batches of ``report.key`` for ``run`` over ``transport`` (see the module
    docstring), counting what became of them in ``report``; use as a context manager."""

    def __init__(
        self,
        transport: Transport,
        run: LedgerRun,
        report: SendReport,
        *,
        on_settled: Callable[[int], None] | None = None,
        checkpoint: Callable[[], None] | None = None,
        checkpoint_every: int = 1,
    ) -> None:
        self._transport = transport
        self._run = run
        self._key = report.key
        self.report = report
        self._on_settled = on_settled
        self._checkpoint = checkpoint
        self._checkpoint_every = max(1, checkpoint_every)
        self._held: list[_Work] = []
        """Batches in flight that wait for the next checkpoint before any of them goes."""
        self._in_flight: dict[Future[Receipt], tuple[str, Receipt, int]] = {}
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

    def send(self, batch: Batch, batch_id: str) -> bool:
        """Put ``batch`` in flight as ``batch_id`` once a place is free; False (nothing
        sent) once the send has stopped. Batches finished meanwhile are settled in the
        same commit."""
        sending = len(self._in_flight) - len(self._held)
        done = self._finished(wait=sending >= self._transport.concurrency)
        receipt = Receipt()
        future: Future[Receipt] = Future()
        refused: Exception | None = None
        with self._run.together():
            for finished in done:
                self._settle(finished)
            if self.stopped_by:
                return False
            self._in_flight[future] = (batch_id, receipt, len(batch.emails))
            try:
                self._run.mark_in_flight(self._key, batch.emails, batch_id, batch.segments)
            except Exception as error:  # undone alone: the outcomes above are still kept
                del self._in_flight[future]
                refused = error
        if refused is not None:
            raise refused
        self._held.append((future, batch, receipt))
        if len(self._held) >= self._checkpoint_every or self._checkpoint is None:
            self._release_held()
        return True

    def _release_held(self) -> None:
        """Run the checkpoint, then hand the held batches to the workers; if it fails,
        none of them goes out (each is settled as not sent) and its error is raised."""
        held, self._held = self._held, []
        if held and self._checkpoint is not None:
            try:
                self._checkpoint()
            except BaseException:
                for future, _, _ in held:
                    future.cancel()  # nothing of it went out
                raise
        for work in held:
            self._work.put(work)

    def _end_held(self, *, send: bool) -> BaseException | None:
        """At the close: send the held batches after a last checkpoint, or (``send``
        False: the send stopped) settle them as not sent; what the checkpoint raised."""
        if send:
            try:
                self._release_held()
            except BaseException as error:
                return error
        for future, _, _ in self._held:
            future.cancel()
        self._held = []
        return None

    def close(self, *, raise_stop: bool = True) -> None:
        """Wait for every batch in flight and settle it; then raise what stopped the send.
        Unless the send ended as it should (``raise_stop``), batches no worker took yet
        are settled as not sent."""
        failed = self._end_held(send=raise_stop and self.stopped_by is None)
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
        if failed is not None:
            raise failed
        if raise_stop and self.stopped_by is not None:
            raise self.stopped_by

    def _sending(self) -> None:
        """A worker: send each batch it takes, its receipt (or error) in the batch's future."""
        while (work := self._work.get()) is not None:
            future, batch, receipt = work
            if future.set_running_or_notify_cancel():  # else settled as not sent
                try:
                    recipients = batch.recipients()
                    future.set_result(
                        self._transport.send_batch(batch.message, recipients, receipt)
                    )
                except BaseException as error:
                    future.set_exception(error)
                recipients = []
            del work, future, batch  # none held while waiting for the next

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
        report = self.report
        report.batches += 1
        report.sent += len(receipt.sent)
        report.rejected += len(receipt.rejected)
        report.newly_uncertain += len(receipt.uncertain)
        report.failed += len(receipt.deferred) + (size - receipt.count() if rest is not None else 0)
        if error is not None and self.stopped_by is None:
            self.stopped_by = error
        if self._on_settled:
            self._on_settled(size)


_SPELL = 0.5  # seconds
_Work = tuple[Future[Receipt], Batch, Receipt]
