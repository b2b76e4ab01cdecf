"""``/lead/TOKEN``: the business records what became of a lead from its notification email.

The email carries signed links, one per action: "I've contacted them", "won" (with the
value) and "lost". A link opens a page with one button (and the value for a win); the
button records the status. A GET never changes anything, so a mail scanner that opens
every link in the business's inbox cannot mark a lead contacted.

The rules are the ledger's: the first contact is what counts; a closed lead may switch
between won and lost but is not reopened; a value belongs to a won lead. When a lead is
contacted or won for the first time, and its referrer agreed to updates, the referrer's
note goes on the outbox.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from newsletter.desk.context import durable, the_desk
from newsletter.desk.guard import FORM_BYTES
from newsletter.desk.inbox import Event, append, as_id, event, now, related, schedule
from newsletter.desk.leads import STATUSES, spoken
from newsletter.desk.settings import DeskSettings
from newsletter.desk.signing import BadSignature, sign, tag, tag_matches, unsign
from newsletter.referrals.ledger import checked_value, parse_amount

PURPOSE = "lead-status"
LINK_TTL = 400 * 24 * 3600
"""Seconds a status link works: longer than any job takes to close."""
AMOUNT_ERROR = "Please type the amount like 1200 or 1,200.50, or leave it empty."
NOTED = ("contacted", "won")
"""Statuses the referrer hears about."""


def status_link(settings: DeskSettings, lead_id: int, action: str) -> str:
    token = sign(settings.secret, PURPOSE, {"lead": lead_id}, ttl=LINK_TTL)
    return settings.url(f"lead/{token}?do={action}")


@dataclass(frozen=True)
class Outcome:
    recorded: bool
    message: str


def current(statuses: list[Event]) -> tuple[str, Event | None]:
    """A lead's status from its status events (oldest first), and the first contact."""
    status, contacted = "new", None
    for change in statuses:
        new = change.data["status"]
        if new == "contacted":
            contacted = contacted or change
            if status == "new":
                status = "contacted"
        else:
            status = new
    return status, contacted


def _decide(status: str, action: str, value: Decimal | None) -> str | None:
    """Why ``action`` cannot be recorded now, or None when it can."""
    if action == "contacted" and status in ("won", "lost"):
        return f"This lead is already {status}; a closed lead is not reopened."
    if action == "contacted" and status == "contacted":
        return "Already recorded: this lead was contacted."
    if action in ("won", "lost") and status == action and value is None:
        return f"Already recorded: this lead is {action}."
    return None


def _lead_id(request: Request) -> int | None:
    return signed_id(request, PURPOSE, "lead")


def signed_id(request: Request, purpose: str, field: str) -> int | None:
    """The id ``field`` of the link's token signed for ``purpose`` (None: not one)."""
    desk = the_desk(request)
    try:
        payload = unsign(desk.settings.secrets, purpose, request.path_params["token"])
    except BadSignature:
        return None
    return as_id(payload.get(field))


async def signed_post(
    request: Request, purpose: str, field: str, actions: Collection[str], what: str
) -> tuple[int, str, dict[str, str]] | Response:
    """(id, action, form) of a link page's button: the form posted with the tag of the
    link's token; otherwise the answer to give (too large a form, a bad link)."""
    desk = the_desk(request)
    signed = signed_id(request, purpose, field)
    token = request.path_params["token"]
    form = await desk.form(request, FORM_BYTES)
    if isinstance(form, Response):
        return form
    action = form.get("do", "")
    if (
        signed is None
        or action not in actions
        or not tag_matches(desk.settings.secrets, purpose, token, form.get("form", ""))
    ):
        return desk.bad_link(request, what)
    return signed, action, form


def _read_lead(db: sqlite3.Connection, lead_id: int) -> tuple[Event | None, list[Event]]:
    return event(db, lead_id, "lead"), related(db, "lead_status", "lead", lead_id)


async def status_page(request: Request) -> Response:
    desk = the_desk(request)
    lead_id = _lead_id(request)
    action = request.query_params.get("do", "contacted")
    if lead_id is None or action not in STATUSES:
        return desk.bad_link(request, "status")
    lead, statuses = await desk.inbox.read(lambda db: _read_lead(db, lead_id))
    if lead is None:
        return desk.bad_link(request, "status")
    return _status_form(request, lead, statuses, action)


def _status_form(
    request: Request,
    lead: Event,
    statuses: list[Event],
    action: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    """The lead's page with the button for ``action``; after a value that does not read, the
    value typed and its message, answered 400."""
    desk = the_desk(request)
    status, _ = current(statuses)
    token = request.path_params["token"]
    return desk.pages.page(
        "status.html.j2",
        400 if errors else 200,
        lead=lead.data,
        received=spoken(lead.at, desk.settings.timezone),
        status=status,
        action=action,
        post_to=f"/lead/{token}",
        form_token=tag(desk.settings.secret, PURPOSE, token),
        values=values or {},
        errors=errors or {},
    )


@durable
async def record_status(request: Request) -> Response:
    desk = the_desk(request)
    posted = await signed_post(request, PURPOSE, "lead", STATUSES, "status")
    if isinstance(posted, Response):
        return posted
    lead_id, action, form = posted
    lead, statuses = await desk.inbox.read(lambda db: _read_lead(db, lead_id))
    if lead is None:
        return desk.bad_link(request, "status")
    value = None
    if action == "won" and form.get("value", "").strip():
        try:
            value = checked_value(parse_amount(form["value"][:40]))
        except ValueError:
            typed = {"value": form["value"][:40]}
            return _status_form(request, lead, statuses, action, typed, {"value": AMOUNT_ERROR})
    code = lead.data.get("code") or ""
    referrer = await run_in_threadpool(desk.directory.lookup, code) if code else None
    tell_referrer = bool(
        referrer and referrer.updates and referrer.email == lead.data.get("referrer_email")
    )

    def apply(db: sqlite3.Connection) -> Outcome:
        status, _ = current(related(db, "lead_status", "lead", lead_id))
        refusal = _decide(status, action, value)
        if refusal:
            return Outcome(False, refusal)
        data: dict[str, Any] = {"lead": lead_id, "status": action}
        if value is not None:
            data["value"] = f"{value:.2f}"
        change = append(db, "lead_status", data)
        assert change is not None
        first_time = not any(
            e.data["status"] == action for e in related_before(db, lead_id, change)
        )
        if action in NOTED and first_time and tell_referrer:
            schedule(db, change, "thank_referrer", now())
        return Outcome(True, f"Recorded: {lead.data['name']} is {action}.")

    outcome = await desk.inbox.write(apply)
    if outcome.recorded:
        desk.wake_outbox()
    return desk.pages.page("status_done.html.j2", message=outcome.message)


def related_before(db: sqlite3.Connection, lead_id: int, change: int) -> list[Event]:
    return [e for e in related(db, "lead_status", "lead", lead_id) if e.id < change]


def routes() -> list[Route]:
    return [
        Route("/lead/{token}", status_page, methods=["GET"]),
        Route("/lead/{token}", record_status, methods=["POST"]),
    ]
