"""The emails the desk sends on its own, made from the business's templates.

Each email is one template, ``templates/desk/mail/KIND.txt.j2``: its text, and its subject
in ``{% set subject %}``. Text templates are not HTML-escaped (``&`` stays ``&``); the HTML
part is that text escaped once, with only the desk's own links made clickable: a web
address a stranger typed into a form stays text.

What a stranger typed reaches another person only where it must, and as plain text: the
business reads a lead's details (it has to call them); a referrer reads their friend's
first name only when it looks like a name; a sign-up's confirmation carries nothing the
requester wrote but the address it goes to (no name in the greeting or the To header,
no link of theirs): anyone can type anyone's address into the form.
"""

from __future__ import annotations

import html
import logging
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from newsletter.config.files import REFERRALS_FILE
from newsletter.deliver.transport import Message, Recipient
from newsletter.desk.context import Desk
from newsletter.desk.inbox import Event, event, related
from newsletter.desk.join import confirm_link
from newsletter.desk.lead_checks import alert_flags
from newsletter.desk.leads import contact_by, first_name, spoken
from newsletter.desk.reward_links import reward_link
from newsletter.desk.status import current, status_link
from newsletter.errors import NewsletterError
from newsletter.referrals.ledger import load_leads

log = logging.getLogger("newsletter.desk")
FRIEND_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|['’.-]){0,29}")
"""A first name a referrer may read: letters, with apostrophes, hyphens and dots, at most
30 characters."""


@dataclass(frozen=True)
class Mail:
    message: Message
    recipient: Recipient


def compose(
    desk: Desk, db: sqlite3.Connection, kind: str, event_id: int, due: str, now: datetime
) -> Mail | None:
    """The email of outbox job ``kind`` for event ``event_id`` (due at ``due``), or None
    when there is nothing to send any more. ValueError for an unknown kind."""
    if kind in ("notify_lead", "remind_lead", "escalate_lead"):
        lead = event(db, event_id, "lead")
        if lead is None:
            return None
        status, _ = current(related(db, "lead_status", "lead", event_id))
        if kind == "escalate_lead":
            # Only a lead still waiting for its first call, to someone to tell.
            if status != "new" or not desk.settings.escalate_to:
                return None
            return _lead_mail(desk, lead, now, db=db, escalation=True)
        if kind == "remind_lead" and (status != "new" or not _told_before(db, event_id, due)):
            # Contacted (or closed) in time; or the business heard of the lead only after
            # the reminder's time (its notice waited for a transport), and that notice
            # already says when to call by.
            return None
        return _lead_mail(desk, lead, now, db=db, reminder=kind == "remind_lead")
    if kind == "notify_reward":
        reached = event(db, event_id, "reward_reached")
        return _reward_mail(desk, reached) if reached else None
    if kind == "thank_referrer":
        change = event(db, event_id, "lead_status")
        lead = event(db, change.data["lead"], "lead") if change else None
        if change is None or lead is None or not lead.data.get("referrer_email"):
            return None
        return _thanks(desk, lead, change.data["status"])
    if kind == "confirm_signup":
        signup = event(db, event_id, "signup")
        return _confirmation(desk, signup) if signup else None
    raise ValueError(f"unknown outbox job {kind!r}")


def _told_before(db: sqlite3.Connection, lead_id: int, moment: str) -> bool:
    """Whether the business's notice of lead ``lead_id`` went out before ``moment``."""
    row = db.execute(
        "SELECT 1 FROM outbox WHERE event = ? AND kind = 'notify_lead' AND state = 'done' "
        "AND done_at <= ?",
        (lead_id, moment),
    ).fetchone()
    return row is not None


def _mail(
    desk: Desk, to: str, name: str, template: str, clickable: Iterable[str] = (), **context: Any
) -> Mail:
    settings = desk.settings
    subject, text = desk.pages.mail(f"mail/{template}.txt.j2", **context)
    message = Message(
        subject=subject,
        from_email=settings.from_email,
        from_name=settings.from_name,
        reply_to=None,
        html=as_html(text, clickable),
        text=text,
        categories=("desk",),
    )
    return Mail(message, Recipient(email=to, name=name, substitutions={}))


def _lead_mail(
    desk: Desk,
    lead: Event,
    now: datetime,
    *,
    db: sqlite3.Connection,
    reminder: bool = False,
    escalation: bool = False,
) -> Mail:
    settings = desk.settings
    due = contact_by(lead.at, settings.contact_within)
    left = max(due - now, timedelta())
    links = {
        action: status_link(settings, lead.id, action) for action in ("contacted", "won", "lost")
    }
    referrer = desk.directory.lookup(lead.data["code"]) if lead.data.get("code") else None
    to = settings.escalate_to if escalation and settings.escalate_to else settings.notify_to
    return _mail(
        desk,
        to,
        settings.business_name,
        "escalation" if escalation else "lead",
        links.values(),
        flags=_flags(desk, db, lead),
        lead=lead.data,
        lead_id=lead.id,
        received=spoken(lead.at, settings.timezone),
        contact_by=spoken(due, settings.timezone),
        hours_left=int(left.total_seconds() // 3600),
        reminder=reminder,
        referrer=referrer,
        links=links,
    )


def _flags(desk: Desk, db: sqlite3.Connection, lead: Event) -> tuple[str, ...]:
    """The lead's flags for the alert; none when they cannot be worked out (a list that
    does not load): the alert itself must go out whatever happens."""
    try:
        return alert_flags(desk, db, lead)
    except (NewsletterError, ValueError, OSError) as exc:
        log.warning("lead %s: checks not run for its alert: %s", lead.id, type(exc).__name__)
        return ()


def _reward_mail(desk: Desk, reached: Event) -> Mail:
    settings = desk.settings
    data = reached.data
    links = {action: reward_link(settings, reached.id, action) for action in ("approve", "deny")}
    ledger = settings.subscribers_dir / REFERRALS_FILE
    wanted = set(data.get("leads", []))
    theirs = [x for x in (load_leads(ledger) if ledger.exists() else ()) if x.id in wanted]
    referrer = desk.directory.lookup(data.get("code", ""))
    name = (referrer.public_name or referrer.first_name) if referrer else ""
    return _mail(
        desk,
        settings.notify_to,
        settings.business_name,
        "reward",
        links.values(),
        reward=data,
        referrer=name or data["referrer_email"],
        leads=[
            {
                "id": x.id,
                "name": x.name,
                "received": spoken(x.received_at, settings.timezone),
                "status": x.status,
                "flags": x.flags if x.flagged else (),
            }
            for x in theirs
        ],
        links=links,
    )


def _thanks(desk: Desk, lead: Event, status: str) -> Mail:
    referrer = desk.directory.lookup(lead.data.get("code", ""))
    friend = first_name(lead.data["name"])
    greeting = referrer.first_name if referrer else ""
    return _mail(
        desk,
        lead.data["referrer_email"],
        greeting,
        "thanks",
        friend=friend if FRIEND_NAME.fullmatch(friend) else "",
        greeting=greeting,
        status=status,
    )


def _confirmation(desk: Desk, signup: Event) -> Mail:
    link = confirm_link(desk.settings, signup.id)
    return _mail(desk, signup.data["email"], "", "confirm", [link], link=link)


def as_html(text: str, links: Iterable[str] = ()) -> str:
    """The plain text as a simple HTML part: escaped once, lines kept, and only ``links``
    (the desk's own) clickable."""
    escaped = html.escape(text)
    shown = sorted({html.escape(link) for link in links}, key=len, reverse=True)
    if shown:
        ours = re.compile("|".join(re.escape(link) for link in shown))
        escaped = ours.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return (
        '<!doctype html><html><body><div style="font-family:Arial,sans-serif;font-size:15px;'
        f'line-height:1.5;white-space:pre-wrap">{escaped}</div></body></html>'
    )
