"""A fake SendGrid v3 API: a real HTTP server on loopback, validating as SendGrid documents.

The official ``sendgrid`` client is pointed at it (``host=server.base_url``), so nothing is
mocked. Use it as a context manager or through the ``fake_sendgrid`` fixture:

    with FakeSendGrid() as server:
        client = sendgrid.SendGridAPIClient(server.api_key, host=server.base_url)
        server.rate_limit_next = 1       # the next request gets 429
        server.fail_next, server.fail_status = 2, 503
        server.drop_next = 1             # read the request, then close without answering
        server.hold_request = 3          # accept the 3rd mail request, then hold the answer
        server.faults = Faults(seed=7, drop=0.05, lose_answer=0.05)   # random, per request
        server.held.wait(); ...; server.release.set()
        ...
        assert server.emails() == [...]              # or server.accepted, with details

Endpoints:

    POST /v3/mail/send                   202 + X-Message-Id (200 in sandbox mode), 400 with
                                         {"errors": [{"message", "field", "help"}]}, 401, 403,
                                         413 over ``max_body_bytes``, 429, 5xx
    GET  /v3/suppression/bounces         seeded in ``suppressions["bounces"]`` (and blocks,
         /v3/suppression/blocks          spam_reports, unsubscribes), paginated by limit/offset
         /v3/suppression/spam_reports
         /v3/suppression/unsubscribes
    GET  /v3/asm/groups/{id}/suppressions  a list of emails from ``asm_suppressions[id]``

Validation follows SendGrid's documented mail-send errors (tests/fake_sendgrid_rules.py).
"""

from __future__ import annotations

import itertools
import json
import random
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec

from tests.fake_sendgrid_rules import validate_mail

__all__ = ["API_KEY", "Accepted", "FakeSendGrid", "Faults", "validate_mail"]

API_KEY = "SG.fake-test-key.Zm9vYmFy"
MAX_BODY_BYTES = 20 * 1024 * 1024  # SendGrid's documented limit for the whole request
SUPPRESSION_LISTS = ("bounces", "blocks", "spam_reports", "unsubscribes")
DEFAULT_PAGE = 500  # SendGrid's page size when no limit is given
_ASM_PATH = re.compile(r"^/v3/asm/groups/(\d+)/suppressions$")


@dataclass(frozen=True)
class Accepted:
    """One recipient of an accepted mail-send request."""

    email: str
    message_id: str
    substitutions: dict[str, str]
    headers: dict[str, str]
    sandbox: bool


@dataclass(frozen=True)
class _Batch:
    """One accepted mail-send request."""

    message_id: str
    sandbox: bool
    emails: list[str]  # its recipients' addresses, in order
    # Each recipient's record, made as the request is accepted with keep_details. Without,
    # ``accepted`` makes them when asked: a record each as requests arrive cost most of the
    # fake's time in a benchmark's 100,000-recipient send.
    records: list[Accepted] | None

    def accepted(self) -> list[Accepted]:
        if self.records is not None:
            return self.records
        return [Accepted(email, self.message_id, {}, {}, self.sandbox) for email in self.emails]


@dataclass
class Faults:
    """Random trouble for chaos tests, drawn per mail-send request from a seeded generator
    (each probability is of one request)."""

    seed: int
    rate_limit: float = 0.0  # answer 429, resetting at the next second
    server_error: float = 0.0  # answer 503
    drop: float = 0.0  # read the request, then close without answering (not accepted)
    lose_answer: float = 0.0  # accept the request, then close without answering
    max_delay: float = 0.0  # seconds, at most, to wait before answering

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self) -> tuple[str | None, float]:
        """(the trouble for one request or None, seconds to wait first)."""
        with self._lock:
            delay = self._rng.uniform(0, self.max_delay)
            roll = self._rng.random()
        for name, chance in (
            ("rate_limit_next", self.rate_limit),
            ("fail_next", self.server_error),
            ("drop_next", self.drop),
            ("lose_answer", self.lose_answer),
        ):
            if roll < chance:
                return name, delay
            roll -= chance
        return None, delay


