"""The checks of a referred lead as the business's alert shows them, the moment it arrives.

The desk runs the checks ``desk pull`` will run (:mod:`newsletter.referrals.checks`)
against what it can see: the subscriber list and the ledger in its folder, and the leads
of the last two days in its inbox that the ledger does not hold yet (named "desk lead N"
in a flag's reason). So the business reads, with a new lead, that it is the second one
from one network address today, before it calls. The flags the ledger keeps are the
pull's; the alert's are what was known when it was written.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

from newsletter.audience.subscribers import load_subscribers
from newsletter.config.files import REFERRALS_FILE, SUBSCRIBERS_FILE
from newsletter.desk.apply import desk_leads
from newsletter.desk.context import Desk
from newsletter.desk.inbox import Event, stamp
from newsletter.desk.leads import ledger_fields
from newsletter.referrals.checks import LeadChecks
from newsletter.referrals.leads import new_lead
from newsletter.referrals.ledger import Lead, load_leads

RECENT = timedelta(days=2)
DESK_IDS = 10**12
"""Desk leads are numbered from here in the checks, apart from the ledger's ids."""


def alert_flags(desk: Desk, db: sqlite3.Connection, lead: Event) -> tuple[str, ...]:
    """The flags of desk lead ``lead`` against what the desk knows now."""
    folder = desk.settings.subscribers_dir
    ledger_path, listed_path = folder / REFERRALS_FILE, folder / SUBSCRIBERS_FILE
    ledger = load_leads(ledger_path) if ledger_path.exists() else ()
    pulled = desk_leads(ledger)
    listed = load_subscribers(listed_path, postal="ignored") if listed_path.exists() else ()
    mine = pulled.get(lead.id)
    known = [x for x in ledger if x.id != mine]
    names: dict[int, str] = {}
    rows = db.execute(
        "SELECT id, at, data FROM events WHERE kind = 'lead' AND id != ? AND at >= ?",
        (lead.id, stamp(lead.at - RECENT)),
    ).fetchall()
    for row in rows:
        other = Event(row[0], "lead", datetime.fromisoformat(row[1]), json.loads(row[2]))
        if other.id in pulled:
            continue
        known.append(_as_lead(other, DESK_IDS + other.id))
        names[DESK_IDS + other.id] = f"desk lead {other.id}"
    checks = LeadChecks(
        listed,
        known,
        region=desk.settings.phone_region,
        country=desk.settings.country,
        names=names,
    )
    flagged, _ = checks.check(_as_lead(lead, DESK_IDS + lead.id))
    return flagged.flags


def _as_lead(lead: Event, number: int) -> Lead:
    return new_lead(number, **ledger_fields(lead.id, lead.data, lead.at))
