"""Nobody can exhaust the desk: idle and slow connections, long heads and big bodies cost
it a bounded amount, and everyone else is answered meanwhile (issue 24, points 5 and 6).

Bounds are generous, for a loaded two-core machine; the defects they catch are far
outside them (every other client refused, hundreds of MB)."""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
import time
from pathlib import Path

import httpx

from newsletter.audience.tokens import unsubscribe_tokens
from tests.desk.support import MARIA_CODE, SECRET, RunningDesk, start_desk, wait_for
from tests.desk.test_desk_referral import mail_to, post_lead
from tests.smtp_server import Recorder

ANSWER_WITHIN = 3.0
"""Seconds another client may wait for an answer while the desk is under attack."""
MORE_MEMORY_MB = 40.0
"""Growth of the desk's memory an attack may cause at most, at its peak."""


def answer_time(desk: RunningDesk) -> float:
    """Seconds a new client waits for /healthz (a fresh connection each time)."""
    start = time.perf_counter()
    with httpx.Client(timeout=ANSWER_WITHIN * 3) as client:
        assert client.get(desk.url + "healthz").status_code == 200
    return time.perf_counter() - start


def one_click(desk: RunningDesk, email: str) -> int:
    token = unsubscribe_tokens(SECRET.encode()).token(email)
    with httpx.Client(timeout=ANSWER_WITHIN * 3) as client:
        return client.post(
            f"{desk.url}unsubscribe?t={token}",
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ).status_code


class Slowloris:
    """``count`` connections that each send part of a request, then a little more now and
    then, never finishing it: half drip their head, half their body (a slow POST)."""

    HEAD = (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-a: b\r\n")
    BODY = (
        b"POST /join HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\nemail=",
        b"a",
    )

    def __init__(self, desk: RunningDesk, count: int) -> None:
        self.sockets: list[tuple[socket.socket, bytes]] = []
        for n in range(count):
            start, drip = self.HEAD if n % 2 else self.BODY
            sock = socket.create_connection(("127.0.0.1", desk.port))
            sock.sendall(start)
            self.sockets.append((sock, drip))
        self.stop = threading.Event()
        self.dripper = threading.Thread(target=self._drip)
        self.dripper.start()

    def _drip(self) -> None:
        while not self.stop.wait(0.5):
            for sock, drip in self.sockets:
                with contextlib.suppress(OSError):  # closed by the desk
                    sock.send(drip)

    def still_open(self) -> int:
        """How many of the connections the desk has not closed."""
        open_ = 0
        for sock, _ in self.sockets:
            sock.setblocking(False)
            try:
                open_ += sock.recv(1) != b""
            except BlockingIOError:
                open_ += 1
            except OSError:
                pass
        return open_

    def close(self) -> None:
        self.stop.set()
        self.dripper.join()
        for sock, _ in self.sockets:
            sock.close()


def test_hundreds_of_slow_connections_leave_other_clients_and_the_outbox_working(
    desk_site: Path, server: tuple[Recorder, int]
) -> None:
    # 256 open files at most: 128 of them for clients, the rest kept for the inbox, the
    # outbox and the mail server. The attack opens three times that many connections.
    desk = start_desk(desk_site, files=256, desk={"request_timeout_seconds": 8})
    attack = None
    try:
        before = desk.rss_mb()
        desk.peak_from_now()
        attack = Slowloris(desk, 400)
        waits = [answer_time(desk) for _ in range(10)]
        assert max(waits) < ANSWER_WITHIN, waits
        assert one_click(desk, "reader.under.attack@example.com") == 200
        with httpx.Client(timeout=ANSWER_WITHIN * 3) as browser:
            assert post_lead(browser, f"{desk.url}r/{MARIA_CODE}").status_code == 200
        wait_for(lambda: mail_to(server[0], "dana@hartwellhvac.example.com"), what="the notice")
        assert desk.rss_mb("VmHWM") - before < MORE_MEMORY_MB
        # Whoever is still holding a head open is cut off once the request's time is up.
        wait_for(lambda: attack.still_open() == 0, timeout=30, what="the slow clients cut off")
    finally:
        if attack is not None:
            attack.close()
        desk.stop()
    assert [e["data"]["email"] for e in desk.events("unsubscribe")] == [
        "reader.under.attack@example.com"
    ]
    log = desk.log.read_text()
    assert "unable to open database file" not in log
    assert "Too many open files" not in log
    assert "Traceback" not in log
    assert "connections closed:" in log


def test_a_connection_that_never_speaks_is_closed(desk: RunningDesk) -> None:
    with socket.create_connection(("127.0.0.1", desk.port)) as sock:
        sock.settimeout(30)
        start = time.monotonic()
        assert sock.recv(100) == b""
    assert time.monotonic() - start < 15  # the idle timeout is 5 seconds


def test_a_request_head_over_sixteen_kb_is_refused_with_431(desk: RunningDesk) -> None:
    before = desk.rss_mb()
    desk.peak_from_now()
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", desk.port)) as sock:
            sock.settimeout(10)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            try:
                for _ in range(2000):  # 16 MB of headers, if the desk took them
                    sock.sendall(b"X-Pad: " + b"a" * 8000 + b"\r\n")
            except OSError:
                pass  # the desk hung up, as it should
            assert sock.recv(100).startswith(b"HTTP/1.1 431")
    assert answer_time(desk) < ANSWER_WITHIN
    assert desk.rss_mb("VmHWM") - before < MORE_MEMORY_MB


def post_raw(desk: RunningDesk, headers: dict[str, str], body_size: int) -> bytes:
    """A webhook post of ``body_size`` bytes as a stranger sends it: the head, then the
    body as fast as the desk takes it; the status line the desk answers."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", desk.port)) as sock:
        sock.settimeout(30)
        sock.sendall(
            f"POST /hooks/sendgrid HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
            f"Content-Length: {body_size}\r\ncontent-type: application/json\r\n\r\n".encode()
        )
        chunk = b"[" + b" " * (64 * 1024 - 1)
        try:
            for _ in range(body_size // len(chunk)):
                sock.sendall(chunk)
        except OSError:
            pass  # refused before the body was read: the desk hung up
        return sock.recv(200).split(b"\r\n", 1)[0]


def test_big_webhook_bodies_are_refused_without_costing_memory(hooked: RunningDesk) -> None:
    before = hooked.rss_mb()
    hooked.peak_from_now()
    stamp = str(int(time.time()))
    forged = {
        "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(b"x" * 70).decode(),
    }
    answers: list[bytes] = []
    waits: list[float] = []

    def stranger(headers: dict[str, str], size: int) -> None:
        answers.append(post_raw(hooked, headers, size))

    posts = [({}, 16 * 1024 * 1024)] * 15  # unsigned: refused on their headers
    posts += [(forged, 16 * 1024 * 1024)] * 15  # too large: refused on Content-Length
    posts += [(forged, 1024 * 1024 - 1)] * 10  # read to the end, then refused: forged
    threads = [threading.Thread(target=stranger, args=post) for post in posts]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        waits.append(answer_time(hooked))
    for thread in threads:
        thread.join()
    assert hooked.rss_mb("VmHWM") - before < MORE_MEMORY_MB
    assert max(waits) < ANSWER_WITHIN
    assert sorted(set(answers)) <= [
        b"HTTP/1.1 403 Forbidden",
        b"HTTP/1.1 413 Request Entity Too Large",
        b"HTTP/1.1 503 Service Unavailable",
    ]
    assert answers.count(b"HTTP/1.1 413 Request Entity Too Large") == 15
    assert hooked.events("esp") == []
