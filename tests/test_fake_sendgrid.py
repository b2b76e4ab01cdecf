"""The fake SendGrid server answers as SendGrid documents; each test pins one behaviour."""

# The fixture is imported by name (tests/conftest.py is shared), so ruff sees each test's
# argument as a redefinition.

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.fake_sendgrid import API_KEY, FakeSendGrid


def mail(**overrides: Any) -> dict[str, Any]:
    """A minimal valid mail-send body, with top-level keys replaced by ``overrides``."""
    body: dict[str, Any] = {
        "from": {"email": "news@example.com", "name": "News"},
        "subject": "Hello",
        "personalizations": [
            {"to": [{"email": "ann@example.com"}], "substitutions": {"%%FIRST_NAME%%": "Ann"}}
        ],
        "content": [
            {"type": "text/plain", "value": "Hi %%FIRST_NAME%%"},
            {"type": "text/html", "value": "<p>Hi %%FIRST_NAME%%</p>"},
        ],
    }
    body.update(overrides)
    return body


def post(server: FakeSendGrid, body: Any, key: str | None = API_KEY) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return httpx.post(f"{server.base_url}/v3/mail/send", json=body, headers=headers)


def fields(response: httpx.Response) -> list[str | None]:
    return [e["field"] for e in response.json()["errors"]]


def people(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"to": [{"email": f"p{i}@example.com"}]} for i in range(start, start + n)]


def test_valid_request_is_accepted_with_a_message_id(fake_sendgrid: FakeSendGrid) -> None:
    response = post(fake_sendgrid, mail())
    assert response.status_code == 202
    assert response.content == b""
    assert response.headers["X-Message-Id"] == fake_sendgrid.accepted[0].message_id


def test_accepted_recipients_are_recorded_with_substitutions(fake_sendgrid: FakeSendGrid) -> None:
    post(fake_sendgrid, mail())
    [record] = fake_sendgrid.accepted
    assert (record.email, record.substitutions) == ("ann@example.com", {"%%FIRST_NAME%%": "Ann"})


def test_missing_authorization_is_401_with_errors_json(fake_sendgrid: FakeSendGrid) -> None:
    response = post(fake_sendgrid, mail(), key=None)
    assert response.status_code == 401
    assert set(response.json()["errors"][0]) == {"message", "field", "help"}


def test_wrong_key_is_401(fake_sendgrid: FakeSendGrid) -> None:
    assert post(fake_sendgrid, mail(), key="SG.wrong").status_code == 401


