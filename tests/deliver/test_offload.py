"""A transport in a process of its own (newsletter/deliver/offload.py): the same receipts and
errors as in this process, and a child that never outlives the send or sends unknown."""

# The fixture is imported by name (tests/conftest.py is shared), so ruff sees each test's
# argument as a redefinition.

from __future__ import annotations

import functools
import gc
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from collections.abc import Sequence
from multiprocessing.connection import Connection

import pytest

from newsletter.deliver.offload import ProcessTransport, _serve
from newsletter.deliver.sendgrid import SendGridTransport
from newsletter.deliver.transport import Message, Receipt, Recipient
from newsletter.errors import AuthError, DeliveryError
from tests.deliver.test_sendgrid_transport import MESSAGE, recipients
from tests.fake_sendgrid import API_KEY, FakeSendGrid

DEADLINE = 20


def in_child(server: FakeSendGrid, api_key: str = API_KEY) -> ProcessTransport:
    make = functools.partial(
        SendGridTransport, api_key, base_url=server.base_url, timeout=5, concurrency=2
    )
    return ProcessTransport(make, max_batch=SendGridTransport.max_batch, concurrency=2)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone, only not yet waited for
        return stat.read().rpartition(")")[2].split()[0] != "Z"


def test_a_batch_sent_from_the_child_comes_back_with_everyone_sent(
    fake_sendgrid: FakeSendGrid,
) -> None:
    with in_child(fake_sendgrid) as transport:
        receipt = transport.send_batch(MESSAGE, recipients(3))
    message_id = fake_sendgrid.accepted[0].message_id
    assert receipt.sent == {f"r{i}@example.com": message_id for i in range(3)}
    assert fake_sendgrid.accepted[1].substitutions == {"%%FIRST_NAME%%": "Reader1"}


def test_a_batch_handed_over_returns_at_once_and_its_receipt_comes_later(
    fake_sendgrid: FakeSendGrid,
) -> None:
    # The send's main thread hands batches over itself: no thread of its own waits on each.
    fake_sendgrid.delay = 1.0
    with in_child(fake_sendgrid) as transport:
        first = transport.submit(MESSAGE, recipients(2), Receipt())
        second = transport.submit(MESSAGE, recipients(3)[2:], Receipt())
        assert not first.done() and not second.done()
        receipts = first.result(DEADLINE), second.result(DEADLINE)
    assert [set(receipt.sent) for receipt in receipts] == [
        {"r0@example.com", "r1@example.com"},
        {"r2@example.com"},
    ]


class Batch(list[Recipient]):
    """A batch that can be watched for being freed (a list cannot)."""


def test_nothing_of_a_batch_is_kept_once_its_receipt_is_in(fake_sendgrid: FakeSendGrid) -> None:
    # A send collects cycles rarely (collector.py): a batch held by a reference cycle stayed
    # in memory, 35 MB more at 100,000 recipients.
    batch = Batch(recipients(3))
    freed = weakref.ref(batch)
    gc.disable()
    try:
        with in_child(fake_sendgrid) as transport:
            transport.submit(MESSAGE, batch, Receipt()).result(DEADLINE)
            del batch
            assert freed() is None
    finally:
        gc.enable()


def test_a_batch_handed_over_once_the_child_is_known_gone_fails_as_not_sent(
    fake_sendgrid: FakeSendGrid,
) -> None:
    transport = in_child(fake_sendgrid)
    transport.send_batch(MESSAGE, recipients(1))  # started and sending
    os.kill(transport.pid, signal.SIGKILL)
    transport._reader.join(DEADLINE)  # it has seen the child go
    receipt = Receipt()
    future = transport.submit(MESSAGE, recipients(2), receipt)
    with pytest.raises(DeliveryError, match="stopped"):
        future.result(DEADLINE)
    assert receipt.count() == 0  # nobody uncertain: it never left this process
    transport.close()
    assert len(fake_sendgrid.emails()) == 1


def test_an_error_of_the_childs_transport_is_raised_here_as_the_same_class(
    fake_sendgrid: FakeSendGrid,
) -> None:
    with in_child(fake_sendgrid, api_key="SG.wrong") as transport, pytest.raises(AuthError):
        transport.send_batch(MESSAGE, recipients(2))
    assert fake_sendgrid.emails() == []


def test_a_child_killed_mid_request_leaves_its_batch_uncertain(
    fake_sendgrid: FakeSendGrid,
) -> None:
    fake_sendgrid.delay = 5.0  # the request is out when the child dies (it starts in < 1 s)
    transport = in_child(fake_sendgrid)
    receipt = Receipt()
    started = time.monotonic()
    killer = subprocess.Popen(["sh", "-c", f"sleep 2.5; kill -9 {transport.pid}"])
    with pytest.raises(DeliveryError, match="may or may not have sent"):
        transport.send_batch(MESSAGE, recipients(3), receipt)
    killer.wait()
    transport.close()
    assert set(receipt.uncertain) == {f"r{i}@example.com" for i in range(3)}
    assert time.monotonic() - started < DEADLINE


def test_the_child_dies_with_a_killed_send(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.delay = 5.0  # a request stays out until the child is gone
    script = textwrap.dedent(
        f"""
        import functools, sys, threading
        from newsletter.deliver.offload import ProcessTransport
        from newsletter.deliver.sendgrid import SendGridTransport
        from tests.deliver.test_sendgrid_transport import MESSAGE, recipients
        url = {fake_sendgrid.base_url!r}
        make = functools.partial(SendGridTransport, {API_KEY!r}, base_url=url)
        transport = ProcessTransport(make, max_batch=1000, concurrency=1)
        print(transport.pid, flush=True)
        threading.Thread(target=transport.send_batch, args=(MESSAGE, recipients(1))).start()
        """
    )
    send = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert send.stdout is not None
    helper = int(send.stdout.readline())
    time.sleep(2.5)  # the child started and its request is out
    send.send_signal(signal.SIGKILL)
    send.wait(DEADLINE)
    deadline = time.monotonic() + DEADLINE
    while alive(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(helper)


class Instant:
    """A transport that takes every batch at once (made in the child from a pickle)."""

    max_batch = 10
    concurrency = 1

    def send_batch(
        self, message: Message, recipients: Sequence[Recipient], receipt: Receipt | None = None
    ) -> Receipt:
        receipt = Receipt() if receipt is None else receipt
        receipt.sent.update(dict.fromkeys((r[0] for r in recipients), "id"))
        return receipt

    def close(self) -> None:
        pass


def test_the_child_ends_quietly_when_the_send_is_gone_with_answers_unread() -> None:
    # A SIGKILLed send's sockets close before the kernel signals the child: the child
    # then reads a reset (our answers were unread), and must not print a traceback.
    ours, theirs = socket.socketpair()
    send, serve = Connection(ours.detach()), Connection(theirs.detach())
    failures: list[BaseException] = []

    def child() -> None:
        try:
            _serve(serve)
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=child)
    thread.start()
    send.send(Instant)
    assert send.recv() == "ready"
    send.send((0, MESSAGE, [("r0@example.com", "", {}, {})]))
    deadline = time.monotonic() + DEADLINE
    while not send.poll(0.01) and time.monotonic() < deadline:
        pass  # the answer arrived, and stays unread
    send.close()
    thread.join(DEADLINE)
    assert not thread.is_alive()
    assert failures == []
