"""Delivery through the SendGrid v3 Web API, with the official ``sendgrid`` client.

One request per batch: the shared message at the top level, one personalization per
recipient carrying its substitutions and headers (List-Unsubscribe …). The official client
(python_http_client over urllib) sets no timeout and never retries, so this module sets the
timeout and owns the retry policy:

    202/200        accepted: the batch's X-Message-Id is returned
    401/403        AuthError, at once (the key itself never appears in any message or log)
    400            RejectedError with SendGrid's messages, each naming its field
    413            the batch is split in halves, recursively, until each part fits
    429            wait until X-RateLimit-Reset (bounded by ``max_rate_limit_wait``), retry
    5xx, connect   exponential backoff with jitter, at most ``max_retries`` retries, then
    failures       TransientError
    dropped after  TransientError with ``uncertain = True`` and no retry: SendGrid may have
    the request    accepted it, and a retry could send everyone in the batch twice

Ambiguity is decided by where urllib fails: an error while connecting or writing the
request arrives wrapped in ``URLError`` (the request never arrived, retrying is safe); an
error while waiting for the answer (dropped connection, read timeout) arrives bare.
"""

from __future__ import annotations

import base64
import functools
import http.client
import json
import logging
import random
import time
import urllib.error
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import python_http_client
import sendgrid

from newsletter.deliver.transport import (
    Attachment,
    AuthError,
    BatchResult,
    DeliveryError,
    Message,
    Recipient,
    RejectedError,
    TransientError,
)

DEFAULT_BASE_URL = "https://api.sendgrid.com"
AUTH_MESSAGE = "API key invalid or lacks mail.send permission"
SUPPRESSION_PAGE = 500  # SendGrid's largest page for the suppression lists
# SendGrid list -> the reason it gets in subscribers/suppressions.csv
SUPPRESSION_LISTS = {
    "bounces": "bounce",
    "blocks": "bounce",
    "spam_reports": "complaint",
    "unsubscribes": "unsubscribe",
}

SuppressionRow = tuple[str, str, str, str]  # (email, reason, date YYYY-MM-DD, source)


class _TooLarge(Exception):
    """SendGrid answered 413: the caller splits the batch."""


def _mark_uncertain(error: DeliveryError) -> DeliveryError:
    """Flag that recipients of the failed batch may have been sent to already.

    The ledger reads ``getattr(error, "uncertain", False)`` and reports the batch's
    recipients as uncertain instead of failed, so a rerun does not send them twice.
    """
    error.uncertain = True
    return error


@dataclass
class RetryPolicy:
    """How long to wait between attempts, and how many to make."""

    max_retries: int = 5
    sleep: Callable[[float], None] = time.sleep
    backoff_base: float = 0.5  # seconds before the first retry, doubled each time
    backoff_cap: float = 30.0
    max_rate_limit_wait: float = 60.0  # never trust a Reset header further than this
    rng: random.Random = field(default_factory=random.Random)

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

        Raises AuthError, RejectedError, _TooLarge or TransientError. ``idempotent``
        requests (GETs) are retried even when the connection dropped after sending.
        """
        attempt = 0
        while True:
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
                    raise _mark_uncertain(
                        TransientError(f"{reason}; the batch may or may not have been sent")
                    ) from None
                wait = self.backoff(attempt)
            attempt += 1
            if attempt > self.max_retries:
                raise TransientError(
                    f"SendGrid still failing after {self.max_retries} retries: {reason}"
                ) from None
            self.sleep(wait)

    def _on_status(
        self, err: python_http_client.exceptions.HTTPError, attempt: int
    ) -> tuple[float, str]:
        """Raise for answers that retrying cannot fix; else (wait, reason) to retry."""
        status = err.status_code
        if status in (401, 403):
            raise AuthError(AUTH_MESSAGE) from None
        if status == 400:
            raise _rejection(err.body) from None
        if status == 413:
            raise _TooLarge from None
        if status == 429:
            return self.rate_limit_wait(err.headers, attempt), "rate limited (429)"
        if status >= 500:
            return self.backoff(attempt), f"server error ({status})"
        raise RejectedError(f"SendGrid answered HTTP {status}") from None


def _rejection(body: bytes | None) -> RejectedError:
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
    first = problems[0]
    return RejectedError(first.message, key=first.key, also=tuple(problems[1:]))


class _RedactKey(logging.Filter):
    """python_http_client logs request headers at DEBUG: keep the API key out of them."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self._secret and self._secret in text:
            record.msg, record.args = text.replace(self._secret, "[redacted]"), ()
        return True


