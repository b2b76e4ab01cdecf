"""Load and validate ``newsletter.yaml``.

Every key is declared in this package with a docstring (the documentation's configuration
reference is made from them); unknown keys are errors, because a typo in the config must
never be silently ignored. All problems are collected before aborting, each
naming the file, the YAML line and the dotted key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, field_validator

from newsletter.config.business import BusinessConfig, SenderConfig
from newsletter.config.cards import CardsConfig
from newsletter.config.delivery import DeliveryConfig
from newsletter.config.desk import DeskConfig
from newsletter.config.engage import EngagementConfig, WelcomeConfig
from newsletter.config.files import (
    DESK_INBOX_FILE,
    REFERRALS_FILE,
    RETURNED_MAIL_FILE,
    REWARDS_FILE,
    SEND_LEDGER_FILE,
    SUBSCRIBERS_FILE,
    SUPPRESSIONS_FILE,
)
from newsletter.config.issue import GMAIL_CLIP_BYTES as GMAIL_CLIP_BYTES
from newsletter.config.issue import IssueConfig
from newsletter.config.leads import LeadsConfig
from newsletter.config.personal import PersonalConfig
from newsletter.config.print import PrintConfig
from newsletter.config.retention import RetentionConfig
from newsletter.config.validation import (
    ProjectPath,
    SegmentName,
    Strict,
    check_image_src,
    check_url,
    validate,
)
from newsletter.config.yamlfile import (
    MAX_YAML_CHARS,
    KeyPath,
    dotted,
    line_for,
    parse_yaml,
    read_text,
)
from newsletter.errors import ConfigError, together
from newsletter.model import SEGMENTS, Address, SectionKind, Segment

Url = Annotated[str, AfterValidator(check_url)]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
MAX_FEEDS = 100
"""Feeds are fetched all at once, one thread each: a hundred is more than any issue reads."""
BUILTIN_SECTIONS = {
    kind.value: kind
    for kind in (
        SectionKind.EDITORIALS,
        SectionKind.EVENTS,
        SectionKind.HOLIDAYS,
        SectionKind.OFFER,
    )
}


class LogoConfig(Strict):
    """The logo at the top of the email and the web page, and on the print edition."""

    src: Annotated[str, AfterValidator(check_image_src)]
    """An http(s) URL, or images/NAME for a file in content/images/ (published with each
    issue's web page and referenced there; see newsletter/images.py)."""
    alt: str = Field(min_length=1)
    """Alt text is required: many mail clients block images by default."""
    width: int = Field(default=180, gt=0, le=600)
    """The logo's width in the email, in CSS pixels."""


class BrandConfig(Strict):
    """The business's colours and logo, used by the email, the web page, print and the desk."""

    primary_color: Color = "#1f4e79"
    """The main colour: in the bundled templates, titles, links and the masthead's rule."""
    accent_color: Color = "#e07a1f"
    """The second colour: in the bundled templates, rules, labels and highlights."""
    text_color: Color = "#222222"
    """Body text."""
    background_color: Color = "#f4f4f4"
    """Around the content, in the email and on the web page."""
    logo: LogoConfig | None = None
    """The logo in the masthead; none: the business's name alone."""


class CustomObservance(Strict):
    """A day the business marks besides the country's holidays (a local festival, its
    anniversary)."""

    name: str = Field(min_length=1)
    """What the day is called in the holidays section."""
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
    """The holidays section: public holidays (the ``holidays`` package) and custom days."""

    country: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    """ISO 3166 two-letter code of the country whose public holidays are listed."""
    subdivision: str | None = None
    """A state or province whose own holidays are added, e.g. ``WI``; an unknown one is an
    error naming the known ones."""
    days_ahead: int = Field(default=45, gt=0, le=366)
    """Holidays from the issue date up to this many days ahead are listed."""
    custom: tuple[CustomObservance, ...] = ()
    """Further days to list, each with a ``name`` and a ``date``."""


class FeedConfig(Strict):
    """One feed or calendar the issue reads (RSS 2.0, RSS 1.0, Atom or iCalendar)."""

    name: str = Field(min_length=1)
    """Shown as the items' source; also names the feed's cache and warnings."""
    url: Url
    """Fetched from public addresses only, unless its host is in
    ``fetch.allow_private_hosts``."""
    kind: Literal["rss", "atom", "ics"] = "rss"
    """``rss`` and ``atom`` are news feeds; ``ics`` is a calendar, for the ``events``
    section."""
    section: str = Field(min_length=1)
    """The id of a listed section the items go in: ``events`` for calendars, a section of
    your own for news (not ``editorials``, ``holidays`` or ``offer``)."""
    max_items: int = Field(default=5, gt=0, le=100)
    """At most this many of the feed's entries go in the issue, newest first."""
    window_days: int = Field(default=31, gt=0, le=3660)
    """Entries published up to this many days before the end of the issue month are kept."""
    timeout: float = Field(default=10.0, gt=0, le=120)
    """Seconds to wait for the feed before using its cached or bundled copy."""
    max_bytes: int = Field(default=5_000_000, gt=0, le=100_000_000)
    """A larger answer is refused (with a warning) and the cached copy used."""
    snapshot: ProjectPath | None = None
    """Bundled copy used when the feed cannot be fetched and nothing is cached (a path
    inside the project)."""

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "feed"


class FetchConfig(Strict):
    """How feeds are fetched."""

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
    """One section of the issue, in the order listed."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    """``editorials``, ``events``, ``holidays`` and ``offer`` are filled by the tool
    (``offer`` is required); any other id is a news section that feeds fill."""
    title: str = ""
    """The heading readers see; empty: the id, capitalized, with spaces for hyphens."""
    segments: tuple[SegmentName, ...] = SEGMENTS
    """The segments whose email shows this section."""


class SegmentConfig(Strict):
    """What a segment is, for people reading the config."""

    label: str = Field(min_length=1)
    """A short name for the segment; kept in the config, not printed by the tool."""
    description: str = ""
    """Who belongs in the segment; kept in the config, not printed by the tool."""


class PathsConfig(Strict):
    """Folders, relative to the config or absolute. They may lie outside the project (shared
    templates, a subscriber list kept out of the repository): the tool reads them only by
    fixed names (editorials/YYYY-MM/*.md, offers/*.yaml, subscribers.csv …)."""

    content: str = "content"
    """Editorials, offers, cards, images and bundled feed copies."""
    templates: str = "templates"
    """Every template the email, web page, print edition, desk and reports are made from."""
    subscribers: str = "subscribers"
    """The lists: subscribers, suppressions, referrals, rewards, consents (CSV, in git)."""
    state: str = "state"
    """What must survive between runs and is not in git: the send ledger, the feed cache,
    the desk's inbox, sample messages."""


class WebConfig(Strict):
    """The web archive, where each issue is published as a page."""

    base_url: Url
    """The archive's address; issue pages are at ``{base_url}YYYY-MM/``, and every email's
    "view in browser" link points there."""
    unsubscribe_url: Url | None = None
    """https endpoint for one-click unsubscribe; the mailto address is used when absent."""


def _default_segments() -> dict[SegmentName, SegmentConfig]:
    # Keyed by plain strings, as a configured ``segments:`` section is: a segment's name
    # travels into files and spools that take only plain values.
    return {
        Segment.CLIENT.value: SegmentConfig(label="Clients"),
        Segment.PARTNER.value: SegmentConfig(label="Referral partners"),
        Segment.PROSPECT.value: SegmentConfig(label="Prospects"),
    }


class Config(Strict):
    """``newsletter.yaml``: every key, with its type and default, is declared below."""

    business: BusinessConfig
    sender: SenderConfig
    brand: BrandConfig = BrandConfig()
    timezone: str = "America/Chicago"
    """An IANA time zone: dates, event times and the referral report's 24 hours are the
    business's local time."""
    locale: str = "en_US"
    """Its language part (``en``) is the pages' ``lang`` attribute."""
    holidays: HolidaysConfig = HolidaysConfig()
    web: WebConfig
    issue: IssueConfig = IssueConfig()
    paths: PathsConfig = PathsConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    print: PrintConfig = PrintConfig()
    desk: DeskConfig | None = None
    """The desk (``newsletter serve``); when set, unsubscribe and referral links lead there."""
    personal: PersonalConfig = PersonalConfig()
    leads: LeadsConfig = LeadsConfig()
    """Referred leads: which count toward rewards, business hours, the second alert."""
    cards: CardsConfig = CardsConfig()
    """The quarterly postcard (``newsletter cards``): who, size, rate, postage."""
    retention: RetentionConfig = RetentionConfig()
    """How long personal data is kept (``newsletter retention``); unset keeps it."""
    welcome: WelcomeConfig | None = None
    """The welcome email to each new reader (``newsletter welcome``); none: nobody is
    welcomed."""
    engagement: EngagementConfig | None = None
    """Asking readers who show no sign of reading whether they still want the newsletter
    (``newsletter engagement``; it needs a ``desk:`` for the answer); none: nobody is
    asked."""
    fetch: FetchConfig = FetchConfig()
    feeds: tuple[FeedConfig, ...] = Field(default=(), max_length=MAX_FEEDS)
    """The feeds and calendars the issue reads, fetched all at once."""
    sections: tuple[SectionConfig, ...]
    """The issue's sections, in order; each id once, and ``offer`` among them."""
    segments: dict[SegmentName, SegmentConfig] = Field(default_factory=_default_segments)
    """The three segments, ``client``, ``partner`` and ``prospect``, described."""

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
    """Rules that span keys: feeds must land in a listed section of the right kind, and
    their names must differ (a feed's cache and snapshot files are named after it)."""
    ids = {s.id for s in config.sections}
    problems: list[tuple[KeyPath, str]] = []
    first_with: dict[str, int] = {}
    for index, feed in enumerate(config.feeds):
        earlier = config.feeds[first_with.setdefault(feed.slug, index)]
        if earlier is not feed:
            problems.append(
                (
                    ("feeds", index, "name"),
                    f"{feed.name!r} is the name of an earlier feed ({earlier.name!r}) once "
                    "case and punctuation are set aside; give each feed its own name",
                )
            )
        key: KeyPath = ("feeds", index, "section")
        if feed.section not in ids:
            listed = ", ".join(sorted(ids))
            problems.append((key, f"unknown section {feed.section!r} (sections: {listed})"))
        elif feed.kind == "ics" and feed.section != "events":
            problems.append((key, "ics calendars go in the 'events' section"))
        elif feed.section in ("editorials", "holidays", "offer"):
            problems.append((key, f"feeds cannot fill the {feed.section!r} section"))
    return problems
