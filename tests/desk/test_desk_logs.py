"""Nothing a stranger sends reaches the desk's log as they sent it, and their mistakes are
4xx pages, never a traceback (issue 24, points 10 and 11)."""

from __future__ import annotations

import base64
import logging
import socket
import sys
import time

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from newsletter.desk.logs import OneLine
from newsletter.desk.signing import sign
from tests.desk.support import (
    ADMIN_TOKEN,
    MARIA_CODE,
    SECRET,
    RunningDesk,
    wait_for,
)
from tests.desk.test_desk_join import NEW, sign_up
from tests.desk.test_desk_referral import ALEX, post_lead
from tests.smtp_server import Recorder

CLIENT_MISTAKE = range(400, 500)


def raw_request(desk: RunningDesk, request: bytes) -> bytes:
    """``request`` sent as it is; the status line of the answer."""
    with socket.create_connection(("127.0.0.1", desk.port)) as sock:
        sock.settimeout(30)
        sock.sendall(request)
        return sock.recv(100).split(b"\r\n", 1)[0]


def assert_no_traceback(desk: RunningDesk) -> str:
    desk.stop()
    log = desk.log.read_text()
    assert "Traceback" not in log
    assert "Exception in ASGI application" not in log
    assert all(line.startswith("20") for line in log.splitlines()), log
    return log


def test_a_forged_line_an_escape_or_a_nul_in_the_path_reach_the_log_escaped(
    desk: RunningDesk,
) -> None:
    forged = "2026-12-07 06:00:00,000 ERROR forged"
    for path in (
        "x%0A" + forged.replace(" ", "%20"),
        "x%0D%0A" + forged.replace(" ", "%20"),
        "x%1B%5B31mred",
        "x%00nul",
        "x%E2%80%AEevil",
    ):
        assert httpx.get(desk.url + path).status_code == 404
    log = assert_no_traceback(desk)
    assert not any(line.startswith(forged) for line in log.splitlines())
    assert "\x1b" not in log and "\x00" not in log and "\u202e" not in log
    assert "GET /x%0A2026-12-07%2006:00:00,000%20ERROR%20… 404" in log


def test_unicode_digits_in_a_form_token_are_a_400_page(desk: RunningDesk) -> None:
    with httpx.Client() as browser:
        browser.get(f"{desk.url}r/{MARIA_CODE}")  # the cookie
        answer = browser.post(f"{desk.url}r/{MARIA_CODE}", data={**ALEX, "form": "²³⁴.abc"})
    assert answer.status_code == 400
    assert "Tell us how we can help" in answer.text  # the form again
    assert_no_traceback(desk)


def test_a_client_that_leaves_mid_body_is_logged_in_one_line(desk: RunningDesk) -> None:
    for path in (f"/r/{MARIA_CODE}", "/join", "/unsubscribe?t=abc"):
        with socket.create_connection(("127.0.0.1", desk.port)) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n\r\nname=Al".encode()
            )
    wait_for(lambda: desk.log.read_text().count("POST /") >= 3, what="three log lines")
    log = assert_no_traceback(desk)
    assert log.count("the client left before its request was whole") >= 2  # /r and /join
    assert desk.events() == []


def test_signed_links_naming_an_id_beyond_the_inbox_are_a_400_page(desk: RunningDesk) -> None:
    huge = 10**30
    lead = sign(SECRET.encode(), "lead-status", {"lead": huge})
    signup = sign(SECRET.encode(), "signup", {"signup": huge})
    for url in (f"{desk.url}lead/{lead}?do=won", f"{desk.url}join/confirm?t={signup}"):
        assert httpx.get(url).status_code == 400
        assert httpx.post(url, data={"form": "x", "do": "won"}).status_code == 400
    assert_no_traceback(desk)


def test_unicode_digits_in_the_admin_cursor_are_a_400(desk: RunningDesk) -> None:
    answer = httpx.get(
        desk.url + "admin/events?after=%C2%B2", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert answer.status_code == 400
    assert_no_traceback(desk)


def signed_post(
    desk: RunningDesk, key: ec.EllipticCurvePrivateKey, body: bytes, stamp: bytes | None = None
) -> bytes:
    stamp = stamp or str(int(time.time())).encode()
    signature = base64.b64encode(key.sign(stamp + body, ec.ECDSA(hashes.SHA256())))
    return raw_request(
        desk,
        b"POST /hooks/sendgrid HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"X-Twilio-Email-Event-Webhook-Timestamp: " + stamp + b"\r\n"
        b"X-Twilio-Email-Event-Webhook-Signature: " + signature + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body,
    )


def test_webhook_mistakes_are_4xx_and_never_tracebacks(
    hooked: RunningDesk, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    desk, key = hooked, signing_key
    nested = b"[" * 100_000 + b"]" * 100_000
    assert signed_post(desk, key, nested) == b"HTTP/1.1 400 Bad Request"
    assert signed_post(desk, key, b"[]", stamp="²²²".encode("latin-1")).startswith(b"HTTP/1.1 4")
    assert signed_post(desk, key, b"\xff\xfe not json") == b"HTTP/1.1 400 Bad Request"
    assert desk.events() == []
    assert_no_traceback(desk)


def test_no_address_name_phone_or_token_reaches_the_log(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    with httpx.Client() as browser:
        post_lead(browser, f"{desk.url}r/{MARIA_CODE}")
    sign_up(desk)
    wait_for(lambda: len(server[0].messages) >= 2, what="the notice and the confirmation")
    log = assert_no_traceback(desk)
    for personal in (ALEX["name"], ALEX["phone"], ALEX["email"], NEW, "Lindqvist", MARIA_CODE):
        assert personal not in log


def test_one_line_formatter_names_the_exception_without_its_message() -> None:
    try:
        {"a": 1}["maria@example.com\nforged"]
    except KeyError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed for %s", ("ana@example.com",), sys.exc_info()
        )
    line = OneLine().format(record)
    assert "\n" not in line
    assert "failed for <address> (KeyError at test_desk_logs.py:" in line
    assert "maria" not in line and "forged" not in line
