"""Talking to SendGrid's v3 API with the official client: timeouts, retries, rate limits.

The official ``sendgrid`` client (python_http_client over urllib) sets no timeout and never
retries, so this module sets the timeout and owns the retry policy:

    202/200        accepted
    401/403        AuthError, at once (the key itself never appears in any message or log)
    400            RejectedError with SendGrid's messages, each naming its field
    413            TooLarge: the caller splits its batch
    429            every worker waits until X-RateLimit-Reset (bounded by
                   ``max_rate_limit_wait``; one :class:`RateLimitGate` for all), then retries
    5xx, connect   exponential backoff with jitter, at most ``max_retries`` retries, then
    failures       TransientError
    dropped after  AnswerLost for a request that is not idempotent (a mail send), and no
    the request    retry: SendGrid may have accepted it, and a retry could send it twice

Ambiguity is decided by where urllib fails: an error while connecting or writing the
request arrives wrapped in ``URLError`` (the request never arrived, retrying is safe); an
error while waiting for the answer (dropped connection, read timeout) arrives bare.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import threading
import time
import urllib.error
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import python_http_client
import sendgrid

from newsletter.errors import AuthError, RejectedError, TransientError, together

DEFAULT_BASE_URL = "https://api.sendgrid.com"
_RATE_LIMITED = "rate limited (429)"
AUTH_MESSAGE = "API key invalid or lacks mail.send permission"


class TooLarge(Exception):
    """SendGrid answered 413: the caller splits the batch."""


class AnswerLost(Exception):
    """The request went out but its answer never came: SendGrid may or may not have it."""


class RateLimitGate:
    """One rate-limit state for every worker: a 429 pauses them all until the reset."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._until = 0.0

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self._clock() + seconds)

    def wait(self, sleep: Callable[[float], None]) -> None:
        """Sleep until the pause is over (at once if there is none)."""
        with self._lock:
            remaining = self._until - self._clock()
        if remaining > 0:
            sleep(remaining)


@dataclass
class RetryPolicy:
    """How long to wait between attempts, and how many to make."""

    max_retries: int = 5
    sleep: Callable[[float], None] = time.sleep
    backoff_base: float = 0.5  # seconds before the first retry, doubled each time
    backoff_cap: float = 30.0
    max_rate_limit_wait: float = 60.0  # never trust a Reset header further than this
    rng: random.Random = field(default_factory=random.Random)
    gate: RateLimitGate = field(default_factory=RateLimitGate)

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

    def call(self, request: Callable[[], Any], *, idempotent: bool) -> Any:
        """Run ``request`` (a python_http_client call) under this policy.

        Raises AuthError, RejectedError, TooLarge, TransientError, or AnswerLost for a
        request that is not ``idempotent`` whose answer was lost. ``idempotent``
        requests (GETs) are retried even when the connection dropped after sending.
        """
        attempt = 0
        while True:
            self.gate.wait(self.sleep)
            try:
                return request()
            except python_http_client.exceptions.HTTPError as err:
                wait, reason = self._on_status(err, attempt)
            except urllib.error.URLError as err:
                # Failed while connecting or writing: SendGrid never got the request.
                wait, reason = self.backoff(attempt), f"cannot reach SendGrid ({err.reason})"
            except (http.client.HTTPException, OSError) as err:
                reason = f"connection lost while waiting for SendGrid ({type(err).__name__})"
                if not idempotent:
                    raise AnswerLost(reason) from None
                wait = self.backoff(attempt)
            attempt += 1
            if attempt > self.max_retries:
                raise TransientError(
                    f"SendGrid still failing after {self.max_retries} retries: {reason}"
                ) from None
            if reason == _RATE_LIMITED:
                self.gate.pause(wait)  # every worker waits, not only this one
            else:
                self.sleep(wait)

    def _on_status(
        self, err: python_http_client.exceptions.HTTPError, attempt: int
    ) -> tuple[float, str]:
        """Raise for answers that retrying cannot fix; else (wait, reason) to retry."""
        status = err.status_code
        if status in (401, 403):
            raise AuthError(AUTH_MESSAGE) from None
        if status == 400:
            raise rejection(err.body) from None
        if status == 413:
            raise TooLarge from None
        if status == 429:
            return self.rate_limit_wait(err.headers, attempt), _RATE_LIMITED
        if status >= 500:
            return self.backoff(attempt), f"server error ({status})"
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


class RedactKey(logging.Filter):
    """python_http_client logs request headers at DEBUG: keep the API key out of them."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self._secret and self._secret in text:
            record.msg, record.args = text.replace(self._secret, "[redacted]"), ()
        return True


HTTP_LOGGER = logging.getLogger("python_http_client.client")


def client_for(api_key: str, base_url: str, timeout: float) -> sendgrid.SendGridAPIClient:
    client = sendgrid.SendGridAPIClient(api_key, host=base_url.rstrip("/"))
    # python_http_client passes this to urllib for every request, and copies it into each
    # sub-client built per call (client.mail.send …).
    client.client.timeout = timeout
    return client
