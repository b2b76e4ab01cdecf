"""Load and validate ``newsletter.yaml``.

Every key is declared here with a docstring; unknown keys are errors, because a typo in the
config must never be silently ignored. All problems are collected before aborting, each
naming the file, the YAML line and the dotted key.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, field_validator

from newsletter.config.cards import CardsConfig
from newsletter.config.desk import DeskConfig
from newsletter.config.files import (
    DESK_INBOX_FILE,
    REFERRALS_FILE,
    RETURNED_MAIL_FILE,
    REWARDS_FILE,
    SEND_LEDGER_FILE,
    SUBSCRIBERS_FILE,
    SUPPRESSIONS_FILE,
)
from newsletter.config.personal import PersonalConfig
from newsletter.config.print import PrintConfig
from newsletter.config.validation import ProjectPath, SegmentName, Strict, check_url, validate
from newsletter.config.yamlfile import (
    MAX_YAML_CHARS,
    KeyPath,
    dotted,
    line_for,
    parse_yaml,
    read_text,
)
from newsletter.errors import ConfigError, together
from newsletter.images import check_image_src
from newsletter.model import SEGMENTS, Address, SectionKind, Segment

Url = Annotated[str, AfterValidator(check_url)]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
GMAIL_CLIP_BYTES = 102_000
"""Gmail shows "[Message clipped]" and hides the rest (footer included) above about 102 KB."""
BUILTIN_SECTIONS = {
    kind.value: kind
    for kind in (
        SectionKind.EDITORIALS,
        SectionKind.EVENTS,
        SectionKind.HOLIDAYS,
        SectionKind.OFFER,
    )
}


class PostalAddress(Strict):
    street: str = Field(min_length=1)
    city: str = Field(min_length=1)
    region: str = ""
    postal_code: str = ""
    country: str = "US"


class BusinessConfig(Strict):
    name: str = Field(min_length=1)
    """The business's name, as it signs the newsletter."""
    tagline: str = ""
    phone: str = ""
    website: Url | None = None
    address: PostalAddress
    """Postal address: required, it goes in every footer (CAN-SPAM)."""


class SenderConfig(Strict):
    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    reply_to: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class LogoConfig(Strict):
    src: Annotated[str, AfterValidator(check_image_src)]
    """An http(s) URL, or images/NAME for a file in content/images/ (published with each
    issue's web page and referenced there; see newsletter/images.py)."""
    alt: str = Field(min_length=1)
    """Alt text is required: many mail clients block images by default."""
    width: int = Field(default=180, gt=0, le=600)


class BrandConfig(Strict):
    primary_color: Color = "#1f4e79"
    accent_color: Color = "#e07a1f"
    text_color: Color = "#222222"
    background_color: Color = "#f4f4f4"
    logo: LogoConfig | None = None


class CustomObservance(Strict):
    name: str = Field(min_length=1)
    date: str = Field(pattern=r"^(\d{4}-)?\d{2}-\d{2}$")
    """``YYYY-MM-DD`` for a single date, ``MM-DD`` for every year."""

    @field_validator("date")
    @classmethod
    def _real_date(cls, value: str) -> str:
        probe = value if len(value) == 10 else f"2024-{value}"  # 2024: a leap year, for 02-29
        try:
            date.fromisoformat(probe)
        except ValueError:
            raise ValueError(f"not a date: {value}") from None
        return value


class HolidaysConfig(Strict):
    country: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    subdivision: str | None = None
    days_ahead: int = Field(default=45, gt=0, le=366)
    """Holidays from the issue date up to this many days ahead are listed."""
    custom: tuple[CustomObservance, ...] = ()


class FeedConfig(Strict):
    name: str = Field(min_length=1)
    url: Url
    kind: Literal["rss", "atom", "ics"] = "rss"
    section: str = Field(min_length=1)
    max_items: int = Field(default=5, gt=0, le=100)
    window_days: int = Field(default=31, gt=0, le=3660)
    """Entries published up to this many days before the end of the issue month are kept."""
    timeout: float = Field(default=10.0, gt=0, le=120)
    max_bytes: int = Field(default=5_000_000, gt=0, le=100_000_000)
    snapshot: ProjectPath | None = None
    """Bundled copy used when the feed cannot be fetched and nothing is cached (a path
    inside the project)."""

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "feed"


