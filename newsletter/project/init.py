"""``newsletter init DIR``: a complete project for a business, in a folder of its own.

The project is written into a hidden staging folder beside ``DIR``, checked as
``newsletter check --strict`` would check it (offline), and only then put in place with one
rename: a killed or failed init leaves no half project, and a folder that is not empty is
refused before anything is written. What it holds:

    newsletter.yaml      the business's answers, its kind's words and feeds
    content/             a first editorial (this month), a first referral offer (a year from
                         this month), the quarter's card, the feeds' copies (feeds/)
    templates/           the package's templates, for the business to make its own
    subscribers/         the lists, empty but for their headers (0600: personal data)
    scripts/, .github/workflows/, Makefile, requirements.txt, .gitignore, README.md

Nothing in it comes from the bundled sample business: the words are the kind's
(``kinds.yaml``), the templates are the generic ones every project starts with.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import jinja2

from newsletter.audience.consents import CONSENT_COLUMNS
from newsletter.audience.returned import COLUMNS as RETURNED_COLUMNS
from newsletter.audience.subscribers import COLUMNS as SUBSCRIBER_COLUMNS
from newsletter.audience.suppressions import COLUMNS as SUPPRESSION_COLUMNS
from newsletter.cards.quarter import Quarter
from newsletter.config import load_config
from newsletter.config.files import (
    CONSENTS_FILE,
    REFERRALS_FILE,
    RETURNED_MAIL_FILE,
    REWARDS_FILE,
    SUBSCRIBERS_FILE,
    SUPPRESSIONS_FILE,
)
from newsletter.config.settings import FeedConfig
from newsletter.diagnostics import Diagnostics
from newsletter.errors import NewsletterError
from newsletter.fsutil import PRIVATE, SHARED
from newsletter.pipeline.check import check_all
from newsletter.project.answers import Business, check_business, subdivision_of
from newsletter.project.kinds import Kind, StarterFeed, kinds
from newsletter.referrals.ledger import COLUMNS as REFERRAL_COLUMNS
from newsletter.referrals.rewardfile import COLUMNS as REWARD_COLUMNS
from newsletter.skeleton import folder
from newsletter.sources.feeds import parse_news
from newsletter.sources.fetch import fetch_feeds

LETTER_COUNTRIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "CR", "PA", "DO"})
"""Where offices print on US Letter; everywhere else A4."""
OFFER_MONTHS = 12
"""The first offer runs a year from the month the project is made."""
LISTS = {
    SUBSCRIBERS_FILE: SUBSCRIBER_COLUMNS,
    SUPPRESSIONS_FILE: SUPPRESSION_COLUMNS,
    REFERRALS_FILE: REFERRAL_COLUMNS,
    REWARDS_FILE: REWARD_COLUMNS,
    CONSENTS_FILE: CONSENT_COLUMNS,
    RETURNED_MAIL_FILE: RETURNED_COLUMNS,
}
"""The lists under subscribers/, each with its header row; all hold personal data."""
CACHE_PATH = "pyproject.toml"
"""The file the package's own monthly workflow keys pip's cache on; a project's is
requirements.txt."""


@dataclass(frozen=True)
class Unfetched:
    """A kind's feed that ``init`` could not take a copy of: written as a comment."""

    feed: StarterFeed
    reason: str


@dataclass(frozen=True)
class InitReport:
    """What ``init_project`` made."""

    root: Path
    kind: str
    feeds: tuple[StarterFeed, ...]
    """The kind's feeds that were fetched: active, with their copy in content/feeds/."""
    unfetched: tuple[Unfetched, ...]
    """The kind's feeds left as commented examples in newsletter.yaml, and why."""
    month: str
    """The month the first editorial is for."""