_HTTP_LOGGER = logging.getLogger("python_http_client.client")


def _client(api_key: str, base_url: str, timeout: float) -> sendgrid.SendGridAPIClient:
    client = sendgrid.SendGridAPIClient(api_key, host=base_url.rstrip("/"))
    # python_http_client passes this to urllib for every request, and copies it into each
    # sub-client built per call (client.mail.send …).
    client.client.timeout = timeout
    return client


class SendGridTransport:
    """Sends batches of up to 1,000 recipients as one v3 mail-send request each.

    One client is built per transport and reused for the whole send. (urllib underneath
    opens one connection per request; with up to 1,000 recipients per request that costs little.)
    Call :meth:`close` when done, or use the transport as a context manager.
    """

    max_batch = 1000

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30,
        max_retries: int = 5,
        sandbox: bool = False,
        asm_group_id: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        backoff_base: float = 0.5,
        max_rate_limit_wait: float = 60.0,
    ) -> None:
        self._client = _client(api_key, base_url, timeout)
        self._redact = _RedactKey(api_key)
        _HTTP_LOGGER.addFilter(self._redact)
        self.sandbox = sandbox
        self.asm_group_id = asm_group_id
        self.retry = RetryPolicy(
            max_retries=max_retries,
            sleep=sleep,
            backoff_base=backoff_base,
            max_rate_limit_wait=max_rate_limit_wait,
        )

    def __repr__(self) -> str:
        return f"SendGridTransport(base_url={self._client.host!r}, sandbox={self.sandbox})"

    def __enter__(self) -> SendGridTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        _HTTP_LOGGER.removeFilter(self._redact)

    def send_batch(self, message: Message, recipients: Sequence[Recipient]) -> BatchResult:
        """Send one request for ``recipients``; return SendGrid's X-Message-Id.

        When SendGrid answers 413 the batch is sent in halves (recursively) and the id of
        the first part is returned: the ledger keeps one id per batch, and SendGrid's event
        ids start with the X-Message-Id, so the first one still finds part of the batch.
        If a later part then fails, the error is marked uncertain: some were sent.
        """
        if len(recipients) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} recipients per batch")
        if not recipients:
            return BatchResult(message_id=None)
        shared = build_shared(message, sandbox=self.sandbox, asm_group_id=self.asm_group_id)
        personalizations = [personalization(r) for r in recipients]
        ids = self._send_split(shared, personalizations)
        return BatchResult(message_id=next((i for i in ids if i), None))

    def _send_split(
        self, shared: dict[str, Any], personalizations: list[dict[str, Any]]
    ) -> list[str | None]:
        body = {**shared, "personalizations": personalizations}
        try:
            response = self.retry.call(
                lambda: self._client.client.mail.send.post(request_body=body), idempotent=False
            )
        except _TooLarge:
            if len(personalizations) == 1:
                raise RejectedError(
                    "SendGrid: the message is too large (413) even for a single recipient"
                ) from None
            middle = len(personalizations) // 2
            ids: list[str | None] = []
            for part in (personalizations[:middle], personalizations[middle:]):
                try:
                    ids += self._send_split(shared, part)
                except DeliveryError as err:
                    raise (_mark_uncertain(err) if ids else err) from None
            return ids
        return [response.headers.get("X-Message-Id")]


