"""A business's own project, as ``newsletter init`` makes it: the tests' stand-in for a
real adopter (a bakery in Portland, Oregon), never the bundled sample."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

from newsletter.project.answers import Business
from newsletter.project.init import InitReport, init_project

NEWSLETTER = str(Path(sys.executable).with_name("newsletter"))
"""The installed console script."""
BAKERY = {
    "name": "Rose City Bakery",
    "street": "1234 SE Division St",
    "city": "Portland",
    "region": "OR",
    "postal-code": "97202",
    "country": "US",
    "timezone": "America/Los_Angeles",
    "phone": "(503) 555-0199",
    "website": "https://rosecitybakery.example.com/",
    "sender-name": "Rose City Bakery",
    "sender-email": "news@rosecitybakery.example.com",
    "kind": "bakery",
}
"""The answers of the issue's bar, as options of ``newsletter init``."""
SAMPLE_WORDS = re.compile(
    r"Hartwell|Madison|Wisconsin|\bWI\b|HVAC|furnace|heating|neighbo|Atwood|Dana\b"
    r"|tune-up|Comfort Club|technician|seasonal tips for your home",
    re.IGNORECASE,
)
"""Words of the bundled sample business (a heating company in Madison) that no other
business's newsletter may carry."""


def bakery(**changes: str) -> Business:
    answers = {key.replace("-", "_"): value for key, value in BAKERY.items()}
    return Business(**{**answers, **changes})


def init_bakery(folder: Path, **changes: str) -> InitReport:
    """The bakery's project in ``folder``, made offline by the library."""
    return init_project(folder, bakery(**changes), today=date.today(), offline=True)


def init_options(answers: dict[str, str] = BAKERY) -> list[str]:
    return [part for key, value in answers.items() for part in (f"--{key}", value)]


def newsletter(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The console script, without a terminal."""
    return subprocess.run(
        [NEWSLETTER, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


def sample_words_in(text: str) -> list[str]:
    """Each sample word found in ``text``, with its surroundings."""
    return [text[max(0, m.start() - 40) : m.end() + 40] for m in SAMPLE_WORDS.finditer(text)]
