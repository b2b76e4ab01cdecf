"""SmtpTransport against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from newsletter.deliver import mime
from newsletter.deliver.smtp import SmtpTransport
from newsletter.deliver.transport import Message, Receipt, Recipient
from newsletter.errors import ConfigError, DeliveryError, TransientError
from tests.smtp_server import Recorder

FIXED = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
MESSAGE = Message(
    subject="May news for %%FIRST_NAME%%",
    from_email="news@shop.example",
    from_name="Corner Shop",
    reply_to="hello@shop.example",
    html="<p>Hello %%FIRST_NAME%%, <a href='%%UNSUBSCRIBE_URL%%'>unsubscribe</a></p>",
    text="Hello %%FIRST_NAME%%\nUnsubscribe: %%UNSUBSCRIBE_URL%%\n",
    headers={"X-Issue": "2025-05"},
)


def recipient(address: str, name: str) -> Recipient:
    url = f"https://shop.example/u/{address}"
    return Recipient(
        email=address,
        name=name,
        substitutions={"%%FIRST_NAME%%": name.split()[0], "%%UNSUBSCRIBE_URL%%": url},
        headers={
            "List-Unsubscribe": f"<mailto:unsub@shop.example>, <{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def transport(port: int, **options: Any) -> SmtpTransport:
    return SmtpTransport("127.0.0.1", port, tls="none", timeout=5, clock=lambda: FIXED, **options)


def test_each_recipient_gets_their_own_filled_message(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    smtp = transport(port)
    result = smtp.send_batch(
        MESSAGE, [recipient("ann@example.com", "Ann Lee"), recipient("bo@example.com", "Bo")]
    )
    smtp.close()
    assert [(m[0], m[1]) for m in recorder.messages] == [
        ("news@shop.example", ["ann@example.com"]),
        ("news@shop.example", ["bo@example.com"]),
    ]
    ann = recorder.messages[0][2]
    assert ann["Subject"] == "May news for Ann"
    assert ann["To"] == "Ann Lee <ann@example.com>"
    assert ann["From"] == "Corner Shop <news@shop.example>"
    assert ann["Reply-To"] == "hello@shop.example"
    assert ann["X-Issue"] == "2025-05"
    assert ann["Date"] == "Thu, 01 May 2025 09:00:00 +0000"
    assert ann["Message-ID"].endswith("@shop.example>")
    assert result.sent == {
        "ann@example.com": ann["Message-ID"],
        "bo@example.com": recorder.messages[1][2]["Message-ID"],
    }
    text = ann.get_body(("plain",)).get_content().replace("\r\n", "\n")  # CRLF on the wire
    assert text == "Hello Ann\nUnsubscribe: https://shop.example/u/ann@example.com\n"
    assert "Hello Bo" in recorder.messages[1][2].get_body(("html",)).get_content()


def test_text_part_precedes_html(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    transport(port).send_batch(MESSAGE, [recipient("ann@example.com", "Ann")])
    mail = recorder.messages[0][2]
    assert mail.get_content_type() == "multipart/alternative"
    parts = list(mail.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)


def test_unsubscribe_headers_are_present(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    transport(port).send_batch(MESSAGE, [recipient("ann@example.com", "Ann")])
    mail = recorder.messages[0][2]
    assert mail["List-Unsubscribe"] == (
        "<mailto:unsub@shop.example>, <https://shop.example/u/ann@example.com>"
    )
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_one_connection_serves_many_batches(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    smtp = transport(port)
    for batch in range(3):
        smtp.send_batch(MESSAGE, [recipient(f"r{batch}{i}@example.com", "R") for i in range(4)])
    smtp.close()
    assert len(recorder.messages) == 12
    assert recorder.connections == 1


def test_a_server_gone_after_the_message_leaves_it_uncertain_and_goes_on(
    server: tuple[Recorder, int],
) -> None:
    recorder, port = server
    smtp = transport(port)
    smtp.send_batch(MESSAGE, [recipient("a@example.com", "A")])
    recorder.drop_next_data = True  # hangs up after the whole message, before answering
    result = smtp.send_batch(
        MESSAGE, [recipient("b@example.com", "B"), recipient("c@example.com", "C")]
    )
    smtp.close()
    assert list(result.uncertain) == ["b@example.com"]  # never sent twice unasked
    assert list(result.sent) == ["c@example.com"]
    assert [m[1] for m in recorder.messages] == [["a@example.com"], ["c@example.com"]]
    assert recorder.connections == 2


def test_a_server_gone_before_the_message_was_sent_gets_it_again_once(
    server: tuple[Recorder, int],
) -> None:
    recorder, port = server
    recorder.drop_at_rcpt = {"b@example.com"}  # hangs up at RCPT, once
    smtp = transport(port)
    result = smtp.send_batch(
        MESSAGE, [recipient("a@example.com", "A"), recipient("b@example.com", "B")]
    )
    smtp.close()
    assert list(result.sent) == ["a@example.com", "b@example.com"]
    assert [m[1] for m in recorder.messages] == [["a@example.com"], ["b@example.com"]]
    assert recorder.connections == 2


def test_reconnects_after_an_idle_connection_was_closed(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    smtp = transport(port)
    smtp.send_batch(MESSAGE, [recipient("a@example.com", "A")])
    hung_up = threading.Event()

    def hang_up() -> None:
        recorder.servers[0].transport.close()
        hung_up.set()

    recorder.loop.call_soon_threadsafe(hang_up)
    assert hung_up.wait(5)
    smtp.send_batch(MESSAGE, [recipient("b@example.com", "B")])
    smtp.close()
    assert [m[1] for m in recorder.messages] == [["a@example.com"], ["b@example.com"]]
    assert recorder.connections == 2


def test_non_ascii_names_survive(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    transport(port).send_batch(
        MESSAGE, [recipient("zoe@example.com", "Zoë"), recipient("lukasz@example.com", "Łukasz")]
    )
    zoe, lukasz = (m[2] for m in recorder.messages)
    assert zoe["To"] == "Zoë <zoe@example.com>"
    assert zoe["Subject"] == "May news for Zoë"
    assert "Hello Zoë" in zoe.get_body(("plain",)).get_content()
    assert "Hello Łukasz" in lukasz.get_body(("html",)).get_content()


def test_a_refused_recipient_is_rejected_alone_with_the_servers_reply(
    server: tuple[Recorder, int],
) -> None:
    recorder, port = server
    result = transport(port).send_batch(
        MESSAGE, [recipient("nobody@example.com", "N"), recipient("a@example.com", "A")]
    )
    assert [m[1] for m in recorder.messages] == [["a@example.com"]]
    assert result.rejected == {
        "nobody@example.com": "SMTP server 127.0.0.1 answered 550 no such user"
    }
    assert list(result.sent) == ["a@example.com"]


def test_a_message_refused_at_its_end_is_rejected_alone(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    recorder.refuse_data = {"long@example.com": "500 Line too long"}
    result = transport(port).send_batch(
        MESSAGE, [recipient("long@example.com", "L"), recipient("a@example.com", "A")]
    )
    assert result.rejected == {
        "long@example.com": "SMTP server 127.0.0.1 answered 500 Line too long"
    }
    assert [m[1] for m in recorder.messages] == [["a@example.com"]]


def test_a_value_that_cannot_be_encoded_rejects_only_its_recipient(
    server: tuple[Recorder, int],
) -> None:
    recorder, port = server
    broken = recipient("bo@example.com", "Bo\nBcc: all@example.com")  # past validation
    result = transport(port).send_batch(MESSAGE, [broken, recipient("a@example.com", "A")])
    assert list(result.rejected) == ["bo@example.com"]
    assert "cannot be put into an email" in result.rejected["bo@example.com"]
    assert [m[1] for m in recorder.messages] == [["a@example.com"]]


def test_starttls_against_a_server_without_it_is_an_error(server: tuple[Recorder, int]) -> None:
    _, port = server
    smtp = SmtpTransport("127.0.0.1", port, tls="starttls", timeout=5)
    with pytest.raises(DeliveryError, match="STARTTLS"):
        smtp.send_batch(MESSAGE, [recipient("a@example.com", "A")])


def test_from_env_prefers_the_environment_and_hides_the_password() -> None:
    env = {
        "SMTP_HOST": "mail.example",
        "SMTP_PORT": "2525",
        "SMTP_USERNAME": "user",
        "SMTP_PASSWORD": "s3cret",
    }
    smtp = SmtpTransport.from_env("config.example", 587, environ=env, tls="implicit")
    assert (smtp.host, smtp.port, smtp.tls) == ("mail.example", 2525, "implicit")
    assert "s3cret" not in repr(smtp)


def test_from_env_falls_back_to_config_and_rejects_a_bad_port() -> None:
    smtp = SmtpTransport.from_env("config.example", 587, environ={})
    assert (smtp.host, smtp.port) == ("config.example", 587)
    with pytest.raises(ConfigError, match="SMTP_PORT"):
        SmtpTransport.from_env("config.example", 587, environ={"SMTP_PORT": "x"})


def test_wire_format_has_crlf_lines_within_the_rfc_limit_and_round_trips() -> None:
    long_html = "<p>" + "Łukasz & Zoë visit the café. " * 200 + "</p>"
    message = Message("S", "news@shop.example", "Shop", None, long_html, "é " * 600 + "\n")
    wire = transport(25).render(message, recipient("ann@example.com", "Ann"))
    head, _, body = wire.partition(b"\r\n\r\n")
    assert b"\n" not in wire.replace(b"\r\n", b"")  # no bare LF anywhere
    assert max(len(line) for line in head.split(b"\r\n")) <= 998
    assert max(len(line) for line in body.split(b"\r\n")) <= 78  # encoded parts
    mail = mime.parse(wire)
    assert mail.get_body(("html",)).get_content().splitlines() == [long_html]
    assert mail.get_body(("plain",)).get_content() == "é " * 600 + "\n"


def test_a_deferred_recipient_is_deferred_alone_and_the_batch_goes_on(
    server: tuple[Recorder, int],
) -> None:
    recorder, port = server
    recorder.defer = {"later@example.com"}
    batch = [recipient(a, "X") for a in ("a@example.com", "later@example.com", "c@example.com")]
    result = transport(port).send_batch(MESSAGE, batch)
    assert list(result.deferred) == ["later@example.com"]
    assert "451" in result.deferred["later@example.com"]
    assert [m[1] for m in recorder.messages] == [["a@example.com"], ["c@example.com"]]


def test_a_server_that_cannot_be_reached_stops_the_batch_with_whom_it_reached(
    server: tuple[Recorder, int],
) -> None:
    recorder, port = server
    smtp = transport(port)
    receipt = Receipt()
    recorder.drop_at_rcpt = {"b@example.com"}
    recorder.refuse_connections_after = 1  # the reconnection is refused
    with pytest.raises(TransientError):
        smtp.send_batch(
            MESSAGE, [recipient("a@example.com", "A"), recipient("b@example.com", "B")], receipt
        )
    assert list(receipt.sent) == ["a@example.com"] and not receipt.has("b@example.com")


def test_each_sending_thread_keeps_its_own_connection(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    smtp = transport(port, connections=2)
    assert smtp.concurrency == 2
    addresses = [f"r{n}@example.com" for n in range(10)]
    threads = [
        threading.Thread(target=smtp.send_batch, args=(MESSAGE, [recipient(a, "R") for a in part]))
        for part in (addresses[:5], addresses[5:])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    smtp.close()
    assert sorted(m[1][0] for m in recorder.messages) == sorted(addresses)
    assert recorder.connections == 2


def test_server_with_8bitmime_gets_unencoded_parts_that_read_back_the_same(
    server: tuple[Recorder, int],
) -> None:
    recorder, port = server
    transport(port).send_batch(MESSAGE, [recipient("zoe@example.com", "Zoë")])
    (mail,) = (m[2] for m in recorder.messages)
    html = mail.get_body(("html",))
    assert html["Content-Transfer-Encoding"] == "8bit"
    assert "Hello Zoë" in html.get_content()


def test_a_line_too_long_for_smtp_is_encoded_even_when_8bit_is_allowed() -> None:
    message = Message("S", "news@shop.example", "Shop", None, "<p>" + "x" * 1200 + "</p>", "ok\n")
    wire = transport(25).render(message, recipient("a@example.com", "A"), eight_bit=True)
    assert b"Content-Transfer-Encoding: 8bit" in wire  # the short text part
    assert b"Content-Transfer-Encoding: base64" in wire  # the long HTML line
