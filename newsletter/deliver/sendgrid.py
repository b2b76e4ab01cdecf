"""Delivery through the SendGrid v3 Web API, with the official ``sendgrid`` client.

One request per batch: the shared message at the top level, one personalization per
recipient carrying its substitutions and headers (List-Unsubscribe …). Timeouts, retries
and the shared rate-limit state are :mod:`newsletter.deliver.sendgrid_api`'s. What the
answers mean for the batch's receipt:

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

from newsletter.deliver.sendgrid_api import (
    DEFAULT_BASE_URL,
    HTTP_LOGGER,
    AnswerLost,
    RedactKey,
    RetryPolicy,
    TooLarge,
    client_for,
)
from newsletter.deliver.transport import Attachment, Message, Receipt, Recipient, as_dict
from newsletter.errors import DeliveryError, RejectedError

_PERSONALIZATION_FIELD = re.compile(r"^personalizations\.(\d+)(?:\.|$)")


class SendGridTransport:
    """Sends batches of up to 1,000 recipients as one v3 mail-send request each.

    One client is built per transport and shared by the ``concurrency`` threads that send
    batches at once; so is the retry policy and its rate-limit gate. Call :meth:`close`
    when done, or use the transport as a context manager.
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
        self._client = client_for(api_key, base_url, timeout)
        self._redact = RedactKey(api_key)
        HTTP_LOGGER.addFilter(self._redact)
        self.sandbox = sandbox
        self.asm_group_id = asm_group_id
        self.concurrency = max(1, concurrency)
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
        HTTP_LOGGER.removeFilter(self._redact)

    def send_batch(
        self, message: Message, recipients: Sequence[Recipient], receipt: Receipt | None = None
    ) -> Receipt:
        """Send ``recipients`` in one request (more after a 413 or a refused address)."""
        return self.send_rows(message, recipients, receipt)  # a Recipient is a row

    def send_rows(
        self, message: Message, rows: Sequence[RecipientRow], receipt: Receipt | None = None
    ) -> Receipt:
        """:meth:`send_batch` for recipients as rows, as a process that sends for another
        receives them (:mod:`newsletter.deliver.offload`): no Recipient is made again."""
        if len(rows) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} recipients per batch")
        receipt = Receipt() if receipt is None else receipt
        if rows:
            shared = build_shared(message, sandbox=self.sandbox, asm_group_id=self.asm_group_id)
            self._send_part(shared, list(rows), receipt)
        return receipt

    def _send_part(
        self, shared: dict[str, Any], rows: list[RecipientRow], receipt: Receipt
    ) -> None:
        body = {**shared, "personalizations": [_personalization(*row) for row in rows]}
        try:
            response = self.retry.call(
                lambda: self._client.client.mail.send.post(request_body=body), idempotent=False
            )
        except AnswerLost as lost:
            for email, *_ in rows:
                receipt.uncertain[email] = f"{lost}: SendGrid may or may not have it"
            return
        except TooLarge:
            if len(rows) == 1:
                raise RejectedError(
                    "SendGrid: the message is too large (413) even for a single recipient"
                ) from None
            middle = len(rows) // 2
            self._send_part(shared, rows[:middle], receipt)
            self._send_part(shared, rows[middle:], receipt)
            return
        except RejectedError as rejected:
            refused = _refused_recipients(rejected, len(rows))
            if not refused:
                raise
            for index, reason in refused.items():
                receipt.rejected[rows[index][0]] = reason
            rest = [r for i, r in enumerate(rows) if i not in refused]
            if rest:  # SendGrid refused the request whole: nobody in it was sent
                self._send_part(shared, rest, receipt)
            return
        except DeliveryError:
            raise  # an answer that says the request was not taken
        except BaseException:
            # Anything else while the request was out (a bug, an interrupted thread):
            # SendGrid may have it.
            for email, *_ in rows:
                receipt.uncertain[email] = "the send was interrupted mid-request"
            raise
        message_id = response.headers.get("X-Message-Id")
        receipt.sent.update(dict.fromkeys([row[0] for row in rows], message_id))


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


RecipientRow = tuple[str, str, Mapping[str, str], Mapping[str, str]]
"""A recipient's (email, name, substitutions, headers)."""


def personalization(recipient: Recipient) -> dict[str, Any]:
    """One recipient's envelope: address, substitutions and own headers."""
    return _personalization(
        recipient.email, recipient.name, recipient.substitutions, recipient.headers
    )


def _personalization(
    email: str, name: str, substitutions: Mapping[str, str], headers: Mapping[str, str]
) -> dict[str, Any]:
    p: dict[str, Any] = {"to": [{"email": email, "name": name} if name else {"email": email}]}
    # The recipient's own mappings go in as they are (json takes any dict): copying them
    # would cost a dict per recipient (this runs per recipient).
    if substitutions:
        p["substitutions"] = as_dict(substitutions)
    if headers:
        p["headers"] = as_dict(headers)
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
