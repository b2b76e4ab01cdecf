"""``POST /hooks/sendgrid``: SendGrid's Event Webhook, signed.

SendGrid signs each batch with ECDSA (P-256, SHA-256) over the timestamp header followed
by the raw body, and sends the signature and timestamp as
``X-Twilio-Email-Event-Webhook-Signature`` / ``-Timestamp``. The desk checks both with
the public key SendGrid shows for the webhook (``SENDGRID_WEBHOOK_PUBLIC_KEY``), refuses
a timestamp outside the replay window, and only then stores the events it keeps
(delivered, bounce, dropped, spamreport, unsubscribe, group_unsubscribe, open, click),
one inbox event each, keyed by SendGrid's ``sg_event_id`` so a batch SendGrid delivers
twice is stored once. ``desk pull`` matches them to the send ledger by message id and
turns bounces, spam reports and unsubscribes into suppressions.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from newsletter.desk.context import durable, the_desk
from newsletter.desk.guard import TooLarge, read_body
from newsletter.desk.inbox import append
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
MAX_BODY = 16 * 1024 * 1024
"""Bytes of one batch: SendGrid posts up to a few thousand events, well under this."""
TEXT_LIMITS = {"reason": 300, "url": 1000, "type": 40, "issue": 20, "segment": 40}


class WebhookRefused(ValueError):
    pass


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """SendGrid's verification key: base64 DER (as its settings page shows it) or PEM."""
    data = text.strip().encode()
    try:
        key = (
            serialization.load_pem_public_key(data)
            if data.startswith(b"-----")
            else serialization.load_der_public_key(base64.b64decode(data))
        )
    except (ValueError, binascii.Error):
        raise ValueError("not an ECDSA public key (base64 DER or PEM)") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("not an ECDSA public key")
    return key


def verify(
    key: ec.EllipticCurvePublicKey,
    body: bytes,
    signature: str,
    timestamp: str,
    *,
    max_age: float,
    clock: float | None = None,
) -> None:
    """WebhookRefused unless ``signature`` signs ``timestamp`` + ``body`` and the
    timestamp is within ``max_age`` seconds of now."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRefused("no valid timestamp")
    moment = time.time() if clock is None else clock
    if abs(moment - int(timestamp)) > max_age:
        raise WebhookRefused("timestamp outside the replay window")
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        raise WebhookRefused("signature does not match") from None


def kept_events(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(SendGrid's event id, the data the desk keeps) for each event of a kept kind;
    ValueError for a body that is not a list of events."""
    events = json.loads(body)
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


@durable
async def sendgrid_hook(request: Request) -> Response:
    desk = the_desk(request)
    key_text = desk.settings.webhook_key
    if not key_text:
        return PlainTextResponse("the event webhook is not configured", status_code=404)
    try:
        body = await read_body(request, MAX_BODY)
        verify(
            load_public_key(key_text),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
            request.headers.get(TIMESTAMP_HEADER, ""),
            max_age=desk.settings.webhook_max_age.total_seconds(),
        )
    except TooLarge:
        return PlainTextResponse("too large", status_code=413)
    except WebhookRefused as exc:
        return PlainTextResponse(f"refused: {exc}", status_code=403)
    try:
        events = kept_events(body)
    except ValueError:
        return PlainTextResponse("not a list of events", status_code=400)

    def store(db: sqlite3.Connection) -> int:
        stored = [append(db, "esp", data, key=f"sendgrid:{event_id}") for event_id, data in events]
        return sum(1 for s in stored if s is not None)

    await desk.inbox.write(store)
    return Response(status_code=204)


def routes() -> list[Route]:
    return [Route("/hooks/sendgrid", sendgrid_hook, methods=["POST"])]
