"""``/unsubscribe?t=TOKEN``: the link in every email, and its one-click POST (RFC 8058).

- ``GET`` shows a page naming the newsletter with one button and a choice: stop email,
  stop post, or both. Email and post are separate consents, recorded separately.
- ``POST`` with the body ``List-Unsubscribe=One-Click`` (what Gmail, Yahoo and Apple Mail
  send from their own unsubscribe button) records the email opt-out at once and answers
  200: no cookie, no login, no second step. The same POST from the page's form records
  the choice made there.

The token is the opaque one of :mod:`newsletter.audience.tokens` (the address encrypted
with AES-SIV): a damaged, forged or foreign token is a 400 page, never a 500. Posting
again answers the same and records nothing more the same day: one token cannot grow the
inbox by more than an event per channel a day (a reader whose opt-out was taken back by
hand, and who opts out again another day, is recorded again).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from newsletter.audience.tokens import unsubscribe_address
from newsletter.desk.context import Desk, durable, the_desk
from newsletter.desk.guard import FORM_BYTES, ClientLeft, TooLarge, parse_form, read_body
from newsletter.desk.inbox import append, now
from newsletter.desk.signing import tag, tag_matches
from newsletter.errors import InvalidToken

CHANNELS = ("email", "mail", "all")
MAX_TOKEN = 600
"""Characters of a token: an address of 254 characters makes about 370."""


_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
"""A token's alphabet (URL-safe base64): the decoder would skip anything else silently."""


def address_for(desk: Desk, token: str) -> str | None:
    if len(token) > MAX_TOKEN or not _TOKEN.fullmatch(token):
        return None
    try:
        return unsubscribe_address(token, desk.settings.secrets)
    except InvalidToken:
        return None


def once_a_day(email: str, channel: str) -> str:
    """The inbox key that keeps one opt-out per address and channel a day (a digest: the
    address is in the event's data already)."""
    digest = hashlib.sha256(f"{email}\x00{channel}".encode()).hexdigest()[:32]
    return f"unsubscribe:{now().date().isoformat()}:{digest}"


def one_click(body: bytes, content_type: str) -> bool:
    """True for RFC 8058's POST: ``List-Unsubscribe=One-Click``, urlencoded or as a
    multipart part (some clients send form-data)."""
    if content_type.startswith("multipart/form-data"):
        return b'name="List-Unsubscribe"' in body and b"One-Click" in body
    return body.strip() == b"List-Unsubscribe=One-Click"


async def unsubscribe_page(request: Request) -> Response:
    desk = the_desk(request)
    token = request.query_params.get("t", "")
    if address_for(desk, token) is None:
        return desk.bad_link(request, "unsubscribe")
    return desk.pages.page(
        "unsubscribe.html.j2",
        action=f"/unsubscribe?t={token}",
        form_token=tag(desk.settings.secret, "unsubscribe", token),
    )


@durable
async def unsubscribe_post(request: Request) -> Response:
    desk = the_desk(request)
    token = request.query_params.get("t", "")
    email = address_for(desk, token)
    if email is None:
        return desk.bad_link(request, "unsubscribe")
    try:
        body = await read_body(request, FORM_BYTES)
    except TooLarge:
        return desk.too_large(request)
    except ClientLeft:
        return desk.cut_short(request)
    if one_click(body, request.headers.get("content-type", "")):
        channel, via = "email", "one-click"
    else:
        try:
            form = parse_form(body)
        except ValueError:
            form = {}
        channel, via = form.get("channel", ""), "page"
        secrets = desk.settings.secrets
        if channel not in CHANNELS or not tag_matches(
            secrets, "unsubscribe", token, form.get("form", "")
        ):
            return desk.bad_link(request, "unsubscribe")

    def record(db: sqlite3.Connection) -> int | None:
        data = {"email": email, "channel": channel, "via": via}
        return append(db, "unsubscribe", data, key=once_a_day(email, channel))

    await desk.inbox.write(record)
    return desk.pages.page("unsubscribed.html.j2", channel=channel)


def routes() -> list[Route]:
    return [
        Route("/unsubscribe", unsubscribe_page, methods=["GET"]),
        Route("/unsubscribe", unsubscribe_post, methods=["POST"]),
    ]
