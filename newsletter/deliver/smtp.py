"""Delivery over SMTP with :mod:`smtplib`: one message per recipient, one reused connection.

Each recipient gets their own ``multipart/alternative`` message (text/plain, then
text/html, UTF-8) with their placeholders filled, a Message-ID, a Date and the
unsubscribe headers. The connection is opened on the first batch and kept for the next
ones; when the server drops it (or says 421, closing), the transport reconnects once and
resends the message that failed, so recipients earlier in the batch are not sent twice.

Credentials come only from the arguments (:meth:`SmtpTransport.from_env` reads
``SMTP_USERNAME``/``SMTP_PASSWORD``); they are never logged nor shown by ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
import smtplib
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from typing import Literal
from urllib.parse import quote

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
from newsletter.errors import ConfigError

TlsMode = Literal["none", "starttls", "implicit"]
log = logging.getLogger(__name__)
# Fold only past RFC 5322's hard limit: at 78 the policy folds a long List-Unsubscribe
# value onto a continuation line of its own, which some receivers read back with a
# leading space, and signed URLs must reach the receiver intact.
_POLICY = policy.SMTP.clone(max_line_length=998)
_MAX_LINE = 998  # bytes per line before CRLF (RFC 5322 2.1.1)


class SmtpTransport:
    """A :class:`~newsletter.deliver.transport.Transport` speaking SMTP to one server."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        tls: TlsMode = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30,
        max_batch: int = 100,
        parallel: int = 1,
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if tls not in ("none", "starttls", "implicit"):
            raise ConfigError(f"unknown SMTP TLS mode {tls!r} (expected none, starttls, implicit)")
        self.host = host
        self.port = port
        self.tls = tls
        self.timeout = timeout
        self.max_batch = max_batch
        self._username = username
        self._password = password
        self._ssl_context = ssl_context
        self._clock = clock
        # One connection per sending thread: ``parallel`` connections keep the client's
        # rendering and the server's work on different cores.
        self.parallel = max(1, parallel)
        self._local = threading.local()
        self._open: list[smtplib.SMTP] = []
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.connections = 0  # how many times a connection was opened (for summaries)
        # Permanent per-recipient refusals (address, SMTP code, reply); the rest of the
        # batch still goes out, like a bounce would.
        self.refused: list[tuple[str, int, str]] = []

    @classmethod
    def from_env(
        cls,
        config_host: str | None,
        config_port: int | None,
        *,
        environ: Mapping[str, str] | None = None,
        **options: object,
    ) -> SmtpTransport:
        """A transport for ``SMTP_HOST``/``SMTP_PORT`` if set, else the configured ones.

        ``SMTP_USERNAME`` and ``SMTP_PASSWORD`` (both optional) are the credentials.
        """
        env = os.environ if environ is None else environ
        host = env.get("SMTP_HOST") or config_host
        if not host:
            raise ConfigError("no SMTP host: set delivery.smtp.host or SMTP_HOST")
        port: int | None = config_port
        if env.get("SMTP_PORT"):
            try:
                port = int(env["SMTP_PORT"])
            except ValueError:
                raise ConfigError(f"SMTP_PORT is not a number: {env['SMTP_PORT']!r}") from None
        if port is None:
            port = 465 if options.get("tls") == "implicit" else 587
        return cls(
            host,
            port,
            username=env.get("SMTP_USERNAME") or None,
            password=env.get("SMTP_PASSWORD") or None,
            **options,  # type: ignore[arg-type]
        )

    def __repr__(self) -> str:
        user = "set" if self._username else "none"
        return f"SmtpTransport({self.host}:{self.port}, tls={self.tls}, credentials={user})"

    # -- Transport -----------------------------------------------------------------------

    def send_batch(self, message: Message, recipients: Sequence[Recipient]) -> BatchResult:
        """Send one message per recipient; returns the first Message-ID of the batch."""
        if len(recipients) > self.max_batch:
            raise ValueError(f"batch of {len(recipients)} exceeds max_batch={self.max_batch}")
        if self.parallel == 1 or len(recipients) < 2:
            return BatchResult(message_id=self._send_share(message, recipients))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.parallel, thread_name_prefix="smtp")
        shares = [recipients[n :: self.parallel] for n in range(self.parallel)]
        futures = [self._pool.submit(self._send_share, message, share) for share in shares]
        ids: list[str | None] = []
        failures: list[DeliveryError] = []
        delivered: list[str] = []
        for share, future in zip(shares, futures, strict=True):
            try:
                ids.append(future.result())
                delivered.extend(r.email for r in share)
            except DeliveryError as exc:
                failures.append(exc)
                delivered.extend(exc.delivered)
        if failures:
            failures[0].delivered = tuple(delivered)  # what every share got through
            raise failures[0]
        return BatchResult(message_id=ids[0])

    def _send_share(self, message: Message, recipients: Sequence[Recipient]) -> str | None:
        """Send to ``recipients`` over this thread's connection; the first Message-ID.

        A failure carries the recipients already accepted (``DeliveryError.delivered``).
        """
        first_id: str | None = None
        delivered: list[str] = []
        for recipient in recipients:
            eight_bit = self._connection().has_extn("8bitmime")
            mail = self.render(message, recipient, eight_bit=eight_bit)
            first_id = first_id or _message_id(mail)
            try:
                self._deliver(message.from_email, recipient.email, mail, eight_bit=eight_bit)
            except DeliveryError as exc:
                exc.delivered = tuple(delivered)
                raise
            delivered.append(recipient.email)
        return first_id

    def close(self) -> None:
        """Say QUIT and drop every open connection."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        with self._lock:
            connections, self._open = self._open, []
        self._local = threading.local()
        for conn in connections:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    # -- building ------------------------------------------------------------------------

    def build(self, message: Message, recipient: Recipient) -> EmailMessage:
        """The complete email ``recipient`` gets, placeholders filled, as a message object."""
        # Parsed from LF lines, as a received message is read, so text parts end in "\n".
        wire = self.render(message, recipient).replace(b"\r\n", b"\n")
        parsed = BytesParser(policy=_POLICY).parsebytes(wire)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def render(self, message: Message, recipient: Recipient, *, eight_bit: bool = False) -> bytes:
        """The complete email ``recipient`` gets, as the bytes that go over the wire.

        The headers are made by the email package (it encodes non-ASCII names and
        subjects); the MIME body is assembled here, because the package's own encoder
        costs milliseconds per message and every recipient needs one. With ``eight_bit``
        (the server said 8BITMIME) parts whose lines fit SMTP's limit go unencoded: half
        the lines of base64, and no encoding work.
        """

        def fill(text: str) -> str:
            for token, value in recipient.substitutions.items():
                text = text.replace(token, value)
            return text

        head = EmailMessage(policy=_POLICY)
        domain = message.from_email.rpartition("@")[2] or None
        head["Message-ID"] = make_msgid(domain=domain)
        head["Date"] = format_datetime(self._clock())
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
        headers = head.as_bytes(policy=_POLICY).removesuffix(b"\r\n")
        return headers + body.replace(b"\n", b"\r\n")

    # -- the connection ------------------------------------------------------------------

    def _deliver(self, sender: str, to: str, mail: bytes, *, eight_bit: bool = False) -> None:
        options = ["BODY=8BITMIME"] if eight_bit else []
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.sendmail(sender, [to], mail, mail_options=options)
                return
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = exc.recipients.get(to, (550, b""))
                self._refused(to, code, reply)
                return
            except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                self._drop()
                if attempt == 2:
                    raise TransientError(
                        f"SMTP server {self.host} dropped the connection: {exc}"
                    ) from None
                log.info("SMTP connection dropped; reconnecting")
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code == 421 and attempt == 1:  # server closing: reconnect
                    self._drop()
                    continue
                raise _error(exc, to) from None
            except OSError as exc:  # timeouts and resets mid-message
                self._drop()
                raise TransientError(f"SMTP server {self.host}: {exc}") from None

    def _refused(self, to: str, code: int, reply: bytes | str) -> None:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        if 400 <= code < 500:
            raise TransientError(f"SMTP server deferred {to}: {code} {text}")
        log.warning("SMTP server refused %s: %s %s", to, code, text)
        self.refused.append((to, code, text))

    def _connection(self) -> smtplib.SMTP:
        conn: smtplib.SMTP | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            with self._lock:
                self._open.append(conn)
                self.connections += 1
        return conn

    def _connect(self) -> smtplib.SMTP:
        context = self._ssl_context or ssl.create_default_context()
        try:
            if self.tls == "implicit":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            conn.ehlo()
            if self.tls == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if self._username:
                conn.login(self._username, self._password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise AuthError(
                f"SMTP server {self.host} refused the credentials: {exc.smtp_code}"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"SMTP server {self.host}:{self.port}: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(
                f"cannot connect to SMTP server {self.host}:{self.port}: {exc}"
            ) from None
        return conn

    def _drop(self) -> None:
        conn: smtplib.SMTP | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                if conn in self._open:
                    self._open.remove(conn)
            conn.close()


def _encoded(content: str, fallback: str, eight_bit: bool) -> tuple[bytes, bytes]:
    """(Content-Transfer-Encoding, the part's lines joined by LF) for one text part.

    A line break that ends the content is kept: the one before a boundary is not content.
    """
    raw = content.replace("\r\n", "\n").encode("utf-8")
    if (
        eight_bit
        and b"\r" not in raw
        and b"\0" not in raw
        and all(len(line) <= _MAX_LINE for line in raw.split(b"\n"))
    ):
        return b"8bit", raw
    if fallback == "quoted-printable":
        return b"quoted-printable", binascii.b2a_qp(raw, istext=True)
    return b"base64", base64.encodebytes(raw).rstrip(b"\n")


def _message_id(mail: bytes) -> str | None:
    for line in mail.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode("ascii")
    return None


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


def _error(exc: smtplib.SMTPResponseException, to: str) -> DeliveryError:
    reply = exc.smtp_error
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    if 400 <= exc.smtp_code < 500:
        return TransientError(f"SMTP server deferred the message to {to}: {exc.smtp_code} {text}")
    return RejectedError(f"SMTP server rejected the message to {to}: {exc.smtp_code} {text}")
