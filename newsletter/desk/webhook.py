"""``POST /hooks/sendgrid``: SendGrid's Event Webhook, signed.

SendGrid signs each batch with ECDSA (P-256, SHA-256) over the timestamp header followed
by the raw body, and sends the signature and timestamp as
``X-Twilio-Email-Event-Webhook-Signature`` / ``-Timestamp``. Anyone can post here, so the
desk spends as little as it can on a post before its signature is checked:

- the headers first: a missing or stale timestamp, a missing or malformed signature, or a
  Content-Length over :data:`MAX_BODY` is refused before a byte of the body is read;
- then the body, read with that cap and hashed as it arrives; at most
  :data:`IN_MEMORY` bytes of it are held in memory, the rest in a temporary file (at most
  :data:`SPILLS` such posts at once: more are asked to come back, which SendGrid does);
- the signature is checked against the hash with the public key SendGrid shows for the
  webhook (``SENDGRID_WEBHOOK_PUBLIC_KEY``, loaded once at startup),

and only then are the events parsed, and those the desk keeps stored
(delivered, bounce, dropped, spamreport, unsubscribe, group_unsubscribe, open, click),
one inbox event each, keyed by SendGrid's ``sg_event_id`` so a batch SendGrid delivers
twice is stored once. ``desk pull`` matches them to the send ledger by message id and
turns bounces, spam reports and unsubscribes into suppressions.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from newsletter.desk.context import durable, the_desk
from newsletter.desk.guard import TooLarge, declared_length, whole_number
from newsletter.desk.inbox import append
from newsletter.desk.logs import note
from newsletter.model import normalize_email

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
KEPT = (
    "delivered",
    "bounce",
    "dropped",
    "spamreport",
    "unsubscribe",
    "group_unsubscribe",
    "open",
    "click",
)
MAX_BODY = 1024 * 1024
"""Bytes of one batch: SendGrid posts its events every 30 seconds or when a batch reaches
768 KB, whichever comes first."""
IN_MEMORY = 64 * 1024
"""Bytes of a body held in memory before its signature is checked; the rest waits in a
temporary file."""
SPILLS = 4
"""Posts whose bodies wait in a temporary file at once: a bound on the disk and the file
descriptors strangers can take; SendGrid's own batches rarely need one."""
MAX_SIGNATURE = 200
"""Characters of the signature header: a P-256 signature is about 96 in base64."""
TEXT_LIMITS = {"reason": 300, "url": 1000, "type": 40, "issue": 20, "segment": 40}


class WebhookRefused(ValueError):
    pass


class Busy(ValueError):
    pass


@dataclass(frozen=True)
class Claim:
    """What a post's headers say before its body is read."""

    timestamp: bytes
    signature: bytes


def read_claim(headers: Any, *, max_age: float, clock: float | None = None) -> Claim:
    """The post's timestamp and signature, or WebhookRefused when either is missing,
    malformed, or the timestamp is outside ``max_age`` seconds of now."""
    text = headers.get(TIMESTAMP_HEADER, "")
    stamp = whole_number(text, 12)
    if stamp is None:
        raise WebhookRefused("no valid timestamp")
    moment = time.time() if clock is None else clock
    if abs(moment - stamp) > max_age:
        raise WebhookRefused("timestamp outside the replay window")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not signature or len(signature) > MAX_SIGNATURE:
        raise WebhookRefused("no valid signature")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRefused("no valid signature") from None
    return Claim(text.encode(), raw)


