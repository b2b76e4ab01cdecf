"""Choose and configure the transport; secrets come only from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from newsletter.config import Settings
from newsletter.deliver.sendgrid import SendGridTransport
from newsletter.deliver.smtp import SmtpTransport
from newsletter.deliver.transport import Transport
from newsletter.errors import ConfigError

API_KEY_ENV = "SENDGRID_API_KEY"
API_URL_ENV = "SENDGRID_API_URL"


def sendgrid_api(settings: Settings, environ: Mapping[str, str]) -> tuple[str, str]:
    """(api key, base URL); the key only from SENDGRID_API_KEY, never from a file."""
    key = environ.get(API_KEY_ENV, "")
    if not key:
        raise ConfigError(f"set {API_KEY_ENV} to send through SendGrid", key=API_KEY_ENV)
    return key, environ.get(API_URL_ENV) or settings.config.delivery.sendgrid.api_url


def make_transport(settings: Settings, environ: Mapping[str, str] | None = None) -> Transport:
    """The configured transport (``delivery.transport``), ready for one whole send."""
    env = os.environ if environ is None else environ
    delivery = settings.config.delivery
    if delivery.transport == "smtp":
        return SmtpTransport.from_env(
            delivery.smtp.host,
            delivery.smtp.port,
            environ=env,
            tls=delivery.smtp.tls,
            connections=delivery.smtp.connections,
        )
    key, url = sendgrid_api(settings, env)
    return SendGridTransport(
        key,
        base_url=url,
        timeout=delivery.sendgrid.timeout,
        sandbox=delivery.sendgrid.sandbox,
        asm_group_id=delivery.sendgrid.asm_group_id,
        concurrency=delivery.sendgrid.concurrency,
    )
