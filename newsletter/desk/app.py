"""The desk's web application: Starlette routes over one inbox, run by uvicorn.

Why Starlette under uvicorn: the desk's one hard requirement is that a request is
answered only after its event is durable, at hundreds of requests a second on two cores.
That wants one process whose requests *wait* cheaply while a single writer thread
group-commits them (:mod:`.inbox`): an asyncio server parks thousands of waiting requests
for the cost of a few objects each, where a pre-forked WSGI server (Flask under
gunicorn) would hold a worker per waiting request and split the writer across processes.
The same process also runs the outbox worker (:mod:`.notify`) beside the inbox it reads.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsletter.desk import (
    admin,
    join,
    referral,
    reward_links,
    status,
    still_reading,
    unsubscribe,
    webhook,
)
from newsletter.desk.context import Desk, the_desk
from newsletter.desk.directory import Directory
from newsletter.desk.guard import FormTokens, SecurityHeaders
from newsletter.desk.inbox import Inbox
from newsletter.desk.logs import noted, path_for_log, where
from newsletter.desk.notify import Notifier
from newsletter.desk.pages import CSS_PATH, Pages
from newsletter.desk.settings import DeskSettings

log = logging.getLogger("newsletter.desk")


def create_app(settings: DeskSettings) -> ASGIApp:
    """The desk for ``settings``, ready for an ASGI server (uvicorn)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        inbox = Inbox(settings.inbox)
        desk = Desk(
            settings=settings,
            inbox=inbox,
            pages=Pages(settings),
            directory=Directory(settings.subscribers_dir, settings.secret),
            forms=FormTokens(settings.secrets, secure=settings.https),
        )
        notifier = Notifier(desk)
        desk.wake_outbox = notifier.wake
        app.state.desk = desk
        notifier.start()
        log.info("desk ready: %s (inbox %s)", settings.public_url, settings.inbox.name)
        try:
            yield
        finally:
            notifier.stop()
            inbox.close()

    async def stylesheet(request: Request) -> Response:
        return the_desk(request).pages.stylesheet(request)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def home(request: Request) -> Response:
        return the_desk(request).pages.page("home.html.j2")

    async def problem(request: Request, exc: Exception) -> Response:
        desk = the_desk(request)
        if isinstance(exc, HTTPException) and exc.status_code == 404:
            return _without_slash(app, request) or desk.pages.problem(
                404, "Page not found", "There is no page at this address."
            )
        if isinstance(exc, HTTPException) and exc.status_code < 500:
            return desk.pages.problem(exc.status_code, "That didn't work", "Please try again.")
        return desk.pages.problem(500, "Something went wrong", "Nothing was recorded.")

    app = Starlette(
        routes=[
            Route("/", home),
            Route(f"/{CSS_PATH}", stylesheet),
            Route("/healthz", health),
            *unsubscribe.routes(),
            *still_reading.routes(),
            *referral.routes(),
            *status.routes(),
            *reward_links.routes(),
            *join.routes(),
            *webhook.routes(),
            *admin.routes(),
        ],
        lifespan=lifespan,
        exception_handlers={HTTPException: problem, Exception: problem},
    )
    # A trailing slash is redirected by the 404 page, to the public address: Starlette's
    # own redirect would build it from the Host header, which any client writes.
    app.router.redirect_slashes = False
    return AccessLog(SecurityHeaders(app, https=settings.https))


_QUERY_SAFE = "=&+%/;:@,!$'()*~?"


def _without_slash(app: Starlette, request: Request) -> Response | None:
    """A redirect from ``/path/`` to ``/path`` on the desk's public address when ``/path``
    is one of its pages, else None."""
    path = request.url.path
    if path == "/" or not path.endswith("/"):
        return None
    scope = {**request.scope, "path": path.rstrip("/")}
    if not any(route.matches(scope)[0] is not Match.NONE for route in app.routes):
        return None
    target = the_desk(request).settings.url(quote(scope["path"]))
    query = request.scope.get("query_string", b"").decode("latin-1")
    if query:
        target += "?" + quote(query, safe=_QUERY_SAFE)
    return RedirectResponse(target, status_code=307)


class AccessLog:
    """One log line per request: method, the path's first part (escaped), status, time and
    the route's reason for a refusal. Never the query (tokens), the rest of the path
    (codes), the body or the client's address.

    An exception the app did not turn into a page has been answered with the 500 page by
    then; it is logged here as one line (:func:`.logs.where`), not handed on to uvicorn,
    which would print its traceback and message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        answered = 0

        async def note(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, note)
        except Exception as exc:
            log.error("%s %s failed: %s", scope["method"], path_for_log(scope), where(exc))
            if not answered:
                raise
        finally:
            if log.isEnabledFor(logging.INFO):
                took = (time.perf_counter() - start) * 1000
                why = noted(scope)
                log.info(
                    "%s %s %s %.1fms%s",
                    scope["method"],
                    path_for_log(scope),
                    answered,
                    took,
                    f" ({why})" if why else "",
                )
