"""`newsletter cards --email` as a person runs it: the installed console script, on a
terminal with the progress bar on, against the fake SendGrid; a dry run unless --yes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cli.test_send_terminal import CONSOLE_SCRIPT, send_env
from tests.fake_sendgrid import FakeSendGrid
from tests.terminal import DEADLINE, run_on_terminal

# The sample's prospects and clients (cards.segments) who take email, less the one who
# unsubscribed.
EMAILED = 13


def cards_email(project: Path, *extra: str) -> list[str]:
    return [
        str(CONSOLE_SCRIPT),
        "cards",
        "--quarter",
        "2026Q4",
        "--email",
        "--config",
        str(project / "newsletter.yaml"),
        *extra,
    ]


def test_cards_email_yes_on_a_terminal_draws_the_bar_and_sends_each_reader_once(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    fake_sendgrid.delay = 0.3  # long enough for the bar to be redrawn mid-send
    env = send_env(fake_sendgrid, TERM="xterm-256color", COLUMNS="120")

    status, output = run_on_terminal(cards_email(sample_project, "--yes"), env)
    again, output_again = run_on_terminal(cards_email(sample_project, "--yes"), env)

    assert status == 0, output
    assert f"nurture-2026Q4: sent {EMAILED} (7 client, 6 prospect)" in output
    assert "sending" in output and f"/{EMAILED}" in output  # the bar
    assert "Traceback" not in output + output_again
    assert again == 0 and f"skipped: {EMAILED} already sent" in output_again
    assert len(fake_sendgrid.emails()) == len(set(fake_sendgrid.emails())) == EMAILED


def test_cards_email_without_yes_is_a_dry_run_with_a_sample(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    done = subprocess.run(
        cards_email(sample_project),
        env=send_env(fake_sendgrid),
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )

    assert done.returncode == 0, done.stderr
    assert f"nurture-2026Q4: would send {EMAILED}" in done.stdout
    assert "nurture-2026Q4.eml" in done.stdout
    assert "dry run: nothing sent; add --yes to send" in done.stdout
    assert fake_sendgrid.emails() == []
    assert not (sample_project / "build" / "cards").exists()  # no postcards made


def test_yes_without_email_is_refused_naming_the_option(sample_project: Path) -> None:
    args = [a for a in cards_email(sample_project, "--yes") if a != "--email"]

    done = subprocess.run(args, capture_output=True, text=True, timeout=DEADLINE)

    assert done.returncode == 2
    assert "--yes" in done.stderr and "--email" in done.stderr
    assert not (sample_project / "build" / "cards").exists()
