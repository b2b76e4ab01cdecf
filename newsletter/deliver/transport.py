"""The one seam all delivery goes through.

A segment's rendered email is a :class:`Message` whose HTML and text still hold the
placeholders of :mod:`newsletter.placeholders`; each :class:`Recipient` carries the values
that fill them. A transport sends one batch (at most ``max_batch`` recipients) per call:
SendGrid as one request with personalizations, SMTP as one message per recipient over a
reused connection. Tests swap transports, never patch import paths.

Errors (all :class:`DeliveryError`, a NewsletterError):

    DeliveryError
    ├── AuthError          API key invalid or lacks permission: stop
    ├── RejectedError      the provider refused the request as malformed (400): stop
    └── TransientError     retries exhausted (429, 5xx, timeouts, dropped connections)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from newsletter.errors import NewsletterError


class DeliveryError(NewsletterError):
    """Sending failed in a way the user must look at."""

    uncertain: bool = False
    """True when the provider may have accepted the batch before the failure (a dropped
    connection or read timeout after the request went out): never retried automatically."""

    delivered: tuple[str, ...] = ()
    """Recipients of the failed batch the provider certainly accepted first (SMTP sends one
    message at a time): recorded as sent, so a retry of the batch skips them."""


class AuthError(DeliveryError):
    pass


class RejectedError(DeliveryError):
    pass


class TransientError(DeliveryError):
    pass


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    substitutions: Mapping[str, str]  # placeholder token (e.g. %%FIRST_NAME%%) -> value
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (the print-shop package); the same for every recipient."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"
    disposition: str = "attachment"  # or "inline"


@dataclass(frozen=True)
class Message:
    """What every recipient of one batch gets, before substitution."""

    subject: str
    from_email: str
    from_name: str
    reply_to: str | None
    html: str
    text: str
    categories: tuple[str, ...] = ()
    custom_args: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class BatchResult:
    message_id: str | None  # the provider's id for the batch (SendGrid X-Message-Id)


class Transport(Protocol):
    max_batch: int

    def send_batch(self, message: Message, recipients: Sequence[Recipient]) -> BatchResult:
        """Send ``message`` to ``recipients``; return once the provider accepted it."""
        ...

    def close(self) -> None: ...