class FetchConfig(Strict):
    allow_private_hosts: tuple[str, ...] = ()
    """Hosts, as named in feed URLs, that may be on loopback, private or link-local
    addresses (an intranet feed, a test's local server). Every other feed is fetched from
    public addresses only."""

    @field_validator("allow_private_hosts")
    @classmethod
    def _host_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # Imported here: it brings httpx (and with it rich), which loading the config for
        # a send, a report or the desk does not need (a sixth of their start-up time).
        from newsletter.netguard import host_key

        for host in value:
            host_key(host)  # ValueError names the bad entry
        return value


class SectionConfig(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = ""
    segments: tuple[SegmentName, ...] = SEGMENTS


class SegmentConfig(Strict):
    label: str = Field(min_length=1)
    description: str = ""


class IssueConfig(Strict):
    title: str = "{business} — {month_name} {year}"
    """Issue title; {business}, {month_name} and {year} are filled in."""

    @field_validator("title")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        check_title_placeholders(value)
        return value

    preheader: str = ""
    """Inbox preview text; defaults to the editorial summaries."""
    summary_length: int = Field(default=240, ge=40, le=2000)
    max_email_bytes: int = Field(default=GMAIL_CLIP_BYTES, gt=0)
    """Gmail clips messages larger than about 102 KB."""
    first_name_fallback: str = "neighbor"


TITLE_FIELDS = ("business", "month_name", "year")
MAX_FEEDS = 100
"""Feeds are fetched all at once, one thread each: a hundred is more than any issue reads."""


def check_title_placeholders(title: str) -> None:
    """ValueError unless every ``{…}`` in ``title`` is exactly one of TITLE_FIELDS, so the
    build's ``title.format(...)`` cannot fail (or reach into an object's attributes)."""
    known = ", ".join(f"{{{name}}}" for name in TITLE_FIELDS)
    try:
        parts = list(string.Formatter().parse(title))
    except ValueError as exc:
        raise ValueError(f"{exc} (write {{{{ and }}}} for a literal brace)") from None
    for _, field, spec, conversion in parts:
        if field is not None and field not in TITLE_FIELDS:
            raise ValueError(f"unknown placeholder {{{field}}} (known: {known})")
        if spec or conversion:
            raise ValueError(f"write placeholders plainly ({known}), without ':' or '!'")


class PathsConfig(Strict):
    """Folders, relative to the config or absolute. They may lie outside the project (shared
    templates, a subscriber list kept out of the repository): the tool reads them only by
    fixed names (editorials/YYYY-MM/*.md, offers/*.yaml, subscribers.csv …)."""

    content: str = "content"
    templates: str = "templates"
    subscribers: str = "subscribers"
    state: str = "state"


class WebConfig(Strict):
    base_url: Url
    unsubscribe_url: Url | None = None
    """https endpoint for one-click unsubscribe; the mailto address is used when absent."""


class SendGridConfig(Strict):
    api_url: Url = "https://api.sendgrid.com"
    """Overridden by the SENDGRID_API_URL environment variable (tests point it at a fake)."""
    asm_group_id: int | None = None
    """SendGrid unsubscribe group; when set, SendGrid manages the unsubscribe link."""
    sandbox: bool = False
    timeout: float = Field(default=30.0, gt=0, le=300)
    concurrency: int = Field(default=8, ge=1, le=32)
    """Requests (batches of up to 1,000) in flight at once; they share one rate limit."""


class SmtpConfig(Strict):
    host: str = "localhost"
    """Overridden by SMTP_HOST; SMTP_PORT likewise; credentials SMTP_USERNAME/SMTP_PASSWORD."""
    port: int | None = Field(default=None, gt=0, lt=65536)
    tls: Literal["none", "starttls", "implicit"] = "starttls"
    connections: int = Field(default=2, ge=1, le=8)
    """Messages go out over this many connections at once (rendering overlaps sending);
    lower it for servers that limit concurrent connections per client."""


class DeliveryConfig(Strict):
    transport: Literal["sendgrid", "smtp"] = "sendgrid"
    sendgrid: SendGridConfig = SendGridConfig()
    smtp: SmtpConfig = SmtpConfig()


def _default_segments() -> dict[SegmentName, SegmentConfig]:
    return {
        Segment.CLIENT: SegmentConfig(label="Clients"),
        Segment.PARTNER: SegmentConfig(label="Referral partners"),
        Segment.PROSPECT: SegmentConfig(label="Friends and neighbors"),
    }


class Config(Strict):
    business: BusinessConfig
    sender: SenderConfig
    brand: BrandConfig = BrandConfig()
    timezone: str = "America/Chicago"
    locale: str = "en_US"
    holidays: HolidaysConfig = HolidaysConfig()
    web: WebConfig
    issue: IssueConfig = IssueConfig()
    paths: PathsConfig = PathsConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    print: PrintConfig = PrintConfig()
    desk: DeskConfig | None = None
    """The desk (``newsletter serve``); when set, unsubscribe and referral links lead there."""
    personal: PersonalConfig = PersonalConfig()
    cards: CardsConfig = CardsConfig()
    """The quarterly postcard (``newsletter cards``): who, size, rate, postage."""
    fetch: FetchConfig = FetchConfig()
    feeds: tuple[FeedConfig, ...] = Field(default=(), max_length=MAX_FEEDS)
    sections: tuple[SectionConfig, ...]
    segments: dict[SegmentName, SegmentConfig] = Field(default_factory=_default_segments)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder
            raise ValueError(f"unknown timezone: {value}") from None
        return value

    @field_validator("sections")
    @classmethod
    def _unique_sections(cls, value: tuple[SectionConfig, ...]) -> tuple[SectionConfig, ...]:
        ids = [s.id for s in value]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"section listed twice: {', '.join(duplicates)}")
        if "offer" not in ids:
            raise ValueError("the 'offer' section is required: every issue carries the offer")
        return value


