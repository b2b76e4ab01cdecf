"""The referral page and its lead form: what a referred friend meets, and what the
business hears at once."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.desk.support import MARIA_CODE, RunningDesk, form_token, start_desk, wait_for
from tests.smtp_server import Recorder

ALEX = {
    "name": "Alex Doe",
    "phone": "(608) 555-0100",
    "email": "alex.doe@example.net",
    "address": "12 Elm Street, Madison",
    "need": "Furnace makes a banging noise",
    "best_time": "weekday evenings",
    "consent": "yes",
}


def post_lead(
    browser: httpx.Client, url: str, fields: dict[str, str] | None = None
) -> httpx.Response:
    page = browser.get(url)
    assert page.status_code == 200
    return browser.post(url, data={**(fields or ALEX), "form": form_token(page.text)})


def mail_to(recorder: Recorder, address: str) -> list:
    return [m for _, to, m in recorder.messages if address in to]


def test_landing_names_the_referrer_who_agreed_and_shows_the_offer_to_the_friend(
    desk: RunningDesk,
) -> None:
    page = httpx.get(f"{desk.url}r/{MARIA_CODE}")
    assert page.status_code == 200
    assert "María G.</strong> thought you'd like to hear from us" in page.text
    assert (
        "your first tune-up with us is <strong>$50 off</strong>" in page.text
    )  # the offer, in its words for them
    assert "When you send a friend" not in page.text  # not the words for the referrer
    for field in ("name", "phone", "email", "address", "need", "best_time", "consent"):
        assert f'name="{field}"' in page.text


def test_referrer_who_did_not_agree_is_not_named(desk: RunningDesk) -> None:
    page = httpx.get(f"{desk.url}r/SSPM5F3A")  # Tom Becker: never asked (blank)
    assert "Tom" not in page.text
    assert "A friend thought you'd like to hear from us" in page.text


def test_lead_is_recorded_and_the_business_emailed_with_a_time_and_status_links(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    recorder, _ = server
    with httpx.Client() as browser:
        thanks = post_lead(browser, f"{desk.url}r/{MARIA_CODE}?utm_medium=print")
    assert thanks.status_code == 200
    assert "Thank you, Alex!" in thanks.text
    assert re.search(r"Expect a call from us <strong>(this|today|tomorrow|on \w+day)", thanks.text)
    [lead] = desk.events("lead")
    assert lead["data"]["referrer_email"] == "maria.gonzalez@example.com"
    assert lead["data"]["known"] is True
    assert lead["data"]["medium"] == "print"
    assert lead["data"]["consent"] is True
    [mail] = wait_for(lambda: mail_to(recorder, "dana@hartwellhvac.example.com"), what="mail")
    assert mail["Subject"].startswith("New referred lead: Alex Doe — contact by ")
    text = mail.get_body(("plain",)).get_content()
    assert "(608) 555-0100" in text and "weekday evenings" in text
    assert "Referred by: María G. (maria.gonzalez@example.com" in text
    for action in ("contacted", "won", "lost"):
        assert re.search(rf"{re.escape(desk.url)}lead/\S+\?do={action}", text)


def test_unknown_code_still_records_the_lead_flagged(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    with httpx.Client() as browser:
        assert post_lead(browser, f"{desk.url}r/ZZZZ2222").status_code == 200
    [lead] = desk.events("lead")
    assert lead["data"]["known"] is False and lead["data"]["code"] == "ZZZZ2222"
    [mail] = wait_for(lambda: mail_to(server[0], "dana@hartwellhvac.example.com"))
    assert "ZZZZ2222 matches no subscriber" in mail.get_body(("plain",)).get_content()


def test_bare_form_takes_a_typed_code(desk: RunningDesk) -> None:
    with httpx.Client() as browser:
        page = browser.get(f"{desk.url}r")
        assert 'name="code"' in page.text
        answer = browser.post(
            f"{desk.url}r", data={**ALEX, "code": "wdtd-6pde", "form": form_token(page.text)}
        )
    assert answer.status_code == 200
    assert desk.events("lead")[0]["data"]["code"] == MARIA_CODE


def test_form_posted_without_its_cookie_is_shown_again_and_not_recorded(
    desk: RunningDesk,
) -> None:
    page = httpx.get(f"{desk.url}r/{MARIA_CODE}")
    answer = httpx.post(  # a new client: the page's cookie is not sent
        f"{desk.url}r/{MARIA_CODE}", data={**ALEX, "form": form_token(page.text)}
    )
    assert answer.status_code == 400
    assert "Your browser didn't send back the cookie this form needs" in answer.text
    assert "allow cookies for this site" in answer.text
    assert 'value="Alex Doe"' in answer.text  # nothing typed is lost
    assert desk.events("lead") == []
    desk.stop()
    assert "POST /r 400" in desk.log.read_text()
    assert "(form refused: no form cookie)" in desk.log.read_text()


def test_form_posted_from_another_site_is_refused(desk: RunningDesk) -> None:
    with httpx.Client() as browser:
        page = browser.get(f"{desk.url}r/{MARIA_CODE}")
        answer = browser.post(
            f"{desk.url}r/{MARIA_CODE}",
            data={**ALEX, "form": form_token(page.text)},
            headers={"origin": "https://evil.example.com"},
        )
    assert answer.status_code == 400
    assert desk.events("lead") == []


def test_honeypot_filled_is_thanked_and_dropped(desk: RunningDesk) -> None:
    with httpx.Client() as browser:
        answer = post_lead(browser, f"{desk.url}r/{MARIA_CODE}", {**ALEX, "website": "spam.biz"})
    assert answer.status_code == 200 and "Thank you" in answer.text
    assert desk.events("lead") == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "Please tell us your name."),
        ({"phone": "", "email": ""}, "a phone number or an email address"),
        ({"phone": "12"}, "doesn&#39;t look like a phone number"),
        ({"need": "x" * 501}, "500 characters at most"),
        ({"name": "Alex\u202eDoe"}, "unusual characters"),
        ({"consent": ""}, "tick the box"),
    ],
)
def test_bad_field_is_named_on_the_page_and_nothing_recorded(
    desk: RunningDesk, change: dict[str, str], message: str
) -> None:
    with httpx.Client() as browser:
        answer = post_lead(browser, f"{desk.url}r/{MARIA_CODE}", {**ALEX, **change})
    assert answer.status_code == 200
    assert message in answer.text
    assert desk.events("lead") == []


def test_markup_typed_into_a_field_is_shown_as_text(desk: RunningDesk) -> None:
    with httpx.Client() as browser:
        answer = post_lead(
            browser, f"{desk.url}r/{MARIA_CODE}", {**ALEX, "name": "", "need": "<b>hi</b>"}
        )
    assert "&lt;b&gt;hi&lt;/b&gt;" in answer.text and "<b>hi</b>" not in answer.text


def test_one_phone_number_may_post_only_a_few_times_an_hour(desk: RunningDesk) -> None:
    with httpx.Client() as browser:
        codes = [post_lead(browser, f"{desk.url}r/{MARIA_CODE}").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert len(desk.events("lead")) == 3


def test_oversized_post_is_refused_before_it_is_read(desk: RunningDesk) -> None:
    answer = httpx.post(f"{desk.url}r/{MARIA_CODE}", content=b"need=" + b"x" * 100_000)
    assert answer.status_code == 413


def test_reminder_at_twenty_hours_survives_a_restart(
    desk_site: Path, server: tuple[Recorder, int]
) -> None:
    # 20 of 24 hours, scaled down to 2 of 2.4 seconds.
    running = start_desk(
        desk_site, desk={"contact_within_hours": 2.4 / 3600, "remind_after_hours": 2 / 3600}
    )
    try:
        with httpx.Client() as browser:
            post_lead(browser, f"{running.url}r/{MARIA_CODE}")
        wait_for(lambda: mail_to(server[0], "dana@hartwellhvac.example.com"), what="notice")
        running.kill()  # the reminder is due in two seconds, and nobody is running
        running.start()
        reminders = wait_for(
            lambda: [
                m
                for m in mail_to(server[0], "dana@hartwellhvac.example.com")
                if m["Subject"].startswith("Reminder: call Alex Doe by")
            ],
            what="the reminder",
        )
        assert len(reminders) == 1
    finally:
        running.stop()
