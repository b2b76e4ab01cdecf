"""One recipient's complete email as RFC 5322 bytes: placeholders filled, headers encoded.

Each recipient gets their own ``multipart/alternative`` message (text/plain, then
text/html, UTF-8) with a Message-ID, a Date and the unsubscribe headers. The headers are
made by the email package (it encodes non-ASCII names and subjects); the MIME body is
assembled here, because the package's own encoder costs milliseconds per message and every
recipient needs one. With ``eight_bit`` (the server said 8BITMIME) parts whose lines fit
SMTP's limit go unencoded: half the lines of base64, and no encoding work.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from urllib.parse import quote

from newsletter.deliver.transport import Attachment, Message, Recipient
from newsletter.placeholders import fill_tokens

# Fold only past RFC 5322's hard limit: at 78 the policy folds a long List-Unsubscribe
# value onto a continuation line of its own, which some receivers read back with a
# leading space, and signed URLs must reach the receiver intact.
POLICY = policy.SMTP.clone(max_line_length=998)
MAX_LINE = 998  # bytes per line before CRLF (RFC 5322 2.1.1)


def render(
    message: Message, recipient: Recipient, *, when: datetime, eight_bit: bool = False
) -> bytes:
    """The complete email ``recipient`` gets, as the bytes that go over the wire (CRLF).

    Raises ValueError (the email package's errors among them) when a value cannot go into
    the message, e.g. a line break in a header value.
    """

    def fill(text: str) -> str:
        return fill_tokens(text, recipient.substitutions)

    head = EmailMessage(policy=POLICY)
    domain = message.from_email.rpartition("@")[2] or None
    head["Message-ID"] = make_msgid(domain=domain)
    head["Date"] = format_datetime(when)
    head["From"] = _address(message.from_name, message.from_email)
    head["To"] = _address(recipient.name, recipient.email)
    if message.reply_to:
        head["Reply-To"] = message.reply_to
    head["Subject"] = fill(message.subject)
    for own_headers in (message.headers, recipient.headers):
        for name, value in own_headers.items():
            del head[name]  # a recipient's value replaces the message's
            head[name] = fill(value)
    head["MIME-Version"] = "1.0"
    # "=_" never occurs in QP or base64, and 128 random bits never in a raw part.
    boundary = f"=_{secrets.token_hex(16)}"
    text_encoding, text = _encoded(fill(message.text), "quoted-printable", eight_bit)
    html_encoding, html = _encoded(fill(message.html), "base64", eight_bit)
    separator = f"--{boundary}".encode()
    body = b"\n".join(
        [
            f'Content-Type: multipart/alternative; boundary="{boundary}"'.encode(),
            b"",
            separator,
            b'Content-Type: text/plain; charset="utf-8"',
            b"Content-Transfer-Encoding: " + text_encoding,
            b"",
            text,
            separator,
            b'Content-Type: text/html; charset="utf-8"',
            b"Content-Transfer-Encoding: " + html_encoding,
            b"",
            html,
            separator + b"--",
            b"",
        ]
    )
    if message.attachments:
        body = _with_attachments(body, message.attachments)
    # SMTP wants CRLF line ends; the encoders above write LF (QP keeps a CRLF that was
    # in the text as an encoded break, so normalize from LF only).
    # The package ends the headers with a blank line; the Content-Type line goes first.
    headers = head.as_bytes(policy=POLICY).removesuffix(b"\r\n")
    return headers + body.replace(b"\n", b"\r\n")


def parse(wire: bytes) -> EmailMessage:
    """``wire`` read back as a received message is read (LF lines: text parts end in "\\n")."""
    parsed = BytesParser(policy=POLICY).parsebytes(wire.replace(b"\r\n", b"\n"))
    assert isinstance(parsed, EmailMessage)
    return parsed


def message_id(wire: bytes) -> str | None:
    """The Message-ID header of ``wire``."""
    for line in wire.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode("ascii")
    return None


def _encoded(content: str, fallback: str, eight_bit: bool) -> tuple[bytes, bytes]:
    """(Content-Transfer-Encoding, the part's lines joined by LF) for one text part.

    A line break that ends the content is kept: the one before a boundary is not content.
    """
    raw = content.replace("\r\n", "\n").encode("utf-8")
    if (
        eight_bit
        and b"\r" not in raw
        and b"\0" not in raw
        and all(len(line) <= MAX_LINE for line in raw.split(b"\n"))
    ):
        return b"8bit", raw
    if fallback == "quoted-printable":
        return b"quoted-printable", binascii.b2a_qp(raw, istext=True)
    return b"base64", base64.encodebytes(raw).rstrip(b"\n")


def _with_attachments(alternative: bytes, attachments: Sequence[Attachment]) -> bytes:
    """``alternative`` (a MIME part, LF line ends) and the attachments in a multipart/mixed
    part; attachments are base64 in 76-character lines."""
    boundary = f"=_{secrets.token_hex(16)}"
    separator = f"--{boundary}".encode()
    parts = [
        f'Content-Type: multipart/mixed; boundary="{boundary}"'.encode(),
        b"",
        separator,
        alternative.rstrip(b"\n"),
    ]
    for attachment in attachments:
        name = attachment.filename.replace('"', "")
        if name.isascii():
            disposition = f'{attachment.disposition}; filename="{name}"'
        else:  # RFC 2231
            disposition = f"{attachment.disposition}; filename*=utf-8''{quote(name)}"
        parts += [
            separator,
            f"Content-Type: {attachment.mime_type}".encode(),
            f"Content-Disposition: {disposition}".encode(),
            b"Content-Transfer-Encoding: base64",
            b"",
            base64.encodebytes(attachment.content).rstrip(b"\n"),
        ]
    return b"\n".join([*parts, separator + b"--", b""])


def _address(name: str, email: str) -> Address:
    """A header address; non-ASCII display names are encoded by the policy."""
    return Address(display_name=name, addr_spec=email)
