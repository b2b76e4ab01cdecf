"""What every route of the desk shares: its settings, inbox, pages and guards."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from newsletter.desk.directory import Directory
from newsletter.desk.guard import (
    ClientLeft,
    FormTokens,
    RateLimiter,
    Refusal,
    TooLarge,
    cross_site,
    form_body,
    parse_form,
    read_body,
)
from newsletter.desk.inbox import Inbox
from newsletter.desk.logs import note, path_for_log
from newsletter.desk.pages import Pages
from newsletter.desk.settings import DeskSettings
from newsletter.errors import InboxError

log = logging.getLogger("newsletter.desk")
Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Desk:
    settings: DeskSettings
    inbox: Inbox
    pages: Pages
    directory: Directory
    forms: FormTokens
    limiter: RateLimiter = field(default_factory=RateLimiter)
    wake_outbox: Callable[[], None] = lambda: None
    """Tells the outbox worker that new work may be due now (a lead to announce)."""

    def bad_link(self, request: Request, what: str) -> Response:
        note(request.scope, f"bad {what} link")
        return self.pages.problem(
            400,
            f"This {what} link does not work",
            f"It may have been cut short or changed on its way to you. "
            f"Please call us{self._phone()} or reply to one of our emails, and we'll sort it out.",
        )

    def too_large(self, request: Request) -> Response:
        note(request.scope, "body over the limit")
        return self.pages.problem(413, "That was too much", "The form was too large.")

    def cut_short(self, request: Request) -> Response:
        """The answer to a client that left (or was cut off) before its body was whole:
        nobody reads it, the log line says why."""
        note(request.scope, "the client left before its request was whole")
        return self.pages.problem(400, "That didn't work", "The form did not arrive whole.")

    def unavailable(self) -> Response:
        return self.pages.problem(
            503,
            "We couldn't take that just now",
            f"Nothing was recorded. Please try again in a minute, or call us{self._phone()}.",
        )

    def too_many(self, request: Request) -> Response:
        note(request.scope, "rate limit")
        return self.pages.problem(
            429,
            "Too many tries",
            f"This form has been sent many times in the last hour. Please call us{self._phone()}"
            " instead, or try again later.",
        )

    def _phone(self) -> str:
        phone = self.settings.business_phone
        return f" at {phone}" if phone else ""

    def refusal(self, request: Request, name: str, form: dict[str, str]) -> Refusal | None:
        """Why ``form`` is not taken as a post of the desk's form ``name`` from the desk's
        own page (noted for the log), or None when it is."""
        refusal = None
        if not form_body(request):
            refusal = Refusal.NOT_A_FORM
        elif cross_site(request, self.settings.origin):
            refusal = Refusal.CROSS_SITE
        else:
            refusal = self.forms.refusal(request, name, form.get("form", ""))
        if refusal is not None:
            note(request.scope, refusal.why)
        return refusal

    async def form(self, request: Request, limit: int) -> dict[str, str] | Response:
        """The posted form's fields, or the page to answer a body that is too big, not a
        form, or cut short with."""
        try:
            body = await read_body(request, limit)
        except TooLarge:
            return self.too_large(request)
        except ClientLeft:
            return self.cut_short(request)
        if not form_body(request):
            return {}  # not a urlencoded form: refused by the route, which says so
        try:
            return parse_form(body)
        except ValueError:
            note(request.scope, "form refused: not readable")
            return self.pages.problem(400, "That didn't work", "The form could not be read.")


def durable(handler: Handler) -> Handler:
    """Answer 503 (nothing recorded) when the inbox cannot be written, never 500."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except InboxError as exc:
            log.error("inbox write failed on %s: %s", path_for_log(request.scope), exc.one_line())
            desk: Desk = request.app.state.desk
            return desk.unavailable()

    guarded.__name__ = handler.__name__
    return guarded


def the_desk(request: Request) -> Desk:
    desk: Any = request.app.state.desk
    return desk  # type: ignore[no-any-return]
