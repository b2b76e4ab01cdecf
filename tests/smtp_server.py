"""A real SMTP server (aiosmtpd) on loopback that records what it accepts."""

from __future__ import annotations

import email
import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class SmtpFaults:
    """Random trouble for chaos tests, drawn per recipient from a seeded generator."""

    seed: int
    defer: float = 0.0  # answer RCPT with 451
    drop: float = 0.0  # hang up after the message, without taking it
    lose_answer: float = 0.0  # take the message, then hang up before answering

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


class Recorder:
    """An aiosmtpd handler that keeps every accepted message and counts connections."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.received = threading.Condition()  # notified with each message kept
        self.connections = 0
        self.drop_next_data = False
        self.defer: set[str] = set()  # addresses answered "451 try again later" at RCPT
        self.reject: set[str] = set()  # addresses answered "550 no such user" at RCPT
        self.drop_at_rcpt: set[str] = set()  # hang up at RCPT of these, once each
        self.refuse_data: dict[str, str] = {}  # address -> the reply to its message's end
        self.refuse_connections_after: int | None = None  # hang up on later connections
        self.faults: SmtpFaults | None = None
        self.servers: list[Any] = []  # one per connection, to hang up from the test
        self.loop: Any = None  # the server's event loop, set by the fixture

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.connections += 1
        self.servers.append(server)
        limit = self.refuse_connections_after
        if limit is not None and self.connections > limit:
            server.transport.close()
            return ["421 closing"]
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        roll = self.faults.rng.random() if self.faults else 1.0
        if self.faults and roll < self.faults.drop:
            server.transport.close()
            return "421 closing"
        if self.drop_next_data:
            # Hang up before answering: the client cannot know it was accepted, and it
            # was not (nothing recorded).
            self.drop_next_data = False
            server.transport.close()
            return "421 closing"
        refusal = next(
            (self.refuse_data[r] for r in envelope.rcpt_tos if r in self.refuse_data), None
        )
        if refusal:
            return refusal
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.received:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
            self.received.notify_all()
        if self.faults and roll < self.faults.drop + self.faults.lose_answer:
            server.transport.close()  # taken, but the answer is lost
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.startswith("nobody@") or address in self.reject:
            return "550 no such user"
        if address in self.drop_at_rcpt:
            self.drop_at_rcpt.discard(address)
            server.transport.close()
            return "421 closing"
        if address in self.defer or (self.faults and self.faults.rng.random() < self.faults.defer):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        recorder.loop = controller.loop
        yield recorder, port
    finally:
        controller.stop()
