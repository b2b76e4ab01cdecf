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

import sqlite3
from datetime import tzinfo

from newsletter.audience.suppressions import Suppression
from newsletter.desk.inbox import Event

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
