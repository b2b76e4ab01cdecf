"""A checkpoint for a group of batches (newsletter/deliver/job.py): every
``checkpoint_every`` batches put in flight wait for one run of the checkpoint, and none of
them goes out before it, or at all if it fails."""

from __future__ import annotations

from newsletter.deliver.job import Dispatcher, SendReport
from newsletter.deliver.ledger import Ledger, LedgerRun
from newsletter.errors import LedgerError
from tests.deliver.test_dispatch import ISSUE, HeldTransport, batch, ledger, run

__all__ = ["ledger", "run"]  # the fixtures, shared with the dispatcher's own tests


def test_a_group_of_batches_is_in_flight_before_its_one_checkpoint_and_goes_only_after_it(
    ledger: Ledger, run: LedgerRun
) -> None:
    transport = HeldTransport(ledger.path)
    transport.release(5)
    seen: list[tuple[set[str], set[str]]] = []  # (batches in flight, batches taken)

    def checkpoint() -> None:
        firsts = [f"{name}0@example.com" for name in "abcde"]
        in_flight = ledger.statuses(ISSUE, firsts, ["in_flight"])
        taken = {emails[0][0] for emails in transport.batches}
        seen.append(({email[0] for email in in_flight}, taken))

    report = SendReport(ISSUE)
    with Dispatcher(
        transport, run, report, checkpoint=checkpoint, checkpoint_every=3
    ) as dispatcher:
        for name in "abcde":
            assert dispatcher.send(batch(name), f"b-{name}")
    first, last = seen
    assert first == ({"a", "b", "c"}, set())
    assert {"d", "e"} <= last[0] and last[1] <= {"a", "b", "c"}
    assert ledger.counts(ISSUE)["sent"] == 10
    assert report.sent == 10


def test_a_failed_checkpoint_sends_none_of_its_group_and_leaves_them_to_retry(
    ledger: Ledger, run: LedgerRun
) -> None:
    transport = HeldTransport(ledger.path)
    transport.release(5)
    runs = 0

    def checkpoint() -> None:
        nonlocal runs
        runs += 1
        if runs == 2:
            raise LedgerError("the ledger could not be saved")

    report = SendReport(ISSUE)
    try:
        with Dispatcher(
            transport, run, report, checkpoint=checkpoint, checkpoint_every=2
        ) as dispatcher:
            for name in "abcde":
                dispatcher.send(batch(name), f"b-{name}")
    except LedgerError:
        pass
    else:
        raise AssertionError("the failed checkpoint was not raised")
    assert [emails[0][0] for emails in transport.batches] == ["a", "b"]
    counts = ledger.counts(ISSUE)
    assert (counts["sent"], counts["failed"], counts["in_flight"]) == (4, 4, 0)


def test_a_checkpoint_failing_at_the_close_sends_none_of_the_last_group(
    ledger: Ledger, run: LedgerRun
) -> None:
    transport = HeldTransport(ledger.path)

    def checkpoint() -> None:
        raise LedgerError("the ledger could not be saved")

    try:
        with Dispatcher(
            transport, run, SendReport(ISSUE), checkpoint=checkpoint, checkpoint_every=3
        ) as dispatcher:
            dispatcher.send(batch("a"), "b-a")
    except LedgerError:
        pass
    else:
        raise AssertionError("the failed checkpoint was not raised")
    assert transport.batches == []
    assert ledger.counts(ISSUE)["failed"] == 2
