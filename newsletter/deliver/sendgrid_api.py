"""What SendGrid's answers mean, and when to ask again: one retry policy for every request
to its v3 API, whichever client makes it (httpx for mail sends, the official library for
the suppression lists).

    202/200        accepted
    401/403        AuthError, at once (the key itself never appears in any message or log)
    400            RejectedError with SendGrid's messages, each naming its field
    413            TooLarge: the caller splits its batch
    429            every thread waits until X-RateLimit-Reset (bounded by
                   ``max_rate_limit_wait``), then retries
    5xx, never     exponential backoff with jitter, at most ``max_retries`` retries, then
    reached        TransientError
    answer lost    AnswerLost for a request that is not idempotent (a mail send), and no
                   retry: SendGrid may have accepted it, and a retry could send it twice

A client's attempt tells the policy what happened by raising :class:`Refused` (an answer
other than 2xx), :class:`Unreached` (the request never arrived whole: retrying is safe) or
:class:`AnswerLost` (it went out, and its answer never came).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from newsletter.errors import AuthError, RejectedError, TransientError, together

DEFAULT_BASE_URL = "https://api.sendgrid.com"
AUTH_MESSAGE = "API key invalid or lacks mail.send permission"
_RATE_LIMITED = "rate limited (429)"
T = TypeVar("T")


class Refused(Exception):
    """SendGrid answered, with a status other than 2xx."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        super().__init__(status)
        self.status, self.headers, self.body = status, headers, body


class Unreached(Exception):
    """The request never reached SendGrid whole (connecting or writing it failed)."""


class AnswerLost(Exception):
    """The request went out but its answer never came: SendGrid may or may not have it."""


class TooLarge(Exception):
    """SendGrid answered 413: the caller splits the batch."""


@dataclass
class RetryPolicy:
    """How long to wait between attempts, and how many to make; one for all the threads of
    a send (a 429 pauses them all until the reset)."""

    max_retries: int = 5
    sleep: Callable[[float], None] = time.sleep
    backoff_base: float = 0.5  # seconds before the first retry, doubled each time
    backoff_cap: float = 30.0
    max_rate_limit_wait: float = 60.0  # never trust a Reset header further than this
    rng: random.Random = field(default_factory=random.Random)
    _paused_until: float = 0.0  # time.monotonic() when a 429's pause is over
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def backoff(self, attempt: int) -> float:
        """Exponential delay with "equal jitter", so many senders don't retry in step."""
        delay = min(self.backoff_cap, self.backoff_base * 2.0**attempt)
        return delay / 2 + self.rng.uniform(0, delay / 2)

    def rate_limit_wait(self, headers: Mapping[str, str] | None, attempt: int) -> float:
        """Seconds until X-RateLimit-Reset (an epoch second), bounded; else backoff."""
        reset = (headers or {}).get("X-RateLimit-Reset")
        wait: float | None
        try:
            wait = float(reset) - time.time() if reset is not None else None
        except ValueError:
            wait = None
        if wait is None:
            return self.backoff(attempt)
        return min(max(wait, 0.0) + 0.1, self.max_rate_limit_wait)

    def call(self, attempt: Callable[[], T], *, idempotent: bool) -> T:
        """Run ``attempt`` (one request) under this policy; its answer when accepted.

        Raises AuthError, RejectedError, TooLarge, TransientError, or AnswerLost for a
        request that is not ``idempotent`` whose answer was lost. ``idempotent`` requests
        (GETs) are retried even when their answer was lost.
        """
        tries = 0
        while True:
            with self._lock:
                paused = self._paused_until - time.monotonic()
            if paused > 0:
                self.sleep(paused)
            try:
                return attempt()
            except Refused as refused:
                wait, reason = self._on_status(refused, tries)
            except Unreached as unreached:
                wait, reason = self.backoff(tries), f"cannot reach SendGrid ({unreached})"
            except AnswerLost:
                if not idempotent:
                    raise
                wait, reason = self.backoff(tries), "connection lost while waiting for SendGrid"
            tries += 1
            if tries > self.max_retries:
                raise TransientError(
                    f"SendGrid still failing after {self.max_retries} retries: {reason}"
                ) from None
            if reason == _RATE_LIMITED:  # every thread waits, not only this one
                with self._lock:
                    self._paused_until = max(self._paused_until, time.monotonic() + wait)
            else:
                self.sleep(wait)

    def _on_status(self, refused: Refused, tries: int) -> tuple[float, str]:
        """Raise for answers that retrying cannot fix; else (wait, reason) to retry."""
        status = refused.status
        if status in (401, 403):
            raise AuthError(AUTH_MESSAGE) from None
        if status == 400:
            raise rejection(refused.body) from None
        if status == 413:
            raise TooLarge from None
        if status == 429:
            return self.rate_limit_wait(refused.headers, tries), _RATE_LIMITED
        if status >= 500:
            return self.backoff(tries), f"server error ({status})"
        raise RejectedError(f"SendGrid answered HTTP {status}") from None


def rejection(body: bytes | None) -> RejectedError:
    """SendGrid's 400 errors JSON as one RejectedError per problem (the rest in ``also``)."""
    try:
        errors = json.loads(body or b"{}").get("errors") or []
    except (ValueError, AttributeError):
        errors = []
    problems = [
        RejectedError(f"SendGrid: {e.get('message') or 'rejected'}", key=e.get("field") or None)
        for e in errors
        if isinstance(e, dict)
    ] or [RejectedError("SendGrid: the request was rejected (400)")]
    return together(problems)
