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
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TypedDict

from newsletter.deliver.dispatch import Dispatcher
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.roster import Reader, Roster
from newsletter.deliver.transport import Message, Recipient, Transport
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


def skip_desk_check() -> None:
    """The desk check of a send told to skip it (``--skip-desk-check``)."""


@dataclass(frozen=True)
class SendJob:
    """One email to a list (see the module docstring), as a job's opening makes it."""

    key: str  # the ledger's: "2026-11", "nurture-2026Q4"
    roster: Roster  # who, read once, in groups by message
    message: Callable[[str], Message]  # a group's message
    recipient: Callable[[Reader], Recipient]  # a reader's own values


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
    limit: int | None = None,
    resend_uncertain: bool = False,
    retry_rejected: bool = False,
    on_plan: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> SendReport:
    """Send ``job`` to each of its readers not yet sent it; see the module docstring.

    ``job`` is opened (its build and list read) once the desk check passed. With
    ``transport=None``, a dry run. A live send holds the ledger: a second one at the same
    time is refused at once with LockBusy, naming the first. ``on_plan`` is told how many
    recipients this run will address, ``on_batch`` how many each finished batch held;
    ``checkpoint`` runs after each batch is committed in flight, before it goes out.
    """
    if transport is None:
        released = {"uncertain": resend_uncertain, "rejected": retry_rejected}
        with job as opened:
            return _dry_run(opened, ledger, limit, skip_statuses(released))
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
        with Dispatcher(transport, run, key, on_settled=on_batch, checkpoint=checkpoint) as out:
            for number, (message, recipients, segments) in enumerate(batches, 1):
                if not out.send(message, recipients, f"{run.id}-{number:05d}", segments):
                    break
        tally = out.tally
        report.sent, report.rejected, report.failed = tally.sent, tally.rejected, tally.failed
        report.batches, report.newly_uncertain = tally.batches, tally.uncertain
        if not resend_uncertain:  # the dead run never reported them: this run is the first
            report.newly_uncertain += len(recovered)
        report.uncertain = sorted(ledger.uncertain(key))
        report.problems = ledger.problems(key, limit=PROBLEMS_SHOWN)
        return report


def skip_statuses(released: Mapping[str, bool]) -> tuple[str, ...]:
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


def _batches(
    job: SendJob, chunks: Iterator[list[Reader]], size: int
) -> Iterator[tuple[Message, list[Recipient], list[str]]]:
    """(message, recipients, their segments) of each batch of ``size`` at most, personalized:
    each group's readers in turn (the roster gives them group by group)."""
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


def _batch(job: SendJob, readers: list[Reader]) -> tuple[Message, list[Recipient], list[str]]:
    recipient = job.recipient
    return job.message(readers[0][6]), [recipient(r) for r in readers], [r[4] for r in readers]


def _segment_order(item: tuple[str, int]) -> int:
    return SEGMENTS.index(item[0]) if item[0] in SEGMENTS else len(SEGMENTS)
