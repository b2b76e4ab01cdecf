"""SendGrid's Event Webhook: signed batches taken, anything else refused."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from zoneinfo import ZoneInfo

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from newsletter.deliver.ledger import Ledger
from newsletter.desk.pull import FileSource, pull
from tests.desk.support import ADMIN_TOKEN, RunningDesk

HOOK = "hooks/sendgrid"


def events(*kinds: str) -> bytes:
    return json.dumps(
        [
            {
                "email": f"Reader{n}@Example.com",
                "event": kind,
                "sg_event_id": f"evt-{n}-{kind}",
                "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
                "timestamp": 1767225600,
                "issue": "2026-11",
                **(
                    {"reason": "550 5.1.1 no such user", "type": "bounce"}
                    if kind == "bounce"
                    else {}
                ),
            }
            for n, kind in enumerate(kinds)
        ]
    ).encode()


def post(
    desk: RunningDesk, key: ec.EllipticCurvePrivateKey, body: bytes, *, at: int | None = None
) -> httpx.Response:
    stamp = str(at if at is not None else int(time.time()))
    signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return httpx.post(
        desk.url + HOOK,
        content=body,
        headers={
            "content-type": "application/json",
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        },
    )


def test_signed_batch_is_stored_matched_by_message_id(
    hooked: RunningDesk, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    body = events("delivered", "bounce", "spamreport", "open", "click", "processed")
    assert post(hooked, signing_key, body).status_code == 204
    stored = hooked.events("esp")
    assert [e["data"]["event"] for e in stored] == [
        "delivered",
        "bounce",
        "spamreport",
        "open",
        "click",
    ]
    assert stored[1]["data"]["email"] == "reader1@example.com"
    assert stored[1]["data"]["message_id"] == "14c5d75ce93"
    assert stored[1]["data"]["reason"] == "550 5.1.1 no such user"


def test_the_same_batch_delivered_twice_is_stored_once(
    hooked: RunningDesk, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    body = events("unsubscribe", "group_unsubscribe")
    assert post(hooked, signing_key, body).status_code == 204
    assert post(hooked, signing_key, body).status_code == 204
    assert len(hooked.events("esp")) == 2


def test_wrong_signature_is_refused(hooked: RunningDesk) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    assert post(hooked, stranger, events("bounce")).status_code == 403
    assert hooked.events("esp") == []


def test_changed_body_is_refused(
    hooked: RunningDesk, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    stamp = str(int(time.time()))
    body = events("bounce")
    signature = signing_key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    answer = httpx.post(
        hooked.url + HOOK,
        content=body.replace(b"Reader0", b"Victim0"),
        headers={
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        },
    )
    assert answer.status_code == 403


def test_old_timestamp_is_refused_even_when_signed(
    hooked: RunningDesk, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    answer = post(hooked, signing_key, events("bounce"), at=int(time.time()) - 3600)
    assert answer.status_code == 403
    assert "replay window" in answer.text
    assert hooked.events("esp") == []


def test_unsigned_post_is_refused(hooked: RunningDesk) -> None:
    assert httpx.post(hooked.url + HOOK, content=events("bounce")).status_code == 403


def test_without_a_configured_key_the_hook_is_not_there(desk: RunningDesk) -> None:
    assert httpx.post(desk.url + HOOK, content=events("bounce")).status_code == 404


def test_admin_events_need_the_token(
    hooked: RunningDesk, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    post(hooked, signing_key, events("bounce", "open"))
    url = hooked.url + "admin/events?after=0"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"authorization": "Bearer " + "x" * 43}).status_code == 401
    answer = httpx.get(url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    assert answer.status_code == 200
    page = answer.json()
    assert [e["kind"] for e in page["events"]] == ["esp", "esp"]
    assert page["last"] == page["events"][-1]["id"]
    pending = httpx.get(
        hooked.url + "admin/pending?after=0", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
    ).json()
    assert pending["opt_outs"] == 1  # the bounce; an open takes nobody off the list


def test_pulled_events_are_matched_to_the_send_ledger_by_message_id(
    hooked: RunningDesk, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    state = hooked.project / "state"
    with Ledger(state / "ledger.sqlite"):
        pass  # the send ledger's schema
    db = sqlite3.connect(state / "ledger.sqlite")
    db.execute(
        "INSERT INTO sends (issue, email, status, message_id, created_at, updated_at) "
        "VALUES ('2026-10', 'reader1@example.com', 'sent', '14c5d75ce93', 'x', 'x')"
    )
    db.commit()
    db.close()
    post(hooked, signing_key, events("delivered", "bounce"))
    report = pull(
        FileSource(hooked.inbox),
        subscribers_dir=hooked.project / "subscribers",
        state_dir=state,
        tz=ZoneInfo("America/Chicago"),
    )
    assert (report.email_events, report.suppressions) == (2, 1)
    db = sqlite3.connect(state / "email-events.sqlite")
    kept = db.execute("SELECT email, event, issue, matched FROM email_events ORDER BY 1").fetchall()
    db.close()
    assert kept == [
        ("reader0@example.com", "delivered", "2026-11", 0),  # only the custom argument
        ("reader1@example.com", "bounce", "2026-10", 1),  # the ledger's own record
    ]
    suppressions = (hooked.project / "subscribers" / "suppressions.csv").read_text()
    assert "reader1@example.com,bounce," in suppressions


def test_a_signed_batch_larger_than_memory_holds_is_taken_whole(
    hooked: RunningDesk, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    body = events(*["open"] * 3000)  # about 600 KB: SendGrid posts batches up to 768 KB
    assert 512 * 1024 < len(body) < 1024 * 1024
    assert post(hooked, signing_key, body).status_code == 204
    assert len(hooked.events("esp")) == 3000


def test_a_signed_batch_over_a_megabyte_is_refused(
    hooked: RunningDesk, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    answer = post(hooked, signing_key, events(*["open"] * 6000))
    assert answer.status_code == 413
    assert hooked.events("esp") == []
