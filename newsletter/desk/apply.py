"""What each inbox event means for the files in git: the rules ``desk pull`` applies.

    unsubscribe               a suppression for its channel (email, mail or all)
    esp bounce                a suppression for email, reason bounce
    esp spamreport            … reason complaint
    esp (group_)unsubscribe   … reason unsubscribe
    signup_confirmed          a prospect in subscribers.csv, and a consent record
    lead, lead_status         a lead in referrals.csv, and its status

Every rule is idempotent: applying an event a second time changes nothing (a suppression
already there, a subscriber already listed, a lead already in the ledger), which is what
lets a pull that was killed halfway simply run again.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from datetime import tzinfo

from newsletter.audience.consents import CONSENT_COLUMNS as CONSENT_COLUMNS
from newsletter.audience.consents import CONSENT_FILE as CONSENT_FILE
from newsletter.audience.suppressions import Suppression
from newsletter.desk.inbox import Event
from newsletter.referrals.ledger import Lead

ESP_SUPPRESSIONS = {
    "bounce": "bounce",
    "spamreport": "complaint",
    "unsubscribe": "unsubscribe",
    "group_unsubscribe": "unsubscribe",
}
"""SendGrid events that take an address off the email list, with the reason recorded."""


def suppression_for(event: Event, tz: tzinfo) -> Suppression | None:
    """The suppression an event asks for, or None."""
    day = event.at.astimezone(tz).date()
    if event.kind == "unsubscribe":
        via = "one-click" if event.data.get("via") == "one-click" else "unsubscribe page"
        return Suppression(
            email=event.data["email"],
            reason="unsubscribe",
            date=day,
            source=f"desk {via} (event {event.id})",
            channel=event.data.get("channel", "email"),
        )
    if event.kind == "esp" and event.data.get("event") in ESP_SUPPRESSIONS:
        return Suppression(
            email=event.data["email"],
            reason=ESP_SUPPRESSIONS[event.data["event"]],
            date=day,
            source=f"sendgrid {event.data['event']} (desk event {event.id})",
        )
    return None


def opt_outs_after(db: sqlite3.Connection, after: int) -> int:
    """How many events after ``after`` take someone off a list (what a send must not
    start without)."""
    marks = ", ".join("?" * len(ESP_SUPPRESSIONS))
    row = db.execute(
        "SELECT count(*) FROM events WHERE id > ? AND (kind = 'unsubscribe' OR "
        f"(kind = 'esp' AND json_extract(data, '$.event') IN ({marks})))",
        (after, *ESP_SUPPRESSIONS),
    ).fetchone()
    return int(row[0])


# ---- sign-ups ---------------------------------------------------------------------------

# consents.csv (newsletter.audience.consents) keeps the proof of each confirmed sign-up.
JOIN_SOURCE = "desk /join (confirmed)"


def subscriber_row(event: Event, tz: tzinfo, country: str) -> dict[str, str]:
    """subscribers.csv's values for a confirmed sign-up: a ``prospect``."""
    data = event.data
    postal = data.get("channels") in ("mail", "both")
    return {
        "email": data["email"],
        "first_name": data.get("first_name", ""),
        "last_name": data.get("last_name", ""),
        "company": "",
        "segment": "prospect",
        "channels": data.get("channels", "email"),
        "street": data.get("street", "") if postal else "",
        "city": data.get("city", "") if postal else "",
        "region": data.get("region", "") if postal else "",
        "postal_code": data.get("postal_code", "") if postal else "",
        "country": country if postal else "",
        "consent_source": JOIN_SOURCE,
        "consent_date": event.at.astimezone(tz).date().isoformat(),
        "tags": "",
    }


def consent_row(event: Event) -> dict[str, str]:
    data = event.data
    return {
        "email": data["email"],
        "requested_at": str(data.get("requested_at", "")),
        "confirmed_at": event.at.isoformat(timespec="seconds"),
        "form": str(data.get("form", "")),
        "request_ip": str(data.get("requested_ip", "")),
        "confirm_ip": str(data.get("ip", "")),
        "desk_event": str(event.id),
    }


# ---- leads ------------------------------------------------------------------------------

_DESK_LEAD = re.compile(r"\(desk lead (\d+)\)")


def desk_leads(leads: Iterable[Lead]) -> dict[int, int]:
    """Desk lead id -> ledger id, for the leads a pull added (their notes say which):
    the one place that knows how a ledger row names its desk lead."""
    found = {}
    for lead in leads:
        match = _DESK_LEAD.search(lead.notes)
        if match:
            found[int(match.group(1))] = lead.id
    return found
