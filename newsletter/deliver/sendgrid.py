"""Delivery through SendGrid's v3 mail send, posted with httpx.

One request per batch: the shared message at the top level, one personalization per
recipient (substitutions and headers), the body encoded once by msgspec. The payload is
the official ``sendgrid`` library's (its ``Mail`` helper is the reference in the tests);
posting it ourselves keeps one pool of kept-alive connections for the batches in flight
and spares the library's per-request ``json.dumps`` and debug line. Retries and rate
limits are :mod:`newsletter.deliver.sendgrid_api`'s. The answers, for the batch's receipt:

    202/200     everyone in the request is sent, under its X-Message-Id
    400         when every problem names a personalization (an address SendGrid refuses),
                those recipients are rejected with SendGrid's own message and the rest
                of the batch is sent again at once; any other 400 stops the send
    413         the batch is sent in halves, recursively, until each part fits; only this
                batch is split
    lost answer everyone in that request is uncertain: SendGrid may have it, and a retry
                could send it twice
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx
import msgspec

from newsletter.deliver.sendgrid_api import (
    DEFAULT_BASE_URL,
    AnswerLost,
    Refused,
    RetryPolicy,
    TooLarge,
    Unreached,
)
from newsletter.deliver.transport import Attachment, Message, Receipt, Recipient
from newsletter.errors import DeliveryError, RejectedError

MAIL_SEND = "/v3/mail/send"
_PERSONALIZATION_FIELD = re.compile(r"^personalizations\.(\d+)(?:\.|$)")
# Failing while connecting or writing: the request never arrived whole. Any other transport
# error (a read timeout, a connection closed before the answer) leaves it unknown.
_UNREACHED = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteError)


class SendGridTransport:
    """Sends batches of up to 1,000 recipients as one v3 mail-send request each.

    One connection pool (``concurrency`` connections, kept alive) and one retry policy with
    its rate-limit gate are shared by the threads that send batches at once. Call
    :meth:`close` when done, or use the transport as a context manager.
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
        concurrency: int = 8,
        sleep: Callable[[float], None] = time.sleep,
        backoff_base: float = 0.5,
        max_rate_limit_wait: float = 60.0,
    ) -> None:
        self.sandbox = sandbox
        self.asm_group_id = asm_group_id
        self.concurrency = max(1, concurrency)
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            # Exactly "application/json": SendGrid has answered 415 to a charset parameter.
            headers={
                "Authorization": f"Bearer {api_key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            timeout=timeout,
            limits=httpx.Limits(max_connections=self.concurrency),
        )
        self.retry = RetryPolicy(
            max_retries=max_retries,
            sleep=sleep,
            backoff_base=backoff_base,
            max_rate_limit_wait=max_rate_limit_wait,
        )

    def __repr__(self) -> str:
        return f"SendGridTransport(base_url={str(self._client.base_url)!r}, sandbox={self.sandbox})"

    def __enter__(self) -> SendGridTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def send_batch(
        self, message: Message, recipients: Sequence[Recipient], receipt: Receipt | None = None
    ) -> Receipt:
        """Send ``recipients`` in one request (more after a 413 or a refused address)."""
        if len(recipients) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} recipients per batch")
        receipt = Receipt() if receipt is None else receipt
        if recipients:
            shared = build_shared(message, sandbox=self.sandbox, asm_group_id=self.asm_group_id)
            self._send_part(shared, list(recipients), receipt)
        return receipt

    def _send_part(
        self, shared: dict[str, Any], recipients: list[Recipient], receipt: Receipt
    ) -> None:
        try:
            body = _encode({**shared, "personalizations": [personalization(r) for r in recipients]})
        except (TypeError, ValueError) as error:  # a str from a UTF-8 file always encodes
            raise RejectedError(f"the message cannot be put into a request: {error}") from None
        try:
            answer = self.retry.call(lambda: self._post(body), idempotent=False)
        except AnswerLost as lost:
            for recipient in recipients:
                receipt.uncertain[recipient.email] = f"{lost}: SendGrid may or may not have it"
            return
        except TooLarge:
            if len(recipients) == 1:
                raise RejectedError(
                    "SendGrid: the message is too large (413) even for a single recipient"
                ) from None
            middle = len(recipients) // 2
            self._send_part(shared, recipients[:middle], receipt)
            self._send_part(shared, recipients[middle:], receipt)
            return
        except RejectedError as rejected:
            refused = _refused_recipients(rejected, len(recipients))
            if not refused:
                raise
            for index, reason in refused.items():
                receipt.rejected[recipients[index].email] = reason
            rest = [r for i, r in enumerate(recipients) if i not in refused]
            if rest:  # SendGrid refused the request whole: nobody in it was sent
                self._send_part(shared, rest, receipt)
            return
        except DeliveryError:
            raise  # an answer that says the request was not taken
        except BaseException:
            # Anything else while the request was out (a bug, an interrupted thread):
            # SendGrid may have it.
            for recipient in recipients:
                receipt.uncertain[recipient.email] = "the send was interrupted mid-request"
            raise
        message_id = answer.headers.get("X-Message-Id")
        receipt.sent.update(dict.fromkeys([r.email for r in recipients], message_id))

    def _post(self, body: bytes) -> httpx.Response:
        """One attempt at the request, its outcome as the retry policy reads it."""
        try:
            response = self._client.post(MAIL_SEND, content=body)
        except _UNREACHED as error:
            raise Unreached(type(error).__name__) from None
        except httpx.TransportError as error:
            raise AnswerLost(
                f"connection lost while waiting for SendGrid ({type(error).__name__})"
            ) from None
        if not 200 <= response.status_code < 300:
            raise Refused(response.status_code, response.headers, response.content)
        return response


def _encode(value: object) -> bytes:
    return msgspec.json.encode(value, enc_hook=_plain)


def _plain(value: object) -> object:
    """What msgspec cannot encode as it is: a read-only mapping (a recipient's default)."""
    if isinstance(value, Mapping):
        return dict(value)
    raise NotImplementedError(f"cannot encode a {type(value).__name__}")


def _refused_recipients(rejected: RejectedError, count: int) -> dict[int, str]:
    """personalization index -> SendGrid's message, when every problem of a 400 names a
    personalization (so the rest of the request was fine); else {}."""
    refused: dict[int, str] = {}
    for problem in (rejected, *rejected.also):
        match = _PERSONALIZATION_FIELD.match(problem.key or "")
        if not match or int(match[1]) >= count:
            return {}
        refused.setdefault(int(match[1]), f"{problem.message} ({problem.key})")
    return refused


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


class _Address(msgspec.Struct, omit_defaults=True, gc=False):
    email: str
    name: str = ""  # left out when empty: SendGrid refuses an empty name


class _Personalization(msgspec.Struct, omit_defaults=True, gc=False):
    """One recipient's envelope as the body carries it (a struct the cycle collector never
    walks, as a Recipient)."""

    to: tuple[_Address]
    substitutions: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None


def personalization(recipient: Recipient) -> _Personalization:
    """One recipient's envelope: address, substitutions and own headers (their mappings go
    in as they are: a copy would cost one per reader)."""
    return _Personalization(
        (_Address(recipient.email, recipient.name),),
        recipient.substitutions or None,
        recipient.headers or None,
    )


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
