"""A referred lead as the desk takes it: the form's fields, their checks, and the one
place where a desk lead becomes a row of the referral ledger.

The form asks for the lead sheet's fields (name, address, phone, email, what they need,
best time to call) and consent to be contacted. Each value is checked with the ledger's
own rules and limits (:data:`newsletter.referrals.ledger.LIMITS`), so whatever the desk
takes, ``desk pull`` can write: a name, and a phone number or an email address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from newsletter.referrals.leads import Qualification
from newsletter.referrals.ledger import check_text, clean_email, clean_phone, one_line

FIELDS = ("name", "address", "phone", "email", "need", "best_time")
LIMITS = {
    "name": 200,
    "address": 300,
    "phone": 40,
    "email": 254,
    "need": 500,
    "best_time": 100,
}
"""The ledger's limits for the same columns (lead_name, lead_address, …), and best time."""
LEDGER_COLUMN = {
    "name": "lead_name",
    "address": "lead_address",
    "phone": "lead_phone",
    "email": "lead_email",
    "need": "need",
}
MEDIUMS = ("email", "print", "card", "web")
"""Where a referral link was followed from (the link's utm_medium): the email, the QR code
of a printed issue or of a quarterly card, or the web archive."""
STATUSES = ("contacted", "won", "lost")


@dataclass(frozen=True)
class LeadForm:
    """What was posted, checked: ``values`` to keep, ``errors`` (field -> message) to show."""

    values: dict[str, str]
    errors: dict[str, str]


def read_lead_form(form: dict[str, str]) -> LeadForm:
    """Check a posted lead form: every field on one line, within its limit, without control
    characters; a name; a phone number or an email address; consent given."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field in FIELDS:
        value = one_line(form.get(field, ""))
        try:
            value = check_text(value, field, LIMITS)
            if field == "phone":
                value = clean_phone(value)
            elif field == "email":
                value = clean_email(value)
        except ValueError as exc:
            errors[field] = _say(field, str(exc))
        values[field] = value
    if not values["name"] and "name" not in errors:
        errors["name"] = "Please tell us your name."
    if not values["phone"] and not values["email"] and not errors.keys() & {"phone", "email"}:
        errors["phone"] = "Please give us a phone number or an email address to reach you."
    if form.get("consent") != "yes":
        errors["consent"] = "Please tick the box so we may contact you."
    return LeadForm(values, errors)


def _say(field: str, problem: str) -> str:
    if problem.startswith("not a phone number"):
        return "That doesn't look like a phone number we could call."
    if problem.startswith("not a valid address"):
        return "That doesn't look like an email address."
    if "characters, more than" in problem:
        return f"Please keep this shorter ({LIMITS[field]} characters at most)."
    return "Please remove the unusual characters from this field."


def lead_record(
    values: dict[str, str],
    *,
    code: str,
    referrer_email: str | None,
    medium: str,
    network: str = "",
) -> dict[str, Any]:
    """The inbox event's data for a checked lead. ``referrer_email`` is None when no
    subscriber has ``code`` (the lead is kept all the same, flagged ``known: false``);
    ``network`` is the keyed hash of where it was posted from (never the address)."""
    return {
        **{field: values[field] for field in FIELDS},
        "code": code,
        "referrer_email": referrer_email,
        "known": referrer_email is not None,
        "medium": medium if medium in MEDIUMS else "",
        "consent": True,
        "network": network,
    }


def contact_by(received: datetime, within: timedelta) -> datetime:
    """When the business should have called: ``within`` of absolute time after receipt
    (a DST change neither adds nor takes an hour)."""
    return received + within


def spoken(moment: datetime, tz: tzinfo) -> str:
    """``Tuesday, November 3 at 9:14 AM CST``: a time as a person reads it."""
    local = moment.astimezone(tz)
    hour = local.strftime("%I").lstrip("0")
    return f"{local:%A, %B} {local.day} at {hour}:{local:%M %p} {local.tzname()}"


def first_name(name: str) -> str:
    """The first word of a lead's name: all a referrer is told about their friend."""
    return name.split()[0] if name.split() else "your friend"


def ledger_fields(event_id: int, data: dict[str, Any], received: datetime) -> dict[str, Any]:
    """Keyword arguments of :func:`newsletter.referrals.leads.add_lead` for desk lead
    ``event_id``: the one mapping from the lead form to the ledger's columns."""
    notes = [f"from the referral page (desk lead {event_id})"]
    if data.get("medium"):
        notes.append(f"link from {data['medium']}")
    if data.get("best_time"):
        notes.append(f"best time to call: {data['best_time']}")
    if not data.get("known"):
        notes.append(f"code {data.get('code') or '(none)'} matched no subscriber")
    return {
        "referrer_code": data.get("code", ""),
        "referrer_email": data.get("referrer_email") or "",
        "name": data["name"],
        "received_at": received,
        "phone": data.get("phone", ""),
        "email": data.get("email", ""),
        "address": data.get("address", ""),
        "need": data.get("need", ""),
        "note": "; ".join(notes),
        # The form asks to be contacted: the business calls within 24 hours. A person can
        # put the lead to nurture later (referral update ID --nurture "why").
        "qualification": Qualification("qualified", "asked on the referral page to be called"),
        "network": str(data.get("network") or ""),
    }