def init_project(
    target: Path,
    business: Business,
    *,
    today: date,
    offline: bool = False,
    allow_private_hosts: Collection[str] = (),
    starter_feeds: tuple[StarterFeed, ...] | None = None,
) -> InitReport:
    """Write a new project for ``business`` into ``target`` (missing or an empty folder).

    ``today`` dates the first editorial (its month), the offer (a year from that month)
    and the card (its quarter). The kind's feeds (or ``starter_feeds``) are fetched once,
    from public addresses only (``allow_private_hosts`` aside), unless ``offline``; each
    one with entries for this month gets its copy in ``content/feeds/``, the others are
    written as comments. Raises ConfigError naming the option of each bad answer, and
    NewsletterError when ``target`` is not empty; nothing is written then.
    """
    target = Path(os.path.abspath(target))
    _refuse_unless_empty(target)
    check_business(business)
    kind = kinds()[business.kind]
    month = f"{today:%Y-%m}"
    feeds = kind.feeds if starter_feeds is None else starter_feeds
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.init-"))
    try:
        copies = {} if offline else _fetch(feeds, staging, today, allow_private_hosts, business)
        fetched = tuple(f for f in feeds if copies.get(f.name))
        unfetched = tuple(
            Unfetched(f, "offline" if offline else "no entries could be fetched")
            for f in feeds
            if not copies.get(f.name)
        )
        _write(staging, business, kind, today, fetched, unfetched, copies)
        _verify(staging, month)
        os.chmod(staging, 0o755)
        _put_in_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return InitReport(target, business.kind, fetched, unfetched, month)