@dataclass
class FakeSendGrid:
    """The server's state, failure switches and records; start it with ``with``."""

    max_body_bytes: int = MAX_BODY_BYTES
    # API key -> its scopes; a key without "mail.send" gets 403 from the send endpoint.
    api_keys: dict[str, set[str]] = field(
        default_factory=lambda: {API_KEY: {"mail.send", "suppression.read", "asm.groups.read"}}
    )
    rate_limit_next: int = 0  # answer the next N requests with 429
    rate_limit_reset_in: int = 1  # seconds from now given in X-RateLimit-Reset
    fail_next: int = 0  # answer the next N requests with ``fail_status``
    fail_status: int = 500
    drop_next: int = 0  # read the next N requests fully, then close without a response
    delay: float = 0.0  # seconds to wait before answering each request
    # Accept the Nth mail-send request (1-based; 0 = none), then hold its answer until
    # ``release`` is set: the sender waits with that batch in flight, the case nobody can
    # settle afterwards. ``held`` is set once it is accepted, ``held_id`` is its message id.
    hold_request: int = 0
    hold_limit: float = 30.0  # seconds a held answer waits at most for ``release``
    faults: Faults | None = None  # random trouble on mail sends (chaos tests)
    # Addresses SendGrid refuses (a 400 naming their personalization), as it does an
    # address on its list of invalid domains.
    refuse: set[str] = field(default_factory=set)
    # False keeps only addresses and counts (benchmarks send a million recipients).
    keep_details: bool = True
    # Seconds between the server's checks for shutdown: short so that stopping it (once per
    # test) takes milliseconds; the benchmarks' long-running server makes it longer, since
    # each check costs CPU taken from the send it shares the cores with.
    poll_interval: float = 0.01
    requests: list[dict[str, Any]] = field(default_factory=list)  # every parsed send body
    statuses: list[int] = field(default_factory=list)  # every answer's status (0 = dropped)
    suppressions: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in SUPPRESSION_LISTS}
    )
    asm_suppressions: dict[int, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        # Notified with each answer (``statuses`` grows): a test waits on it for progress.
        self.answered = threading.Condition(self.lock)
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self.held = threading.Event()
        self.release = threading.Event()
        self.held_id: str | None = None
        self._mail_requests = 0
        self._thread: threading.Thread | None = None
        self._batches: list[_Batch] = []

    @property
    def api_key(self) -> str:
        """The default valid key (all scopes)."""
        return API_KEY

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def accepted(self) -> list[Accepted]:
        """Every accepted recipient, in the order accepted (substitutions and headers empty
        without keep_details)."""
        with self.lock:
            batches = list(self._batches)
        return [record for batch in batches for record in batch.accepted()]

    def emails(self) -> list[str]:
        """Every accepted recipient's address, in the order accepted."""
        with self.lock:
            return list(itertools.chain.from_iterable(b.emails for b in self._batches))

    def emails_of(self, message_id: str | None) -> list[str]:
        """The recipients accepted under ``message_id``, sorted."""
        with self.lock:
            return sorted(e for b in self._batches if b.message_id == message_id for e in b.emails)

    def __enter__(self) -> FakeSendGrid:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": self.poll_interval},
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # -- decisions, made under the lock so concurrent requests count injections once --

    def _take_injection(self, scope: str) -> str | None:
        with self.lock:
            for name in ("drop_next", "rate_limit_next", "fail_next"):
                if getattr(self, name) > 0:
                    setattr(self, name, getattr(self, name) - 1)
                    return name
        if self.faults is None or scope != "mail.send":
            return None
        trouble, delay = self.faults.draw()
        time.sleep(delay)
        return trouble

    def _answered(self, status: int) -> None:
        with self.answered:
            self.statuses.append(status)
            self.answered.notify_all()

    def _record(self, body: dict[str, Any]) -> str:
        message_id = self._accept(body)
        with self.lock:
            self._mail_requests += 1
            hold = self._mail_requests == self.hold_request
        if hold:
            self.held_id = message_id
            self.held.set()
            self.release.wait(self.hold_limit)
        return message_id

    def _accept(self, body: dict[str, Any]) -> str:
        sandbox = bool(body.get("mail_settings", {}).get("sandbox_mode", {}).get("enable"))
        personalizations = body["personalizations"]
        emails = [to["email"] for p in personalizations for to in p["to"]]
        with self.lock:
            message_id = f"fake-{next(self._ids):06d}"
            records = (
                [
                    Accepted(
                        email=to["email"],
                        message_id=message_id,
                        substitutions=dict(p.get("substitutions", {})),
                        headers=dict(p.get("headers", {})),
                        sandbox=sandbox,
                    )
                    for p in personalizations
                    for to in p["to"]
                ]
                if self.keep_details
                else None
            )
            self._batches.append(_Batch(message_id, sandbox, emails, records))
        return message_id


def read_json(raw: bytes) -> Any:
    """The request body as json.loads reads it (a value, or a ValueError: a 400), in about
    half the time, most of the fake's time in a benchmark: msgspec's decoder takes only
    RFC 8259 JSON and gives the same values for it (tests/test_fake_sendgrid_rules.py);
    what it refuses (NaN, a lone surrogate, a byte-order mark, UTF-16, bad JSON) goes to
    json.loads, whose answer stands. One difference is left: a body nested some 995 levels
    deep, a few levels short of where msgspec stops, made json.loads raise RecursionError
    (the request went unanswered) and is now read and answered like any other."""
    try:
        return msgspec.json.decode(raw)
    except (msgspec.MsgspecError, RecursionError):
        return json.loads(raw)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up before its answer (it timed out, or was killed) is what
        SendGrid sees too: not an error of the server's."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSendGrid
    lose_answer = False
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self._prologue(scope="mail.send"):
            return
        if urlsplit(self.path).path != "/v3/mail/send":
            return self._errors(404, [("not found", None)])
        if length > self.fake.max_body_bytes:
            return self._errors(413, [("Payload Too Large", None)])
        try:
            body = read_json(raw)
        except ValueError:
            return self._errors(400, [("Bad Request", None)])
        with self.fake.lock:
            self.fake.requests.append(body if self.fake.keep_details else {})
        problems = validate_mail(body)
        # A valid body with nobody to refuse has nothing for _refused to find: skip its walk
        # over every recipient.
        if problems or self.fake.refuse:
            problems += self._refused(body)
        if problems:
            return self._errors(400, problems)
        message_id = self.fake._record(body)
        if self.lose_answer:  # accepted, but the answer never reaches the client
            self.fake._answered(0)
            self.close_connection = True
            return
        sandbox = bool(body.get("mail_settings", {}).get("sandbox_mode", {}).get("enable"))
        # SendGrid answers a sandboxed request 200 (validated, not delivered), a real one 202.
        self._answer(200 if sandbox else 202, b"", {"X-Message-Id": message_id})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        asm = _ASM_PATH.match(url.path)
        if not self._prologue(scope="asm.groups.read" if asm else "suppression.read"):
            return
        if asm:
            items: list[Any] = self.fake.asm_suppressions.get(int(asm.group(1)), [])
            return self._json(200, items)  # SendGrid returns the whole group, unpaginated
        name = url.path.removeprefix("/v3/suppression/")
        if name not in SUPPRESSION_LISTS:
            return self._errors(404, [("not found", None)])
        query = parse_qs(url.query)
        limit = int(query.get("limit", [DEFAULT_PAGE])[0])
        offset = int(query.get("offset", [0])[0])
        self._json(200, self.fake.suppressions[name][offset : offset + limit])

    # -- shared steps --

    def _refused(self, body: dict[str, Any]) -> list[tuple[str, str | None]]:
        return [
            ("Does not contain a valid address.", f"personalizations.{i}.to.{j}.email")
            for i, p in enumerate(body.get("personalizations") or [])
            for j, to in enumerate(p.get("to") or [])
            if str(to.get("email", "")).lower() in self.fake.refuse
        ]

    def _prologue(self, scope: str) -> bool:
        """Delay, injected failures and authorization; False when already answered."""
        if self.fake.delay:
            time.sleep(self.fake.delay)
        injection = self.fake._take_injection(scope)
        self.lose_answer = injection == "lose_answer"
        if injection == "drop_next":
            self.fake._answered(0)
            self.close_connection = True  # the server closes the socket with no answer
            return False
        if injection == "rate_limit_next":
            reset = int(time.time()) + self.fake.rate_limit_reset_in
            headers = {
                "X-RateLimit-Limit": "600",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(reset),
            }
            self._errors(429, [("too many requests", None)], headers)
            return False
        if injection == "fail_next":
            self._errors(self.fake.fail_status, [("Internal server error", None)])
            return False
        auth = self.headers.get("Authorization", "")
        key = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        if key is None or key not in self.fake.api_keys:
            message = "The provided authorization grant is invalid, expired, or revoked"
            self._errors(401, [(message, None)])
            return False
        if scope not in self.fake.api_keys[key]:
            self._errors(403, [("access forbidden", None)])
            return False
        return True

    def _errors(
        self,
        status: int,
        problems: list[tuple[str, str | None]],
        headers: dict[str, str] | None = None,
    ) -> None:
        errors = [{"message": m, "field": f, "help": None} for m, f in problems]
        self._json(status, {"errors": errors}, headers)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self._answer(status, body, {"Content-Type": "application/json", **(headers or {})})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.fake._answered(status)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
