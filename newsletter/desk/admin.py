"""The desk's admin endpoints, for ``desk pull`` over HTTPS: behind the admin token.

    GET /admin/events?after=ID&limit=N   events after the cursor, oldest first (JSON)
    GET /admin/pending?after=ID          how many opt-outs wait after the cursor (JSON)

The token comes as ``Authorization: Bearer TOKEN`` and is compared in constant time; a
missing or wrong one is a 401 that says nothing more.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from newsletter.desk.apply import opt_outs_after
from newsletter.desk.context import the_desk
from newsletter.desk.guard import whole_number
from newsletter.desk.inbox import events_after, inbox_id

MAX_PAGE = 1000


def authorized(request: Request) -> bool:
    expected = the_desk(request).settings.admin_token.encode()
    given = request.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected)


def _cursor(request: Request, name: str, default: int, top: int) -> int | None:
    number = whole_number(request.query_params.get(name, str(default)), 18)
    return None if number is None else min(number, top)


async def events(request: Request) -> Response:
    if not authorized(request):
        return JSONResponse({"error": "unauthorized"}, status_code=401)
    after = _cursor(request, "after", 0, 2**62)
    limit = _cursor(request, "limit", MAX_PAGE, MAX_PAGE)
    if after is None or not limit:
        return JSONResponse({"error": "after and limit are numbers"}, status_code=400)
    inbox, found = await the_desk(request).inbox.read(
        lambda db: (inbox_id(db), events_after(db, after, limit))
    )
    return JSONResponse(
        {
            "inbox": inbox,
            "events": [e.as_json() for e in found],
            "last": found[-1].id if found else after,
        }
    )


async def pending(request: Request) -> Response:
    if not authorized(request):
        return JSONResponse({"error": "unauthorized"}, status_code=401)
    after = _cursor(request, "after", 0, 2**62)
    if after is None:
        return JSONResponse({"error": "after is a number"}, status_code=400)
    inbox, count = await the_desk(request).inbox.read(
        lambda db: (inbox_id(db), opt_outs_after(db, after))
    )
    return JSONResponse({"inbox": inbox, "opt_outs": count, "after": after})


def routes() -> list[Route]:
    return [
        Route("/admin/events", events, methods=["GET"]),
        Route("/admin/pending", pending, methods=["GET"]),
    ]