def _refuse_unless_empty(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise NewsletterError(
            "not an empty folder: `newsletter init` makes a new project in a folder of its "
            "own (nothing was changed)",
            path=target,
        )


def _put_in_place(staging: Path, target: Path) -> None:
    try:
        os.replace(staging, target)  # an empty folder is replaced, a full one refused
    except OSError as exc:
        raise NewsletterError(
            f"cannot make the project here: {exc.strerror} (nothing was changed)", path=target
        ) from None


def _fetch(
    feeds: tuple[StarterFeed, ...],
    staging: Path,
    today: date,
    allow_private_hosts: Collection[str],
    business: Business,
) -> dict[str, bytes]:
    """The body of each feed that answered with entries for this month, by name."""
    configs = tuple(
        FeedConfig(name=f.name, url=f.url, section=f.section, window_days=31) for f in feeds
    )
    if not configs:
        return {}
    with tempfile.TemporaryDirectory(dir=staging) as cache:
        got = fetch_feeds(
            configs,
            cache_dir=Path(cache),
            root=staging,
            diagnostics=Diagnostics(strict=False),
            allow_private_hosts=allow_private_hosts,
            base_url=business.website or None,
        )
    first = today.replace(day=1)
    window_end = datetime.combine(_next_month(first), time.min, tzinfo=UTC)
    copies: dict[str, bytes] = {}
    for config in configs:
        fetched = got[config.slug]
        if fetched.origin != "network" or not fetched.body:
            continue
        items = parse_news(
            config,
            fetched.body,
            window_start=window_end - timedelta(days=config.window_days),
            window_end=window_end,
            summary_length=240,
            diagnostics=Diagnostics(strict=False),
        )
        if items:
            copies[config.name] = fetched.body
    return copies


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _write(
    root: Path,
    business: Business,
    kind: Kind,
    today: date,
    fetched: tuple[StarterFeed, ...],
    unfetched: tuple[Unfetched, ...],
    copies: Mapping[str, bytes],
) -> None:
    files = _Files(root, _environment(), business, kind, today)
    snapshots = {
        f.name: f"{FeedConfig(name=f.name, url=f.url, section=f.section).slug}.xml" for f in fetched
    }
    files.render(
        "newsletter.yaml",
        "newsletter.yaml.j2",
        feeds=[{**f.model_dump(), "snapshot": snapshots[f.name]} for f in fetched],
        unfetched=[{**u.feed.model_dump(), "reason": u.reason} for u in unfetched],
        subdivision=subdivision_of(business.country, business.region),
        paper="letter" if business.country in LETTER_COUNTRIES else "a4",
    )
    for feed in fetched:
        files.write(f"content/feeds/{snapshots[feed.name]}", copies[feed.name])
    files.content(today)
    files.lists()
    files.tools()


class _Files:
    """Writes the project's files under ``root`` from the kind's words and the answers."""

    def __init__(
        self, root: Path, env: jinja2.Environment, business: Business, kind: Kind, today: date
    ) -> None:
        self.root, self.env, self.today = root, env, today
        words = {"business": business.name, "city": business.city}
        self.kind = _filled(kind, words)
        self.context: dict[str, Any] = {
            "business": business,
            "kind": self.kind,
            "today": today,
            "month": f"{today:%Y-%m}",
            "tagline": self.kind.tagline,
            "about": self.kind.about,
            "web_url": business.web_url,
            "transport": business.transport,
        }

    def write(self, relative: str, data: bytes | str, *, mode: int = SHARED) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = data.encode("utf-8") if isinstance(data, str) else data
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), mode)  # os.open's mode is narrowed by the umask
            handle.write(payload)

    def render(self, relative: str, template: str, **context: Any) -> None:
        text = self.env.get_template(template).render(**self.context, **context)
        self.write(relative, text)

    def content(self, today: date) -> None:
        """The first editorial, offer and card: drafts in the kind's words. The offer runs
        from the start of this quarter (the quarter's card carries it) to a year from this
        month."""
        kind = self.kind
        first = today.replace(day=1)
        quarter = Quarter(today.year, (today.month - 1) // 3 + 1)
        valid_to = _months_later(first, OFFER_MONTHS) - timedelta(days=1)
        business: Business = self.context["business"]
        self.render(
            f"content/editorials/{first:%Y-%m}/welcome.md",
            "editorial.md.j2",
            editorial=kind.editorial,
        )
        self.render(
            f"content/offers/{first:%Y-%m}-referrals.yaml",
            "offer.yaml.j2",
            offer=kind.offer,
            valid_from=quarter.first_day,
            valid_to=valid_to,
            landing_url=business.website or business.web_url,
        )
        self.render(f"content/cards/{quarter}.md", "card.md.j2", card=kind.card)
        self.write("content/images/.gitkeep", "")

    def lists(self) -> None:
        """Each list with its header row only, readable by its owner only."""
        for name, columns in LISTS.items():
            header = io.StringIO()
            csv.writer(header, lineterminator="\n").writerow(columns)
            self.write(f"subscribers/{name}", header.getvalue(), mode=PRIVATE)

    def tools(self) -> None:
        """Templates, scripts, workflows, the Makefile and the rest of the folder."""
        shutil.copytree(folder("templates"), self.root / "templates", ignore=_NOT_COPIED)
        shutil.copytree(folder("scripts"), self.root / "scripts", ignore=_NOT_COPIED)
        monthly = (folder("workflows") / "monthly.yml").read_text(encoding="utf-8")
        self.write(
            ".github/workflows/monthly.yml",
            monthly.replace(f"cache-dependency-path: {CACHE_PATH}", _CACHE_REQUIREMENTS),
        )
        self.write(".github/workflows/ci.yml", _resource("ci.yml"))
        self.write("Makefile", _resource("Makefile"))
        self.write(".gitignore", _resource("gitignore"))
        self.render("requirements.txt", "requirements.txt.j2", requirement=_requirement())
        self.render("README.md", "README.md.j2")


_NOT_COPIED = shutil.ignore_patterns("__pycache__", "*.pyc")
_CACHE_REQUIREMENTS = "cache-dependency-path: requirements.txt"


def _verify(root: Path, month: str) -> None:
    """Check the new project as ``newsletter check --strict`` does; a problem here is the
    tool's own, so it names the kind's words or the answers that caused it."""
    try:
        check_all(load_config(root / "newsletter.yaml"), month, strict=True)
    except NewsletterError as exc:
        raise NewsletterError(
            f"the new project does not pass `newsletter check --strict` ({exc}); "
            "nothing was written",
            path=root.name,
        ) from None


def _resource(name: str) -> str:
    return resources.files(__package__).joinpath("files", name).read_text(encoding="utf-8")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_resource),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, Markdown and text: their values are quoted by ``q``
    )
    # A YAML double-quoted scalar: JSON's string syntax is YAML's.
    env.filters["q"] = lambda value: json.dumps(str(value), ensure_ascii=False)
    return env


def _filled(kind: Kind, words: Mapping[str, str]) -> Kind:
    """``kind`` with ``{business}`` and ``{city}`` filled in every string it holds."""
    data = kind.model_dump()

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            for name, word in words.items():
                value = value.replace(f"{{{name}}}", word)
            return value
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [fill(item) for item in value]
        return value

    return Kind.model_validate(fill(data))


def _months_later(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _requirement() -> str:
    """The line that installs this very package: its VCS address when it was installed
    from one, else its name and version."""
    distribution = metadata.distribution("newsletter")
    with contextlib.suppress(TypeError, ValueError):
        direct = json.loads(distribution.read_text("direct_url.json") or "")
        vcs = direct.get("vcs_info")
        if vcs:
            return f"newsletter @ {vcs['vcs']}+{direct['url']}@{vcs['commit_id']}"
    return f"newsletter=={distribution.version}"


__all__ = ["InitReport", "Unfetched", "init_project"]
