"""The quarter's nurture email (``newsletter cards --email``): the card's tip, local item
and soft ask, sent through the issue's ledger and transport, exactly once per quarter per
person."""

from __future__ import annotations

import email
import os
from email import policy
from pathlib import Path

import pytest

from newsletter.cards.quarter import parse_quarter
from newsletter.cli.send import report_lines
from newsletter.config import Settings, load_config
from newsletter.config.desk import signup_page
from newsletter.deliver.job import run_send, skip_desk_check
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.nurture import nurture_job, nurture_key
from newsletter.deliver.run import send_nurture_quarter
from newsletter.deliver.smtp import SmtpTransport
from newsletter.errors import ContentError
from newsletter.locks import LockBusy
from tests.fake_sendgrid import API_KEY, FakeSendGrid
from tests.smtp_server import Recorder

SECRET = b"a-test-secret-of-enough-length"
Q4 = parse_quarter("2026Q4")
# The sample list: prospects and (cards.segments) clients who take email, less Greg
# (unsubscribed); Lena takes both, Walt and one client post only.
EMAILED = 13


def sample(project: Path) -> Settings:
    return load_config(project / "newsletter.yaml")


def sendgrid_env(server: FakeSendGrid) -> dict[str, str]:
    return {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": server.base_url}


def send_live(settings: Settings, server: FakeSendGrid, quarter: str = "2026Q4"):
    return send_nurture_quarter(
        settings,
        parse_quarter(quarter),
        secret=SECRET,
        live=True,
        desk_check=skip_desk_check,
        environ=sendgrid_env(server),
    )


def test_a_dry_run_names_who_would_get_it_and_writes_a_private_sample(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    settings = sample(sample_project)
    outcome = send_nurture_quarter(
        settings, Q4, secret=SECRET, live=False, desk_check=skip_desk_check
    )
    lines = report_lines(outcome)
    assert lines[0] == f"nurture-2026Q4: would send {EMAILED} (7 client, 6 prospect)"
    assert lines[1] == "skipped: 0 already sent, 1 suppressed, 2 post only"
    assert outcome.sample == sample_project / "state" / "preview" / "nurture-2026Q4.eml"
    assert os.stat(outcome.sample).st_mode & 0o777 == 0o600
    assert fake_sendgrid.emails() == []
    assert not settings.send_ledger.exists() or not any(
        Ledger(settings.send_ledger).counts(nurture_key(Q4)).values()
    )


def test_the_sample_carries_the_cards_tip_local_item_and_ask_with_a_personal_link(
    sample_project: Path,
) -> None:
    settings = sample(sample_project)
    outcome = send_nurture_quarter(
        settings, Q4, secret=SECRET, live=False, desk_check=skip_desk_check
    )
    assert outcome.sample is not None
    message = email.message_from_bytes(outcome.sample.read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert message["Subject"] == "The first hard freeze is behind us"
    assert "Change the filter when you change the clocks" in text
    assert "The winter farmers' market moves indoors" in text
    assert "Send them our way" in text
    assert "%%" not in text and "%%" not in html  # every placeholder filled
    assert "utm_campaign=referral-2026Q4" in html and "utm_medium=email" in html
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "unsubscribe?t=" in message["List-Unsubscribe"]


def test_a_send_reaches_each_reader_once_and_a_rerun_sends_nobody_again(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    settings = sample(sample_project)
    first = send_live(settings, fake_sendgrid)
    again = send_live(settings, fake_sendgrid)
    emails = fake_sendgrid.emails()
    assert (first.report.sent, len(emails), len(set(emails))) == (EMAILED, EMAILED, EMAILED)
    assert (again.report.sent, again.report.already_sent) == (0, EMAILED)
    assert "greg.palmer@example.org" not in emails  # unsubscribed
    assert "walt.brandt@example.org" not in emails  # post only


def test_the_next_quarter_is_a_new_send(sample_project: Path, fake_sendgrid: FakeSendGrid) -> None:
    settings = sample(sample_project)
    send_live(settings, fake_sendgrid)
    next_quarter = send_live(settings, fake_sendgrid, "2027Q1")
    assert next_quarter.report.sent == EMAILED
    assert next_quarter.report.key == "nurture-2027Q1"


def test_the_quarters_email_and_the_monthly_issue_share_the_ledger_but_not_its_rows(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    settings = sample(sample_project)
    send_live(settings, fake_sendgrid)
    with Ledger(settings.send_ledger) as ledger:
        assert ledger.counts("nurture-2026Q4")["sent"] == EMAILED
        assert not any(ledger.counts("2026-11").values())


def test_readers_with_a_referral_code_get_their_own_link_and_others_the_signup_page(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    settings = sample(sample_project)
    send_live(settings, fake_sendgrid)
    html_of = {
        p["to"][0]["email"]: (body["content"][-1]["value"], p.get("substitutions", {}))
        for body in fake_sendgrid.requests
        for p in body["personalizations"]
    }
    client_html, client_values = html_of["maria.gonzalez@example.com"]
    assert "%%REFERRAL_CODE%%" in client_html and client_values["%%REFERRAL_CODE%%"]
    prospect_html, prospect_values = html_of["rachel.stein@example.com"]
    assert "%%REFERRAL_CODE%%" not in prospect_html and not prospect_values["%%REFERRAL_CODE%%"]
    assert f'href="{signup_page(settings.config)}"' in prospect_html


def test_a_second_send_while_one_holds_the_ledger_is_refused(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    settings = sample(sample_project)
    with (
        Ledger(settings.send_ledger) as ledger,
        ledger.run(purpose="send 2026-11"),
        pytest.raises(LockBusy, match="send 2026-11"),
    ):
        send_live(settings, fake_sendgrid)
    assert fake_sendgrid.emails() == []


def test_the_send_after_a_killed_one_reports_its_batch_in_flight_as_newly_uncertain(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    settings = sample(sample_project)
    cut_off = "tom.becker@example.net"
    with Ledger(settings.send_ledger) as killed, killed.run(purpose="send nurture") as run:
        run.mark_in_flight(nurture_key(Q4), [cut_off], batch="killed")  # and then no answer

    after_kill = send_live(settings, fake_sendgrid)
    later = send_live(settings, fake_sendgrid)

    assert after_kill.report.uncertain == [cut_off] and after_kill.left_to_retry
    assert later.report.uncertain == [cut_off] and not later.left_to_retry
    assert cut_off not in fake_sendgrid.emails()


def test_over_smtp_a_refused_address_fails_alone(
    sample_project: Path, server: tuple[Recorder, int]
) -> None:
    recorder, port = server
    recorder.reject.add("rachel.stein@example.com")
    settings = sample(sample_project)
    smtp = SmtpTransport("127.0.0.1", port, tls="none", timeout=5, max_batch=5)
    try:
        with Ledger(settings.send_ledger) as ledger:
            report = run_send(
                nurture_job(settings, Q4, secret=SECRET),
                transport=smtp,
                ledger=ledger,
                desk_check=skip_desk_check,
            )
    finally:
        smtp.close()
    assert (report.sent, report.rejected) == (EMAILED - 1, 1)
    assert report.problems[0][:2] == ("rachel.stein@example.com", "rejected")
    assert len(recorder.messages) == EMAILED - 1


def test_a_quarter_without_its_card_is_an_error_naming_the_file(
    sample_project: Path,
) -> None:
    settings = sample(sample_project)
    with pytest.raises(ContentError, match="no card for 2031Q2") as caught:
        send_nurture_quarter(
            settings, parse_quarter("2031Q2"), secret=SECRET, live=False, desk_check=skip_desk_check
        )
    assert "cards/2031Q2.md" in caught.value.one_line()
