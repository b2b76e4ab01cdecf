"""Sign-up with double opt-in: only a confirmed address becomes a subscriber."""

from __future__ import annotations

import re

import httpx

from tests.desk.support import RunningDesk, form_token, wait_for
from tests.desk.test_desk_referral import mail_to
from tests.smtp_server import Recorder

NEW = "jo.lindqvist@example.org"


def sign_up(desk: RunningDesk, **fields: str) -> httpx.Response:
    with httpx.Client() as browser:
        page = browser.get(desk.url + "join")
        data = {"email": NEW, "first_name": "Jo", "last_name": "Lindqvist", "channels": "email"}
        return browser.post(
            desk.url + "join", data={**data, **fields, "form": form_token(page.text)}
        )


def confirmation_link(recorder: Recorder) -> str:
    [mail] = wait_for(lambda: mail_to(recorder, NEW), what="the confirmation")
    assert (
        mail["Subject"] == "Confirm your subscription to the Hartwell Heating & Cooling newsletter"
    )
    return re.search(r"(http\S+/join/confirm\?t=\S+)", mail.get_body(("plain",)).get_content())[1]


def confirm(link: str) -> httpx.Response:
    with httpx.Client() as browser:
        page = browser.get(link)
        assert page.status_code == 200 and "Yes, subscribe me" in page.text
        return browser.post(link, data={"form": form_token(page.text)})


def test_sign_up_is_confirmed_by_the_emailed_link_with_a_consent_record(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    assert "Check your email" in sign_up(desk).text
    [signup] = desk.events("signup")
    assert signup["data"]["email"] == NEW and signup["data"]["ip"] == "127.0.0.1"
    link = confirmation_link(server[0])
    assert desk.events("signup_confirmed") == []  # asked is not confirmed
    assert "You're subscribed" in confirm(link).text
    [confirmed] = desk.events("signup_confirmed")
    assert confirmed["data"] == {
        "email": NEW,
        "first_name": "Jo",
        "last_name": "Lindqvist",
        "street": "",
        "city": "",
        "region": "",
        "postal_code": "",
        "channels": "email",
        "signup": signup["id"],
        "ip": "127.0.0.1",
        "requested_ip": "127.0.0.1",
        "requested_at": signup["at"],
        "form": "desk /join",
    }


def test_confirming_twice_records_one_confirmation(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    sign_up(desk)
    link = confirmation_link(server[0])
    confirm(link)
    assert "You're subscribed" in confirm(link).text
    assert len(desk.events("signup_confirmed")) == 1


def test_opening_the_confirmation_link_confirms_nothing(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    sign_up(desk)
    httpx.get(confirmation_link(server[0]))  # a mail scanner
    assert desk.events("signup_confirmed") == []


def test_post_without_a_postal_address_is_asked_for_one(desk: RunningDesk) -> None:
    answer = sign_up(desk, channels="both")
    assert "we need a street, city and ZIP code" in answer.text
    assert desk.events("signup") == []


def test_forged_confirmation_link_is_a_400_page(desk: RunningDesk) -> None:
    assert httpx.get(desk.url + "join/confirm?t=abc.def").status_code == 400


def test_one_address_is_sent_only_a_few_confirmations_an_hour(desk: RunningDesk) -> None:
    codes = [sign_up(desk).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
