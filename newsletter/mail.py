"""What an email is, between the step that makes it and the one that sends it: a
:class:`Message` (the same for everyone it goes to, its placeholders still in it), its
:class:`Attachment` files, and each :class:`Recipient` with their own values.

The issue's messages are made from the build (:mod:`newsletter.pipeline.mail`), the
desk's and the print shop's by their own steps; :mod:`newsletter.deliver` sends them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import msgspec


class Recipient(msgspec.Struct, frozen=True, gc=False):
    """One addressee of a message and their own values. A send makes one per reader: a
    struct is quick to make, and one the cycle collector never walks (it holds strings, so
    no cycle), however many batches are in flight."""

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
