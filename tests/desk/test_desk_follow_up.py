"""The business's status links, and the referrer's note when their friend is contacted."""

from __future__ import annotations

import re
import sqlite3

import httpx

from tests.desk.support import MARIA_CODE, RunningDesk, form_token, wait_for
from tests.desk.test_desk_referral import ALEX, mail_to, post_lead
from tests.smtp_server import Recorder

BUSINESS = "dana@hartwellhvac.example.com"
MARIA = "maria.gonzalez@example.com"


def status_links(desk: RunningDesk, recorder: Recorder, code: str = MARIA_CODE) -> dict[str, str]:
    with httpx.Client() as browser:
        post_lead(browser, f"{desk.url}r/{code}")
    [mail] = wait_for(lambda: mail_to(recorder, BUSINESS), what="the notice")
    text = mail.get_body(("plain",)).get_content()
    return {a: re.search(rf"(\S+\?do={a})", text).group(1) for a in ("contacted", "won", "lost")}


def press(link: str, **fields: str) -> httpx.Response:
    """Open a status link and press its button, as the business does from its inbox."""
    with httpx.Client() as browser:
        page = browser.get(link)
        assert page.status_code == 200
        action = re.search(r'action="([^"]+)"', page.text).group(1)
        do = re.search(r'name="do" value="([^"]+)"', page.text).group(1)
        return browser.post(
            httpx.URL(link).join(action), data={"form": form_token(page.text), "do": do, **fields}
        )


def test_opening_a_status_link_changes_nothing(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    links = status_links(desk, server[0])
    page = httpx.get(links["contacted"])  # what a mail scanner does
    assert "Yes, I've contacted them" in page.text
    assert ALEX["phone"] in page.text
    assert desk.events("lead_status") == []


def test_contacted_is_recorded_once_and_the_referrer_thanked(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    recorder, _ = server
    links = status_links(desk, recorder)
    assert "Recorded: Alex Doe is contacted." in press(links["contacted"]).text
    assert "Already recorded" in press(links["contacted"]).text
    assert [e["data"] for e in desk.events("lead_status")] == [
        {"lead": desk.events("lead")[0]["id"], "status": "contacted"}
    ]
    [note] = wait_for(lambda: mail_to(recorder, MARIA), what="the referrer's note")
    assert note["Subject"] == "Thank you for sending Alex our way"
    body = note.get_body(("plain",)).get_content()
    assert "Hi María," in body and "We've spoken with Alex" in body
    assert "Doe" not in body and ALEX["phone"] not in body  # the friend's first name only


def test_won_with_a_value_and_a_closed_lead_is_not_reopened(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    links = status_links(desk, server[0])
    assert "is won" in press(links["won"], value="1,200.50").text
    assert "not reopened" in press(links["contacted"]).text
    assert [e["data"]["status"] for e in desk.events("lead_status")] == ["won"]
    assert desk.events("lead_status")[0]["data"]["value"] == "1200.50"


def test_a_bad_value_is_refused_with_a_page(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    links = status_links(desk, server[0])
    answer = press(links["won"], value="5e8")
    assert answer.status_code == 400
    assert desk.events("lead_status") == []


def test_referrer_without_updates_is_not_written_to(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    # Łukasz Nowak gets the newsletter by post only: no email to send a note to.
    recorder, _ = server
    links = status_links(desk, recorder, code=lukasz_code())
    assert "is contacted" in press(links["contacted"]).text
    db = sqlite3.connect(f"file:{desk.inbox}?mode=ro", uri=True)
    jobs = [kind for (kind,) in db.execute("SELECT kind FROM outbox ORDER BY id")]
    db.close()
    assert jobs == ["notify_lead", "remind_lead"]  # no note on the outbox
    assert mail_to(recorder, "lukasz.nowak@example.com") == []


def test_forged_status_link_is_a_400_page(desk: RunningDesk) -> None:
    answer = httpx.get(f"{desk.url}lead/eyJsZWFkIjoxfQ.AAAAAAAAAAAAAAAAAAAAAA?do=won")
    assert answer.status_code == 400


def lukasz_code() -> str:
    from newsletter.audience.tokens import referral_code
    from tests.desk.support import SECRET

    return referral_code(SECRET.encode(), "lukasz.nowak@example.com")