def build_shared(
    message: Message, *, sandbox: bool = False, asm_group_id: int | None = None
) -> dict[str, Any]:
    """The top level of a mail-send body: everything but the personalizations."""
    body: dict[str, Any] = {
        "from": _address(message.from_email, message.from_name),
        "subject": message.subject,
        # SendGrid requires text/plain before text/html, and rejects empty values.
        "content": [
            {"type": kind, "value": value}
            for kind, value in (("text/plain", message.text), ("text/html", message.html))
            if value
        ],
    }
    if message.reply_to:
        body["reply_to"] = {"email": message.reply_to}
    if message.categories:
        body["categories"] = list(message.categories)
    if message.custom_args:
        body["custom_args"] = {k: str(v) for k, v in message.custom_args.items()}
    if message.headers:
        body["headers"] = dict(message.headers)
    if message.attachments:
        body["attachments"] = [_attachment(a) for a in message.attachments]
    if asm_group_id is not None:
        body["asm"] = {"group_id": asm_group_id}
    if sandbox:
        body["mail_settings"] = {"sandbox_mode": {"enable": True}}
    return body


def personalization(recipient: Recipient) -> dict[str, Any]:
    """One recipient's envelope: address, substitutions and own headers."""
    p: dict[str, Any] = {"to": [_address(recipient.email, recipient.name)]}
    if recipient.substitutions:
        p["substitutions"] = dict(recipient.substitutions)
    if recipient.headers:
        p["headers"] = dict(recipient.headers)
    return p


def _attachment(attachment: Attachment) -> dict[str, str]:
    """SendGrid's attachment object: the content base64-encoded, with type and filename."""
    return {
        "content": base64.b64encode(attachment.content).decode("ascii"),
        "type": attachment.mime_type,
        "filename": attachment.filename,
        "disposition": attachment.disposition,
    }


def _address(email: str, name: str) -> dict[str, str]:
    return {"email": email, "name": name} if name else {"email": email}


def fetch_suppressions(
    api_key: str,
    *,
    base_url: str = DEFAULT_BASE_URL,
    asm_group_id: int | None = None,
    timeout: float = 30,
    page_size: int = SUPPRESSION_PAGE,
    retry: RetryPolicy | None = None,
) -> list[SuppressionRow]:
    """Every address SendGrid suppresses, as (email, reason, date, source) rows.

    Pages through bounces, blocks, spam reports and global unsubscribes by limit/offset,
    then the ASM group's suppressions when a group is given. The ASM endpoint gives no
    dates, so those rows carry today's (UTC) date: the day the sync learned of them.
    """
    client = _client(api_key, base_url, timeout)
    policy = retry or RetryPolicy()
    redact = _RedactKey(api_key)
    _HTTP_LOGGER.addFilter(redact)
    try:
        rows: list[SuppressionRow] = []
        for name, reason in SUPPRESSION_LISTS.items():
            items = _all_pages(policy, client.client.suppression._(name), page_size)
            rows += [
                (item["email"], reason, _date(item.get("created")), f"sendgrid:{name}")
                for item in items
            ]
        if asm_group_id is not None:
            group = client.client.asm.groups._(str(asm_group_id)).suppressions
            emails = policy.call(group.get, idempotent=True).to_dict or []
            today = datetime.now(UTC).date().isoformat()
            rows += [(e, "unsubscribe", today, f"sendgrid:asm:{asm_group_id}") for e in emails]
        return rows
    finally:
        _HTTP_LOGGER.removeFilter(redact)


def _all_pages(policy: RetryPolicy, endpoint: Any, page_size: int) -> list[dict[str, Any]]:
    """Every item of a limit/offset paginated list; a short page is the last one."""
    items: list[dict[str, Any]] = []
    while True:
        query = {"limit": page_size, "offset": len(items)}
        page = policy.call(functools.partial(endpoint.get, query_params=query), idempotent=True)
        batch = page.to_dict or []
        items += batch
        if len(batch) < page_size:
            return items


def _date(created: Any) -> str:
    """SendGrid's ``created`` (epoch seconds) as a UTC date, YYYY-MM-DD."""
    if created is None:
        return datetime.now(UTC).date().isoformat()
    return datetime.fromtimestamp(int(created), UTC).date().isoformat()
