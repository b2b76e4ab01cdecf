"""A small project of the tests' own to import into: a bakery in Portland, Oregon, with a
short list of subscribers and suppressions, and the way to run ``newsletter import`` on it
as a person does (the installed console script)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"
MAILCHIMP = FIXTURES / "mailchimp"
CONSOLE_SCRIPT = Path(sys.executable).with_name("newsletter")  # .venv/bin/newsletter
CONFIG = """\
business:
  name: Rosewood Bakery
  address: {street: 410 SE Oak St, city: Portland, region: OR, postal_code: "97214", country: US}
sender: {name: Rosa Lind, email: news@rosewood-bakery.example}
timezone: America/Los_Angeles
web: {base_url: "https://news.rosewood-bakery.example/"}
sections: [{id: offer, title: A treat for a friend}]
"""
SUBSCRIBERS = """\
email,first_name,last_name,company,segment,channels,street,city,region,postal_code,country,\
consent_source,consent_date,tags,source
marco.rossi@example.com,,,,client,mail,88 Elm St,Portland,OR,97205,US,,,,client
ruth@example.com,Ruth,Hall,,client,email,,,,,,website form,2021-05-01,,client
jürgen@bücher.example,Jürgen,Müller,,partner,email,,,,,,phone call,2023-02-02,,business-contact
"""
SUPPRESSIONS = """\
email,reason,date,source
dana@example.com,unsubscribe,2024-05-01,list-unsubscribe
gone@example.com,bounce,2023-11-01,sendgrid bounces
"""


def bakery(folder: Path) -> Path:
    """The bakery's project in ``folder``; returns its newsletter.yaml."""
    (folder / "subscribers").mkdir(parents=True)
    (folder / "newsletter.yaml").write_text(CONFIG, encoding="utf-8")
    (folder / "subscribers" / "subscribers.csv").write_text(SUBSCRIBERS, encoding="utf-8")
    (folder / "subscribers" / "suppressions.csv").write_text(SUPPRESSIONS, encoding="utf-8")
    return folder / "newsletter.yaml"


def run_import(config: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``newsletter import ARGS --config CONFIG``, its output captured."""
    return subprocess.run(
        [str(CONSOLE_SCRIPT), "import", *map(str, args), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file, as column -> value."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def by_email(path: Path) -> dict[str, dict[str, str]]:
    return {row["email"]: row for row in rows(path)}
