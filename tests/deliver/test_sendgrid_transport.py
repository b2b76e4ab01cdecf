"""SendGridTransport against the fake SendGrid server (no mocks): its requests carry the
payload the official library builds, and every answer has its documented meaning."""

# The fixture is imported by name (tests/conftest.py is shared), so ruff sees each test's
# argument as a redefinition.

from __future__ import annotations

import logging
import threading

import pytest
from sendgrid.helpers import mail as official

from newsletter.deliver.sendgrid import SendGridTransport
from newsletter.deliver.sendgrid_api import AUTH_MESSAGE, RetryPolicy
from newsletter.deliver.transport import Message, Recipient
from newsletter.engage.provider_suppressions import fetch_suppressions
from newsletter.errors import AuthError, RejectedError, TransientError
from tests.fake_sendgrid import API_KEY, FakeSendGrid

MESSAGE = Message(
    subject="November news",
    from_email="news@example.com",
    from_name="Example News",
    reply_to="editor@example.com",
    html="<p>Hi %%FIRST_NAME%%</p>",
    text="Hi %%FIRST_NAME%%",
    categories=("newsletter", "2026-11"),
    custom_args={"issue": "2026-11"},
)


def recipients(n: int) -> list[Recipient]:
    return [
        Recipient(
            email=f"r{i}@example.com",
            name=f"Reader {i}",
            substitutions={"%%FIRST_NAME%%": f"Reader{i}"},
            headers={"List-Unsubscribe": f"<https://example.com/u/{i}>"},
        )
        for i in range(n)
    ]


