"""A small newsletter project of the tests' own, for the console script to build: one
editorial, one offer, one reader, and feeds whose copies the test writes (never the
bundled sample's words). The templates are the package's own, as a new project gets them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from html import escape
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
MONTH = "2026-11"
NEWSLETTER = str(Path(sys.executable).with_name("newsletter"))
"""The installed console script."""

RSS_HEAD = '<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
RSS_HEAD += "<link>https://news.example.org/</link><description>x</description>"


def rss(title: str, *items: tuple[str, str, str]) -> str:
    """An RSS feed of ``(title, link, pubDate)`` items."""
    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link><pubDate>{when}</pubDate>"
        f"<description>About {escape(t)}.</description></item>"
        for t, link, when in items
    )
    return RSS_HEAD.format(title=title) + body + "</channel></rss>"


def ics(*events: str) -> str:
    """A calendar of ``events``, each the lines inside one VEVENT."""
    blocks = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\n{blocks}END:VCALENDAR\r\n"


def make_project(root: Path, feeds: dict[str, tuple[str, str, str]] | None = None) -> Path:
    """A project in ``root``. ``feeds`` maps a feed's name to (kind, section, copy): each is
    fetched from nowhere and read from its snapshot ``content/feeds/<n>`` offline."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "templates", root / "templates")
    editorials = root / "content" / "editorials" / MONTH
    editorials.mkdir(parents=True)
    (editorials / "welcome.md").write_text(
        "---\ntitle: Welcome to the letter\nsummary: What this is.\n---\n"
        "A first note from the shop.\n",
        encoding="utf-8",
    )
    offers = root / "content" / "offers"
    offers.mkdir(parents=True)
    (offers / "friends.yaml").write_text(
        "title: Bring a friend\nbody: Your friend gets a discount.\n"
        "valid_from: 2026-01-01\nvalid_to: 2027-12-31\n"
        "landing_url: https://shop.example.com/friends\n",
        encoding="utf-8",
    )
    readers = root / "subscribers"
    readers.mkdir()
    (readers / "subscribers.csv").write_text(
        "email,first_name,last_name,company,segment,channels,street,city,region,postal_code,"
        "country,consent_source,consent_date,tags\n"
        "ana@example.com,Ana,Lee,,client,email,,,,,,website form,2025-01-14,\n",
        encoding="utf-8",
    )
    config: dict[str, Any] = {
        "business": {
            "name": "Fixture Plumbing",
            "address": {
                "street": "1 Main St",
                "city": "Springfield",
                "region": "IL",
                "postal_code": "62701",
                "country": "US",
            },
        },
        "sender": {"name": "Pat", "email": "news@shop.example.com"},
        "web": {"base_url": "https://news.shop.example.com/"},
        "sections": [
            {"id": "editorials"},
            {"id": "local-news"},
            {"id": "more-news"},
            {"id": "events"},
            {"id": "offer"},
        ],
        "feeds": [],
    }
    feed_folder = root / "content" / "feeds"
    feed_folder.mkdir()
    for number, (name, (kind, section, copy)) in enumerate((feeds or {}).items()):
        snapshot = feed_folder / f"{number}.{kind}"
        snapshot.write_text(copy, encoding="utf-8")
        config["feeds"].append(
            {
                "name": name,
                "url": f"https://feeds.example.org/{number}",
                "kind": kind,
                "section": section,
                "window_days": 400,
                "snapshot": snapshot.relative_to(root).as_posix(),
            }
        )
    write_config(root, config)
    return root


def read_config(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((root / "newsletter.yaml").read_text("utf-8"))
    return data


def write_config(root: Path, config: dict[str, Any]) -> None:
    (root / "newsletter.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


def newsletter(
    root: Path, *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The console script, run in ``root`` on its config (in the environment ``env``, or
    this one)."""
    return subprocess.run(
        [NEWSLETTER, *args, "--config", str(root / "newsletter.yaml")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def build(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return newsletter(root, "build", "--month", MONTH, "--offline", *options)


def built(root: Path, name: str) -> str:
    return (root / "build" / MONTH / name).read_text(encoding="utf-8")