@dataclass(frozen=True)
class Settings:
    """A validated config plus where it lives; paths resolve relative to the config file."""

    config: Config
    path: Path

    @property
    def root(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    @property
    def content_dir(self) -> Path:
        return self.resolve(self.config.paths.content)

    @property
    def templates_dir(self) -> Path:
        return self.resolve(self.config.paths.templates)

    @property
    def subscribers_dir(self) -> Path:
        return self.resolve(self.config.paths.subscribers)

    @property
    def state_dir(self) -> Path:
        return self.resolve(self.config.paths.state)

    @property
    def subscribers_csv(self) -> Path:
        return self.subscribers_dir / SUBSCRIBERS_FILE

    @property
    def suppressions_csv(self) -> Path:
        return self.subscribers_dir / SUPPRESSIONS_FILE

    @property
    def referrals_csv(self) -> Path:
        return self.subscribers_dir / REFERRALS_FILE

    @property
    def rewards_csv(self) -> Path:
        return self.subscribers_dir / REWARDS_FILE

    @property
    def returned_mail_csv(self) -> Path:
        return self.subscribers_dir / RETURNED_MAIL_FILE

    @property
    def send_ledger(self) -> Path:
        return self.state_dir / SEND_LEDGER_FILE

    @property
    def desk_inbox(self) -> Path:
        """The desk's inbox file: ``desk.database``, else ``desk/inbox.sqlite`` in state."""
        desk = self.config.desk
        if desk and desk.database:
            return self.resolve(desk.database)
        return self.state_dir / DESK_INBOX_FILE

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    @property
    def address(self) -> Address:
        a = self.config.business.address
        return Address(a.street, a.city, a.region, a.postal_code, a.country)

    def section_kind(self, section_id: str) -> SectionKind:
        return BUILTIN_SECTIONS.get(section_id, SectionKind.NEWS)


def load_config(path: str | Path) -> Settings:
    """Read and validate ``path``; raise ConfigError naming the file, line and key."""
    path = Path(path)
    text = read_text(path, ConfigError, max_bytes=MAX_YAML_CHARS)
    data, lines = parse_yaml(text, path, ConfigError)
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of settings at the top level", path=path, line=1)
    config = validate(Config, data, path=path, lines=lines, error=ConfigError)
    problems = [
        ConfigError(message, path=path, line=line_for(lines, key), key=dotted(key))
        for key, message in _cross_check(config)
    ]
    if problems:
        raise together(problems)
    return Settings(config=config, path=path.resolve())


def _cross_check(config: Config) -> list[tuple[KeyPath, str]]:
    """Rules that span keys: feeds must land in a listed section of the right kind."""
    ids = {s.id for s in config.sections}
    problems: list[tuple[KeyPath, str]] = []
    for index, feed in enumerate(config.feeds):
        key: KeyPath = ("feeds", index, "section")
        if feed.section not in ids:
            listed = ", ".join(sorted(ids))
            problems.append((key, f"unknown section {feed.section!r} (sections: {listed})"))
        elif feed.kind == "ics" and feed.section != "events":
            problems.append((key, "ics calendars go in the 'events' section"))
        elif feed.section in ("editorials", "holidays", "offer"):
            problems.append((key, f"feeds cannot fill the {feed.section!r} section"))
    return problems
