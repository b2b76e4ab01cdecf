"""What the desk needs to know, as one frozen value passed in.

The desk reads nothing global: :class:`DeskSettings` carries the public address, the
inbox file, the business's name and colours, the secrets and the transport. The
command line makes it from the project's config and the environment
(:func:`desk_settings`); tests make their own.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric import ec

from newsletter.audience.tokens import SECRET_ENV, secret_from_env
from newsletter.config import Settings
from newsletter.config.hours import DEFAULT_WEEK, WeekHours
from newsletter.config.settings import BrandConfig
from newsletter.deliver.transport import Transport
from newsletter.desk.signing import load_public_key
from newsletter.errors import ConfigError
from newsletter.referrals.fields import phone_region
from newsletter.referrals.hours import BusinessHours
from newsletter.render.palette import palette

ADMIN_TOKEN_ENV = "NEWSLETTER_DESK_TOKEN"
"""The desk's admin token: ``desk pull`` over HTTPS sends it as a bearer token."""
OLDER_SECRETS_ENV = "NEWSLETTER_OLDER_SECRETS"
"""Earlier values of NEWSLETTER_SECRET, comma-separated, whose links are still honoured."""
WEBHOOK_KEY_ENV = "SENDGRID_WEBHOOK_PUBLIC_KEY"
"""The Event Webhook's verification key (base64 DER, as SendGrid shows it)."""
MIN_ADMIN_TOKEN = 32
MIN_ADMIN_TOKEN_BITS = 80.0
"""What the admin token's characters must spread over (:func:`spread_bits`): a random hex
string of 32 characters has more than 90, ``openssl rand -hex 32`` about 230."""
MIN_SECRET_BITS = 32.0
"""The same for NEWSLETTER_SECRET (at least 16 characters): low enough for any random
string of that length, high enough to refuse a word or a character repeated."""


@dataclass(frozen=True)
class Limits:
    """How many form posts one client address (and one submitted address) may make."""

    per_ip_per_hour: int = 20
    per_address_per_hour: int = 3
    """Sign-ups and leads for one email address or phone number: a few mistakes, no flood."""
    visits_per_ip_per_hour: int = 60
    """Referral page visits counted for one client address: a reader coming back is one
    reader, a script reloading the page is not a hundred."""


