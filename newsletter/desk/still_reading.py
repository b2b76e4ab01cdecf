"""``/still-reading?t=TOKEN``: the "yes" of the email that asks a quiet reader whether they
still want the newsletter (:mod:`newsletter.engage.repermission`).

- ``GET`` shows a page with one button; it records nothing: mail scanners and link
  previews open every link in a message, and a "yes" they gave would keep mailing
  someone who stopped reading.
- ``POST`` from that page (its form tag signed for this token) records the answer.

The token is the reader's unsubscribe token (:mod:`newsletter.audience.tokens`, the
address encrypted): the same email carries both links, and each holds nothing the other
does not. The answer goes into the inbox as an email event (kind ``esp``, event
``answer``), so ``desk pull`` carries it into ``state/email-events.sqlite`` beside the
clicks and opens it outranks, where the engagement rule reads it. One answer a day per
address is recorded; posting again answers the same.
"""

from __future__ import annotations

import hashlib
import sqlite3

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from newsletter.desk.context import durable, the_desk
from newsletter.desk.guard import FORM_BYTES
from newsletter.desk.inbox import append, now
from newsletter.desk.signing import tag, tag_matches
from newsletter.desk.unsubscribe import address_for

PATH = "/still-reading"
ANSWER = "answer"
"""The email event an answer is kept as."""
_FORM = "still-reading"  # what the page's form tag is signed for


async def still_reading_page(request: Request) -> Response:
    desk = the_desk(request)
    token = request.query_params.get("t", "")
    if address_for(desk, token) is None:
        return desk.bad_link(request, "answer")
    return desk.pages.page(
        "still_reading.html.j2",
        action=f"{PATH}?t={token}",
        form_token=tag(desk.settings.secret, _FORM, token),
    )


@durable
async def still_reading_post(request: Request) -> Response:
    desk = the_desk(request)
    token = request.query_params.get("t", "")
    email = address_for(desk, token)
    if email is None:
        return desk.bad_link(request, "answer")
    form = await desk.form(request, FORM_BYTES)
    if isinstance(form, Response):
        return form
    if not tag_matches(desk.settings.secrets, _FORM, token, form.get("form", "")):
        return desk.bad_link(request, "answer")
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]

    def record(db: sqlite3.Connection) -> int | None:
        data = {"email": email, "event": ANSWER, "issue": ""}
        return append(db, "esp", data, key=f"answer:{now().date().isoformat()}:{digest}")

    await desk.inbox.write(record)
    return desk.pages.page("still_reading_done.html.j2")


def routes() -> list[Route]:
    return [
        Route(PATH, still_reading_page, methods=["GET"]),
        Route(PATH, still_reading_post, methods=["POST"]),
    ]
