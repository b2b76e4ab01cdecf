"""The ``desk:`` section of ``newsletter.yaml``: where the desk (``newsletter serve``) listens
and where readers reach it.

With a ``desk:`` section, every message's unsubscribe link and ``List-Unsubscribe`` header
point at the desk's ``/unsubscribe`` (one-click, RFC 8058), and every referral link and QR
code (email, web page, printed copies) opens the desk's ``/r/CODE`` instead of the offer's
``landing_url``. Secrets are never here: ``NEWSLETTER_SECRET`` and ``NEWSLETTER_DESK_TOKEN``
come from the environment.
"""

from __future__ import annotations

from ipaddress import ip_network
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, field_validator

from newsletter.config.hours import DEFAULT_OPENING_HOURS, WeekHours, week_hours
from newsletter.config.validation import Strict, check_url

if TYPE_CHECKING:
    from newsletter.config.settings import Config


def _base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.query or parts.fragment:
        raise ValueError("a base address has no ?query or #fragment")
    return value if value.endswith("/") else value + "/"


CODE_SLOT = "{code}"
"""Where a referral link on the desk carries the code: ``https://desk.example.com/r/{code}``."""
BaseUrl = Annotated[str, AfterValidator(check_url), AfterValidator(_base_url)]


class DeskConfig(Strict):
    """The desk, ``newsletter serve``: the web service that takes unsubscribes, referred
    leads, sign-ups and the email provider's events."""

    public_url: BaseUrl
    """Where readers reach the desk, e.g. ``https://desk.example.com/`` (https in
    production; behind a reverse proxy that terminates TLS)."""
    host: str = "127.0.0.1"
    """The address ``newsletter serve`` listens on: loopback unless a container or a proxy
    on another host needs ``0.0.0.0``."""
    port: int = Field(default=8080, gt=0, lt=65536)
    """The port ``newsletter serve`` listens on."""
    database: str | None = None
    """The desk's inbox (SQLite, WAL), relative to the config or absolute; by default
    ``desk/inbox.sqlite`` in the state folder (``paths.state``)."""
    proxies: tuple[str, ...] = ()
    """Reverse proxies (addresses or networks) whose X-Forwarded-For is believed, for the
    rate limits and the consent record's address. None by default: from any other client
    the header is whatever it chose to write (a proxy on this machine is ``127.0.0.1``)."""
    pull_from: Literal["auto", "file", "https"] = "auto"
    """Where ``desk pull`` and the send's check read the desk: its ``database`` file (a desk
    on this machine), ``public_url`` over HTTPS with ``NEWSLETTER_DESK_TOKEN``, or ``auto``:
    the file when it exists here, else HTTPS."""
    idle_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    """A connection that sends nothing for this long is closed (before its first request,
    and between requests)."""
    request_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    """A request must arrive whole, headers and body, within this long of its first byte:
    a client dripping its headers to hold a connection open is cut off."""
    max_connections: int = Field(default=1000, ge=16, le=100_000)
    """Connections open at once at most (fewer when the process may open fewer files: some
    are kept for the inbox and the outbox). Over it, the connection that has waited
    longest for its request is closed."""
    contact_within_hours: float = Field(default=24.0, gt=0, le=24 * 14)
    """The business promises to call a referred lead within this many hours."""
    remind_after_hours: float = Field(default=20.0, gt=0, le=24 * 14)
    """A lead not contacted after this many hours is reminded to the business."""
    opening_hours: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_OPENING_HOURS))
    """When the business answers the phone, by day: ``mon-fri: "09:00-17:00"``, ``sat:
    "09:00-12:00"`` (a day not listed is closed). The referral page promises a lead a call
    within these hours ("tomorrow morning", "on Monday morning"); the business's own
    deadline stays ``contact_within_hours``."""

    @field_validator("opening_hours")
    @classmethod
    def _opening_hours(cls, value: dict[str, str]) -> dict[str, str]:
        week_hours(value)  # ValueError names what is wrong
        return value

    @property
    def week(self) -> WeekHours:
        """``opening_hours``, day by day (Monday first)."""
        return week_hours(self.opening_hours)

    @field_validator("proxies")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if address != "*":
                ip_network(address)  # an address or a network; ValueError names it
        return value

    @property
    def unsubscribe_url(self) -> str:
        return self.public_url + "unsubscribe"

    @property
    def landing_url(self) -> str:
        """The referral page without a code: a reader types theirs (web page, print)."""
        return self.public_url + "r"

    @property
    def signup_url(self) -> str:
        """The sign-up form (double opt-in), for someone not on the list yet."""
        return self.public_url + "join"

    @property
    def referral_url(self) -> str:
        """A personal referral link, its code at :data:`CODE_SLOT`."""
        return f"{self.landing_url}/{CODE_SLOT}"


def unsubscribe_base(config: Config) -> str:
    """Where unsubscribe links lead: the desk, else ``web.unsubscribe_url``, else a page
    under ``web.base_url``."""
    if config.desk:
        return config.desk.unsubscribe_url
    web = config.web
    return web.unsubscribe_url or f"{web.base_url.rstrip('/')}/unsubscribe"


def one_click_unsubscribe(config: Config) -> bool:
    """Whether the unsubscribe address takes an RFC 8058 one-click POST."""
    return bool(config.desk or config.web.unsubscribe_url)


def landing_url(config: Config, offer_landing_url: str) -> str:
    """The referral page shown without a code (web page, print): the desk's ``/r`` when
    there is a desk, else the offer's own landing page."""
    return config.desk.landing_url if config.desk else offer_landing_url


def signup_page(config: Config) -> str:
    """Where someone signs up: the desk's ``/join`` when there is a desk, else the
    newsletter's web page (``web.base_url``)."""
    return config.desk.signup_url if config.desk else config.web.base_url


def referral_base(config: Config, offer_landing_url: str) -> str:
    """The personal referral link with :data:`CODE_SLOT` where the code goes on the desk
    (``…/r/{code}``), else the offer's landing page (the code goes in ``ref=``)."""
    return config.desk.referral_url if config.desk else offer_landing_url
