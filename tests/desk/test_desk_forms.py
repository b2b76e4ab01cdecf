"""A form the desk does not take says why and what to do, and the log says why, naming
nobody (issue 24, point 16)."""

from __future__ import annotations

import time

import httpx

from newsletter.desk.guard import CSRF_COOKIE, FORM_TOKEN_AGE
from newsletter.desk.signing import tag
from tests.desk.support import MARIA_CODE, SECRET, RunningDesk, form_token
from tests.desk.test_desk_referral import ALEX


def refused(desk: RunningDesk, answer: httpx.Response, says: str, logged: str) -> None:
    assert answer.status_code == 400
    assert says in answer.text
    assert "Or call us at (608) 555-0142." in answer.text
    assert desk.events("lead") == []
    desk.stop()
    line = next(line for line in desk.log.read_text().splitlines() if "POST /r 400" in line)
    assert line.endswith(f"({logged})")
    assert ALEX["name"] not in line and ALEX["phone"] not in line


def test_a_form_from_another_site_says_so(desk: RunningDesk) -> None:
    url = f"{desk.url}r/{MARIA_CODE}"
    with httpx.Client() as browser:
        page = browser.get(url)
        answer = browser.post(
            url,
            data={**ALEX, "form": form_token(page.text)},
            headers={"origin": "https://elsewhere.example"},
        )
    assert 'value="Alex Doe"' in answer.text
    refused(
        desk,
        answer,
        "This form was sent from another website.",
        "form refused: posted from another site",
    )


def test_a_multipart_form_says_it_could_not_be_read(desk: RunningDesk) -> None:
    url = f"{desk.url}r/{MARIA_CODE}"
    with httpx.Client() as browser:
        page = browser.get(url)
        answer = browser.post(
            url, files={"name": (None, "Alex"), "form": (None, form_token(page.text))}
        )
    refused(
        desk,
        answer,
        "Your browser sent the form in a way we couldn't read.",
        "form refused: not a urlencoded form",
    )


def post_with_token(desk: RunningDesk, mac_for: str | None) -> httpx.Response:
    """The lead form posted with a token issued before the form's time ran out: its MAC
    made with the desk's secret for ``mac_for`` (the form's name), or a forged one."""
    url = f"{desk.url}r/{MARIA_CODE}"
    with httpx.Client() as browser:
        browser.get(url)
        nonce = browser.cookies[CSRF_COOKIE]
        issued = str(int(time.time()) - FORM_TOKEN_AGE - 60)
        mac = tag(SECRET.encode(), "form", f"{mac_for}|{issued}|{nonce}") if mac_for else "x"
        return browser.post(url, data={**ALEX, "form": f"{issued}.{mac}"})


def test_an_expired_token_says_so(desk: RunningDesk) -> None:
    refused(
        desk,
        post_with_token(desk, "lead"),
        "This page was open for a long time, so the form expired.",
        "form refused: its token expired",
    )


def test_a_changed_token_says_so(desk: RunningDesk) -> None:
    refused(
        desk,
        post_with_token(desk, None),
        "We couldn't check that the form came from this page.",
        "form refused: its token does not match",
    )