class Sleeps(list[float]):
    """A ``sleep`` that records how long it was asked to wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def transport(
    server: FakeSendGrid, sleeps: Sleeps | None = None, **kw: object
) -> SendGridTransport:
    kw.setdefault("timeout", 5)
    kw.setdefault("backoff_base", 0.001)
    return SendGridTransport(
        kw.pop("api_key", API_KEY),  # type: ignore[arg-type]
        base_url=server.base_url,
        sleep=sleeps if sleeps is not None else Sleeps(),
        **kw,  # type: ignore[arg-type]
    )


def test_accepted_batch_records_everyone_sent_under_the_message_id(
    fake_sendgrid: FakeSendGrid,
) -> None:
    result = transport(fake_sendgrid).send_batch(MESSAGE, recipients(3))
    message_id = fake_sendgrid.accepted[0].message_id
    assert result.sent == {f"r{i}@example.com": message_id for i in range(3)}
    assert fake_sendgrid.emails() == ["r0@example.com", "r1@example.com", "r2@example.com"]


def test_the_body_is_what_the_official_librarys_mail_builds(fake_sendgrid: FakeSendGrid) -> None:
    people = recipients(3)
    transport(fake_sendgrid, sandbox=True, asm_group_id=7).send_batch(MESSAGE, people)
    reference = official.Mail()
    reference.from_email = official.From(MESSAGE.from_email, MESSAGE.from_name)
    reference.subject = official.Subject(MESSAGE.subject)
    reference.reply_to = official.ReplyTo(MESSAGE.reply_to)
    reference.add_content(official.Content("text/plain", MESSAGE.text))
    reference.add_content(official.Content("text/html", MESSAGE.html))
    for person in reversed(people):  # the helper puts each one it is given first
        envelope = official.Personalization()
        envelope.add_to(official.To(person.email, person.name))
        for token, value in person.substitutions.items():
            envelope.add_substitution(official.Substitution(token, value))
        for name, value in person.headers.items():
            envelope.add_header(official.Header(name, value))
        reference.add_personalization(envelope)
    for category in reversed(MESSAGE.categories):
        reference.add_category(official.Category(category))
    for key, value in MESSAGE.custom_args.items():
        reference.add_custom_arg(official.CustomArg(key, value))
    reference.asm = official.Asm(official.GroupId(7))
    reference.mail_settings = official.MailSettings(sandbox_mode=official.SandBoxMode(True))
    assert fake_sendgrid.requests == [reference.get()]


def test_a_message_that_cannot_be_encoded_stops_before_anything_goes_out(
    fake_sendgrid: FakeSendGrid,
) -> None:
    broken = Message(**{**MESSAGE.__dict__, "subject": "November \ud800"})
    with pytest.raises(RejectedError, match="cannot be put into a request"):
        transport(fake_sendgrid).send_batch(broken, recipients(2))
    assert fake_sendgrid.requests == []


def test_each_personalization_carries_its_substitutions_and_headers(
    fake_sendgrid: FakeSendGrid,
) -> None:
    transport(fake_sendgrid).send_batch(MESSAGE, recipients(2))
    second = fake_sendgrid.accepted[1]
    assert second.substitutions == {"%%FIRST_NAME%%": "Reader1"}
    assert second.headers == {"List-Unsubscribe": "<https://example.com/u/1>"}


def test_shared_fields_are_sent_once_at_the_top(fake_sendgrid: FakeSendGrid) -> None:
    transport(fake_sendgrid, asm_group_id=7).send_batch(MESSAGE, recipients(1))
    [body] = fake_sendgrid.requests
    assert body["reply_to"] == {"email": "editor@example.com"}
    assert body["categories"] == ["newsletter", "2026-11"]
    assert body["custom_args"] == {"issue": "2026-11"}
    assert body["asm"] == {"group_id": 7}


def test_text_content_goes_before_html(fake_sendgrid: FakeSendGrid) -> None:
    transport(fake_sendgrid).send_batch(MESSAGE, recipients(1))
    assert [c["type"] for c in fake_sendgrid.requests[0]["content"]] == [
        "text/plain",
        "text/html",
    ]


def test_sandbox_mode_flag_is_sent(fake_sendgrid: FakeSendGrid) -> None:
    result = transport(fake_sendgrid, sandbox=True).send_batch(MESSAGE, recipients(1))
    assert fake_sendgrid.requests[0]["mail_settings"] == {"sandbox_mode": {"enable": True}}
    assert fake_sendgrid.accepted[0].sandbox and result.first_id()


def test_invalid_key_stops_with_the_message_and_never_shows_the_key(
    fake_sendgrid: FakeSendGrid, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "SG.wrong-secret-key"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as caught:
        transport(fake_sendgrid, api_key=secret).send_batch(MESSAGE, recipients(1))
    assert str(caught.value) == AUTH_MESSAGE
    assert secret not in str(caught.value) and secret not in repr(caught.value)
    assert secret not in caplog.text
    assert "401 Unauthorized" in caplog.text  # the request was logged, without its headers


def test_key_without_mail_send_permission_is_an_auth_error(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.api_keys["SG.readonly"] = {"suppression.read"}
    with pytest.raises(AuthError, match=r"lacks mail\.send"):
        transport(fake_sendgrid, api_key="SG.readonly").send_batch(MESSAGE, recipients(1))


def test_addresses_sendgrid_refuses_are_rejected_alone_and_the_rest_sent_at_once(
    fake_sendgrid: FakeSendGrid,
) -> None:
    bad = [Recipient(email=e, name="", substitutions={}) for e in ("not-an-address", "x@y")]
    result = transport(fake_sendgrid).send_batch(MESSAGE, [bad[0], *recipients(2), bad[1]])
    assert result.rejected == {
        "not-an-address": "SendGrid: Does not contain a valid address. "
        "(personalizations.0.to.0.email)",
        "x@y": "SendGrid: Does not contain a valid address. (personalizations.3.to.0.email)",
    }
    assert fake_sendgrid.statuses == [400, 202]
    assert fake_sendgrid.emails() == ["r0@example.com", "r1@example.com"]
    assert set(result.sent) == {"r0@example.com", "r1@example.com"}


def test_a_refused_message_stops_the_batch_with_sendgrids_messages(
    fake_sendgrid: FakeSendGrid,
) -> None:
    too_many = Message(**{**MESSAGE.__dict__, "categories": tuple(f"c{i}" for i in range(11))})
    with pytest.raises(RejectedError) as caught:
        transport(fake_sendgrid).send_batch(too_many, recipients(2))
    assert caught.value.all_lines() == [
        "categories: SendGrid: You may not have more than 10 categories per request."
    ]
    assert fake_sendgrid.emails() == []


def test_too_large_request_is_split_and_everyone_is_recorded_once(
    fake_sendgrid: FakeSendGrid,
) -> None:
    fake_sendgrid.max_body_bytes = 2_000  # roughly four personalizations per request
    people = recipients(20)
    result = transport(fake_sendgrid).send_batch(MESSAGE, people)
    assert sorted(fake_sendgrid.emails()) == sorted(r.email for r in people)
    assert len(fake_sendgrid.requests) > 1
    assert result.sent == {a.email: a.message_id for a in fake_sendgrid.accepted}


def test_a_413_splits_only_its_own_batch(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.max_body_bytes = 2_000
    sender = transport(fake_sendgrid)
    sender.send_batch(MESSAGE, recipients(20))
    split = len(fake_sendgrid.requests)
    sender.send_batch(MESSAGE, recipients(2))
    assert len(fake_sendgrid.requests) == split + 1


def test_message_too_large_for_one_recipient_is_rejected(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.max_body_bytes = 100
    with pytest.raises(RejectedError, match="413"):
        transport(fake_sendgrid).send_batch(MESSAGE, recipients(2))


def test_rate_limit_waits_until_reset_then_retries(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.rate_limit_next, fake_sendgrid.rate_limit_reset_in = 1, 2
    sleeps = Sleeps()
    transport(fake_sendgrid, sleeps).send_batch(MESSAGE, recipients(2))
    [wait] = sleeps
    assert 1.0 <= wait <= 2.2  # Reset is a whole epoch second about 2 s away
    assert len(fake_sendgrid.emails()) == 2


def test_rate_limit_wait_is_bounded(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.rate_limit_next, fake_sendgrid.rate_limit_reset_in = 1, 3600
    sleeps = Sleeps()
    transport(fake_sendgrid, sleeps, max_rate_limit_wait=5).send_batch(MESSAGE, recipients(1))
    [wait] = sleeps
    assert 4.9 < wait <= 5


def test_a_429_pauses_every_worker_until_the_reset(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.rate_limit_next, fake_sendgrid.rate_limit_reset_in = 1, 2
    sleeps = Sleeps()  # records the waits without waiting: the clock stays where it was
    shared = transport(fake_sendgrid, sleeps)
    first = threading.Thread(target=shared.send_batch, args=(MESSAGE, recipients(2)))
    first.start()
    first.join()
    shared.send_batch(MESSAGE, [Recipient("late@example.com", "", {})])  # never got a 429
    assert fake_sendgrid.statuses == [429, 202, 202]
    assert len(sleeps) == 2 and all(1.0 <= wait <= 2.2 for wait in sleeps)


def test_server_errors_are_retried_with_growing_backoff(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.fail_next, fake_sendgrid.fail_status = 3, 503
    sleeps = Sleeps()
    result = transport(fake_sendgrid, sleeps, backoff_base=1.0).send_batch(MESSAGE, recipients(1))
    assert result.first_id() and fake_sendgrid.statuses == [503, 503, 503, 202]
    # equal jitter: attempt n waits between 2**n / 2 and 2**n seconds
    assert [0.5 <= sleeps[0] <= 1, 1 <= sleeps[1] <= 2, 2 <= sleeps[2] <= 4] == [True] * 3


def test_exhausted_retries_raise_transient_error(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.fail_next = 10
    sleeps = Sleeps()
    with pytest.raises(TransientError, match=r"after 2 retries: server error \(500\)"):
        transport(fake_sendgrid, sleeps, max_retries=2).send_batch(MESSAGE, recipients(1))
    assert len(sleeps) == 2 and fake_sendgrid.accepted == []


def test_unreachable_server_is_retried_then_transient(fake_sendgrid: FakeSendGrid) -> None:
    sleeps = Sleeps()
    closed = SendGridTransport(
        API_KEY, base_url="http://127.0.0.1:9", max_retries=1, sleep=sleeps, backoff_base=0.001
    )
    with pytest.raises(TransientError, match="cannot reach SendGrid"):
        closed.send_batch(MESSAGE, recipients(1))
    assert len(sleeps) == 1


def test_dropped_connection_is_uncertain_and_not_retried(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.drop_next = 1
    sleeps = Sleeps()
    result = transport(fake_sendgrid, sleeps).send_batch(MESSAGE, recipients(2))
    assert set(result.uncertain) == {"r0@example.com", "r1@example.com"}
    assert "SendGrid may or may not have it" in result.uncertain["r0@example.com"]
    assert sleeps == [] and fake_sendgrid.statuses == [0] and result.sent == {}


def test_read_timeout_is_uncertain(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.delay = 0.5
    result = transport(fake_sendgrid, timeout=0.1).send_batch(MESSAGE, recipients(1))
    assert list(result.uncertain) == ["r0@example.com"]


def test_suppressions_are_fetched_across_pages(fake_sendgrid: FakeSendGrid) -> None:
    nov_20 = 1_795_000_000  # 2026-11-18 UTC
    fake_sendgrid.suppressions["bounces"] = [
        {"created": nov_20, "email": f"b{i}@example.com", "reason": "550", "status": "5.1.1"}
        for i in range(5)
    ]
    fake_sendgrid.suppressions["blocks"] = [{"created": nov_20, "email": "blk@example.com"}]
    fake_sendgrid.suppressions["spam_reports"] = [{"created": nov_20, "email": "s@example.com"}]
    fake_sendgrid.suppressions["unsubscribes"] = [{"created": nov_20, "email": "u@example.com"}]
    fake_sendgrid.asm_suppressions[42] = ["g@example.com"]
    rows = fetch_suppressions(
        API_KEY, base_url=fake_sendgrid.base_url, asm_group_id=42, page_size=2
    )
    assert [r[0] for r in rows] == [
        *(f"b{i}@example.com" for i in range(5)),
        "blk@example.com",
        "s@example.com",
        "u@example.com",
        "g@example.com",
    ]
    assert rows[0] == ("b0@example.com", "bounce", "2026-11-18", "sendgrid:bounces")
    assert [r[1] for r in rows[5:]] == ["bounce", "complaint", "unsubscribe", "unsubscribe"]
    assert rows[-1][3] == "sendgrid:asm:42"


def test_suppression_fetch_with_a_bad_key_is_an_auth_error(fake_sendgrid: FakeSendGrid) -> None:
    with pytest.raises(AuthError):
        fetch_suppressions("SG.nope", base_url=fake_sendgrid.base_url)


def test_suppression_fetch_retries_a_dropped_connection(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.suppressions["unsubscribes"] = [{"created": 0, "email": "u@example.com"}]
    fake_sendgrid.drop_next, sleeps = 1, Sleeps()
    rows = fetch_suppressions(
        API_KEY, base_url=fake_sendgrid.base_url, retry=RetryPolicy(sleep=sleeps)
    )
    assert [r[0] for r in rows] == ["u@example.com"] and len(sleeps) == 1
