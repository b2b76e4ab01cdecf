"""run_send() of issue_job(): every email subscriber once, suppressions honoured, resumable."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import load_config
from newsletter.deliver.job import run_send, skip_desk_check
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.send import issue_job
from newsletter.deliver.smtp import SmtpTransport
from newsletter.errors import NewsletterError
from newsletter.pipeline.build import build
from tests.smtp_server import Recorder

SECRET = b"a-test-secret-of-enough-length"
MONTH = "2026-11"


def built(project: Path):
    settings = load_config(project / "newsletter.yaml")
    build(settings, MONTH, out_root=project / "build", offline=True)
    return settings


def send(settings, project: Path, port: int, **options):
    smtp = SmtpTransport("127.0.0.1", port, tls="none", timeout=5, max_batch=5)
    with Ledger(project / "state" / "ledger.sqlite") as ledger:
        try:
            return run_send(
                issue_job(settings, MONTH, out_root=project / "build", secret=SECRET),
                transport=smtp,
                ledger=ledger,
                desk_check=skip_desk_check,
                **options,
            )
        finally:
            smtp.close()


def recipients(recorder: Recorder) -> list[str]:
    return sorted(rcpt for _, rcpts, _ in recorder.messages for rcpt in rcpts)


def test_every_email_subscriber_gets_one_copy_and_suppressed_none(
    sample_project: Path, server: tuple[Recorder, int]
) -> None:
    recorder, port = server
    report = send(built(sample_project), sample_project, port)
    got = recipients(recorder)
    assert len(got) == len(set(got)) == 17
    assert "greg.palmer@example.org" not in got  # unsubscribed in suppressions.csv
    assert "lukasz.nowak@example.com" not in got  # post only
    assert (report.suppressed, report.not_email, report.sent) == (1, 3, 17)


def test_rerun_sends_nobody_twice(sample_project: Path, server: tuple[Recorder, int]) -> None:
    recorder, port = server
    settings = built(sample_project)
    send(settings, sample_project, port)
    again = send(settings, sample_project, port)
    assert again.sent == 0 and again.already_sent == 17
    assert len(recipients(recorder)) == 17


def test_limit_sends_to_the_next_n_only(sample_project: Path, server: tuple[Recorder, int]) -> None:
    recorder, port = server
    settings = built(sample_project)
    assert send(settings, sample_project, port, limit=4).sent == 4
    assert send(settings, sample_project, port).sent == 13
    assert len(set(recipients(recorder))) == 17


def test_placeholders_are_filled_and_prospects_get_no_offer(
    sample_project: Path, server: tuple[Recorder, int]
) -> None:
    recorder, port = server
    send(built(sample_project), sample_project, port)
    by_address = {rcpts[0]: message for _, rcpts, message in recorder.messages}
    client = by_address["maria.gonzalez@example.com"].get_body(("html",)).get_content()
    prospect = by_address["rachel.stein@example.com"].get_body(("plain",)).get_content()
    assert "%%" not in client and "Hi María" in client
    assert "ref=" in client
    assert "ref=" not in prospect and "%%" not in prospect
    assert by_address["maria.gonzalez@example.com"]["List-Unsubscribe-Post"]


def test_each_reader_sees_their_own_progress_toward_the_next_reward(
    sample_project: Path, server: tuple[Recorder, int]
) -> None:
    recorder, port = server
    send(built(sample_project), sample_project, port)
    texts = {
        rcpts[0]: message.get_body(("plain",)).get_content()
        for _, rcpts, message in recorder.messages
    }
    # María referred 2 people in October and 1 in November (subscribers/referrals.csv).
    assert (
        "You’ve sent us 3 friends and earned dinner for two" in texts["maria.gonzalez@example.com"]
    )
    assert "You’ve sent us 1 friend and earned" in texts["tom.becker@example.net"]
    assert "Send us your first friend" in texts["zoe.lindqvist@example.com"]


def test_build_edited_after_preview_is_refused(
    sample_project: Path, server: tuple[Recorder, int]
) -> None:
    _, port = server
    settings = built(sample_project)
    (sample_project / "build" / MONTH / "segments" / "client" / "email.html").write_text("x")
    with pytest.raises(NewsletterError, match="changed since it was made"):
        send(settings, sample_project, port)


def test_a_duplicate_address_stops_the_send_before_anyone_is_sent(
    sample_project: Path, server: tuple[Recorder, int]
) -> None:
    recorder, port = server
    settings = built(sample_project)
    csv_path = sample_project / "subscribers" / "subscribers.csv"
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")[0]
    lines.append(lines[1].replace(first, first.upper(), 1))
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(NewsletterError) as caught:
        send(settings, sample_project, port)
    assert caught.value.line == len(lines)
    assert "first on line 2" in caught.value.message
    assert recorder.messages == []


def test_a_deferred_recipient_is_failed_alone_and_the_rerun_sends_only_them(
    sample_project: Path, server: tuple[Recorder, int]
) -> None:
    recorder, port = server
    settings = built(sample_project)
    recorder.defer = {"priya.raman@example.org"}  # 451 at RCPT: not taken this time
    first = send(settings, sample_project, port)
    assert (first.sent, first.failed, first.rejected) == (16, 1, 0)
    assert first.problems == [
        (
            "priya.raman@example.org",
            "failed",
            "SMTP server 127.0.0.1 answered 451 4.3.0 try again later",
        )
    ]
    recorder.defer = set()
    again = send(settings, sample_project, port)
    assert (again.sent, again.failed, again.already_sent) == (1, 0, 16)
    got = recipients(recorder)
    assert len(got) == len(set(got)) == 17
