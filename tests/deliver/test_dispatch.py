"""The dispatcher (newsletter/deliver/job.py): a batch is in flight in the ledger before
it goes out, and an interruption or an error sends nothing more while everything in
flight is settled. Every test waits on events (a batch reaching the transport, a place
freed in flight), never on a clock."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from newsletter.deliver.job import Batch, Dispatcher, SendReport
from newsletter.deliver.ledger import Ledger, LedgerRun
from newsletter.deliver.transport import Message, Receipt, Recipient
from newsletter.errors import LedgerError
from tests.deliver.test_sendgrid_transport import MESSAGE

ISSUE = "2026-11"
DEADLINE = 20


class HeldTransport:
    """Takes each batch once let go (:meth:`release`), noting what each recipient's
    ledger row said when the batch reached it."""

    max_batch = 10
    concurrency = 1

    def __init__(self, ledger_path: Path, on_reach: Callable[[], None] | None = None) -> None:
        self.ledger_path = ledger_path
        self.on_reach = on_reach
        self.batches: list[list[str]] = []
        self.seen_as: dict[str, set[str]] = {}
        self.reached = threading.Semaphore(0)
        self._go = threading.Semaphore(0)

    def release(self, batches: int = 1) -> None:
        for _ in range(batches):
            self._go.release()

    def send_batch(
        self, message: Message, recipients: Sequence[Recipient], receipt: Receipt | None = None
    ) -> Receipt:
        receipt = Receipt() if receipt is None else receipt
        emails = [r.email for r in recipients]
        with Ledger(self.ledger_path) as reader:  # another connection, as another process
            self.seen_as[emails[0]] = {reader.statuses(ISSUE, emails, ["in_flight"])[emails[0]]}
        self.batches.append(emails)
        self.reached.release()
        if self.on_reach is not None:
            self.on_reach()
        assert self._go.acquire(timeout=DEADLINE)
        receipt.sent.update(dict.fromkeys(emails, f"msg-{len(self.batches)}"))
        return receipt

    def close(self) -> None:
        pass


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger.sqlite") as opened:
        yield opened


@pytest.fixture
def run(ledger: Ledger) -> Iterator[LedgerRun]:
    with ledger.run(purpose="dispatch test") as held:
        yield held


def batch(name: str) -> Batch:
    recipients = [Recipient(f"{name}{n}@example.com", "", {}) for n in range(2)]
    return Batch(MESSAGE, [r.email for r in recipients], ["client"] * 2, lambda: recipients)


def test_a_batch_reaches_the_transport_only_once_it_is_in_flight_in_the_ledger(
    ledger: Ledger, run: LedgerRun
) -> None:
    transport = HeldTransport(ledger.path)
    transport.release(2)
    with Dispatcher(transport, run, SendReport(ISSUE)) as dispatcher:
        assert dispatcher.send(batch("a"), "b1")
        assert dispatcher.send(batch("b"), "b2")
    assert transport.seen_as == {"a0@example.com": {"in_flight"}, "b0@example.com": {"in_flight"}}
    assert ledger.counts(ISSUE)["sent"] == 4
    assert dispatcher.report.sent == 4


def test_an_interruption_sends_nothing_more_and_settles_what_is_in_flight(
    ledger: Ledger, run: LedgerRun
) -> None:
    main = threading.main_thread().ident
    assert main == threading.get_ident()  # Ctrl+C reaches the main thread
    # Ctrl+C while the first batch is out (one place in flight: the second batch waits for
    # it); the batch is let go as the interruption is raised.
    transport = HeldTransport(
        ledger.path, on_reach=lambda: signal.pthread_kill(main, signal.SIGINT)
    )

    def interrupted(signum: int, frame: object) -> None:
        transport.release()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        with (
            pytest.raises(KeyboardInterrupt),
            Dispatcher(transport, run, SendReport(ISSUE)) as dispatcher,
        ):
            dispatcher.send(batch("a"), "b1")
            dispatcher.send(batch("b"), "b2")  # waits for a place: interrupted
    finally:
        signal.signal(signal.SIGINT, previous)
    assert transport.batches == [["a0@example.com", "a1@example.com"]]
    assert ledger.sent(ISSUE) == {"a0@example.com", "a1@example.com"}
    assert ledger.counts(ISSUE)["in_flight"] == 0


def test_a_batch_the_ledger_refuses_stops_the_send_and_keeps_the_outcomes_settled_with_it(
    ledger: Ledger, run: LedgerRun
) -> None:
    transport = HeldTransport(ledger.path)
    transport.release(1)
    refusal = "already sent, uncertain, rejected or in flight"
    with (
        pytest.raises(LedgerError, match=refusal),
        Dispatcher(transport, run, SendReport(ISSUE)) as sending,
    ):
        sending.send(batch("a"), "b1")
        # One place in flight: the next send waits for the first batch, which is settled
        # in the commit that then refuses the same readers again.
        sending.send(batch("a"), "b2")
    assert len(transport.batches) == 1
    assert ledger.sent(ISSUE) == {"a0@example.com", "a1@example.com"}


def test_a_checkpoint_runs_once_a_batch_is_in_flight_and_before_it_goes_out(
    ledger: Ledger, run: LedgerRun
) -> None:
    transport = HeldTransport(ledger.path)
    transport.release(1)
    seen: list[tuple[dict[str, str], int]] = []

    def checkpoint() -> None:
        seen.append(
            (ledger.statuses(ISSUE, ["a0@example.com"], ["in_flight"]), len(transport.batches))
        )

    with Dispatcher(transport, run, SendReport(ISSUE), checkpoint=checkpoint) as dispatcher:
        dispatcher.send(batch("a"), "b1")
    assert seen == [({"a0@example.com": "in_flight"}, 0)]
    assert ledger.counts(ISSUE)["sent"] == 2


def test_a_failed_checkpoint_sends_nothing_and_leaves_the_batch_to_retry(
    ledger: Ledger, run: LedgerRun
) -> None:
    transport = HeldTransport(ledger.path)

    def checkpoint() -> None:
        raise LedgerError("the ledger could not be saved")

    with (
        pytest.raises(LedgerError),
        Dispatcher(transport, run, SendReport(ISSUE), checkpoint=checkpoint) as out,
    ):
        out.send(batch("a"), "b1")
    assert transport.batches == []
    assert ledger.counts(ISSUE)["failed"] == 2  # certainly not sent: the next run sends them
