"""The ``delivery:`` section of ``newsletter.yaml``: which provider sends email, and how.

Credentials are never here: ``SENDGRID_API_KEY``, ``SMTP_USERNAME`` and ``SMTP_PASSWORD``
come from the environment.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from newsletter.config.validation import Strict, check_url

Url = Annotated[str, AfterValidator(check_url)]


class SendGridConfig(Strict):
    """SendGrid's v3 Mail Send API; the key is ``SENDGRID_API_KEY``, from the environment."""

    api_url: Url = "https://api.sendgrid.com"
    """Overridden by the SENDGRID_API_URL environment variable (tests point it at a fake)."""
    asm_group_id: int | None = Field(default=None, gt=0, lt=2**31)
    """SendGrid unsubscribe group (its id, a positive 32-bit number); when set, SendGrid
    manages the unsubscribe link."""
    sandbox: bool = False
    """SendGrid's sandbox mode: requests are checked and answered but nothing is delivered."""
    timeout: float = Field(default=30.0, gt=0, le=300)
    """Seconds to wait for one request's answer; a request that times out leaves its batch
    uncertain."""
    concurrency: int = Field(default=8, ge=1, le=32)
    """Requests (batches of up to 1,000) in flight at once; they share one rate limit."""


class SmtpConfig(Strict):
    """An SMTP server, for a business that sends through its own mail provider."""

    host: str = "localhost"
    """Overridden by SMTP_HOST; SMTP_PORT likewise; credentials SMTP_USERNAME/SMTP_PASSWORD."""
    port: int | None = Field(default=None, gt=0, lt=65536)
    """Default: 465 with ``tls: implicit``, else 587."""
    tls: Literal["none", "starttls", "implicit"] = "starttls"
    """``starttls`` upgrades the connection, ``implicit`` starts with TLS (port 465),
    ``none`` sends in the clear (a local relay only)."""
    connections: int = Field(default=2, ge=1, le=8)
    """Messages go out over this many connections at once (rendering overlaps sending);
    lower it for servers that limit concurrent connections per client."""


class DeliveryConfig(Strict):
    """How email leaves: every send, the nurture email, and the desk's notifications."""

    transport: Literal["sendgrid", "smtp"] = "sendgrid"
    """Which of the two below sends."""
    sendgrid: SendGridConfig = SendGridConfig()
    smtp: SmtpConfig = SmtpConfig()
