"""A realistic sample issue (Hartwell Heating & Cooling, November 2026) built in memory.

Renderer tests, and anyone else who needs an :class:`Issue` without running the sources,
use :func:`sample_settings` and :func:`sample_issue`. Settings come from the repository's
own ``newsletter.yaml``, so the sections, segments and brand are the real sample's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from newsletter.config import Settings, load_config
from newsletter.model import (
    Editorial,
    Entry,
    Event,
    Holiday,
    Image,
    Issue,
    Item,
    Milestone,
    Offer,
    Section,
)
from newsletter.sources.html import html_to_text
from tests.golden import FIXTURE_PROJECT

REPO = Path(__file__).resolve().parent.parent
CHICAGO = ZoneInfo("America/Chicago")


@cache
def sample_settings() -> Settings:
    """The repository's sample config (templates resolve to the repository's templates/)."""
    return load_config(FIXTURE_PROJECT / "newsletter.yaml")


def sample_issue(settings: Settings | None = None) -> Issue:
    """The November 2026 issue, with entries for every section the config lists."""
    settings = settings or sample_settings()
    offer = sample_offer()
    entries: dict[str, tuple[Entry, ...]] = {
        "editorials": sample_editorials(),
        "local-news": (_item(0), _item(1)),
        "new-in-town": (_item(2), _item(3)),
        "industry-news": (_item(4), _item(5)),
        "events": sample_events(),
        "holidays": sample_holidays(),
        "offer": (offer,),
    }
    sections = tuple(
        Section(
            id=s.id,
            title=s.title,
            kind=settings.section_kind(s.id),  # type: ignore[arg-type]
            segments=tuple(s.segments),
            entries=entries.get(s.id, ()),
        )
        for s in settings.config.sections
    )
    base = settings.config.web.base_url.rstrip("/")
    return Issue(
        month="2026-11",
        issue_date=date(2026, 11, 1),
        title="The Hartwell Home Letter — November 2026",
        preheader="Get your furnace ready for the first cold snap · Meet Luis, our newest tech",
        web_url=f"{base}/2026-11/",
        sections=sections,
        offer=offer,
    )


def _editorial(
    slug: str,
    title: str,
    order: int,
    body_html: str,
    segments: tuple[str, ...],
    image: Image | None,
) -> Editorial:
    return Editorial(
        slug=slug,
        title=title,
        order=order,
        summary=html_to_text(body_html).split("\n\n")[0][:120],
        body_html=body_html,
        body_text=html_to_text(body_html),
        segments=segments,
        image=image,
        path=f"content/editorials/2026-11/{slug}.md",
    )


def sample_editorials() -> tuple[Editorial, ...]:
    """Two editorials for everyone (one with a photo) and one for clients only."""
    return (
        _editorial(
            "cold-snap",
            "Is your furnace ready for the first real cold snap?",
            1,
            "<p>Madison’s first sub-freezing week usually arrives before Thanksgiving, and "
            "it’s the week our phones ring off the hook. Three things you can do this "
            "weekend:</p><ul><li>Swap the furnace filter (mark the date on it).</li>"
            "<li>Clear leaves and snow away from the exhaust and intake pipes outside.</li>"
            "<li>Test your carbon monoxide alarms — press the button until it beeps.</li>"
            "</ul><p>If the furnace short-cycles or smells dusty for more than a day, "
            '<a href="https://hartwellhvac.example.com/book">book a tune-up</a> before '
            "the rush.</p>",
            ("client", "partner", "prospect"),
            Image(
                src="https://hartwellhvac.example.com/img/2026-11/furnace-filter.jpg",
                alt="A technician sliding a fresh filter into a furnace",
            ),
        ),
        _editorial(
            "meet-luis",
            "Meet Luis, our newest technician",
            2,
            "<p>Luis Ortega joined us in October after eight years with a commercial "
            "refrigeration outfit in Milwaukee. He’s NATE-certified, a dab hand with "
            "heat pumps, and the proud owner of the shop’s loudest Packers sweater.</p>",
            ("client", "partner", "prospect"),
            None,
        ),
        _editorial(
            "maintenance-plan",
            "Your maintenance plan visit is due",
            3,
            "<p>If you’re on our Comfort Club plan, your fall visit is included. Reply to "
            "this email or call (608) 555-0142 and we’ll find a time that suits you.</p>",
            ("client",),
            None,
        ),
    )


_ITEMS = (
    ("Madison365", "Madison’s new east side library branch opens its doors", "library"),
    ("Madison365", "City council approves winter shelter expansion", "shelter"),
    ("Madison Eats", "A Oaxacan bakery opens on Williamson Street", "bakery"),
    ("Madison Eats", "Five cozy spots for soup season in Madison", "soup"),
    ("EIA Today in Energy", "Natural gas prices expected to rise this winter", "gas"),
    ("ACHR News", "Cold-climate heat pumps keep closing the gap", "heat-pumps"),
)


def _item(index: int) -> Item:
    source, title, slug = _ITEMS[index]
    summary = (
        f"<p>{title}. Here is what neighbors should know, with the details that matter "
        "for the weeks ahead — dates, places and who to call with questions.</p>"
    )
    return Item(
        title=title,
        link=f"https://news.example.com/{slug}",
        summary_html=summary,
        summary_text=html_to_text(summary),
        published=datetime(2026, 10, 20 + index, 14, 30, tzinfo=UTC),
        source=source,
        guid=f"https://news.example.com/{slug}",
    )


def sample_events() -> tuple[Event, ...]:
    """A timed evening event, a multi-day light show and an all-day market, by date."""
    return (
        Event(
            title="Madison Winter Festival tree lighting",
            start=datetime(2026, 11, 20, 18, 0, tzinfo=CHICAGO),
            end=datetime(2026, 11, 20, 19, 30, tzinfo=CHICAGO),
            all_day=False,
            location="Capitol Square, Madison",
            url="https://www.cityofmadison.com/events/tree-lighting",
            description="Carols, cocoa and the lighting of the Capitol tree.",
            source="Madison community calendar",
        ),
        Event(
            title="Holiday Fantasy in Lights",
            start=date(2026, 11, 27),
            end=date(2026, 11, 29),
            all_day=True,
            location="Olin Park",
            url="https://www.cityofmadison.com/events/fantasy-in-lights",
            description="Drive through more than a million lights along the lake shore.",
            source="Madison community calendar",
        ),
        Event(
            title="Small Business Saturday market",
            start=date(2026, 11, 28),
            end=None,
            all_day=True,
            location="Atwood Avenue",
            url="",
            description="",
            source="Madison community calendar",
        ),
    )


def sample_holidays() -> tuple[Holiday, ...]:
    return (
        Holiday(date(2026, 11, 11), "Veterans Day"),
        Holiday(date(2026, 11, 26), "Thanksgiving Day"),
        Holiday(date(2026, 11, 28), "Small Business Saturday — shop local!"),
    )


def sample_offer() -> Offer:
    """The referral offer, for clients and partners, with three reward milestones."""
    body = (
        "<p>Your friend gets <strong>$50 off</strong> their first tune-up or repair, and "
        "you get our thanks — plus the rewards below as your referrals add up.</p>"
    )
    return Offer(
        slug="send-a-neighbor",
        title="Send a neighbor our way",
        body_html=body,
        body_text=html_to_text(body),
        valid_from=date(2026, 9, 1),
        valid_to=date(2027, 8, 31),
        landing_url="https://hartwellhvac.example.com/refer",
        milestones=(
            Milestone(1, "A $25 gift card to a local coffee shop"),
            Milestone(3, "A free furnace or AC tune-up"),
            Milestone(5, "$250 off your next system upgrade"),
        ),
        segments=("client", "partner"),
        path="content/offers/send-a-neighbor.yaml",
    )