@dataclass(frozen=True)
class DeskSettings:
    public_url: str
    """Where readers reach the desk, ending in ``/`` (``https://desk.example.com/``)."""
    inbox: Path
    """The SQLite file of events (created 0600 with its folder)."""
    templates_dir: Path
    """The project's templates; the desk's pages are in ``desk/`` under it."""
    subscribers_dir: Path
    """subscribers.csv, referrals.csv and suppressions.csv: who owns which referral code."""
    content_dir: Path
    """The offers (``offers/*.yaml``): the landing page shows the current one."""
    business_name: str
    business_phone: str
    notify_to: str
    """Where new leads and reminders go (the business's inbox)."""
    from_email: str
    from_name: str
    timezone: ZoneInfo
    secrets: tuple[bytes, ...]
    """NEWSLETTER_SECRET first, then older secrets still honoured (links already sent)."""
    admin_token: str
    transport: Callable[[], Transport] | None = None
    """Makes the transport for notification emails; None sends nothing (logged)."""
    webhook_key: ec.EllipticCurvePublicKey | None = None
    """SendGrid's Event Webhook key, loaded at startup; None refuses every webhook post."""
    colors: Mapping[str, str] = field(default_factory=lambda: palette(BrandConfig()))
    """The brand's palette (:func:`newsletter.render.palette.palette`), as the pages use it."""
    contact_within: timedelta = timedelta(hours=24)
    remind_after: timedelta = timedelta(hours=20)
    limits: Limits = Limits()
    phone_region: str | None = "US"
    """Where phone numbers written without a country code are read (the business's
    country): ``608 555 9999`` and ``+1 608 555 9999`` are one number to the limits."""
    webhook_max_age: timedelta = timedelta(minutes=10)
    """SendGrid signatures older (or further in the future) than this are refused."""
    outbox_poll: float = 1.0
    """Seconds between looks at the outbox for work that has come due."""
    opening_hours: WeekHours = DEFAULT_WEEK
    """When the business answers (``desk.opening_hours``): what the referral page promises."""
    about: str = ""
    """What the newsletter brings, in a sentence (``issue.about``): the front page and the
    sign-up page say it."""
    country: str = "US"
    """The business's country: where a lead's typed address is read."""
    escalate_to: str | None = None
    """Who gets the second alert for a lead nobody marked contacted (``leads.escalate_to``)."""
    escalate_after: timedelta | None = None
    """How long, in business hours, before the second alert (None: no second alert)."""
    business_hours: BusinessHours | None = None
    """When the business is open (``leads.business_hours``), for the second alert."""

    @property
    def secret(self) -> bytes:
        return self.secrets[0]

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def origin(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    def url(self, path: str) -> str:
        """The public URL of ``path`` (``unsubscribe``, ``r/K7QH3MZX``)."""
        return self.public_url + path.lstrip("/")


def check_public_url(url: str) -> str:
    """``url`` ending in ``/``; ConfigError unless it is an absolute http(s) URL without a
    query or fragment."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"not a base URL for the desk: {url!r}", key="desk.public_url")
    return url if url.endswith("/") else url + "/"


def spread_bits(text: str) -> float:
    """Bits by how ``text``'s characters are spread (its length times the Shannon entropy
    of its characters): 0 for one character repeated, 32 for ``ab`` sixteen times."""
    counts = Counter(text)
    return -sum(n * math.log2(n / len(text)) for n in counts.values())


def looks_random(text: str, *, min_chars: int, min_bits: float) -> bool:
    """Whether ``text`` may be a random string: ``min_chars`` long at least, not one
    shorter string repeated, and spread over ``min_bits`` (:func:`spread_bits`)."""
    repeated = text in (text + text)[1:-1]
    return len(text) >= min_chars and not repeated and spread_bits(text) >= min_bits


def admin_token_from_env(environ: Mapping[str, str]) -> str:
    token = environ.get(ADMIN_TOKEN_ENV, "")
    if not looks_random(token, min_chars=MIN_ADMIN_TOKEN, min_bits=MIN_ADMIN_TOKEN_BITS):
        raise ConfigError(
            f"set {ADMIN_TOKEN_ENV} to a random string of at least {MIN_ADMIN_TOKEN} characters, "
            "e.g. from `openssl rand -hex 32` (it guards the desk's admin endpoints)",
            key=ADMIN_TOKEN_ENV,
        )
    return token


def secrets_from_env(environ: Mapping[str, str]) -> tuple[bytes, ...]:
    """NEWSLETTER_SECRET, which the desk on the internet needs to look random, then the
    older secrets still honoured."""
    secret = secret_from_env(environ)
    if not looks_random(secret.decode(), min_chars=16, min_bits=MIN_SECRET_BITS):
        raise ConfigError(
            f"{SECRET_ENV} looks guessable (one word or a few characters repeated): the desk "
            "reads unsubscribe links and signs links with it. Use a random string, e.g. from "
            "`openssl rand -hex 32`",
            key=SECRET_ENV,
        )
    older = [s.strip() for s in environ.get(OLDER_SECRETS_ENV, "").split(",") if s.strip()]
    return (secret, *(s.encode() for s in older))


def webhook_key_from_env(environ: Mapping[str, str]) -> ec.EllipticCurvePublicKey | None:
    """SendGrid's webhook key, checked now: a key that cannot be read would turn every
    event post into an error SendGrid retries for days."""
    text = environ.get(WEBHOOK_KEY_ENV, "").strip()
    if not text:
        return None
    try:
        return load_public_key(text)
    except ValueError:
        raise ConfigError(
            f"{WEBHOOK_KEY_ENV} is not SendGrid's verification key: copy it from the Event "
            "Webhook's settings (Signed Event Webhook), a base64 text starting with MFkw",
            key=WEBHOOK_KEY_ENV,
        ) from None


def desk_settings(
    settings: Settings,
    *,
    public_url: str | None = None,
    inbox: Path | None = None,
    environ: Mapping[str, str] | None = None,
    transport: Callable[[], Transport] | None = None,
) -> DeskSettings:
    """The desk's settings for the project of ``settings`` (its ``desk:`` section, where
    ``public_url`` and ``inbox`` override it); secrets from ``environ``."""
    env = os.environ if environ is None else environ
    config = settings.config
    brand = config.brand
    desk = config.desk
    public_url = public_url or (desk.public_url if desk else None)
    if not public_url:
        raise ConfigError(
            "the desk's public address is not set: add desk.public_url to the config "
            "(or give --public-url)",
            path=settings.path,
            key="desk.public_url",
        )
    hours = (desk.contact_within_hours, desk.remind_after_hours) if desk else (24.0, 20.0)
    return DeskSettings(
        public_url=check_public_url(public_url),
        inbox=inbox or settings.desk_inbox,
        templates_dir=settings.templates_dir,
        subscribers_dir=settings.subscribers_dir,
        content_dir=settings.content_dir,
        business_name=config.business.name,
        business_phone=config.business.phone,
        notify_to=config.sender.reply_to or config.sender.email,
        from_email=config.sender.email,
        from_name=config.sender.name,
        timezone=settings.tz,
        secrets=secrets_from_env(env),
        admin_token=admin_token_from_env(env),
        transport=transport,
        webhook_key=webhook_key_from_env(env),
        colors=palette(brand),
        contact_within=timedelta(hours=hours[0]),
        remind_after=timedelta(hours=hours[1]),
        phone_region=phone_region(config.business.address.country),
        about=config.issue.about,
        opening_hours=desk.week if desk else DEFAULT_WEEK,
        country=config.business.address.country,
        escalate_to=config.leads.escalate_to,
        escalate_after=config.leads.escalation,
        business_hours=BusinessHours.of(config.leads.business_hours, settings.tz),
    )
