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
    FormTokens,
    RateLimiter,
    TooLarge,
    cross_site,
    parse_form,
    read_body,
)
from newsletter.desk.inbox import Inbox, InboxError
from newsletter.desk.pages import Pages
from newsletter.desk.settings import DeskSettings

log = logging.getLogger("newsletter.desk")
Handler = Callable[[Request], Awaitable[Response]]
EXPIRED = {"form": "This form had expired. Please check it and send it again."}
"""The message a form gets back when its token is missing, old or from another site."""


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

    def bad_link(self, what: str) -> Response:
        return self.pages.problem(
            400,
            f"This {what} link does not work",
            f"It may have been cut short or changed on its way to you. "
            f"Please call us{self._phone()} or reply to one of our emails, and we'll sort it out.",
        )

    def unavailable(self) -> Response:
        return self.pages.problem(
            503,
            "We couldn't take that just now",
            f"Nothing was recorded. Please try again in a minute, or call us{self._phone()}.",
        )

    def too_many(self) -> Response:
        return self.pages.problem(
            429,
            "Too many tries",
            f"This form has been sent many times in the last hour. Please call us{self._phone()}"
            " instead, or try again later.",
        )

    def _phone(self) -> str:
        phone = self.settings.business_phone
        return f" at {phone}" if phone else ""

    def forged(self, request: Request, name: str, form: dict[str, str]) -> bool:
        """True unless ``form`` carries a valid token of the desk's form ``name`` and was
        posted from the desk's own pages."""
        return cross_site(request, self.settings.origin) or not self.forms.valid(
            request, name, form.get("form", "")
        )

    async def form(self, request: Request, limit: int) -> dict[str, str] | Response:
        """The posted form's fields, or the page to answer a body that is too big or not
        a form with."""
        try:
            return parse_form(await read_body(request, limit))
        except TooLarge:
            return self.pages.problem(413, "That was too much", "The form was too large.")
        except ValueError:
            return self.pages.problem(400, "That didn't work", "The form could not be read.")


def durable(handler: Handler) -> Handler:
    """Answer 503 (nothing recorded) when the inbox cannot be written, never 500."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except InboxError:
            log.exception("inbox write failed on %s", request.url.path.split("/")[1])
            desk: Desk = request.app.state.desk
            return desk.unavailable()

    guarded.__name__ = handler.__name__
    return guarded


def the_desk(request: Request) -> Desk:
    desk: Any = request.app.state.desk
    return desk  # type: ignore[no-any-return]
