"""The one seam all delivery goes through: the :class:`Transport` protocol is everything
a send needs of one. Tests swap transports, never patch import paths.

A :class:`~newsletter.mail.Message` still holds the placeholders of
:mod:`newsletter.placeholders`; each :class:`~newsletter.mail.Recipient` carries the values
that fill them. A transport sends one batch (at most
``max_batch`` recipients) per call, up to ``concurrency`` at once, each on a thread of its
own. Each recipient's outcome goes into the batch's :class:`Receipt` *as the transport
learns it*, so an exception part-way through a batch loses nothing already known.
``send_batch`` returns once every recipient has an outcome, or raises a
:class:`~newsletter.errors.DeliveryError` (AuthError, RejectedError, TransientError) when
the batch cannot go on: every recipient then without an outcome was certainly not
delivered (the transport leaves no work running behind the exception).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from newsletter.mail import Attachment as Attachment
from newsletter.mail import Message as Message
from newsletter.mail import Recipient as Recipient


@dataclass
class Receipt:
    """What became of each recipient of one batch (keys: the recipients' ``email``)."""

    # The provider took it: its message id.
    sent: dict[str, str | None] = field(default_factory=dict)
    # Refused for good, for this recipient only (a 5xx for the address): its own reason.
    rejected: dict[str, str] = field(default_factory=dict)
    # Not taken this time (a 4xx for the address): the next run retries it.
    deferred: dict[str, str] = field(default_factory=dict)
    # The answer was lost after the provider got it: never retried unasked.
    uncertain: dict[str, str] = field(default_factory=dict)

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
