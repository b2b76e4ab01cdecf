"""A project of the reward tests' own: a shop with an offer of milestones at 1 and 3
referrals, three readers who refer (one by post, with an address), and the console script
run on it with a secret of the tests' own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from newsletter.audience.tokens import referral_codes
from tests.project_factory import make_project, newsletter, read_config, write_config

SECRET = "reward-tests-secret-0f3a9c71d2e84b56"
ADMIN_TOKEN = "reward-tests-admin-token-8c1d5e0f7a2b4c6d9e"
ANA = "ana@example.com"  # a client by post at 12 Elm Street
BEN = "ben@example.com"  # a partner by email
CLEO = "cleo@example.com"  # a client by email
READERS = (
    "email,first_name,last_name,company,segment,channels,street,city,region,postal_code,"
    "country,consent_source,consent_date,tags\n"
    f"{ANA},Ana,Lee,,client,both,12 Elm Street,Springfield,IL,62701,US,website form,"
    "2025-01-14,\n"
    f"{BEN},Ben,Ortiz,Ortiz Realty,partner,email,,,,,,met in person,2025-02-01,\n"
    f"{CLEO},Cleo,Park,,client,email,,,,,,website form,2025-03-01,\n"
)
OFFER = (
    "title: Bring a friend\nbody: Your friend gets a discount.\n"
    "valid_from: 2026-01-01\nvalid_to: 2027-12-31\n"
    "landing_url: https://shop.example.com/friends\n"
    "milestones:\n"
    "  - referrals: 1\n    reward: A coffee card\n"
    "  - referrals: 3\n    reward: Dinner for two\n"
)


def code_of(email: str) -> str:
    return referral_codes(SECRET.encode(), [ANA, BEN, CLEO])[email]


def reward_project(root: Path, **leads: Any) -> Path:
    """The project in ``root``; ``leads`` is the config's ``leads:`` section, if any."""
    make_project(root)
    (root / "content" / "offers" / "friends.yaml").write_text(OFFER, encoding="utf-8")
    (root / "subscribers" / "subscribers.csv").write_text(READERS, encoding="utf-8")
    if leads:
        config = read_config(root)
        config["leads"] = leads
        write_config(root, config)
    return root


def run(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The console script on ``root``'s config, with the tests' secret."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "SENDGRID_"))}
    environ.update(
        {"NEWSLETTER_SECRET": SECRET, "NEWSLETTER_DESK_TOKEN": ADMIN_TOKEN, "COLUMNS": "200"}
    )
    environ.update(env)
    return newsletter(root, *args, env=environ)


def ok(root: Path, *args: str, **env: str) -> str:
    done = run(root, *args, **env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def add(root: Path, referrer: str, name: str, *options: str) -> str:
    """``referral add`` of a lead called ``name`` from ``referrer`` (an email)."""
    return ok(root, "referral", "add", "--ref", code_of(referrer), "--name", name, *options)


def ledger(root: Path) -> Path:
    return root / "subscribers" / "referrals.csv"
