"""What keeps the desk safe by default: headers, form tokens, limits and bounded input.

- Every response carries a strict Content-Security-Policy (no script at all, styles
  from the desk's own stylesheet only, forms posting to the desk only, no framing),
  ``nosniff``, ``Referrer-Policy: no-referrer`` (links carry tokens), and ``no-store``.
- Forms (the lead form, the sign-up form) carry a token bound to a random value in a
  ``SameSite=Strict`` cookie (double submit, signed): a page on another site cannot post
  them. A request that says it comes from another origin is refused as well.
- A honeypot field that people never see: a form that fills it is thanked and dropped.
- Rate limits per client address and per submitted address (email or phone), counted
  in memory over a sliding hour.
- Bodies are read up to a size and parsed with a bounded number of fields.
"""

from __future__ import annotations

import collections
import enum
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request

from newsletter.desk.signing import tag, tag_matches
from newsletter.referrals.fields import phone_key

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' https: data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cache-control", b"no-store"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
FORM_BYTES = 16 * 1024
"""A form post larger than this is refused: the longest real lead form is a few KB."""
MAX_FIELDS = 40
FORM_TOKEN_AGE = 6 * 3600
"""Seconds a form may stay open before its token is refused (the page then asks again)."""
CSRF_COOKIE = "desk_form"
HONEYPOT = "website"


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` (and HSTS behind https) to every response."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = [*HEADERS, HSTS] if https else list(HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [h for h in self.headers if h[0] not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


class TooLarge(ValueError):
    pass


class ClientLeft(ValueError):
    """The client hung up (or was cut off by a timeout) before its body was whole."""


def whole_number(text: str, digits: int) -> int | None:
    """``text`` as a number when it is 1 to ``digits`` ASCII digits, else None. (``str.isdigit``
    also takes "²" and other Unicode digits, which ``int`` refuses.)"""
    if not 0 < len(text) <= digits or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def declared_length(request: Request) -> int | None:
    """The body's Content-Length, or None when it is missing or not a number."""
    return whole_number(request.headers.get("content-length", ""), 18)


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, refusing (TooLarge) one over ``limit`` bytes as it arrives;
    ClientLeft when the client goes before the body is whole."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise TooLarge(f"more than {limit} bytes")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"more than {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise ClientLeft("the client left before its request was whole") from None
    return b"".join(chunks)


def parse_form(body: bytes) -> dict[str, str]:
    """A urlencoded form's fields (the last of repeated ones); ValueError if malformed."""
    text = body.decode("utf-8")  # UnicodeDecodeError is a ValueError
    pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FIELDS)
    return dict(pairs)


def client_address(request: Request) -> str:
    """The client's IP address (uvicorn puts the proxy's X-Forwarded-For there only for
    the proxies it is told to trust)."""
    return request.client.host if request.client else "unknown"


def contact_keys(phone: str, email: str, region: str | None) -> list[str]:
    """The rate limit's keys for the phone number and email address a form gave: a number
    as it dials (``608 555 9999`` and ``+1 (608) 555-9999`` are one key), an address in
    lower case; nothing for a blank one."""
    keys = [f"phone:{phone_key(phone, region)}"] if phone.strip() else []
    return keys + ([f"addr:{email.lower()}"] if email.strip() else [])


def cross_site(request: Request, origin: str) -> bool:
    """True when the browser says the form was posted from another site."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    given = request.headers.get("origin")
    return given is not None and given != "null" and given != origin


class Refusal(enum.StrEnum):
    """Why a form post is not taken; the page says what to do (``_refusal.html.j2``) and
    the log says why (:attr:`why`), naming nobody."""

    NO_COOKIE = "no_cookie"
    EXPIRED = "expired"
    CROSS_SITE = "cross_site"
    NOT_A_FORM = "not_a_form"
    BAD_TOKEN = "bad_token"

    @property
    def why(self) -> str:
        return _WHY[self]


_WHY = {
    Refusal.NO_COOKIE: "form refused: no form cookie",
    Refusal.EXPIRED: "form refused: its token expired",
    Refusal.CROSS_SITE: "form refused: posted from another site",
    Refusal.NOT_A_FORM: "form refused: not a urlencoded form",
    Refusal.BAD_TOKEN: "form refused: its token does not match",
}


def form_body(request: Request) -> bool:
    """True when the body says it is a urlencoded form (the desk's forms post nothing else)."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind in ("application/x-www-form-urlencoded", "")


class FormTokens:
    """Tokens for the desk's own forms, bound to a random value in a cookie."""

    def __init__(self, secrets_: tuple[bytes, ...], *, secure: bool) -> None:
        self._secrets = secrets_
        self.secure = secure

    def issue(self, request: Request, form: str) -> tuple[str, str | None]:
        """(the form's token, the cookie value to set or None if the browser has one)."""
        nonce = request.cookies.get(CSRF_COOKIE, "")
        fresh = None
        if not (16 <= len(nonce) <= 64 and nonce.isascii()):
            nonce = fresh = secrets.token_urlsafe(24)
        issued = str(int(time.time()))
        return f"{issued}.{tag(self._secrets[0], 'form', f'{form}|{issued}|{nonce}')}", fresh

    def cookie(self, value: str) -> dict[str, Any]:
        """Keyword arguments for ``Response.set_cookie``."""
        return {
            "key": CSRF_COOKIE,
            "value": value,
            "httponly": True,
            "samesite": "strict",
            "secure": self.secure,
            "path": "/",
        }

    def refusal(self, request: Request, form: str, token: str) -> Refusal | None:
        """Why ``token`` does not show that ``form`` was posted from the desk's own page in
        this browser, or None when it does."""
        nonce = request.cookies.get(CSRF_COOKIE, "")
        if not nonce:
            return Refusal.NO_COOKIE
        issued_text, _, mac = token.partition(".")
        issued = whole_number(issued_text, 12)
        if issued is None or not mac or len(token) > 200:
            return Refusal.BAD_TOKEN
        if not tag_matches(self._secrets, "form", f"{form}|{issued_text}|{nonce}", mac):
            return Refusal.BAD_TOKEN
        if not 0 <= time.time() - issued <= FORM_TOKEN_AGE:
            return Refusal.EXPIRED
        return None


class RateLimiter:
    """At most ``limit`` hits per key in a sliding ``window`` of seconds, in memory.

    Keys are hashed-free strings such as ``ip:203.0.113.9``, ``addr:ana@example.com`` or
    ``phone:+16085559999``; memory is bounded by ``max_keys`` (the oldest keys are forgotten first).
    """

    def __init__(self, window: float = 3600.0, max_keys: int = 100_000) -> None:
        self.window = window
        self.max_keys = max_keys
        self._hits: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )

    def allow(self, key: str, limit: int, *, clock: Callable[[], float] = time.monotonic) -> bool:
        """Count a hit for ``key``; False (and not counted) when it is over ``limit``."""
        moment = clock()
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = collections.deque()
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
        else:
            self._hits.move_to_end(key)
        while hits and hits[0] <= moment - self.window:
            hits.popleft()
        if len(hits) >= limit:
            return False
        hits.append(moment)
        return True