def check(key: ec.EllipticCurvePublicKey, claim: Claim, digest: bytes) -> None:
    """WebhookRefused unless the claim's signature signs the SHA-256 ``digest`` of its
    timestamp and the body."""
    try:
        key.verify(claim.signature, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except (InvalidSignature, ValueError):
        raise WebhookRefused("signature does not match") from None


_spilled = 0
"""Posts whose bodies wait in a temporary file now (the desk is one process)."""


async def verified_body(request: Request, key: ec.EllipticCurvePublicKey, claim: Claim) -> bytes:
    """The post's body once its signature is checked, read as :data:`IN_MEMORY` and
    :data:`SPILLS` allow: TooLarge, Busy, WebhookRefused, or ClientDisconnect."""
    hasher = hashes.Hash(hashes.SHA256())
    hasher.update(claim.timestamp)
    held = bytearray()
    spill: IO[bytes] | None = None
    size = 0
    with contextlib.ExitStack() as cleanup:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise TooLarge(f"more than {MAX_BODY} bytes")
            hasher.update(chunk)
            if spill is None and len(held) + len(chunk) > IN_MEMORY:
                cleanup.enter_context(_spill_place())
                spill = cleanup.enter_context(tempfile.TemporaryFile())
                spill.write(held)
                held.clear()
            if spill is None:
                held += chunk
            else:
                spill.write(chunk)
        check(key, claim, hasher.finalize())
        if spill is None:
            body = bytes(held)
        else:
            spill.seek(0)
            body = spill.read()
    return body


@contextlib.contextmanager
def _spill_place() -> Iterator[None]:
    """One of the :data:`SPILLS` places for a body in a temporary file, or Busy."""
    global _spilled
    if _spilled >= SPILLS:
        raise Busy("too many large posts at once")
    _spilled += 1
    try:
        yield
    finally:
        _spilled -= 1


def kept_events(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(SendGrid's event id, the data the desk keeps) for each event of a kept kind;
    ValueError for a body that is not a list of events."""
    try:
        events = json.loads(body)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(events, list):
        raise ValueError("not a list of events")
    kept = []
    for item in events:
        if not isinstance(item, dict) or item.get("event") not in KEPT:
            continue
        event_id, email = item.get("sg_event_id"), item.get("email")
        if not isinstance(event_id, str) or not isinstance(email, str) or len(event_id) > 100:
            continue
        message = str(item.get("sg_message_id", ""))[:200]
        data: dict[str, Any] = {
            "event": item["event"],
            "email": normalize_email(email)[:254],
            "message_id": message.split(".", 1)[0],
            "timestamp": item.get("timestamp") if isinstance(item.get("timestamp"), int) else None,
        }
        for name, limit in TEXT_LIMITS.items():
            if isinstance(item.get(name), str | int):
                data[name] = str(item[name])[:limit]
        kept.append((event_id, data))
    return kept


def _refuse(request: Request, status: int, reason: str) -> Response:
    """A refusal before the body is read whole: the connection closes after it, so the
    rest of a large body is not read either."""
    note(request.scope, f"webhook refused: {reason}")
    return PlainTextResponse(
        f"refused: {reason}", status_code=status, headers={"connection": "close"}
    )


@durable
async def sendgrid_hook(request: Request) -> Response:
    desk = the_desk(request)
    key = desk.settings.webhook_key
    if key is None:
        return PlainTextResponse("the event webhook is not configured", status_code=404)
    try:
        found = read_claim(request.headers, max_age=desk.settings.webhook_max_age.total_seconds())
    except WebhookRefused as exc:
        return _refuse(request, 403, str(exc))
    declared = declared_length(request)
    if declared is not None and declared > MAX_BODY:
        return _refuse(request, 413, "too large")
    try:
        body = await verified_body(request, key, found)
    except TooLarge:
        return _refuse(request, 413, "too large")
    except Busy:
        return _refuse(request, 503, "too many large posts at once")
    except WebhookRefused as exc:
        return _refuse(request, 403, str(exc))
    except ClientDisconnect:
        return _refuse(request, 400, "the client left before its request was whole")
    try:
        events = kept_events(body)
    except ValueError:
        note(request.scope, "webhook refused: not a list of events")
        return PlainTextResponse("not a list of events", status_code=400)

    def store(db: sqlite3.Connection) -> int:
        stored = [append(db, "esp", data, key=f"sendgrid:{event_id}") for event_id, data in events]
        return sum(1 for s in stored if s is not None)

    await desk.inbox.write(store)
    return Response(status_code=204)


def routes() -> list[Route]:
    return [Route("/hooks/sendgrid", sendgrid_hook, methods=["POST"])]
