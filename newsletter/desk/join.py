"""``/join``: sign-up with double opt-in.

The form (email, name, an optional postal address, which channels) records a ``signup``
and puts a confirmation email on the outbox, with a signed link valid for a week. Only
the confirmation makes a subscriber: the link opens a page with one button (so a mail
scanner that opens links confirms nothing), and the button records ``signup_confirmed``
with the consent record kept for proof: when, on which form, from which address, and
when it was asked for. ``desk pull`` adds the person as a ``prospect``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from newsletter.audience.addresses import EmailNotValidError, normalized_address
from newsletter.audience.subscribers import MAX_VALUE_CHARS
from newsletter.desk.context import durable, the_desk
from newsletter.desk.guard import FORM_BYTES, HONEYPOT, Refusal, client_address
from newsletter.desk.inbox import append, as_id, event, now, related, schedule, stamp
from newsletter.desk.settings import DeskSettings
from newsletter.desk.signing import BadSignature, sign, tag, tag_matches, unsign
from newsletter.referrals.ledger import check_text, one_line

PURPOSE = "signup"
CONFIRM_TTL = 7 * 24 * 3600
FORM = "join"
FIELDS = ("email", "first_name", "last_name", "street", "city", "region", "postal_code")
POSTAL = ("street", "city", "postal_code")
CHANNELS = {"email": "email", "mail": "mail", "both": "both"}
FORM_NAME = "desk /join"


def confirm_link(settings: DeskSettings, signup_id: int) -> str:
    token = sign(settings.secret, PURPOSE, {"signup": signup_id}, ttl=CONFIRM_TTL)
    return settings.url(f"join/confirm?t={token}")


def read_join_form(form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(values, errors) of a posted sign-up form, checked as subscribers.csv checks rows."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    limits = dict.fromkeys(FIELDS, MAX_VALUE_CHARS)
    for field in FIELDS:
        value = one_line(form.get(field, ""))
        try:
            values[field] = check_text(value, field, limits)
        except ValueError:
            values[field] = value
            errors[field] = f"Please keep this under {MAX_VALUE_CHARS} plain characters."
    try:
        values["email"] = normalized_address(values["email"]).lower()
    except EmailNotValidError:
        errors["email"] = "Please give an email address we can write to."
    channels = form.get("channels", "email")
    values["channels"] = CHANNELS.get(channels, "email")
    if values["channels"] != "email":
        missing = [f for f in POSTAL if not values[f]]
        if missing:
            errors["street"] = "For the newsletter by post we need a street, city and ZIP code."
    return values, errors


def _page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    refusal: Refusal | None = None,
) -> Response:
    desk = the_desk(request)
    token, cookie = desk.forms.issue(request, FORM)
    response = desk.pages.page(
        "join.html.j2",
        status,
        values=values,
        errors=errors,
        refusal=refusal,
        form_token=token,
        honeypot=HONEYPOT,
    )
    if cookie:
        response.set_cookie(**desk.forms.cookie(cookie))
    return response


async def join_page(request: Request) -> Response:
    return _page(request, {"channels": "email"}, {})


@durable
async def join_post(request: Request) -> Response:
    desk = the_desk(request)
    form = await desk.form(request, FORM_BYTES)
    if isinstance(form, Response):
        return form
    refusal = desk.refusal(request, FORM, form)
    if refusal is not None:
        return _page(request, form, {}, 400, refusal)
    if form.get(HONEYPOT):
        return desk.pages.page("join_sent.html.j2")
    values, errors = read_join_form(form)
    if errors:
        return _page(request, {**form, **values}, errors)
    limits = desk.settings.limits
    ip = client_address(request)
    if not desk.limiter.allow(f"ip:{ip}", limits.per_ip_per_hour) or not desk.limiter.allow(
        f"join:{values['email']}", limits.per_address_per_hour
    ):
        return desk.too_many(request)
    record: dict[str, Any] = {**values, "ip": ip, "form": FORM_NAME}

    def store(db: sqlite3.Connection) -> None:
        signup = append(db, "signup", record)
        assert signup is not None
        schedule(db, signup, "confirm_signup", now())

    await desk.inbox.write(store)
    desk.wake_outbox()
    return desk.pages.page("join_sent.html.j2")


def _signup_id(request: Request) -> int | None:
    desk = the_desk(request)
    try:
        payload = unsign(desk.settings.secrets, PURPOSE, request.query_params.get("t", ""))
    except BadSignature:
        return None
    return as_id(payload.get("signup"))


async def confirm_page(request: Request) -> Response:
    desk = the_desk(request)
    if _signup_id(request) is None:
        return desk.bad_link(request, "confirmation")
    token = request.query_params["t"]
    return desk.pages.page(
        "join_confirm.html.j2",
        action=f"/join/confirm?t={token}",
        form_token=tag(desk.settings.secret, PURPOSE, token),
    )


@durable
async def confirm_post(request: Request) -> Response:
    desk = the_desk(request)
    signup_id = _signup_id(request)
    form = await desk.form(request, FORM_BYTES)
    if isinstance(form, Response):
        return form
    token = request.query_params.get("t", "")
    if signup_id is None or not tag_matches(
        desk.settings.secrets, PURPOSE, token, form.get("form", "")
    ):
        return desk.bad_link(request, "confirmation")
    ip = client_address(request)

    def confirm(db: sqlite3.Connection) -> bool:
        signup = event(db, signup_id, "signup")
        if signup is None:
            return False
        if not related(db, "signup_confirmed", "signup", signup_id):
            # Everything the subscriber row and the consent record need, in one event.
            person = {k: signup.data.get(k, "") for k in (*FIELDS, "channels")}
            append(
                db,
                "signup_confirmed",
                {
                    **person,
                    "signup": signup_id,
                    "ip": ip,
                    "requested_ip": signup.data.get("ip", ""),
                    "requested_at": stamp(signup.at),
                    "form": signup.data.get("form", FORM_NAME),
                },
            )
        return True

    if not await desk.inbox.write(confirm):
        return desk.bad_link(request, "confirmation")
    return desk.pages.page("join_done.html.j2")


def routes() -> list[Route]:
    return [
        Route("/join", join_page, methods=["GET"]),
        Route("/join", join_post, methods=["POST"]),
        Route("/join/confirm", confirm_page, methods=["GET"]),
        Route("/join/confirm", confirm_post, methods=["POST"]),
    ]
