"""Whatever bytes a stranger puts in a form field or a header, the desk answers with a
page of its own (2xx or 4xx, never a 500), and a refusal records nothing (issue 24)."""

from __future__ import annotations

import base64
import socket
import sqlite3
from collections.abc import Iterator
from urllib.parse import quote_from_bytes

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.audience.tokens import unsubscribe_tokens
from newsletter.desk.signing import sign
from tests.desk.support import MARIA_CODE, SECRET, RunningDesk, form_token, start_desk
from tests.golden import copy_sample

FIELDS = (
    "form",
    "name",
    "phone",
    "email",
    "address",
    "need",
    "best_time",
    "consent",
    "code",
    "medium",
    "website",
    "first_name",
    "last_name",
    "street",
    "city",
    "region",
    "postal_code",
    "channels",
    "channel",
    "do",
    "value",
    "List-Unsubscribe",
)
HEADERS = (
    "Content-Type",
    "Cookie",
    "Origin",
    "Sec-Fetch-Site",
    "X-Forwarded-For",
    "Host",
    "User-Agent",
    "Referer",
    "Authorization",
    "Accept-Language",
    "X-Twilio-Email-Event-Webhook-Timestamp",
    "X-Twilio-Email-Event-Webhook-Signature",
)


class Visitor:
    """A desk to post to, with what a real browser would carry: a form cookie and token,
    and valid signed links."""

    def __init__(self, desk: RunningDesk) -> None:
        self.desk = desk
        with httpx.Client() as browser:
            page = browser.get(f"{desk.url}r/{MARIA_CODE}")
            self.token = form_token(page.text)
            self.cookie = f"desk_form={browser.cookies['desk_form']}".encode()
        secret = SECRET.encode()
        unsubscribe = unsubscribe_tokens(secret).token("maria.gonzalez@example.com")
        self.paths = (
            f"/r/{MARIA_CODE}",
            "/r",
            "/join",
            f"/join/confirm?t={sign(secret, 'signup', {'signup': 1})}",
            f"/unsubscribe?t={unsubscribe}",
            f"/lead/{sign(secret, 'lead-status', {'lead': 1})}",
            "/hooks/sendgrid",
            "/admin/events?after=0",
        )

    def send(self, method: str, path: str, headers: dict[str, bytes], body: bytes) -> int:
        """The request as the bytes given; the status the desk answers."""
        head = b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers.items())
        request = (
            f"{method} {path} HTTP/1.1\r\n".encode()
            + (b"" if "Host" in headers else b"Host: 127.0.0.1\r\n")
            + head
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        with socket.create_connection(("127.0.0.1", self.desk.port)) as sock:
            sock.settimeout(30)
            sock.sendall(request)
            answer = b""
            while b"\r\n" not in answer:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 "), answer[:200]
        return int(answer[9:12])

    def events(self) -> int:
        db = sqlite3.connect(f"file:{self.desk.inbox}?mode=ro", uri=True)
        try:
            return int(db.execute("SELECT count(*) FROM events").fetchone()[0])
        finally:
            db.close()


@pytest.fixture(scope="module")
def visitor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Visitor]:
    project = copy_sample(tmp_path_factory.mktemp("desk") / "project")
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    desk = start_desk(
        project, "--no-email", SENDGRID_WEBHOOK_PUBLIC_KEY=base64.b64encode(der).decode()
    )
    try:
        yield Visitor(desk)
    finally:
        desk.stop()
    log = desk.log.read_text()
    assert "Traceback" not in log and " 500 " not in log


any_bytes = st.binary(max_size=300)
digits = st.text(st.sampled_from("0123456789²³¹٣߂௫"), min_size=1, max_size=14)
"""Digits of several scripts: ``str.isdigit`` takes them all, ``int`` not "²³¹"."""
NASTY = (
    b"-1",
    b"0",
    b"1" * 40,
    b"\xff\xfe",
    b"%00",
    b"\x00",
    b"x" * 20_000,
    "\u202e".encode(),
    b"<script>alert(1)</script>",
    b"=cmd|' /C calc'!A0",
    b"multipart/form-data; boundary=x",
    b"application/json",
)
value = st.one_of(
    any_bytes,
    st.sampled_from(NASTY),
    st.builds(lambda a, b: f"{a}.{b}".encode(), digits, st.text(max_size=30)),
)
header_value = st.one_of(
    any_bytes.map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    st.sampled_from(NASTY).filter(lambda b: len(b) < 8000 and b"\x00" not in b),
    digits.map(lambda d: d.encode("latin-1", "replace")),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.integers(0, 7),
    method=st.sampled_from(["POST", "POST", "POST", "GET"]),
    fields=st.dictionaries(st.sampled_from(FIELDS), value, max_size=8),
    headers=st.dictionaries(st.sampled_from(HEADERS), header_value, max_size=4),
    with_token=st.booleans(),
    raw_body=st.one_of(st.none(), any_bytes),
    query=st.one_of(st.none(), any_bytes),
)
def test_any_bytes_in_any_field_or_header_are_answered_2xx_or_4xx(
    visitor: Visitor,
    route: int,
    method: str,
    fields: dict[str, bytes],
    headers: dict[str, bytes],
    with_token: bool,
    raw_body: bytes | None,
    query: bytes | None,
) -> None:
    path = visitor.paths[route]
    if query is not None:
        path += ("&" if "?" in path else "?") + "x=" + quote_from_bytes(query)
    if with_token:
        fields = {"form": visitor.token.encode(), **fields}
        headers = {"Cookie": visitor.cookie, **headers}
    if raw_body is None:
        body = b"&".join(
            quote_from_bytes(name.encode()).encode() + b"=" + quote_from_bytes(value).encode()
            for name, value in fields.items()
        )
        headers = {"Content-Type": b"application/x-www-form-urlencoded", **headers}
    else:
        body = raw_body
    before = visitor.events()
    status = visitor.send(method, path, headers, body)
    assert 200 <= status < 300 or 400 <= status < 500, status
    if status >= 400:
        assert visitor.events() == before


def test_the_property_runs_against_a_desk_that_takes_real_posts(visitor: Visitor) -> None:
    # The property's desk is not one that refuses everything: a well-formed one-click
    # through the same raw requests is taken and recorded.
    before = visitor.events()
    status = visitor.send(
        "POST",
        visitor.paths[4],
        {"Content-Type": b"application/x-www-form-urlencoded"},
        b"List-Unsubscribe=One-Click",
    )
    assert status == 200
    assert visitor.events() in (before, before + 1)  # once a day per reader and channel
