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


def sync_suppressions(settings: Settings, environ: Mapping[str, str] | None = None) -> int:
    """Merge SendGrid's bounces, blocks, spam reports and unsubscribes into suppressions.csv.

    Returns how many addresses were new. The CSV is rewritten atomically.
    """
    from datetime import date

    from newsletter.audience.suppressions import Suppression, merge_suppressions
    from newsletter.deliver.sendgrid_suppressions import fetch_suppressions

    env = os.environ if environ is None else environ
    key, url = sendgrid_api(settings, env)
    found = fetch_suppressions(
        key,
        base_url=url,
        asm_group_id=settings.config.delivery.sendgrid.asm_group_id,
        timeout=settings.config.delivery.sendgrid.timeout,
    )
    entries = [
        Suppression(email=email, reason=reason, date=date.fromisoformat(day), source=source)
        for email, reason, day, source in found
    ]
    return merge_suppressions(settings.suppressions_csv, entries)
