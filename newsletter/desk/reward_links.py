"""``/reward/TOKEN``: the business approves or denies a reward from its milestone email.

The email (:mod:`.mails`, ``notify_reward``) carries two signed links, approve and deny,
for the ``reward_reached`` event the desk made when it found the reward pending. A link
opens a page with one button (and, to deny, the reason); only the button's POST records
the decision, as a ``reward_decision`` event that ``desk pull`` applies to rewards.csv.
A GET never changes anything, so a mail scanner that opens every link cannot approve a
reward. The same decision twice is recorded once; the other decision after one is
recorded too (the business changed its mind before the pull).
"""

from __future__ import annotations

import sqlite3

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from newsletter.desk.context import durable, the_desk
from newsletter.desk.inbox import Event, append, event, now, related
from newsletter.desk.rewards import decision_data
from newsletter.desk.settings import DeskSettings
from newsletter.desk.signing import sign, tag
from newsletter.desk.status import LINK_TTL, signed_id, signed_post

PURPOSE = "reward-decision"
ACTIONS = ("approve", "deny")
MAX_REASON = 500


def reward_link(settings: DeskSettings, reached_id: int, action: str) -> str:
    token = sign(settings.secret, PURPOSE, {"reached": reached_id}, ttl=LINK_TTL)
    return settings.url(f"reward/{token}?do={action}")


def _reached_id(request: Request) -> int | None:
    return signed_id(request, PURPOSE, "reached")


def _decisions(db: sqlite3.Connection, reached_id: int) -> tuple[Event | None, list[Event]]:
    reached = event(db, reached_id, "reward_reached")
    return reached, related(db, "reward_decision", "reached", reached_id)


async def reward_page(request: Request) -> Response:
    desk = the_desk(request)
    reached_id = _reached_id(request)
    action = request.query_params.get("do", "approve")
    if reached_id is None or action not in ACTIONS:
        return desk.bad_link(request, "reward")
    reached, decisions = await desk.inbox.read(lambda db: _decisions(db, reached_id))
    if reached is None:
        return desk.bad_link(request, "reward")
    token = request.path_params["token"]
    return desk.pages.page(
        "reward.html.j2",
        reward=reached.data,
        decided=decisions[-1].data["action"] if decisions else None,
        action=action,
        post_to=f"/reward/{token}",
        form_token=tag(desk.settings.secret, PURPOSE, token),
    )


@durable
async def record_decision(request: Request) -> Response:
    desk = the_desk(request)
    posted = await signed_post(request, PURPOSE, "reached", ACTIONS, "reward")
    if isinstance(posted, Response):
        return posted
    reached_id, action, form = posted
    reason = " ".join(form.get("reason", "").split())[:MAX_REASON]
    if action == "deny" and not reason:
        return desk.pages.problem(
            400, "Please say why", "Go back and write a few words on why the reward is denied."
        )

    def apply(db: sqlite3.Connection) -> str | None:
        reached, decisions = _decisions(db, reached_id)
        if reached is None:
            return None
        name = reached.data["name"]
        if decisions and decisions[-1].data["action"] == action:
            return f"Already recorded: {name} is {_past(action)}."
        data = decision_data(reached, action, desk.settings.notify_to, reason, now())
        append(db, "reward_decision", {**data, "reached": reached_id})
        return f"Recorded: {name} is {_past(action)}."

    message = await desk.inbox.write(apply)
    if message is None:
        return desk.bad_link(request, "reward")
    return desk.pages.page("status_done.html.j2", message=message)


def _past(action: str) -> str:
    return "approved" if action == "approve" else "denied"


def routes() -> list[Route]:
    return [
        Route("/reward/{token}", reward_page, methods=["GET"]),
        Route("/reward/{token}", record_decision, methods=["POST"]),
    ]
