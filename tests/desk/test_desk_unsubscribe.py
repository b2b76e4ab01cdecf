"""Unsubscribe on the desk: the page, its choice, and RFC 8058's one-click POST."""

from __future__ import annotations

import httpx

from newsletter.audience.tokens import unsubscribe_tokens
from tests.desk.support import SECRET, RunningDesk, form_token

MARIA = "maria.gonzalez@example.com"
ONE_CLICK = {"content-type": "application/x-www-form-urlencoded"}


def link(desk: RunningDesk, email: str = MARIA) -> str:
    return f"{desk.url}unsubscribe?t={unsubscribe_tokens(SECRET.encode()).token(email)}"


def test_one_click_post_without_cookies_records_the_opt_out(desk: RunningDesk) -> None:
    # What a mail client sends: no cookie, no JavaScript, nothing but the body.
    with httpx.Client() as client:
        answer = client.post(link(desk), content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
    assert answer.status_code == 200
    assert "set-cookie" not in answer.headers
    [event] = desk.events("unsubscribe")
    assert event["data"] == {"email": MARIA, "channel": "email", "via": "one-click"}


def test_one_click_post_as_multipart_form_data_is_taken_too(desk: RunningDesk) -> None:
    answer = httpx.post(link(desk), files={"List-Unsubscribe": (None, "One-Click")})
    assert answer.status_code == 200
    assert desk.events("unsubscribe")[0]["data"]["via"] == "one-click"


def test_repeated_one_clicks_answer_the_same_and_do_not_grow_the_inbox(
    desk: RunningDesk,
) -> None:
    with httpx.Client() as client:
        answers = [
            client.post(link(desk), content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
            for _ in range(50)
        ]
    assert {a.status_code for a in answers} == {200}
    assert {a.text for a in answers} == {answers[0].text}
    assert len(desk.events("unsubscribe")) == 1


def test_another_channel_for_the_same_reader_is_recorded_too(desk: RunningDesk) -> None:
    httpx.post(link(desk), content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
    with httpx.Client() as browser:
        page = browser.get(link(desk))
        browser.post(link(desk), data={"channel": "mail", "form": form_token(page.text)})
    channels = [e["data"]["channel"] for e in desk.events("unsubscribe")]
    assert channels == ["email", "mail"]


def test_page_offers_email_post_or_both_and_records_the_choice(desk: RunningDesk) -> None:
    with httpx.Client() as browser:
        page = browser.get(link(desk))
        assert page.status_code == 200
        assert "Hartwell Heating &amp; Cooling" in page.text
        for channel in ("email", "mail", "all"):
            assert f'value="{channel}"' in page.text
        done = browser.post(link(desk), data={"channel": "mail", "form": form_token(page.text)})
    assert done.status_code == 200
    assert "won't post you the newsletter" in done.text
    assert desk.events("unsubscribe")[0]["data"] == {
        "email": MARIA,
        "channel": "mail",
        "via": "page",
    }


def test_tampered_token_is_a_400_page_and_records_nothing(desk: RunningDesk) -> None:
    good = link(desk)
    changed = good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:]
    for url in (changed, f"{desk.url}unsubscribe?t=", f"{desk.url}unsubscribe", good + "%00"):
        assert httpx.get(url).status_code == 400
        answer = httpx.post(url, content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
        assert answer.status_code == 400
        assert "does not work" in answer.text
    assert desk.events("unsubscribe") == []


def test_page_form_without_its_token_is_refused(desk: RunningDesk) -> None:
    answer = httpx.post(link(desk), data={"channel": "all", "form": "forged"})
    assert answer.status_code == 400
    assert desk.events("unsubscribe") == []


def test_token_of_another_secret_is_refused(desk: RunningDesk) -> None:
    foreign = unsubscribe_tokens(b"another-newsletter-secret-0000").token(MARIA)
    assert httpx.get(f"{desk.url}unsubscribe?t={foreign}").status_code == 400


def test_every_page_forbids_scripts_and_framing(desk: RunningDesk) -> None:
    answer = httpx.get(link(desk))
    csp = answer.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"
    assert "server" not in answer.headers
    assert "<script" not in answer.text and "style=" not in answer.text


def test_unknown_page_is_a_404_page(desk: RunningDesk) -> None:
    answer = httpx.get(desk.url + "wp-login.php")
    assert answer.status_code == 404
    assert "Page not found" in answer.text


def test_log_carries_no_token_and_no_address(desk: RunningDesk) -> None:
    httpx.post(link(desk), content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
    desk.stop()
    log = desk.log.read_text()
    assert "POST /unsubscribe 200" in log
    assert MARIA not in log
    assert unsubscribe_tokens(SECRET.encode()).token(MARIA) not in log