def test_key_without_mail_send_scope_is_403(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.api_keys["SG.readonly"] = {"suppression.read"}
    assert post(fake_sendgrid, mail(), key="SG.readonly").status_code == 403


def test_no_personalizations_is_400(fake_sendgrid: FakeSendGrid) -> None:
    response = post(fake_sendgrid, mail(personalizations=[]))
    assert (response.status_code, fields(response)) == (400, ["personalizations"])


def test_more_than_1000_personalizations_is_400(fake_sendgrid: FakeSendGrid) -> None:
    response = post(fake_sendgrid, mail(personalizations=people(1001)))
    assert response.status_code == 400
    assert "1001" in response.json()["errors"][0]["message"]


def test_exactly_1000_personalizations_is_accepted(fake_sendgrid: FakeSendGrid) -> None:
    assert post(fake_sendgrid, mail(personalizations=people(1000))).status_code == 202
    assert len(fake_sendgrid.accepted) == 1000


def test_more_than_1000_recipients_in_all_is_400(fake_sendgrid: FakeSendGrid) -> None:
    many = [{"to": [{"email": f"p{i}-{j}@example.com"} for j in range(501)]} for i in range(2)]
    response = post(fake_sendgrid, mail(personalizations=many))
    assert fields(response) == ["personalizations"]


def test_invalid_recipient_address_names_its_field(fake_sendgrid: FakeSendGrid) -> None:
    response = post(fake_sendgrid, mail(personalizations=[{"to": [{"email": "not-an-address"}]}]))
    assert fields(response) == ["personalizations.0.to.0.email"]


def test_same_address_twice_is_400(fake_sendgrid: FakeSendGrid) -> None:
    twice = [{"to": [{"email": "a@example.com"}]}, {"to": [{"email": "A@example.com"}]}]
    assert fields(post(fake_sendgrid, mail(personalizations=twice))) == [
        "personalizations.1.to.0.email"
    ]


def test_missing_from_is_400(fake_sendgrid: FakeSendGrid) -> None:
    body = mail()
    del body["from"]
    assert fields(post(fake_sendgrid, body)) == ["from"]


def test_missing_subject_is_400(fake_sendgrid: FakeSendGrid) -> None:
    body = mail()
    del body["subject"]
    assert fields(post(fake_sendgrid, body)) == ["subject"]


def test_subject_per_personalization_is_enough(fake_sendgrid: FakeSendGrid) -> None:
    body = mail(personalizations=[{"to": [{"email": "a@example.com"}], "subject": "Hi"}])
    del body["subject"]
    assert post(fake_sendgrid, body).status_code == 202


def test_html_before_text_is_400(fake_sendgrid: FakeSendGrid) -> None:
    content = [{"type": "text/html", "value": "<p>x</p>"}, {"type": "text/plain", "value": "x"}]
    assert fields(post(fake_sendgrid, mail(content=content))) == ["content"]


def test_empty_content_value_is_400(fake_sendgrid: FakeSendGrid) -> None:
    content = [{"type": "text/plain", "value": ""}]
    assert fields(post(fake_sendgrid, mail(content=content))) == ["content.0.value"]


def test_more_than_10_categories_is_400(fake_sendgrid: FakeSendGrid) -> None:
    categories = [f"c{i}" for i in range(11)]
    assert fields(post(fake_sendgrid, mail(categories=categories))) == ["categories"]


def test_non_string_custom_args_is_400(fake_sendgrid: FakeSendGrid) -> None:
    assert fields(post(fake_sendgrid, mail(custom_args={"issue": 7}))) == ["custom_args"]


def test_non_string_substitutions_is_400(fake_sendgrid: FakeSendGrid) -> None:
    bad = [{"to": [{"email": "a@example.com"}], "substitutions": {"%%N%%": 1}}]
    assert fields(post(fake_sendgrid, mail(personalizations=bad))) == [
        "personalizations.0.substitutions"
    ]


def test_every_problem_is_listed_at_once(fake_sendgrid: FakeSendGrid) -> None:
    body = mail(categories=[str(i) for i in range(11)], custom_args={"n": 1})
    del body["from"]
    assert fields(post(fake_sendgrid, body)) == ["from", "categories", "custom_args"]


def test_body_over_the_size_limit_is_413(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.max_body_bytes = 200
    assert post(fake_sendgrid, mail()).status_code == 413
    assert fake_sendgrid.accepted == []


def test_sandbox_mode_is_answered_200_and_marked(fake_sendgrid: FakeSendGrid) -> None:
    response = post(fake_sendgrid, mail(mail_settings={"sandbox_mode": {"enable": True}}))
    assert response.status_code == 200
    assert fake_sendgrid.accepted[0].sandbox is True


def test_rate_limit_injection_answers_429_with_headers(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.rate_limit_next = 1
    response = post(fake_sendgrid, mail())
    assert response.status_code == 429
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert abs(int(response.headers["X-RateLimit-Reset"]) - time.time()) < 5
    assert post(fake_sendgrid, mail()).status_code == 202


def test_server_error_injection_counts_down(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.fail_next, fake_sendgrid.fail_status = 2, 503
    statuses = [post(fake_sendgrid, mail()).status_code for _ in range(3)]
    assert statuses == [503, 503, 202]


def test_dropped_connection_gives_no_response_and_records_nothing(
    fake_sendgrid: FakeSendGrid,
) -> None:
    fake_sendgrid.drop_next = 1
    with pytest.raises(httpx.RemoteProtocolError):
        post(fake_sendgrid, mail())
    assert (fake_sendgrid.statuses, fake_sendgrid.accepted) == ([0], [])


def test_delay_holds_each_answer(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.delay = 0.1
    started = time.monotonic()
    post(fake_sendgrid, mail())
    assert time.monotonic() - started >= 0.1


def test_suppressions_are_paginated_by_limit_and_offset(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.suppressions["bounces"] = [
        {"created": 1, "email": f"b{i}@example.com", "reason": "550", "status": "5.1.1"}
        for i in range(5)
    ]
    response = httpx.get(
        f"{fake_sendgrid.base_url}/v3/suppression/bounces",
        params={"limit": 2, "offset": 3},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert [b["email"] for b in response.json()] == ["b3@example.com", "b4@example.com"]


def test_asm_group_suppressions_are_a_list_of_emails(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.asm_suppressions[42] = ["u@example.com"]
    response = httpx.get(
        f"{fake_sendgrid.base_url}/v3/asm/groups/42/suppressions",
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert response.json() == ["u@example.com"]


def test_suppressions_need_a_valid_key(fake_sendgrid: FakeSendGrid) -> None:
    response = httpx.get(f"{fake_sendgrid.base_url}/v3/suppression/blocks")
    assert response.status_code == 401
