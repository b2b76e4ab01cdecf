"""A small project of the tests' own for post: a plumber in Madison, Wisconsin, whose readers
write their addresses every way people do (apartments as "Apt 4", "#4", "Unit 4",
"Apartment 4", "APT. 4"; "N Main St" and "North Main Street"), and the way to run the
installed console script on it as a person does."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = Path(sys.executable).with_name("newsletter")  # .venv/bin/newsletter
SECRET = "a-test-secret-for-post-0123456789"
MONTH = "2026-11"
QUARTER = "2026Q4"
CONFIG = {
    "business": {
        "name": "Lakeview Plumbing",
        "phone": "(608) 555-0190",
        "address": {
            "street": "2210 Atwood Ave",
            "city": "Madison",
            "region": "WI",
            "postal_code": "53704",
            "country": "US",
        },
    },
    "sender": {"name": "Ines Lakeview", "email": "news@lakeview-plumbing.example"},
    "timezone": "America/Chicago",
    "web": {"base_url": "https://news.lakeview-plumbing.example/"},
    "paths": {"templates": str(REPO / "templates")},
    "sections": [{"id": "offer", "title": "Tell a neighbor"}],
    "cards": {"segments": ["client"]},
}
OFFER = """\
title: Send a neighbor our way
body: A friend you send gets $40 off their first visit.
valid_from: 2026-01-01
valid_to: 2027-12-31
landing_url: https://lakeview-plumbing.example/refer
milestones:
  - referrals: 1
    reward: A box of pastries from the corner bakery
segments: [client, partner, prospect]
"""
CARD = """\
---
title: Pipes and the first freeze
tip:
  title: Know your shut-off valve
  text: Find it before you need it, and turn it once a year so it still turns.
local:
  title: Skating on the lagoon
  text: The city floods the lagoon rink when the nights stay below freezing.
ask: Know someone with a dripping tap? Send them our way.
---
Thank you for reading along this year.
"""
COLUMNS = (
    "email", "first_name", "last_name", "company", "segment", "channels", "street", "city",
    "region", "postal_code", "country",
)  # fmt: skip
READERS = {
    # One household written five ways: 123 North Main Street, apartment 4.
    "anh": ("anh@example.com", "Anh", "Nguyen", "", "client", "both",
            "123 N Main St Apt 4", "Madison", "WI", "53703", "US"),
    "bao": ("bao@example.com", "Bao", "Nguyen", "", "client", "mail",
            "123 North Main Street #4", "Madison", "Wisconsin", "53703", "US"),
    "linh": ("linh@example.com", "Linh", "Nguyen", "", "client", "mail",
             "123 north main street, unit 4", "madison", "wi", "53703-1107", "US"),
    # The same building, another apartment: another household.
    "sam": ("sam@example.com", "Sam", "Lee", "", "client", "mail",
            "123 North Main Street Apartment 5", "Madison", "WI", "53703", "US"),
    "kim": ("kim@example.com", "Kim", "Park", "", "client", "mail",
            "123 N. Main St., APT. 5", "Madison", "WI", "53703", "US"),
    "ola": ("ola@example.com", "Ola", "Berg", "", "prospect", "mail",
            "9 Elm Street", "Madison", "WI", "53714", "US"),
    "eve": ("eve@example.com", "Eve", "Stone", "", "client", "both",
            "77 West Johnson Street Suite 200", "Madison", "WI", "53703", "US"),
    "zoe": ("zoe@example.com", "Zoë", "Lindqvist", "", "partner", "mail",
            "Storgatan 4", "Uppsala", "", "753 20", "SE"),
}  # fmt: skip


def postal_project(folder: Path, *, readers: dict[str, tuple[str, ...]] | None = None,
                   **print_config: object) -> Path:  # fmt: skip
    """The plumber's project in ``folder`` (with ``print:`` keys); returns newsletter.yaml."""
    config = {**CONFIG, "print": print_config} if print_config else dict(CONFIG)
    (folder / "subscribers").mkdir(parents=True, exist_ok=True)
    (folder / "content" / "offers").mkdir(parents=True, exist_ok=True)
    (folder / "content" / "cards").mkdir(parents=True, exist_ok=True)
    path = folder / "newsletter.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (folder / "content" / "offers" / "neighbors.yaml").write_text(OFFER, encoding="utf-8")
    (folder / "content" / "cards" / f"{QUARTER}.md").write_text(CARD, encoding="utf-8")
    write_readers(folder, readers if readers is not None else READERS)
    return path


def write_readers(folder: Path, readers: dict[str, tuple[str, ...]]) -> None:
    with (folder / "subscribers" / "subscribers.csv").open("w", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(readers.values())


def newsletter(
    config: Path, *args: str | Path, secret: bool = True
) -> subprocess.CompletedProcess[str]:
    """``newsletter ARGS --config CONFIG`` through the installed console script."""
    env = {key: value for key, value in os.environ.items() if key != "NEWSLETTER_SECRET"}
    if secret:
        env["NEWSLETTER_SECRET"] = SECRET
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *map(str, args), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
