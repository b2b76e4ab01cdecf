"""``/r/CODE`` (and ``/r``): the page a referral link or QR code opens, and its lead form.

The page shows the current offer, who sent the reader when the code is known and its
owner agreed to be named, and the lead sheet's form. A posted lead is recorded against
the code (an unknown or missing code is recorded all the same, flagged), the business is
told at once, a reminder is put on the outbox for 20 hours later, and the page says when
to expect a call, in the business's opening hours (newsletter.desk.promise).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import time
from datetime import date, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from newsletter.audience.tokens import canonical_code
from newsletter.desk.context import Desk, durable, the_desk
from newsletter.desk.directory import Referrer
from newsletter.desk.guard import FORM_BYTES, HONEYPOT, Refusal, client_address, contact_keys
from newsletter.desk.inbox import append, now, schedule
from newsletter.desk.leads import MEDIUMS, contact_by, lead_record, read_lead_form
from newsletter.desk.promise import promised_call
from newsletter.errors import InboxError, NewsletterError
from newsletter.model import Offer
from newsletter.referrals.checks import network_key
from newsletter.sources.offers import current_offer

MAX_CODE = 32
FORM = "lead"
_offers: dict[str, tuple[float, Offer | None]] = {}
OFFER_TTL = 60.0


def offer_now(desk: Desk) -> Offer | None:
    """The offer valid today in the business's zone (read at most once a minute)."""
    key = str(desk.settings.content_dir)
    cached = _offers.get(key)
    if cached and time.monotonic() - cached[0] < OFFER_TTL:
        return cached[1]
    today: date = datetime.now(desk.settings.timezone).date()
    try:
        offer: Offer | None = current_offer(desk.settings.content_dir, today)
    except NewsletterError:
        offer = None  # no offer valid today: the page still takes leads
    _offers[key] = (time.monotonic(), offer)
    return offer


async def _context(desk: Desk, code: str) -> tuple[Referrer | None, Offer | None]:
    referrer = await run_in_threadpool(desk.directory.lookup, code) if code else None
    return referrer, await run_in_threadpool(offer_now, desk)


def _code_in(request: Request) -> str:
    typed = request.path_params.get("code") or request.query_params.get("ref", "")
    return canonical_code(typed[:MAX_CODE])


def _medium(request: Request, form: dict[str, str] | None = None) -> str:
    given = (form or {}).get("medium") or request.query_params.get("utm_medium", "")
    return given if given in MEDIUMS else ""


async def _form_page(
    request: Request,
    code: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    medium: str = "",
    refusal: Refusal | None = None,
    status: int = 200,
) -> Response:
    desk = the_desk(request)
    referrer, offer = await _context(desk, code)
    token, cookie = desk.forms.issue(request, FORM)
    response = desk.pages.page(
        "refer.html.j2",
        status,
        code=code,
        typed_code=not code,
        referrer=referrer,
        offer=offer,
        values=values or {},
        errors=errors or {},
        refusal=refusal,
        form_token=token,
        medium=medium or _medium(request),
        action=f"/r/{code}" if code else "/r",
        honeypot=HONEYPOT,
    )
    if cookie:
        response.set_cookie(**desk.forms.cookie(cookie))
    return response


_CAMPAIGN = re.compile(r"referral-(\d{4}-(?:0[1-9]|1[0-2])|\d{4}Q[1-4])")
"""The campaign every referral link carries: the issue it came with
(``utm_campaign=referral-2026-11``), or the quarter of a card or nurture email
(``referral-2026Q4``)."""


async def landing(request: Request) -> Response:
    code = _code_in(request)
    await _count_visit(request)
    return await _form_page(request, code)


async def _count_visit(request: Request) -> None:
    """Keep a visit for the report: the medium and issue the link names, nothing about
    the visitor. A client over its hourly allowance is not counted again; a visit that
    cannot be stored is not counted (the page is still shown)."""
    desk = the_desk(request)
    allowance = desk.settings.limits.visits_per_ip_per_hour
    if not desk.limiter.allow(f"visit:{client_address(request)}", allowance):
        return
    campaign = _CAMPAIGN.fullmatch(request.query_params.get("utm_campaign", ""))
    visit = {"medium": _medium(request), "issue": campaign.group(1) if campaign else None}
    with contextlib.suppress(InboxError, sqlite3.Error):
        await desk.inbox.write(lambda db: append(db, "visit", visit))


@durable
async def take_lead(request: Request) -> Response:
    desk = the_desk(request)
    form = await desk.form(request, FORM_BYTES)
    if isinstance(form, Response):
        return form
    code = _code_in(request) or canonical_code(form.get("code", "")[:MAX_CODE])
    refusal = desk.refusal(request, FORM, form)
    if refusal is not None:
        # An old page, a browser without the cookie, a post from elsewhere: the form
        # again, filled in, saying what to do.
        return await _form_page(request, code, values=form, refusal=refusal, status=400)
    if form.get(HONEYPOT):
        return desk.pages.page("refer_thanks.html.j2", name="", call=None)
    checked = read_lead_form(form)
    if checked.errors:
        return await _form_page(
            request, code, values=form, errors=checked.errors, medium=_medium(request, form)
        )
    limits = desk.settings.limits
    addresses = contact_keys(
        checked.values["phone"], checked.values["email"], desk.settings.phone_region
    )
    if not desk.limiter.allow(f"ip:{client_address(request)}", limits.per_ip_per_hour) or not all(
        desk.limiter.allow(key, limits.per_address_per_hour) for key in addresses
    ):
        return desk.too_many(request)
    referrer = await run_in_threadpool(desk.directory.lookup, code) if code else None
    record = lead_record(
        checked.values,
        code=code,
        referrer_email=referrer.email if referrer else None,
        medium=_medium(request, form),
        network=network_key(desk.settings.secret, client_address(request)),
    )
    received = now()
    settings = desk.settings

    def store(db: sqlite3.Connection) -> int:
        lead_id = append(db, "lead", record, at=received)
        assert lead_id is not None  # no key: never a duplicate
        schedule(db, lead_id, "notify_lead", received)
        schedule(db, lead_id, "remind_lead", received + settings.remind_after)
        if settings.escalate_to and settings.escalate_after and settings.business_hours:
            due = settings.business_hours.deadline(received, settings.escalate_after)
            schedule(db, lead_id, "escalate_lead", due)
        return lead_id

    await desk.inbox.write(store)
    desk.wake_outbox()
    due = contact_by(received, settings.contact_within)
    return desk.pages.page(
        "refer_thanks.html.j2",
        name=checked.values["name"].split()[0],
        call=promised_call(received, due, settings.opening_hours, settings.timezone),
    )


def routes() -> list[Route]:
    return [
        Route("/r", landing, methods=["GET"]),
        Route("/r", take_lead, methods=["POST"]),
        Route("/r/{code}", landing, methods=["GET"]),
        Route("/r/{code}", take_lead, methods=["POST"]),
    ]
