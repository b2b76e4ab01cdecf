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
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from typing import Literal

from newsletter.deliver.transport import (
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
        self._conn: smtplib.SMTP | None = None
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
        first_id: str | None = None
        for recipient in recipients:
            mail = self.render(message, recipient)
            first_id = first_id or _message_id(mail)
            self._deliver(message.from_email, recipient.email, mail)
        return BatchResult(message_id=first_id)

    def close(self) -> None:
        """Say QUIT and drop the connection, if one is open."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
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

    def render(self, message: Message, recipient: Recipient) -> bytes:
        """The complete email ``recipient`` gets, as the bytes that go over the wire.

        The headers are made by the email package (it encodes non-ASCII names and
        subjects); the MIME body is assembled here, because the package's own encoder
        costs milliseconds per message and every recipient needs one.
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
        for headers in (message.headers, recipient.headers):
            for name, value in headers.items():
                del head[name]  # a recipient's value replaces the message's
                head[name] = fill(value)
        head["MIME-Version"] = "1.0"
        boundary = f"=_{secrets.token_hex(16)}"  # "=_" never occurs in QP or base64 text
        text = binascii.b2a_qp(fill(message.text).encode("utf-8"), istext=True)
        html = base64.encodebytes(fill(message.html).encode("utf-8"))
        separator = f"--{boundary}".encode()
        body = b"\n".join(
            [
                f'Content-Type: multipart/alternative; boundary="{boundary}"'.encode(),
                b"",
                separator,
                b'Content-Type: text/plain; charset="utf-8"',
                b"Content-Transfer-Encoding: quoted-printable",
                b"",
                text,  # its own last line break stays: the one before a boundary is not content
                separator,
                b'Content-Type: text/html; charset="utf-8"',
                b"Content-Transfer-Encoding: base64",
                b"",
                html.rstrip(b"\n"),
                separator + b"--",
                b"",
            ]
        )
        # SMTP wants CRLF line ends; the encoders above write LF (QP keeps a CRLF that was
        # in the text as an encoded break, so normalize from LF only).
        # The package ends the headers with a blank line; the Content-Type line goes first.
        headers = head.as_bytes(policy=_POLICY).removesuffix(b"\r\n")
        return headers + body.replace(b"\n", b"\r\n")

    # -- the connection ------------------------------------------------------------------

    def _deliver(self, sender: str, to: str, mail: bytes) -> None:
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.sendmail(sender, [to], mail)
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
        if self._conn is None:
            self._conn = self._connect()
            self.connections += 1
        return self._conn

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
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _message_id(mail: bytes) -> str | None:
    for line in mail.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode("ascii")
    return None


def _address(name: str, email: str) -> Address:
    """A header address; non-ASCII display names are encoded by the policy."""
    return Address(display_name=name, addr_spec=email)


def _error(exc: smtplib.SMTPResponseException, to: str) -> DeliveryError:
    reply = exc.smtp_error
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    if 400 <= exc.smtp_code < 500:
        return TransientError(f"SMTP server deferred the message to {to}: {exc.smtp_code} {text}")
    return RejectedError(f"SMTP server rejected the message to {to}: {exc.smtp_code} {text}")
