"""A transport in a process of its own, so a send uses both cores.

A SendGrid send spends about as much CPU turning each batch into its request (the
personalizations, their JSON, urllib) as it spends reading the list and keeping the
ledger, and Python runs one thread at a time. :class:`ProcessTransport` gives the first
half to a child process: it forwards each batch (the message and each recipient's values)
over a pipe, the child sends it with a transport of its own on a pool of threads, and the
batch's receipt comes back the same way. Here, a batch is pickled by the thread that hands
it over (:meth:`ProcessTransport.submit`), written by one thread and answered by another.
This process keeps everything that must be exact: the ledger, the lock, the order in which
batches are marked in flight and settled.

Faults keep their meaning:

- The child dies with this process (``PR_SET_PDEATHSIG``): a SIGKILL of the send stops
  every request at once, as it would stop the threads of a transport in this process.
  Batches in flight are left in flight in the ledger, for the next run to call uncertain.
- Ctrl+C reaches only this process (the child ignores SIGINT), which lets the batches in
  flight finish and records them before stopping, as with any transport.
- If the child dies first, every recipient of a batch it held without an outcome is
  recorded as uncertain (it may have sent them) and the send stops with a DeliveryError.
- Errors the inner transport raises come back as the same class with the same message.

Only where the kernel can tie the child's life to this process (Linux) is a batch sent
from a child; elsewhere :func:`own_process` returns the transport itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import itertools
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

from newsletter import errors
from newsletter.deliver.collector import collect_rarely
from newsletter.deliver.transport import Message, Receipt, Recipient, Transport, as_dict
from newsletter.errors import DeliveryError, NewsletterError

_PR_SET_PDEATHSIG = 1
_Outcomes = tuple[dict[str, str | None], dict[str, str], dict[str, str], dict[str, str]]
_Failure = tuple[str, str, str | None, int | None, str | None] | None
"""(class name in newsletter.errors, message, path, line, key) of a NewsletterError, or
("", description, None, None, None) for anything else."""


def own_process(make: Callable[[], Transport], *, max_batch: int, concurrency: int) -> Transport:
    """``make()``'s transport, run in a child process (see the module docstring) where the
    kernel can end the child with this process; else ``make()`` itself. ``make`` must
    pickle (a class with keyword arguments in a functools.partial)."""
    if not sys.platform.startswith("linux"):
        return make()
    steady_malloc()
    return ProcessTransport(make, max_batch=max_batch, concurrency=concurrency)


_M_ARENA_MAX = -8  # glibc's mallopt parameters
_M_MMAP_THRESHOLD = -3
_ARENAS = 2
_MMAP_THRESHOLD = 128 * 1024  # glibc's default, held there


def steady_malloc() -> None:
    """Keep glibc's malloc from holding on to memory, for a process whose threads each
    handle large short-lived buffers (a batch's pickle, a request's JSON):

    - all threads share two heaps: by default each gets one of its own, which keeps the
      high-water mark of every thread's buffers (a send's 8 threads kept about 25 MB
      more than two shared heaps do, at no cost in time: bench_send.py);
    - a buffer of 128 KiB or more is its own mapping, given back when freed: by default
      the first such buffer freed raises that threshold to its size, and later ones come
      from the heaps, whose free gaps between them grow over a long send (6 MB of the two
      processes' peak at 1,000,000 recipients).

    Call before the threads start; a C library without mallopt is left alone."""
    with contextlib.suppress(AttributeError, OSError):
        mallopt = ctypes.CDLL(None).mallopt
        mallopt(_M_ARENA_MAX, _ARENAS)
        mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)


class ProcessTransport:
    """Forwards every batch to ``make()``'s transport in a child process."""

    def __init__(self, make: Callable[[], Transport], *, max_batch: int, concurrency: int) -> None:
        self.max_batch = max_batch
        self.concurrency = concurrency
        ours, theirs = socket.socketpair()
        # A fresh interpreter that imports only this module: it inherits no lock, no ledger
        # connection, no thread, and does not run the caller's main module again.
        self._child = subprocess.Popen(
            [sys.executable, "-m", __name__, str(theirs.fileno()), str(os.getpid())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            # Its malloc is held steady from the start (see steady_malloc, which this
            # process calls on itself).
            env={
                **os.environ,
                "MALLOC_ARENA_MAX": str(_ARENAS),
                "MALLOC_MMAP_THRESHOLD_": str(_MMAP_THRESHOLD),
            },
        )
        theirs.close()
        self._pipe = Connection(ours.detach())
        self._pipe.send(make)
        self._numbers = itertools.count()
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._waiting: dict[int, Future[tuple[_Outcomes, _Failure]]] = {}
        self._guard = threading.Lock()
        self._gone: str | None = None
        self._reader = threading.Thread(target=self._read, name="send-results", daemon=True)
        self._reader.start()
        self._writer = threading.Thread(target=self._write, name="send-batches", daemon=True)
        self._writer.start()

    @property
    def pid(self) -> int:
        return self._child.pid

    def send_batch(
        self, message: Message, recipients: Sequence[Recipient], receipt: Receipt | None = None
    ) -> Receipt:
        return self.submit(message, recipients, receipt).result()

    def submit(
        self, message: Message, recipients: Sequence[Recipient], receipt: Receipt | None = None
    ) -> Future[Receipt]:
        """Hand the batch to the child and return at once: the future ends with its receipt
        (or the error that stopped it), as :meth:`send_batch` would.

        The batch is pickled on the calling thread and written by a thread of this object's,
        so a send needs no thread of its own per batch in flight. Those threads (8, each
        pickling a batch) competed with the thread keeping the ledger for the interpreter
        lock: it waited, each time it let the lock go for SQLite, for one of them to give
        it back."""
        receipt = Receipt() if receipt is None else receipt
        number = next(self._numbers)
        # Plain tuples of dicts: a named tuple pickles as a call to its class, which takes
        # the child twice as long to read back.
        values = [
            (email, name, as_dict(substitutions), as_dict(headers))
            for email, name, substitutions, headers in recipients
        ]
        data = bytes(ForkingPickler.dumps((number, message, values)))
        answer: Future[tuple[_Outcomes, _Failure]] = Future()
        done: Future[Receipt] = Future()
        with self._guard:
            gone = self._gone
            if gone is None:
                self._waiting[number] = answer
        if gone is not None:  # nothing was sent: nobody in it was delivered
            done.set_exception(DeliveryError(gone))
            return done
        # Not a closure over ``answer``: a future keeps its callbacks, and that cycle would
        # hold each batch's recipients until a collection (rare in a send: collector.py).
        answer.add_done_callback(functools.partial(_settled, recipients, receipt, done))
        self._outbox.put(data)
        return done

    def close(self) -> None:
        """Let the child finish what it holds, then end it."""
        # The end: the child finishes what it holds and exits.
        self._outbox.put(bytes(ForkingPickler.dumps(None)))
        self._outbox.put(None)
        self._writer.join()
        try:
            self._child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()
        self._reader.join()
        self._pipe.close()

    def __enter__(self) -> ProcessTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self) -> None:
        """Write each batch handed over, in order, until the end."""
        while (data := self._outbox.get()) is not None:
            # If the child is gone, the reader answers every batch it held.
            with contextlib.suppress(OSError, ValueError):
                self._pipe.send_bytes(data)

    def _read(self) -> None:
        """Hand each answer to the batch that waits for it; when the child is gone, answer
        every batch still waiting."""
        ready = False  # the child made its transport: from now on it may send
        while True:
            try:
                answer = self._pipe.recv()
            except (EOFError, OSError):
                break
            if answer == _READY:
                ready = True
                continue
            number, outcomes, failure = answer
            with self._guard:
                waiting = self._waiting.pop(number)
            waiting.set_result((outcomes, failure))
            del waiting, answer, outcomes  # not kept while waiting for the next answer
        try:
            status: int | None = self._child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            status = None
        if ready:
            kind, reason = (
                _CHILD_GONE,
                (
                    f"the process sending to the provider stopped (exit status {status}): "
                    "it may or may not have sent what it held"
                ),
            )
        else:  # it never started sending: nothing it held went out
            kind = "DeliveryError"
            reason = f"the process that sends to the provider did not start (exit status {status})"
        with self._guard:
            self._gone = reason
            left, self._waiting = self._waiting, {}
        empty: _Outcomes = ({}, {}, {}, {})
        for waiting in left.values():
            waiting.set_result((empty, (kind, reason, None, None, None)))


_CHILD_GONE = "-"


def _settled(
    recipients: Sequence[Recipient],
    receipt: Receipt,
    done: Future[Receipt],
    answer: Future[tuple[_Outcomes, _Failure]],
) -> None:
    """Record the child's answer for a batch in its receipt, and end ``done`` with it (a
    callback of the reader's thread: whatever happens, ``done`` ends, or the send would wait
    for it forever)."""
    try:
        (sent, rejected, deferred, uncertain), failure = answer.result()
        receipt.sent.update(sent)
        receipt.rejected.update(rejected)
        receipt.deferred.update(deferred)
        receipt.uncertain.update(uncertain)
        if failure is None:
            done.set_result(receipt)
            return
        if failure[0] == _CHILD_GONE:
            for recipient in recipients:
                if not receipt.has(recipient.email):
                    receipt.uncertain[recipient.email] = failure[1]
        done.set_exception(_rebuilt(failure))
    except BaseException as error:  # a bug here: the dispatcher leaves the batch in flight
        if not done.done():
            done.set_exception(error)


def _rebuilt(failure: tuple[str, str, str | None, int | None, str | None]) -> BaseException:
    """The error the child's transport raised, as the same class (or a DeliveryError)."""
    name, message, path, line, key = failure
    kind = getattr(errors, name, None) if name else None
    if (
        isinstance(kind, type)
        and issubclass(kind, NewsletterError)
        and kind.__init__ is (NewsletterError.__init__)
    ):
        return kind(message, path=path, line=line, key=key)
    if name:
        return DeliveryError(message, path=path, line=line, key=key)
    return RuntimeError(message)  # a bug in the child: the dispatcher leaves its batch in flight


def _serve(pipe: Connection) -> None:
    """The child: make the transport, then send each batch that arrives and answer with its
    receipt, until the end of the input."""
    try:
        make: Callable[[], Transport] = pipe.recv()
    except (EOFError, OSError):
        return  # the send is already gone
    transport = make()
    writing = threading.Lock()
    pipe.send(_READY)

    # A transport that takes recipients as rows is given them so (SendGrid: no Recipient
    # made again for each of a million readers).
    send_rows = getattr(transport, "send_rows", None)

    def send(number: int, message: Message, values: list[Any]) -> None:
        receipt = Receipt()
        failure: _Failure = None
        try:
            if send_rows is not None:
                send_rows(message, values, receipt)
            else:
                transport.send_batch(message, [Recipient(*v) for v in values], receipt)
        except NewsletterError as error:
            failure = (type(error).__name__, error.message, error.path, error.line, error.key)
        except BaseException as error:
            failure = ("", f"{type(error).__name__}: {error}", None, None, None)
        outcomes = (receipt.sent, receipt.rejected, receipt.deferred, receipt.uncertain)
        with writing:
            pipe.send((number, outcomes, failure))

    with ThreadPoolExecutor(max(1, transport.concurrency), thread_name_prefix="send") as pool:
        while True:
            try:
                batch = pipe.recv()
            except (EOFError, OSError):
                # The send is gone without saying so: killed (the kernel ends this process
                # next). A socket closed with our answers unread in it reads as a reset,
                # not an end. Send nothing more: its batches are in flight in the ledger.
                pool.shutdown(wait=False, cancel_futures=True)
                break
            if batch is None:
                break
            pool.submit(send, *batch)
    transport.close()


_READY = "ready"


def die_with_parent(parent: int) -> bool:
    """Have the kernel SIGKILL this (child) process when ``parent`` dies; False if it is
    already gone. A SIGKILLed send must stop everything it started."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    return os.getppid() == parent


def _main(argv: list[str]) -> None:
    fd, parent = int(argv[0]), int(argv[1])
    if not die_with_parent(parent):
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl+C stops
    collect_rarely()
    _serve(Connection(fd))


if __name__ == "__main__":
    _main(sys.argv[1:])
