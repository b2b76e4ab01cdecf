"""Delivery over SMTP with :mod:`smtplib`: one message per recipient, reused connections.

Each sending thread keeps its own connection, opened on its first batch and kept for the
next ones (``connections`` threads send batches at once: the client's rendering and the
server's work overlap). Every message is its own SMTP transaction, and its outcome is
known on its own, so it goes into the batch's receipt at once:

    250 after the message           sent
    5xx to RCPT or to the message   rejected: this recipient only, with the server's reply
    4xx to RCPT or to the message   deferred: retried by the next run
    a value that cannot be encoded  rejected (say, a line break in a name)
    connection lost before the      nothing was delivered: reconnect and send it again
      message's last line was sent    (once; a second loss stops the batch)
    connection lost after it        uncertain: the server may have taken it, so it is not
                                      sent again unasked

A refusal of the sender itself (MAIL FROM), or a server that cannot be reached, stops the
batch: a DeliveryError, with everyone delivered so far already in the receipt.

Credentials come only from the arguments (:meth:`SmtpTransport.from_env` reads
``SMTP_USERNAME``/``SMTP_PASSWORD``); they are never logged nor shown by ``repr``.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.errors import MessageError
from typing import Literal

from newsletter.deliver import mime
from newsletter.deliver.transport import Message, Receipt, Recipient
from newsletter.errors import AuthError, ConfigError, DeliveryError, RejectedError, TransientError

TlsMode = Literal["none", "starttls", "implicit"]
log = logging.getLogger(__name__)
_LEADING_DOT = re.compile(rb"(?m)^\.")


class _Lost(Exception):
    """The connection went away; ``after_end`` if the message's last line had been sent."""

    def __init__(self, reason: str, *, after_end: bool) -> None:
        super().__init__(reason)
        self.after_end = after_end


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
        max_batch: int = 20,
        connections: int = 1,
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
        self.concurrency = max(1, connections)  # one connection per sending thread
        self._username = username
        self._password = password
        self._ssl_context = ssl_context
        self._clock = clock
        self._local = threading.local()
        self._open: list[smtplib.SMTP] = []
        self._lock = threading.Lock()

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

    def send_batch(
        self, message: Message, recipients: Sequence[Recipient], receipt: Receipt | None = None
    ) -> Receipt:
        """Send one message per recipient over this thread's connection, in order."""
        if len(recipients) > self.max_batch:
            raise ValueError(f"batch of {len(recipients)} exceeds max_batch={self.max_batch}")
        receipt = Receipt() if receipt is None else receipt
        for recipient in recipients:
            self._send_one(message, recipient, receipt)
        return receipt

    def close(self) -> None:
        """Say QUIT and drop every open connection."""
        with self._lock:
            connections, self._open = self._open, []
        self._local = threading.local()
        for conn in connections:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    # -- building ------------------------------------------------------------------------

    def render(self, message: Message, recipient: Recipient, *, eight_bit: bool = False) -> bytes:
        """The complete email ``recipient`` gets, as the bytes that go over the wire."""
        return mime.render(message, recipient, when=self._clock(), eight_bit=eight_bit)

    # -- one message ---------------------------------------------------------------------

    def _send_one(self, message: Message, recipient: Recipient, receipt: Receipt) -> None:
        to = recipient.email
        for attempt in (1, 2):
            conn = self._connection()
            eight_bit = conn.has_extn("8bitmime")
            try:
                mail = self.render(message, recipient, eight_bit=eight_bit)
            except (ValueError, MessageError) as exc:
                receipt.rejected[to] = f"cannot be put into an email: {exc}"
                return
            try:
                self._transaction(conn, message.from_email, to, mail, eight_bit, receipt)
                return
            except _Lost as lost:
                self._drop()
                if lost.after_end:
                    receipt.uncertain[to] = (
                        f"SMTP server {self.host} went away after the message was sent, "
                        f"before confirming it ({lost})"
                    )
                    return
                if attempt == 2:
                    raise TransientError(
                        f"SMTP server {self.host} keeps dropping the connection: {lost}"
                    ) from None
                log.info("SMTP connection lost before the message was sent; reconnecting")

    def _transaction(
        self,
        conn: smtplib.SMTP,
        sender: str,
        to: str,
        mail: bytes,
        eight_bit: bool,
        receipt: Receipt,
    ) -> None:
        """MAIL, RCPT, DATA and the message; the outcome goes into ``receipt``."""
        try:
            code, reply = conn.mail(sender, ["BODY=8BITMIME"] if eight_bit else [])
            if code == 421:
                raise _Lost(f"{code} {_text(reply)}", after_end=False)
            if code != 250:
                conn.rset()
                error = RejectedError if code >= 500 else TransientError
                raise error(
                    f"SMTP server {self.host} refused the sender {sender}: {code} {_text(reply)}"
                )
            code, reply = conn.rcpt(to)
            if code in (250, 251):
                code, reply = conn.docmd("DATA")
            if code != 354:
                self._refused(conn, to, code, reply, receipt)
                return
            body = _LEADING_DOT.sub(b"..", mail)
            conn.send(body + (b"" if body.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Lost(str(exc) or type(exc).__name__, after_end=False) from None
        try:
            code, reply = conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Lost(str(exc) or type(exc).__name__, after_end=True) from None
        if code == 250:
            receipt.sent[to] = mime.message_id(mail)
        else:
            self._refused(conn, to, code, reply, receipt, after_end=True)

    def _refused(
        self,
        conn: smtplib.SMTP,
        to: str,
        code: int,
        reply: bytes,
        receipt: Receipt,
        *,
        after_end: bool = False,
    ) -> None:
        """A negative reply about ``to``: rejected (5xx) or deferred (4xx)."""
        text = f"SMTP server {self.host} answered {code} {_text(reply)}"
        if code == 421:  # closing the connection: not taken, try again on a new one
            raise _Lost(text, after_end=False)
        if code >= 500:
            receipt.rejected[to] = text
        else:
            receipt.deferred[to] = text
        if not after_end:
            try:
                conn.rset()
            except (smtplib.SMTPException, OSError):
                self._drop()

    # -- the connection ------------------------------------------------------------------

    def _connection(self) -> smtplib.SMTP:
        conn: smtplib.SMTP | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            with self._lock:
                self._open.append(conn)
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


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
