"""Leads, an offer and ledger files for the referral tests (Hartwell's own, in miniature)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from newsletter.model import Milestone, Offer
from newsletter.referrals.ledger import COLUMNS, Lead, ledger_text

CHICAGO = ZoneInfo("America/Chicago")
SECRET = "sample-only-secret-not-for-real-mail"
"""The sample-only secret (newsletter/config/secrets.py) the sample ledger's codes derive from."""
MARIA = ("WDTD6PDE", "maria.gonzalez@example.com")
KAREN = ("TA388GSS", "karen.vogel@lakesiderealty.example.com")
TOM = ("SSPM5F3A", "tom.becker@example.net")

OFFER = Offer(
    slug="2026-27-send-a-neighbor",
    title="Send a neighbor our way",
    body_html="<p>Send a friend.</p>",
    body_text="Send a friend.",
    valid_from=date(2026, 9, 1),
    valid_to=date(2027, 8, 31),
    landing_url="https://hartwellhvac.example.com/refer",
    milestones=(
        Milestone(1, "A coffee card"),
        Milestone(3, "Dinner for two"),
        Milestone(5, "A spa day"),
    ),
    segments=("client", "partner"),
    path="content/offers/2026-27-send-a-neighbor.yaml",
)


def at(text: str) -> datetime:
    """An ISO time with offset, e.g. ``at("2026-11-02T09:00-06:00")``."""
    return datetime.fromisoformat(text)


def make_lead(
    id: int = 1,
    received: str = "2026-11-02T09:00:00-06:00",
    referrer: tuple[str, str] = MARIA,
    *,
    name: str = "Leo Santos",
    phone: str = "(608) 555-0175",
    email: str = "",
    address: str = "",
    status: str = "new",
    contacted: str | None = None,
    closed: str | None = None,
    value: str | None = None,
    thank: bool | None = None,
    need: str = "Thermostat install",
) -> Lead:
    return Lead(
        id=id,
        received_at=at(received),
        referrer_code=referrer[0],
        referrer_email=referrer[1],
        name=name,
        address=address,
        phone=phone,
        email=email,
        need=need,
        status=status,
        contacted_at=at(contacted) if contacted else None,
        closed_at=at(closed) if closed else None,
        value=Decimal(value) if value is not None else None,
        thank_by_name=thank,
    )


def write_ledger(path: Path, *leads: Lead) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ledger_text(leads), encoding="utf-8")
    return path


HEADER = ",".join(COLUMNS) + "\n"
