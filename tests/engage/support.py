"""A project of the tests' own with welcomes turned on, and the console script over it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from newsletter.deliver.ledger import Ledger
from newsletter.deliver.transport import Receipt
from tests.fake_sendgrid import API_KEY, FakeSendGrid
from tests.project_factory import NEWSLETTER, make_project, read_config, write_config

SECRET = "a-test-secret-of-enough-length"
SINCE = "2026-12-01"
BEFORE = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)  # an issue's send, before welcomes began
AFTER = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
HEADER = "email,first_name,last_name,segment,channels\n"

WELCOME = """\
---
subject: Welcome aboard, from Fixture Plumbing
greeting: Hello {first_name},
referral: Pass on your code **{referral_code}** and we thank you both.
referral_button: Pass it on
latest_issue: The latest letter
signature: Pat at the shop
footer: You get this because you signed up at the shop.
unsubscribe: Stop these emails
---
We fix pipes in Springfield. A letter comes on the first Monday of each month.
"""


def welcome_project(root: Path, readers: Iterable[str] = ()) -> Path:
    """A project with ``welcome.since`` set and ``readers`` (email addresses, clients who
    take email) as its whole list."""
    make_project(root)
    (root / "content" / "welcome.md").write_text(WELCOME, encoding="utf-8")
    config = read_config(root)
    config["welcome"] = {"since": SINCE}
    write_config(root, config)
    set_readers(root, readers)
    return root


def set_readers(root: Path, readers: Iterable[str]) -> None:
    rows = "".join(f"{email},{email.split('@')[0].title()},,client,email\n" for email in readers)
    (root / "subscribers" / "subscribers.csv").write_text(HEADER + rows, encoding="utf-8")


def add_reader(root: Path, email: str) -> None:
    """A row added by hand at the end of the list."""
    with (root / "subscribers" / "subscribers.csv").open("a", encoding="utf-8") as out:
        out.write(f"{email},{email.split('@')[0].title()},,client,email\n")


def ledger_sent(root: Path, key: str, emails: list[str], *, at: datetime) -> None:
    """Record in the project's send ledger that ``key`` went to ``emails`` at ``at``, as a
    send does (in flight, then settled sent)."""
    ledger = Ledger(root / "state" / "ledger.sqlite", clock=lambda: at)
    with ledger, ledger.run(purpose=f"send {key}") as run:
        batch = f"{run.id}-00001"
        run.mark_in_flight(key, emails, batch, ["client"] * len(emails))
        receipt = Receipt(sent=dict.fromkeys(emails, f"{key}-message"))
        run.settle(key, batch, receipt, rest=None, size=len(emails))


def sendgrid_env(server: FakeSendGrid) -> dict[str, str]:
    return {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": server.base_url}


def newsletter_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "NEWSLETTER_SECRET": SECRET, **(extra or {})}


def welcome(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``newsletter welcome`` (the installed console script) on the project."""
    return subprocess.run(
        [NEWSLETTER, "welcome", *args, "--config", str(root / "newsletter.yaml")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env=newsletter_env(env),
    )
