"""A fixture project with every kind of section, for the accessibility check: news with
"Read more" links, events with date badges, holidays, an editorial with a wide table, the
offer with its rewards, a logo; a referral ledger and a send ledger for the report.

Its brand is the test's: the sample's colours, or a deliberately pale set."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from newsletter.config import load_config
from tests.project_factory import ics, make_project, read_config, rss, write_config
from tests.referral_factory import write_ledger
from tests.report_factory import fixture_leads, write_send_ledger


@dataclass(frozen=True)
class Brand:
    name: str
    primary: str
    accent: str
    text: str
    background: str


SAMPLE = Brand("sample", "#1f4e79", "#d9622b", "#222222", "#f3f1ec")
"""The bundled sample's colours (newsletter.yaml)."""
PALE = Brand("pale", "#9ecbff", "#ffd166", "#8a8a8a", "#e9ecef")
"""Colours too pale to read as text: the palette must make readable ones of them."""

NEWS = rss(
    "Springfield Daily",
    ("Library opens a tool-lending shelf", "https://news.example.org/tools", "Tue, 10 Nov 2026"),
    ("Water main work on Elm Street", "https://news.example.org/elm", "Thu, 12 Nov 2026"),
)
EVENTS = ics(
    "UID:market@tests\nDTSTART;VALUE=DATE:20261121\nSUMMARY:Winter farmers' market\n"
    "LOCATION:Town Hall\nDESCRIPTION:Local growers indoors.\nURL:https://town.example.org/m",
    "UID:fix@tests\nDTSTART:20261128T180000Z\nDTEND:20261128T200000Z\nSUMMARY:Repair café\n"
    "LOCATION:Library",
)
WIDE_TABLE = (
    "| Fixture | Inspection interval | Typical replacement | Parts cost | Labour | Warranty |\n"
    "| --- | --- | --- | --- | --- | --- |\n"
    "| Water heater anode | Every two years | Six to eight years | Twenty-five dollars "
    "| One hour | Manufacturer's |\n"
    "| Pressure-reducing valve | Every five years | Ten to fifteen years | Ninety dollars "
    "| Two hours | Ours, one year |\n"
)


def a11y_project(root: Path, brand: Brand) -> Path:
    """The project in ``root`` in ``brand``'s colours, ready to build, report and serve."""
    project = make_project(
        root,
        {"Daily": ("rss", "local-news", NEWS), "Town": ("ics", "events", EVENTS)},
    )
    config = read_config(project)
    config["business"] |= {
        "phone": "(217) 555-0100",
        "website": "https://shop.example.com/",
        "tagline": "Pipes and patience",
    }
    config["brand"] = {
        "primary_color": brand.primary,
        "accent_color": brand.accent,
        "text_color": brand.text,
        "background_color": brand.background,
        "logo": {"src": "images/logo.png", "alt": "Fixture Plumbing", "width": 160},
    }
    config["holidays"] = {
        "country": "US",
        "days_ahead": 45,
        "custom": [{"name": "Fixture Day", "date": "2026-11-20"}],
    }
    config["sections"].insert(4, {"id": "holidays"})
    write_config(project, config)
    images = project / "content" / "images"
    images.mkdir(parents=True)
    Image.new("RGB", (320, 80), brand.primary).save(images / "logo.png")
    editorial = project / "content" / "editorials" / "2026-11" / "welcome.md"
    editorial.write_text(
        "---\ntitle: Welcome to the letter\nsummary: What this is.\n---\n"
        "A first note from the shop, with [our price list](https://shop.example.com/prices) "
        "linked in the middle of a sentence.\n\n" + WIDE_TABLE,
        encoding="utf-8",
    )
    offer = project / "content" / "offers" / "friends.yaml"
    offer.write_text(
        offer.read_text(encoding="utf-8")
        + "milestones:\n  - referrals: 1\n    reward: A coffee card\n"
        "  - referrals: 3\n    reward: Dinner for two\n",
        encoding="utf-8",
    )
    settings = load_config(project / "newsletter.yaml")
    write_ledger(settings.referrals_csv, *fixture_leads())
    write_send_ledger(settings.send_ledger)
    return project
