"""The desk's connections: how long a client may take, how much it may send before its
request is whole, and how many may be open at once.

uvicorn's HTTP protocol (httptools) keeps a connection that never sends a whole request
for as long as the client likes, takes a request head of any size, and accepts
connections until the process runs out of file descriptors; then the inbox and the
outbox cannot open their files either, and everyone is refused. A few hundred idle
sockets from one stranger would do it. :class:`GuardedHttp` is uvicorn's protocol with
the limits an internet-facing server needs:

- a new connection sends its first byte within ``idle`` seconds (between requests,
  uvicorn's keep-alive timeout does the same);
- a request arrives whole, head and body, within ``request`` seconds of its first byte;
- a request's head (request line and headers) is at most ``head_bytes``: a 431;
- at most :func:`capacity` connections are open: the limit, and never more than the file
  descriptors left after a reserve kept for the inbox, the outbox and the mail server.
  A connection over it closes the one that has waited longest for its request (an idle
  client, or one still sending its head or body: never one whose whole request is being
  answered), or itself when every other one is being answered.

Connections closed for these reasons are counted and logged at most once a minute,
without the clients' addresses.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

if TYPE_CHECKING:
    from newsletter.config.desk import DeskConfig

log = logging.getLogger("newsletter.desk")
TOO_LARGE_HEAD = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\ncontent-length: 25\r\nconnection: close\r\n\r\n"
    b"Request head is too large"
)
REPORT_EVERY = 60.0
"""Seconds between two log lines about connections closed for taking too long."""


@dataclass(frozen=True)
class ConnectionLimits:
    idle: float = 5.0
    """Seconds a new connection may stay silent (uvicorn's keep-alive between requests)."""
    request: float = 20.0
    """Seconds from a request's first byte to its last: a slow phone sends a form in far
    less; a client dripping its headers (slowloris) is cut off."""
    head_bytes: int = 16 * 1024
    """Bytes of a request line and headers: a browser sends one or two KB."""
    max_connections: int = 1000
    """Open connections at most, whatever the file descriptor limit allows."""
    reserve_fds: int = 128
    """File descriptors never given to clients: the inbox's connections (three files each),
    the outbox's mail server, the subscriber files, templates, the log."""

    @classmethod
    def of(cls, config: DeskConfig | None) -> ConnectionLimits:
        """The limits the ``desk:`` section sets (the defaults without one)."""
        if config is None:
            return cls()
        return cls(
            idle=config.idle_timeout_seconds,
            request=config.request_timeout_seconds,
            max_connections=config.max_connections,
        )


def capacity(limits: ConnectionLimits) -> int:
    """How many connections may be open: ``max_connections``, and no more than the
    process's file descriptor limit minus the reserve (at least half of that limit)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return limits.max_connections
    return max(1, min(limits.max_connections, max(soft - limits.reserve_fds, soft // 2)))


class _Closures:
    """Connections closed for a limit since the last report, logged at most once a minute."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.reported = 0.0

    def note(self, loop: asyncio.AbstractEventLoop, why: str) -> None:
        self.counts[why] = self.counts.get(why, 0) + 1
        if loop.time() - self.reported >= REPORT_EVERY:
            self.reported = loop.time()
            summary = ", ".join(f"{n} {reason}" for reason, n in sorted(self.counts.items()))
            log.warning("connections closed: %s", summary)
            self.counts.clear()


class GuardedHttp(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of :class:`ConnectionLimits`; made for
    one server by :func:`protocol_for`."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()
    max_open: ClassVar[int] = ConnectionLimits().max_connections
    closures: ClassVar[_Closures] = _Closures()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._head = 0
        self._in_head = True
        self.waiting_since = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self.waiting_since = self.loop.time()
        self._arm(self.limits.idle, "silent")
        if len(self.connections) > self.max_open:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._in_head:
            super().data_received(data)
            return
        # Counted as it arrives, checked once the parser has seen it: a chunk that ends
        # the head (with the body after it) is not a head over the limit.
        self._head += len(data)
        super().data_received(data)
        over = self._in_head and self._head > self.limits.head_bytes
        if over and not self.transport.is_closing():
            self._disarm()
            self.closures.note(self.loop, "with a head over the limit")
            self.transport.write(TOO_LARGE_HEAD)
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(self.limits.request, "too slow to send a request")

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_head, self._head = True, 0
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self.waiting_since = self.loop.time()
        super().on_response_complete()

    def waiting(self) -> bool:
        """True while no whole request of this connection is being answered: it is idle,
        or still sending its request (a head or a body dripped to hold it open)."""
        if self.transport.is_closing():
            return False
        cycle = self.cycle
        return cycle is None or cycle.response_complete or cycle.more_body

    def _make_room(self) -> None:
        others = (c for c in self.connections if c is not self and isinstance(c, GuardedHttp))
        idle = [c for c in others if c.waiting()]
        if idle:
            oldest = min(idle, key=lambda c: c.waiting_since)
            oldest.close_for("closed to make room")
        else:
            self.close_for("refused: every connection busy")

    def close_for(self, why: str) -> None:
        self._disarm()
        self.closures.note(self.loop, why)
        self.transport.close()

    def _arm(self, seconds: float, why: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire, why)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self, why: str) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.close_for(why)


def protocol_for(limits: ConnectionLimits) -> type[GuardedHttp]:
    """The protocol class for one server with ``limits`` (uvicorn's ``http=``)."""
    return type(
        "DeskHttp",
        (GuardedHttp,),
        {"limits": limits, "max_open": capacity(limits), "closures": _Closures()},
    )
