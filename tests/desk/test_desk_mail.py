"""The desk's own emails: escaped once, carrying nothing a stranger typed to anyone it
should not reach, and never lost for want of a transport (issue 24, points 8, 9, 11, 12)."""

from __future__ import annotations

import re
import sqlite3
from email.message import EmailMessage
from pathlib import Path

import httpx

from tests.desk.support import MARIA_CODE, RunningDesk, form_token, start_desk, wait_for
from tests.desk.test_desk_join import NEW, sign_up
from tests.desk.test_desk_referral import ALEX, mail_to, post_lead
from tests.smtp_server import Recorder

BUSINESS = "dana@hartwellhvac.example.com"
QUOTED = {**ALEX, "name": 'Alex "Al" O\'Doe', "need": 'Fix the <big> one & the "small" one'}


def parts(mail: EmailMessage) -> tuple[str, str]:
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def outbox(desk: RunningDesk) -> list[tuple[str, str]]:
    db = sqlite3.connect(f"file:{desk.inbox}?mode=ro", uri=True)
    try:
        return db.execute("SELECT kind, state FROM outbox ORDER BY id").fetchall()
    finally:
        db.close()


def test_the_business_reads_a_lead_as_typed_and_its_html_escaped_once(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    with httpx.Client() as browser:
        assert post_lead(browser, f"{desk.url}r/{MARIA_CODE}", QUOTED).status_code == 200
    [mail] = wait_for(lambda: mail_to(server[0], BUSINESS), what="the notice")
    assert mail["Subject"].startswith('New referred lead: Alex "Al" O\'Doe — contact by')
    text, html = parts(mail)
    assert 'Name:       Alex "Al" O\'Doe' in text
    assert 'Needs:      Fix the <big> one & the "small" one' in text
    assert "&amp;" not in text and "&#" not in text and "&lt;" not in text
    assert "Fix the &lt;big&gt; one &amp; the &quot;small&quot; one" in html
    assert "&amp;amp;" not in html and "&amp;lt;" not in html and "&amp;#" not in html


def test_a_web_address_typed_into_a_lead_is_not_a_link_in_the_business_email(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    typed = {**ALEX, "need": "see https://evil.example/pay now"}
    with httpx.Client() as browser:
        post_lead(browser, f"{desk.url}r/{MARIA_CODE}", typed)
    [mail] = wait_for(lambda: mail_to(server[0], BUSINESS), what="the notice")
    _, html = parts(mail)
    assert "see https://evil.example/pay now" in html
    links = re.findall(r'<a href="([^"]+)"', html)
    assert len(links) == 3 and all(link.startswith(f"{desk.url}lead/") for link in links)


def test_a_confirmation_carries_nothing_the_requester_wrote_but_the_address(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    words = "<b>Hi</b> http://evil.example"
    assert sign_up(desk, first_name=words, last_name="https://evil.example/x").status_code == 200
    [mail] = wait_for(lambda: mail_to(server[0], NEW), what="the confirmation")
    assert mail["To"] == NEW  # no display name
    assert (
        mail["Subject"] == "Confirm your subscription to the Hartwell Heating & Cooling newsletter"
    )
    text, html = parts(mail)
    assert text.splitlines()[0] == "Hello,"
    assert "Hartwell Heating & Cooling newsletter" in text
    for part in (text, html, str(mail)):
        assert "evil" not in part and "<b>Hi" not in part and "&lt;b&gt;" not in part
    [link] = re.findall(r'<a href="([^"]+)"', html)
    assert link.startswith(f"{desk.url}join/confirm?t=")


def test_leads_and_sign_ups_taken_without_email_are_sent_once_there_is_a_transport(
    desk_site: Path, server: tuple[Recorder, int]
) -> None:
    # 20 of 24 hours, scaled down to 2 of 2.4 seconds: the reminder comes due while the
    # desk runs without email.
    hours = {"contact_within_hours": 2.4 / 3600, "remind_after_hours": 2 / 3600}
    quiet = start_desk(desk_site, "--no-email", desk=hours)
    try:
        with httpx.Client() as browser:
            assert post_lead(browser, f"{quiet.url}r/{MARIA_CODE}").status_code == 200
            page = browser.get(quiet.url + "join")
            browser.post(
                quiet.url + "join",
                data={"email": NEW, "channels": "email", "form": form_token(page.text)},
            )
        wait_for(
            lambda: "3 outbox emails wait for a transport" in quiet.log.read_text(),
            what="the notice, the reminder and the confirmation waiting",
        )
    finally:
        quiet.stop()
    assert server[0].messages == []
    assert {state for _, state in outbox(quiet)} == {"due"}

    loud = RunningDesk(quiet.project, quiet.port).start()  # the same desk, with email
    try:
        wait_for(
            lambda: all(state != "due" for _, state in outbox(loud)), what="the outbox emptied"
        )
    finally:
        loud.stop()
    assert outbox(loud) == [
        ("notify_lead", "done"),
        ("remind_lead", "dropped"),  # the notice came after the reminder's time: it says it all
        ("confirm_signup", "done"),
    ]
    [notice] = mail_to(server[0], BUSINESS)
    assert notice["Subject"].startswith("New referred lead: Alex Doe")
    assert len(mail_to(server[0], NEW)) == 1


def test_a_mail_server_refusal_for_good_is_final_and_its_reply_logged_without_the_address(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    recorder, _ = server
    recorder.refuse_data[NEW] = f"550 5.1.1 <{NEW}>: Recipient address rejected"
    with httpx.Client() as browser:
        page = browser.get(desk.url + "join")
        browser.post(
            desk.url + "join",
            data={"email": NEW, "channels": "email", "form": form_token(page.text)},
        )

    def settled() -> list[tuple[str, int]]:
        db = sqlite3.connect(f"file:{desk.inbox}?mode=ro", uri=True)
        try:
            return db.execute("SELECT state, attempts FROM outbox WHERE state != 'due'").fetchall()
        finally:
            db.close()

    assert wait_for(settled, what="the job settled") == [("dropped", 1)]
    desk.stop()
    log = desk.log.read_text()
    assert "refused for good: SMTP server 127.0.0.1 answered 550 5.1.1 <<address>>" in log
    assert NEW not in log
