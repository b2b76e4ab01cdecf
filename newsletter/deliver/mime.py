"""One recipient's complete email as RFC 5322 bytes: placeholders filled, headers encoded.

Each recipient gets their own ``multipart/alternative`` message (text/plain, then
text/html, UTF-8) with a Message-ID, a Date and the unsubscribe headers, made by the
email package. With ``eight_bit`` (the server said 8BITMIME) parts whose lines fit SMTP's
limit go unencoded: half the lines of base64, and no encoding work.
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid

from newsletter.deliver.transport import Message, Recipient
from newsletter.placeholders import fill_tokens

# Fold only past RFC 5322's hard limit: at 78 the policy folds a long List-Unsubscribe
# value onto a continuation line of its own, which some receivers read back with a
# leading space, and signed URLs must reach the receiver intact.
POLICY = policy.SMTP.clone(max_line_length=998)
# Encoded body lines keep to 76 characters, as mail software expects of base64 and QP.
BODY_POLICY = policy.SMTP
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

    email = EmailMessage(policy=BODY_POLICY)  # written out under POLICY
    domain = message.from_email.rpartition("@")[2] or None
    email["Message-ID"] = make_msgid(domain=domain)
    email["Date"] = format_datetime(when)
    email["From"] = _address(message.from_name, message.from_email)
    email["To"] = _address(recipient.name, recipient.email)
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["Subject"] = fill(message.subject)
    for own_headers in (message.headers, recipient.headers):
        for name, value in own_headers.items():
            del email[name]  # a recipient's value replaces the message's
            email[name] = fill(value)
    text, html = fill(message.text), fill(message.html)
    email.set_content(text, cte=_encoding(text, "quoted-printable", eight_bit))
    email.add_alternative(html, subtype="html", cte=_encoding(html, "base64", eight_bit))
    for attachment in message.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        email.add_attachment(
            attachment.content,
            maintype,
            subtype,
            filename=attachment.filename,
            disposition=attachment.disposition,
        )
    return email.as_bytes(policy=POLICY)


def parse(wire: bytes) -> EmailMessage:
    """``wire`` read back as a received message is read (LF lines: text parts end in "\\n");
    a part set anew in it is encoded as :func:`render` encodes one."""
    parsed = BytesParser(policy=BODY_POLICY).parsebytes(wire.replace(b"\r\n", b"\n"))
    assert isinstance(parsed, EmailMessage)
    return parsed


def message_id(wire: bytes) -> str | None:
    """The Message-ID header of ``wire``."""
    for line in wire.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode("ascii")
    return None


def _encoding(content: str, fallback: str, eight_bit: bool) -> str:
    """A text part's Content-Transfer-Encoding: none when the server takes 8-bit data and
    every line fits SMTP's limit, else ``fallback``."""
    fits = all(len(line.encode()) <= MAX_LINE for line in content.split("\n"))
    return "8bit" if eight_bit and "\0" not in content and fits else fallback


def _address(name: str, email: str) -> Address:
    """A header address; non-ASCII display names are encoded by the policy."""
    return Address(display_name=name, addr_spec=email)
