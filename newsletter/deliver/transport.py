"""The one seam all delivery goes through.

A segment's rendered email is a :class:`Message` whose HTML and text still hold the
placeholders of :mod:`newsletter.placeholders`; each :class:`Recipient` carries the values
that fill them. A transport sends one batch (at most ``max_batch`` recipients) per call:
SendGrid as one request with personalizations, SMTP as one message per recipient over its
thread's connection. The protocol is everything a send needs of a transport: up to
``concurrency`` batches may be in flight at once, each ``send_batch`` on a thread of its
own (:class:`newsletter.deliver.job.Dispatcher`). Tests swap transports, never patch import
paths.

What became of each recipient goes into the batch's :class:`Receipt` *as the transport
learns it*, so an exception part-way through a batch loses nothing already known:

    sent        the provider took it (with the provider's message id)
    rejected    refused for good, for this recipient only (a 5xx for the address, a value
                that cannot be encoded): its own reason; not retried by a rerun
    deferred    not taken this time (a 4xx for the address): retried by the next run
    uncertain   the answer was lost after the provider got the request (a dropped SendGrid
                connection, a server gone after the message's last line): it may or may
                not have it, so it is never retried unasked

``send_batch`` returns once every recipient has an outcome. It raises a DeliveryError when
the batch cannot go on at all; every recipient then without an outcome was certainly not
delivered (the transport never leaves work running behind the exception).

Errors are :class:`~newsletter.errors.DeliveryError` and its subclasses (AuthError,
RejectedError, TransientError), drawn with the whole tree in :mod:`newsletter.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import msgspec


class Recipient(msgspec.Struct, frozen=True, gc=False):
    """One addressee of a message and their own values.

    A send makes one per reader, so a struct that is made in a third of a named tuple's
    time, and one Python's cycle collector never looks at (it holds strings only: no
    cycle): tracked, the thousands in flight would make the collector walk all it holds,
    over and over."""

    email: str
    name: str
    substitutions: Mapping[str, str]  # placeholder token (e.g. %%FIRST_NAME%%) -> value
    headers: Mapping[str, str] = {}  # e.g. List-Unsubscribe


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


@dataclass
class Receipt:
    """What became of each recipient of one batch (keys: the recipients' ``email``)."""

    sent: dict[str, str | None] = field(default_factory=dict)  # -> the provider's id
    rejected: dict[str, str] = field(default_factory=dict)  # -> its own reason
    deferred: dict[str, str] = field(default_factory=dict)  # -> why, retried next run
    uncertain: dict[str, str] = field(default_factory=dict)  # -> why the answer was lost

    def has(self, email: str) -> bool:
        """True once ``email`` has an outcome."""
        return any(email in outcome for outcome in self._outcomes())

    def count(self) -> int:
        return sum(len(outcome) for outcome in self._outcomes())

    def first_id(self) -> str | None:
        return next((i for i in self.sent.values() if i), None)

    def _outcomes(self) -> tuple[Mapping[str, object], ...]:
        return (self.sent, self.rejected, self.deferred, self.uncertain)


class Transport(Protocol):
    max_batch: int
    concurrency: int  # batches in flight at once, each sent on a thread of its own

    def send_batch(
        self, message: Message, recipients: Sequence[Recipient], receipt: Receipt | None = None
    ) -> Receipt:
        """Send ``message`` to ``recipients``, recording each outcome in ``receipt`` (a new
        one if not given) as it is known; see the module docstring."""
        ...

    def close(self) -> None: ...
